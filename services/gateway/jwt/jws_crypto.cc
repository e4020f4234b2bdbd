#include "services/gateway/jwt/jws_crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

namespace turnstile::gateway {
namespace {

constexpr size_t kSha256Bytes = 32;
constexpr size_t kP256FieldBytes = 32;

// Fetched once: fetching is a provider lookup under a lock, too slow for
// every token. EVP_MAC objects are safe to share between threads.
EVP_MAC* Hmac() {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}

using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)>;

// Clears the error queue when a check ends, whatever its result.
struct ErrorQueueGuard {
  ~ErrorQueueGuard() { ERR_clear_error(); }
};

// EVP_DigestVerify with SHA-256 over `data`; `sig` as OpenSSL wants it
// (the PKCS#1 bytes for RSA, DER for ECDSA).
bool DigestVerify(EVP_PKEY* key, absl::string_view data,
                  const unsigned char* sig, size_t sig_len, bool rsa) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                              &EVP_MD_CTX_free);
  if (!ctx) return false;
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (EVP_DigestVerifyInit_ex(ctx.get(), &pctx, "SHA256", nullptr, nullptr, key,
                              nullptr) != 1) {
    return false;
  }
  // PKCS#1 v1.5 is the default; said explicitly because RS256 is exactly it.
  if (rsa && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), sig, sig_len,
                          reinterpret_cast<const unsigned char*>(data.data()),
                          data.size()) == 1;
}

// A new HMAC-SHA256 context keyed with `key`, or null.
MacCtxPtr KeyedHmac(absl::string_view key) {
  if (Hmac() == nullptr) return MacCtxPtr(nullptr, &EVP_MAC_CTX_free);
  MacCtxPtr ctx(EVP_MAC_CTX_new(Hmac()), &EVP_MAC_CTX_free);
  if (!ctx) return ctx;
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(ctx.get(),
                   reinterpret_cast<const unsigned char*>(key.data()),
                   key.size(), params) != 1) {
    ctx.reset();
  }
  return ctx;
}

// Feeds `data` to a keyed context and writes the 32-byte MAC to `out`.
bool Finish(EVP_MAC_CTX* ctx, absl::string_view data, unsigned char* out) {
  size_t len = 0;
  return EVP_MAC_update(ctx,
                        reinterpret_cast<const unsigned char*>(data.data()),
                        data.size()) == 1 &&
         EVP_MAC_final(ctx, out, &len, kSha256Bytes) == 1 &&
         len == kSha256Bytes;
}

}  // namespace

std::unique_ptr<HmacSha256Key> HmacSha256Key::Create(absl::string_view key) {
  ErrorQueueGuard clear;
  MacCtxPtr keyed = KeyedHmac(key);
  if (!keyed) return nullptr;
  return std::unique_ptr<HmacSha256Key>(new HmacSha256Key(keyed.release()));
}

HmacSha256Key::~HmacSha256Key() { EVP_MAC_CTX_free(keyed_); }

bool HmacSha256Key::Matches(absl::string_view data,
                            absl::string_view mac) const {
  ErrorQueueGuard clear;
  // The length is public (always 32); only the bytes are compared in
  // constant time.
  if (mac.size() != kSha256Bytes) return false;
  // Duplicating only reads the keyed context, so threads may share it.
  MacCtxPtr ctx(EVP_MAC_CTX_dup(keyed_), &EVP_MAC_CTX_free);
  unsigned char expected[kSha256Bytes];
  if (!ctx || !Finish(ctx.get(), data, expected)) return false;
  return CRYPTO_memcmp(expected, mac.data(), kSha256Bytes) == 0;
}

std::string HmacSha256(absl::string_view key, absl::string_view data) {
  ErrorQueueGuard clear;
  MacCtxPtr ctx = KeyedHmac(key);
  std::string mac(kSha256Bytes, '\0');
  if (!ctx ||
      !Finish(ctx.get(), data, reinterpret_cast<unsigned char*>(mac.data()))) {
    return "";
  }
  return mac;
}

bool Rs256Verifies(EVP_PKEY* key, absl::string_view data,
                   absl::string_view signature) {
  ErrorQueueGuard clear;
  if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
    return false;
  }
  // A PKCS#1 signature is exactly as long as the modulus.
  if (signature.size() != static_cast<size_t>(EVP_PKEY_get_size(key))) {
    return false;
  }
  return DigestVerify(key, data,
                      reinterpret_cast<const unsigned char*>(signature.data()),
                      signature.size(), /*rsa=*/true);
}

bool Es256Verifies(EVP_PKEY* key, absl::string_view data,
                   absl::string_view signature) {
  ErrorQueueGuard clear;
  if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) return false;
  if (signature.size() != 2 * kP256FieldBytes) return false;
  const auto* raw = reinterpret_cast<const unsigned char*>(signature.data());
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(ECDSA_SIG_new(),
                                                            &ECDSA_SIG_free);
  if (!sig) return false;
  BIGNUM* r = BN_bin2bn(raw, kP256FieldBytes, nullptr);
  BIGNUM* s = BN_bin2bn(raw + kP256FieldBytes, kP256FieldBytes, nullptr);
  if (r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return false;
  }
  // DER of two INTEGERs of at most 33 bytes: 2 + 2 * (2 + 33) = 72 bytes.
  unsigned char der[72];
  const int der_len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (der_len <= 0 || static_cast<size_t>(der_len) > sizeof(der)) {
    return false;
  }
  unsigned char* out = der;
  if (i2d_ECDSA_SIG(sig.get(), &out) != der_len) return false;
  return DigestVerify(key, data, der, static_cast<size_t>(der_len),
                      /*rsa=*/false);
}

}  // namespace turnstile::gateway
