// The waiting room (turnstile.v1.WaitingRoom, served by turnstile-gateway)
// as integration tests call it: one gRPC-web call over plain HTTP
// (http_client.h) with the answer's status decoded -- code, ErrorInfo
// reason and metadata, RetryInfo -- from grpc-status-details-bin, and typed
// wrappers for the four RPCs and for Order.PlaceOrder with passes in
// x-turnstile-pass. Header-only so that it needs no build change.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "tests/support/http_client.h"
#include "turnstile/v1/order.pb.h"
#include "turnstile/v1/waiting_room.pb.h"

namespace turnstile::testing {

struct WebReply {
  int code = -1;                                // grpc-status, -1 if none
  std::string reason;                           // ErrorInfo.reason ("" if none)
  std::map<std::string, std::string> metadata;  // ErrorInfo.metadata
  int64_t retry_ms = -1;                        // RetryInfo, -1 if none
  std::string message;                          // the response message
  HttpResult http;

  std::string meta(const std::string& key) const {
    auto it = metadata.find(key);
    return it == metadata.end() ? "" : it->second;
  }
};

// Rate limits for the gateway of these tests: generous, so that only the
// waiting room refuses (the default PlaceOrder bucket is a few per second).
inline constexpr char kGenerousRateLimits[] =
    "--rate_limits=*=user:1000:2000,ip:10000:20000";

inline WebReply DecodeWebReply(HttpResult http) {
  WebReply r;
  r.code = GrpcStatusOf(http);
  r.message = GrpcWebMessage(http);
  if (auto it = http.headers.find("grpc-status-details-bin");
      it != http.headers.end()) {
    std::string bytes;
    google::rpc::Status status;
    if (absl::Base64Unescape(it->second, &bytes) &&
        status.ParseFromString(bytes)) {
      for (const auto& any : status.details()) {
        google::rpc::ErrorInfo info;
        google::rpc::RetryInfo retry;
        if (any.UnpackTo(&info)) {
          r.reason = info.reason();
          r.metadata.insert(info.metadata().begin(), info.metadata().end());
        } else if (any.UnpackTo(&retry)) {
          r.retry_ms = retry.retry_delay().seconds() * 1000 +
                       retry.retry_delay().nanos() / 1000000;
        }
      }
    }
  }
  r.http = std::move(http);
  return r;
}

inline WebReply WebRpc(
    int port, const std::string& method,
    const google::protobuf::Message& request, const std::string& token,
    const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  return DecodeWebReply(GrpcWebCall(port, method, request.SerializeAsString(),
                                    token, 5000, headers));
}

inline v1::QueuedProduct Sku(const std::string& id) {
  v1::QueuedProduct p;
  p.set_sku_id(id);
  return p;
}

inline v1::QueuedProduct TrainRun(const std::string& id) {
  v1::QueuedProduct p;
  p.set_run_id(id);
  return p;
}

class WaitingRoomClient {
 public:
  explicit WaitingRoomClient(int port) : port_(port) {}

  WebReply Configure(const std::string& token, const v1::QueuedProduct& p,
                     double rate, int max_length = 0, int pass_ttl_s = 0,
                     bool enabled = true) {
    v1::ConfigureQueueRequest req;
    *req.mutable_product() = p;
    req.set_enabled(enabled);
    req.set_admit_per_second(rate);
    req.set_max_length(max_length);
    req.set_pass_ttl_seconds(pass_ttl_s);
    return WebRpc(port_, "/turnstile.v1.WaitingRoom/ConfigureQueue", req,
                  token);
  }
  WebReply Configure(const std::string& token,
                     const v1::ConfigureQueueRequest& req) {
    return WebRpc(port_, "/turnstile.v1.WaitingRoom/ConfigureQueue", req,
                  token);
  }
  // The queue (enabled = false if none); *reply gets the call's answer.
  v1::QueueConfig Get(const v1::QueuedProduct& p, WebReply* reply = nullptr) {
    v1::GetQueueRequest req;
    *req.mutable_product() = p;
    WebReply r = WebRpc(port_, "/turnstile.v1.WaitingRoom/GetQueue", req, "");
    v1::QueueConfig out;
    out.ParseFromString(r.message);
    if (reply) *reply = std::move(r);
    return out;
  }
  WebReply Join(const std::string& token, const v1::QueuedProduct& p,
                v1::QueueTicket* ticket = nullptr) {
    v1::JoinQueueRequest req;
    *req.mutable_product() = p;
    WebReply r =
        WebRpc(port_, "/turnstile.v1.WaitingRoom/JoinQueue", req, token);
    if (ticket) ticket->ParseFromString(r.message);
    return r;
  }
  WebReply Ticket(const std::string& token, const v1::QueuedProduct& p,
                  v1::QueueTicket* ticket = nullptr) {
    v1::GetTicketRequest req;
    *req.mutable_product() = p;
    WebReply r =
        WebRpc(port_, "/turnstile.v1.WaitingRoom/GetTicket", req, token);
    if (ticket) ticket->ParseFromString(r.message);
    return r;
  }
  // Order.PlaceOrder through the gateway with `passes` (one
  // x-turnstile-pass header each; none if empty).
  WebReply Place(const std::string& token, const v1::PlaceOrderRequest& req,
                 const std::vector<std::string>& passes = {}) {
    std::vector<std::pair<std::string, std::string>> headers;
    for (const auto& pass : passes)
      headers.emplace_back("x-turnstile-pass", pass);
    return WebRpc(port_, "/turnstile.v1.Order/PlaceOrder", req, token, headers);
  }

 private:
  int port_;
};

// A pay-now order of `quantity` of one SKU.
inline v1::PlaceOrderRequest StockOrder(const std::string& request_id,
                                        const std::string& sku,
                                        int64_t quantity = 1) {
  v1::PlaceOrderRequest req;
  req.set_request_id(request_id);
  auto* line = req.add_lines();
  line->set_sku_id(sku);
  line->set_quantity(quantity);
  req.set_pay_now(true);
  return req;
}

}  // namespace turnstile::testing
