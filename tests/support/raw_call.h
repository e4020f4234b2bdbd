// One unary call with raw request bytes over any channel (grpc::GenericStub),
// for tests that walk many methods without a generated stub for each (the
// authorization matrix) or call methods a server should not have (the
// health-only port).
#pragma once

#include <grpcpp/grpcpp.h>

#include <string>

namespace turnstile::testing {

// Sends `request` (a serialized message) to `method` ("/pkg.Service/Method")
// with `ctx`; the response bytes go to `response` if it is not null.
grpc::Status RawUnaryCall(const std::shared_ptr<grpc::Channel>& channel,
                          const std::string& method, const std::string& request,
                          grpc::ClientContext* ctx,
                          std::string* response = nullptr);

}  // namespace turnstile::testing
