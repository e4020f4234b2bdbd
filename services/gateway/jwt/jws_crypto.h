// The three JWS signature algorithms the gateway accepts (RFC 7518 §3),
// each a thin call into OpenSSL's EVP: HS256 (HMAC-SHA256, compared in
// constant time), RS256 (RSASSA-PKCS1-v1_5 with SHA-256) and ES256 (ECDSA
// P-256 with SHA-256, whose JWS form is the raw 64-byte r||s that OpenSSL
// wants as DER). Every function clears OpenSSL's thread-local error queue
// before returning: a refused token must not leave errors behind for the
// TLS code that runs next on the same IO thread.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>

#include "absl/strings/string_view.h"

namespace turnstile::gateway {

struct EvpPkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;

// An HMAC-SHA256 key made ready once (EVP_MAC_init with the key and the
// digest, which looks SHA-256 up by name under OpenSSL's locks) and copied
// for each message: the hot path neither fetches nor re-absorbs the key.
// Matches may be called from several threads at once.
class HmacSha256Key {
 public:
  // Null if OpenSSL cannot do HMAC-SHA256.
  static std::unique_ptr<HmacSha256Key> Create(absl::string_view key);
  ~HmacSha256Key();
  HmacSha256Key(const HmacSha256Key&) = delete;
  HmacSha256Key& operator=(const HmacSha256Key&) = delete;

  // True if `mac` is the HMAC-SHA256 of `data`, compared in constant time.
  bool Matches(absl::string_view data, absl::string_view mac) const;

 private:
  explicit HmacSha256Key(EVP_MAC_CTX* keyed) : keyed_(keyed) {}
  EVP_MAC_CTX* const keyed_;  // initialised, never updated itself
};

// HMAC-SHA256 of `data` under `key` (32 bytes), or "" if OpenSSL failed.
std::string HmacSha256(absl::string_view key, absl::string_view data);
// True if `signature` is an RS256 signature of `data` by the RSA `key`.
bool Rs256Verifies(EVP_PKEY* key, absl::string_view data,
                   absl::string_view signature);
// True if `signature` (r||s, 64 bytes) is an ES256 signature of `data` by
// the P-256 `key`.
bool Es256Verifies(EVP_PKEY* key, absl::string_view data,
                   absl::string_view signature);

}  // namespace turnstile::gateway
