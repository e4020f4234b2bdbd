#include "services/gateway/jwt/jwks.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "services/gateway/jwt/base64url.h"

namespace turnstile::gateway {
namespace {

using nlohmann::json;

constexpr int kMinRsaBits = 2048;
constexpr size_t kP256FieldBytes = 32;
// A JWKS is a few KiB; anything far larger is not one.
constexpr int64_t kMaxFileBytes = 1 << 20;
// Coarser than any file system's mtime resolution (FAT's is 2 s).
constexpr int64_t kRacyWindowNs = 2'000'000'000;

struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;

// Clears OpenSSL's error queue whatever the outcome (see jws_crypto.h).
struct ErrorQueueGuard {
  ~ErrorQueueGuard() { ERR_clear_error(); }
};

// EVP_PKEY_fromdata for a public key of `type` ("RSA", "EC"), then
// OpenSSL's own public-key check (for EC: the point is on the curve).
EvpPkeyPtr FromData(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return {};
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) !=
      1) {
    return {};
  }
  EvpPkeyPtr key(raw);
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> check(
      EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) return {};
  return key;
}

// The bytes of the base64url member `name`, or an error naming it.
absl::StatusOr<std::string> Member(const json& jwk, const char* name) {
  const auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat("no ", name));
  }
  auto bytes = Base64UrlDecode(it->get_ref<const std::string&>());
  if (!bytes || bytes->empty()) {
    return absl::InvalidArgumentError(absl::StrCat(name, " is not base64url"));
  }
  return *std::move(bytes);
}

absl::StatusOr<EvpPkeyPtr> RsaKey(const json& jwk) {
  auto n = Member(jwk, "n");
  if (!n.ok()) return n.status();
  auto e = Member(jwk, "e");
  if (!e.ok()) return e.status();
  BnPtr bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()),
                       static_cast<int>(n->size()), nullptr));
  BnPtr bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()),
                       static_cast<int>(e->size()), nullptr));
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) !=
          1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) !=
          1) {
    return absl::InternalError("OpenSSL could not hold the RSA numbers");
  }
  EvpPkeyPtr key = FromData("RSA", bld.get());
  if (!key) return absl::InvalidArgumentError("n/e are not an RSA public key");
  if (EVP_PKEY_get_bits(key.get()) < kMinRsaBits) {
    return absl::InvalidArgumentError(
        absl::StrCat("RSA key of ", EVP_PKEY_get_bits(key.get()),
                     " bits (at least ", kMinRsaBits, " needed)"));
  }
  return key;
}

absl::StatusOr<EvpPkeyPtr> EcP256Key(const json& jwk) {
  auto x = Member(jwk, "x");
  if (!x.ok()) return x.status();
  auto y = Member(jwk, "y");
  if (!y.ok()) return y.status();
  // RFC 7518 §6.2.1.2: the full coordinate length, leading zeros kept.
  if (x->size() != kP256FieldBytes || y->size() != kP256FieldBytes) {
    return absl::InvalidArgumentError("x/y are not 32 bytes each");
  }
  const std::string point = absl::StrCat("\x04", *x, *y);  // uncompressed
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                      "P-256", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                       point.data(), point.size()) != 1) {
    return absl::InternalError("OpenSSL could not hold the EC point");
  }
  EvpPkeyPtr key = FromData("EC", bld.get());
  if (!key) return absl::InvalidArgumentError("x/y are not a P-256 point");
  return key;
}

