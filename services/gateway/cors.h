// Cross-origin rules of the edge (the Fetch standard's CORS protocol): which
// origins may call the gateway from a browser (exact origins from
// --allowed_origins; never "*", because calls carry credentials), the answer
// to a preflight, and the headers an allowed actual response carries so
// that the browser lets the page read the gRPC status. Pure: the session
// applies the headers.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace turnstile::gateway {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

class CorsPolicy {
 public:
  // `origins` is a comma-separated list of "scheme://host[:port]";
  // INVALID_ARGUMENT for "*", a path, or anything not an origin.
  static absl::StatusOr<CorsPolicy> Parse(absl::string_view origins);

  bool Allowed(absl::string_view origin) const;

  // Headers of the 204 answer to a preflight from an allowed origin.
  HeaderList PreflightHeaders(absl::string_view origin) const;
  // Headers added to an actual response to an allowed origin.
  HeaderList ResponseHeaders(absl::string_view origin) const;

 private:
  absl::flat_hash_set<std::string> origins_;
};

}  // namespace turnstile::gateway
