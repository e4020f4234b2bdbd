// The public keys that RS256 and ES256 tokens are checked with: a JSON Web
// Key Set file (RFC 7517, {"keys": [...]}) as an identity provider publishes
// it, turned into OpenSSL keys with EVP_PKEY_fromdata (RSA from n/e, at
// least 2048 bits; EC P-256 from x/y, the point checked to be on the curve).
// Keys the gateway cannot use for signatures (another kty or curve, `use`
// other than "sig", an `alg` other than RS256/ES256, key_ops without
// "verify") are skipped, as RFC 7517 asks; a usable key that is malformed, or
// two usable keys with the same kid, make the whole file invalid.
//
// JwksFile keeps the file's current keys and follows rotation: at most once
// per check interval a caller looks at the file's stat (and re-reads it while
// its mtime is too recent to tell two writes apart); a changed, valid file
// replaces the keys, a changed invalid or missing one is logged and the old
// keys stay. SelectKey is the pure choice of a key for a token.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "services/gateway/jwt/jws_crypto.h"
#include "services/gateway/jwt/jwt_outcome.h"

namespace turnstile::gateway {

enum class KeyFamily {
  kRsa,    // RS256
  kEcP256  // ES256
};

struct PublicKey {
  std::string kid;  // "" if the JWK has none
  KeyFamily family = KeyFamily::kRsa;
  EvpPkeyPtr key;
};

struct KeySet {
  std::vector<PublicKey> keys;
  std::vector<std::string> skipped;  // why each unusable JWK was left out
};

// The usable keys of a JWKS document, or INVALID_ARGUMENT naming the first
// problem (never key material).
absl::StatusOr<KeySet> ParseJwks(absl::string_view text);

// The key for a token of `family` carrying `kid` (nullopt: no kid header), or
// a TOKEN_UNKNOWN_KEY reason: no key with that kid for this family, none of
// the family at all, or several and no kid to tell them apart.
struct KeyChoice {
  const PublicKey* key = nullptr;
  absl::string_view reason;  // set when key is null
  absl::string_view message;
};
KeyChoice SelectKey(const KeySet& keys, KeyFamily family,
                    const std::optional<std::string>& kid);

// What tells one version of a file from another without reading it.
struct FileStamp {
  int64_t dev = 0, ino = 0, size = -1;
  int64_t mtime_ns = 0, ctime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};

class JwksFile {
 public:
  // Reads and parses `path`; an unreadable or invalid file is an error.
  static absl::StatusOr<std::unique_ptr<JwksFile>> Load(
      std::string path, std::chrono::milliseconds check_interval);

  // The current keys. Thread-safe. At most once per check interval the
  // calling thread stats the file and, if it changed, re-reads it.
  std::shared_ptr<const KeySet> Keys() const;

  const std::string& path() const { return path_; }

 private:
  JwksFile(std::string path, std::chrono::milliseconds check_interval)
      : path_(std::move(path)), check_interval_(check_interval) {}
  // Reads the file at `stamp`; false (with *error) if it cannot be read.
  bool Read(std::string* content, FileStamp* stamp, std::string* error) const;
  void Check() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(reload_mu_);

  const std::string path_;
  const std::chrono::milliseconds check_interval_;
  mutable std::atomic<int64_t> next_check_ns_{0};

  mutable absl::Mutex keys_mu_;
  mutable std::shared_ptr<const KeySet> keys_ ABSL_GUARDED_BY(keys_mu_);

  // Held by the one caller that checks the file; the others do not wait.
  mutable absl::Mutex reload_mu_;
  mutable FileStamp stamp_ ABSL_GUARDED_BY(reload_mu_);
  mutable std::string content_ ABSL_GUARDED_BY(reload_mu_);
  // The content was read within the file system's timestamp resolution of
  // its mtime: a later write may keep the same stamp, so read it again.
  mutable bool racy_ ABSL_GUARDED_BY(reload_mu_) = false;
  mutable bool unreadable_logged_ ABSL_GUARDED_BY(reload_mu_) = false;
};

}  // namespace turnstile::gateway