// Why the JWK cannot sign RS256/ES256 tokens, or "" if it can (and then
// *family).
std::string Unusable(const json& jwk, KeyFamily* family) {
  const auto kty = jwk.find("kty");
  if (kty == jwk.end() || !kty->is_string()) return "no kty";
  const auto& type = kty->get_ref<const std::string&>();
  if (type == "RSA") {
    *family = KeyFamily::kRsa;
  } else if (type == "EC") {
    const auto crv = jwk.find("crv");
    if (crv == jwk.end() || !crv->is_string() ||
        crv->get_ref<const std::string&>() != "P-256") {
      return "EC curve other than P-256";
    }
    *family = KeyFamily::kEcP256;
  } else {
    return absl::StrCat("kty ", type, " is not RSA or EC");
  }
  const char* alg = *family == KeyFamily::kRsa ? "RS256" : "ES256";
  if (const auto it = jwk.find("alg"); it != jwk.end()) {
    if (!it->is_string() || it->get_ref<const std::string&>() != alg) {
      return absl::StrCat("alg is not ", alg);
    }
  }
  if (const auto it = jwk.find("use"); it != jwk.end()) {
    if (!it->is_string() || it->get_ref<const std::string&>() != "sig") {
      return "use is not sig";
    }
  }
  if (const auto it = jwk.find("key_ops"); it != jwk.end()) {
    bool verify = false;
    if (it->is_array()) {
      for (const auto& op : *it) verify |= op.is_string() && op == "verify";
    }
    if (!verify) return "key_ops without verify";
  }
  return "";
}

int64_t Nanos(const struct timespec& ts) {
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

FileStamp StampOf(const struct stat& st) {
  return {static_cast<int64_t>(st.st_dev), static_cast<int64_t>(st.st_ino),
          static_cast<int64_t>(st.st_size), Nanos(st.st_mtim),
          Nanos(st.st_ctim)};
}

int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t WallNowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return Nanos(ts);
}

}  // namespace

absl::StatusOr<KeySet> ParseJwks(absl::string_view text) {
  ErrorQueueGuard clear;
  const json doc = json::parse(text.begin(), text.end(), nullptr,
                               /*allow_exceptions=*/false);
  if (doc.is_discarded()) return absl::InvalidArgumentError("not JSON");
  if (!doc.is_object()) {
    return absl::InvalidArgumentError("not a JSON object");
  }
  const auto keys = doc.find("keys");
  if (keys == doc.end() || !keys->is_array()) {
    return absl::InvalidArgumentError("no \"keys\" array");
  }
  KeySet set;
  std::set<std::string> kids;
  for (size_t i = 0; i < keys->size(); ++i) {
    const json& jwk = (*keys)[i];
    const std::string where = absl::StrCat("keys[", i, "]");
    if (!jwk.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, " is not an object"));
    }
    std::string kid;
    if (const auto it = jwk.find("kid"); it != jwk.end()) {
      if (!it->is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": kid is not a string"));
      }
      kid = it->get_ref<const std::string&>();
    }
    KeyFamily family = KeyFamily::kRsa;
    if (std::string why = Unusable(jwk, &family); !why.empty()) {
      set.skipped.push_back(absl::StrCat(where, ": ", why));
      continue;
    }
    auto key = family == KeyFamily::kRsa ? RsaKey(jwk) : EcP256Key(jwk);
    if (!key.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": ", key.status().message()));
    }
    if (!kid.empty() && !kids.insert(kid).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": kid used by another key"));
    }
    set.keys.push_back({std::move(kid), family, *std::move(key)});
  }
  return set;
}

KeyChoice SelectKey(const KeySet& keys, KeyFamily family,
                    const std::optional<std::string>& kid) {
  if (kid) {
    for (const auto& key : keys.keys) {
      if (key.kid != *kid) continue;
      if (key.family != family) {
        // Never verify with a key of another algorithm family.
        return {nullptr, kTokenUnknownKey,
                "the key the token names (kid) is not for its alg"};
      }
      return {&key, {}, {}};
    }
    return {nullptr, kTokenUnknownKey, "no key with the token's kid"};
  }
  const PublicKey* found = nullptr;
  for (const auto& key : keys.keys) {
    if (key.family != family) continue;
    if (found != nullptr) {
      return {nullptr, kTokenUnknownKey,
              "several keys fit the token's alg and it names none (kid)"};
    }
    found = &key;
  }
  if (found == nullptr) {
    return {nullptr, kTokenUnknownKey, "no key for the token's alg"};
  }
  return {found, {}, {}};
}

