#include "services/common/clients.h"

#include "services/common/caller.h"
#include "services/common/tls.h"

namespace turnstile {

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target,
                                           const std::string& peer,
                                           const ChannelOptions& options) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  // Reconnect quickly after a peer restarts (crash recovery).
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  if (options.max_receive_bytes > 0) {
    args.SetMaxReceiveMessageSize(options.max_receive_bytes);
  }
  if (options.pool_index > 0) {
    args.SetInt("turnstile.channel_pool_index", options.pool_index);
  }
  if (!options.retries) args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  SetPeerName(args, peer);
  return grpc::CreateCustomChannel(
      target, MeshChannelCredentials(options.identity), args);
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target,
                                           const std::string& peer,
                                           const std::string& identity) {
  ChannelOptions options;
  options.identity = identity;
  return MakeChannel(target, peer, options);
}

std::unique_ptr<grpc::ClientContext> CallContextFor(
    std::chrono::milliseconds timeout, const std::string& user,
    const std::string& roles) {
  auto ctx = CallContext(timeout);
  ActAs(*ctx, user, roles);
  return ctx;
}

}  // namespace turnstile
