#include "services/gateway/web_response.h"

#include "absl/strings/str_cat.h"

namespace turnstile::gateway {
namespace http = boost::beast::http;
namespace {

HeaderList StatusFields(const grpc::Status& status) {
  HeaderList fields;
  fields.emplace_back("grpc-status",
                      std::to_string(static_cast<int>(status.error_code())));
  if (!status.error_message().empty()) {
    fields.emplace_back("grpc-message",
                        PercentEncodeMessage(status.error_message()));
  }
  if (!status.error_details().empty()) {
    fields.emplace_back("grpc-status-details-bin",
                        Base64Unpadded(status.error_details()));
  }
  return fields;
}

HttpResponse Base(const WebCall& call) {
  HttpResponse res{http::status::ok, call.version};
  res.set(http::field::content_type, call.content_type);
  for (const auto& [k, v] : call.cors) res.set(k, v);
  if (!call.trace_id.empty()) res.set(kTraceIdHeader, call.trace_id);
  return res;
}

}  // namespace

HttpResponse TrailersOnly(const WebCall& call, const grpc::Status& status,
                          const HeaderList& extra) {
  HttpResponse res = Base(call);
  for (const auto& [k, v] : extra) res.set(k, v);
  for (const auto& [k, v] : StatusFields(status)) res.set(k, v);
  res.content_length(0);
  return res;
}

HttpResponse MessageResponse(const WebCall& call, const grpc::Status& status,
                             grpc::ByteBuffer& message,
                             const HeaderList& headers,
                             const HeaderList& trailers) {
  HttpResponse res = Base(call);
  for (const auto& [k, v] : headers) res.insert(k, v);
  HeaderList trailer_fields = StatusFields(status);
  trailer_fields.insert(trailer_fields.end(), trailers.begin(), trailers.end());
  const std::string block = TrailerBlock(trailer_fields);

  std::vector<grpc::Slice> slices;
  (void)message.Dump(&slices);
  size_t length = 0;
  for (const auto& s : slices) length += s.size();
  std::string body;
  body.reserve(2 * kFrameHeaderBytes + length + block.size());
  AppendFrameHeader(0, static_cast<uint32_t>(length), &body);
  for (const auto& s : slices) {
    body.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  AppendFrameHeader(kTrailerFlag, static_cast<uint32_t>(block.size()), &body);
  body += block;
  res.body() = call.format == WebFormat::kText ? Base64(body) : std::move(body);
  res.prepare_payload();
  return res;
}

HttpResponse PlainResponse(unsigned version, http::status code,
                           absl::string_view text, const HeaderList& extra) {
  HttpResponse res{code, version};
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  for (const auto& [k, v] : extra) res.set(k, v);
  res.body() = absl::StrCat(text, "\n");
  res.prepare_payload();
  return res;
}

}  // namespace turnstile::gateway
