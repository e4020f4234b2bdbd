// The waiting room's pass: what an admitted buyer sends as metadata
// "x-turnstile-pass" with Order.PlaceOrder. Signed by the gateway with
// HMAC-SHA256 and binding the product, the user and the expiry:
//   tsp1.<base64url("<product name>|<user>|<expiry unix ms>")>.<base64url(mac)>
// The key is never the JWT secret itself (a pass must never verify as a
// bearer token, nor a token as a pass): --queue_pass_key_file, or else
// HMAC-SHA256(JWT HS256 secret, "turnstile waiting-room pass v1"), so that
// every replica with the same secret accepts the others' passes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "services/gateway/jwt/jws_crypto.h"
#include "services/gateway/waiting_room/queue_product.h"

namespace turnstile::gateway {

inline constexpr size_t kMaxPassChars = 512;

// The pass key derived from a JWT HS256 secret (see above).
std::string DerivePassKey(absl::string_view jwt_secret);

class PassSigner {
 public:
  // `key` at least 32 bytes; null if OpenSSL cannot do HMAC-SHA256.
  static std::unique_ptr<PassSigner> Create(std::string key);

  std::string Sign(const QueueProduct& product, absl::string_view user,
                   int64_t expiry_ms) const;
  // The expiry (unix ms) of `pass` if it is well formed, signed with this
  // key and names exactly `product` and `user`; 0 otherwise. The expiry is
  // not compared with any clock here.
  int64_t ExpiryFor(absl::string_view pass, const QueueProduct& product,
                    absl::string_view user) const;

 private:
  PassSigner(std::string key, std::unique_ptr<HmacSha256Key> verifier)
      : key_(std::move(key)), verifier_(std::move(verifier)) {}
  std::string key_;
  std::unique_ptr<HmacSha256Key> verifier_;
};

}  // namespace turnstile::gateway