absl::StatusOr<std::unique_ptr<JwksFile>> JwksFile::Load(
    std::string path, std::chrono::milliseconds check_interval) {
  std::unique_ptr<JwksFile> file(new JwksFile(std::move(path), check_interval));
  {
    // Nobody else sees the file yet; locked for the annotations' sake.
    absl::MutexLock lock(&file->reload_mu_);
    std::string content, error;
    FileStamp stamp;
    if (!file->Read(&content, &stamp, &error)) {
      return absl::FailedPreconditionError(error);
    }
    auto keys = ParseJwks(content);
    if (!keys.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "JWKS file ", file->path_, ": ", keys.status().message()));
    }
    for (const auto& why : keys->skipped) {
      spdlog::warn("event=jwks_key_skipped file={} key=\"{}\"", file->path_,
                   why);
    }
    spdlog::info("event=jwks_loaded file={} keys={}", file->path_,
                 keys->keys.size());
    file->stamp_ = stamp;
    file->racy_ = WallNowNs() - stamp.mtime_ns < kRacyWindowNs;
    file->content_ = std::move(content);
    absl::MutexLock keys_lock(&file->keys_mu_);
    file->keys_ = std::make_shared<const KeySet>(*std::move(keys));
  }
  file->next_check_ns_.store(
      SteadyNowNs() +
      std::chrono::duration_cast<std::chrono::nanoseconds>(check_interval)
          .count());
  return file;
}

std::shared_ptr<const KeySet> JwksFile::Keys() const {
  const int64_t now = SteadyNowNs();
  int64_t due = next_check_ns_.load(std::memory_order_relaxed);
  // One caller per interval wins the exchange and looks at the file; the
  // others go on with the keys they have.
  if (now >= due &&
      next_check_ns_.compare_exchange_strong(
          due,
          now + std::chrono::duration_cast<std::chrono::nanoseconds>(
                    check_interval_)
                    .count(),
          std::memory_order_relaxed) &&
      reload_mu_.TryLock()) {
    Check();
    reload_mu_.Unlock();
  }
  absl::ReaderMutexLock lock(&keys_mu_);
  return keys_;
}

bool JwksFile::Read(std::string* content, FileStamp* stamp,
                    std::string* error) const {
  // Stat before reading: a write racing the read changes the stamp, so the
  // next check reads again.
  struct stat st;
  if (::stat(path_.c_str(), &st) != 0) {
    *error = absl::StrCat("cannot stat JWKS file ", path_, ": ",
                          std::strerror(errno));
    return false;
  }
  *stamp = StampOf(st);
  if (st.st_size > kMaxFileBytes) {
    *error = absl::StrCat("JWKS file ", path_, " is larger than ",
                          kMaxFileBytes, " bytes");
    return false;
  }
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    *error = absl::StrCat("cannot read JWKS file ", path_, ": ",
                          std::strerror(errno));
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  *content = text.str();
  return true;
}

void JwksFile::Check() const {
  struct stat st;
  // The cheap look first: nothing to do while the stamp holds.
  if (::stat(path_.c_str(), &st) == 0 && !racy_ && StampOf(st) == stamp_) {
    return;
  }
  std::string content, error;
  FileStamp stamp;
  if (!Read(&content, &stamp, &error)) {
    if (!unreadable_logged_) {
      spdlog::error(
          "event=jwks_reload_failed file={} error=\"{}\" keeping=old_keys",
          path_, error);
      unreadable_logged_ = true;
    }
    stamp_ = FileStamp{};  // whatever appears next is a change
    return;
  }
  unreadable_logged_ = false;
  stamp_ = stamp;
  racy_ = WallNowNs() - stamp.mtime_ns < kRacyWindowNs;
  if (content == content_) return;
  // Remembered even if invalid: the same broken content is reported once,
  // not at every check.
  content_ = content;
  auto keys = ParseJwks(content);
  if (!keys.ok()) {
    spdlog::error(
        "event=jwks_reload_failed file={} error=\"{}\" keeping=old_keys", path_,
        std::string(keys.status().message()));
    return;
  }
  for (const auto& why : keys->skipped) {
    spdlog::warn("event=jwks_key_skipped file={} key=\"{}\"", path_, why);
  }
  spdlog::info("event=jwks_reloaded file={} keys={}", path_, keys->keys.size());
  auto fresh = std::make_shared<const KeySet>(*std::move(keys));
  absl::MutexLock lock(&keys_mu_);
  keys_ = std::move(fresh);
}

}  // namespace turnstile::gateway
