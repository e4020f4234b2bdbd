// Base64url without padding (RFC 4648 §5), the encoding of every JWS segment
// and of the JWK members n, e, x and y. The decoder is strict so that one
// token has exactly one spelling: padding, whitespace, characters of the
// standard alphabet (+/) and non-zero unused trailing bits are refused, and a
// re-encoded token cannot pass for a different one.
#pragma once

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace turnstile::gateway {

std::string Base64UrlEncode(absl::string_view bytes);
// The bytes, or nullopt if `text` is not canonical unpadded base64url.
std::optional<std::string> Base64UrlDecode(absl::string_view text);

}  // namespace turnstile::gateway
