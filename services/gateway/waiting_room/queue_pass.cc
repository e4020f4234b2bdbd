#include "services/gateway/waiting_room/queue_pass.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/gateway/jwt/base64url.h"

namespace turnstile::gateway {
namespace {

constexpr absl::string_view kPrefix = "tsp1.";

std::string Payload(const QueueProduct& product, absl::string_view user,
                    int64_t expiry_ms) {
  return absl::StrCat(product.Name(), "|", user, "|", expiry_ms);
}

}  // namespace

std::string DerivePassKey(absl::string_view jwt_secret) {
  return HmacSha256(jwt_secret, "turnstile waiting-room pass v1");
}

std::unique_ptr<PassSigner> PassSigner::Create(std::string key) {
  if (key.size() < 32) return nullptr;
  auto verifier = HmacSha256Key::Create(key);
  if (verifier == nullptr) return nullptr;
  return std::unique_ptr<PassSigner>(
      new PassSigner(std::move(key), std::move(verifier)));
}

std::string PassSigner::Sign(const QueueProduct& product,
                             absl::string_view user, int64_t expiry_ms) const {
  const std::string payload =
      Base64UrlEncode(Payload(product, user, expiry_ms));
  return absl::StrCat(kPrefix, payload, ".",
                      Base64UrlEncode(HmacSha256(key_, payload)));
}

int64_t PassSigner::ExpiryFor(absl::string_view pass,
                              const QueueProduct& product,
                              absl::string_view user) const {
  if (pass.size() > kMaxPassChars || !absl::StartsWith(pass, kPrefix)) {
    return 0;
  }
  pass.remove_prefix(kPrefix.size());
  const std::vector<absl::string_view> parts = absl::StrSplit(pass, '.');
  if (parts.size() != 2) return 0;
  const auto mac = Base64UrlDecode(parts[1]);
  if (!mac || !verifier_->Matches(parts[0], *mac)) return 0;
  const auto payload = Base64UrlDecode(parts[0]);
  if (!payload) return 0;
  const std::vector<absl::string_view> fields = absl::StrSplit(*payload, '|');
  int64_t expiry = 0;
  if (fields.size() != 3 || fields[0] != product.Name() || fields[1] != user ||
      !absl::SimpleAtoi(fields[2], &expiry) || expiry <= 0) {
    return 0;
  }
  return expiry;
}

}  // namespace turnstile::gateway
