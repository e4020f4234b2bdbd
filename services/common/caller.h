// Who is calling, for handlers, and how a client acts for an end user.
// Handlers never read the acting user from a request body: they take it
// from here, where the authorization processor (authz_processor.h) put what
// it verified (under --insecure_plaintext, from the metadata as sent).
#pragma once

#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace turnstile {

struct Caller {
  std::string peer;  // certificate identity ("" under plaintext)
  std::string user;  // acting end user, "" if none
  bool is_operator = false;
};

Caller CallerOf(const grpc::ServerContextBase& context);

// The acting end user, or UNAUTHENTICATED if the call carries none.
absl::StatusOr<std::string> ActingUser(const grpc::ServerContextBase& context);

// Client side (gateway, loadgen, tests): the call acts for `user`, with the
// comma-separated `roles` (e.g. "admin") if given.
void ActAs(grpc::ClientContext& context, absl::string_view user,
           absl::string_view roles = "");

}  // namespace turnstile
