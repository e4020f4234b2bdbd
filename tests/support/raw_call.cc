#include "tests/support/raw_call.h"

#include <grpcpp/generic/generic_stub.h>

#include <vector>

namespace turnstile::testing {

grpc::Status RawUnaryCall(const std::shared_ptr<grpc::Channel>& channel,
                          const std::string& method, const std::string& request,
                          grpc::ClientContext* ctx, std::string* response) {
  grpc::GenericStub stub(channel);
  grpc::Slice slice(request);
  grpc::ByteBuffer in(&slice, 1), out;
  grpc::CompletionQueue cq;
  auto call = stub.PrepareUnaryCall(ctx, method, in, &cq);
  call->StartCall();
  grpc::Status status;
  call->Finish(&out, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  if (response != nullptr) {
    std::vector<grpc::Slice> slices;
    out.Dump(&slices);
    response->clear();
    for (const auto& s : slices) {
      response->append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
  }
  return status;
}

}  // namespace turnstile::testing
