#include "services/common/internal_error.h"

#include <spdlog/spdlog.h>

#include <pqxx/pqxx>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/common/status.h"

namespace turnstile {
namespace {

// One log line per failure: quotes and line breaks of the detail (libpq's
// messages have several lines) must not break the key=value format.
std::string OneLine(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\n') {
      out += " | ";
    } else if (c == '"') {
      out += '\'';
    } else if (static_cast<unsigned char>(c) >= 0x20) {
      out += c;
    }
  }
  while (absl::EndsWith(out, " | ")) out.resize(out.size() - 3);
  return out;
}

}  // namespace

std::string NewCorrelationId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return absl::StrFormat("%016x", rng());
}

absl::Status Concealed(absl::StatusCode code, absl::string_view reason,
                       absl::string_view public_message,
                       absl::string_view log_context,
                       absl::string_view detail) {
  const std::string id = NewCorrelationId();
  const bool internal = code == absl::StatusCode::kInternal ||
                        code == absl::StatusCode::kUnknown ||
                        code == absl::StatusCode::kDataLoss;
  spdlog::log(internal ? spdlog::level::err : spdlog::level::info,
              "event=concealed_error ref={} context={} code={} reason={} "
              "detail=\"{}\"",
              id, std::string(log_context), absl::StatusCodeToString(code),
              reason.empty() ? "-" : std::string(reason), OneLine(detail));
  return WithCorrelationId(
      Error(code, reason, absl::StrCat(public_message, " (ref ", id, ")")), id);
}

absl::Status InternalError(absl::string_view log_context,
                           const std::exception& e) {
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
    return Concealed(
        absl::StatusCode::kInternal, "DB_ERROR", "internal error", log_context,
        absl::StrCat("sqlstate=", sql->sqlstate(),
                     " error=", absl::StripTrailingAsciiWhitespace(sql->what()),
                     " query=", sql->query()));
  }
  const bool pqxx = dynamic_cast<const pqxx::failure*>(&e) != nullptr ||
                    dynamic_cast<const pqxx::usage_error*>(&e) != nullptr ||
                    dynamic_cast<const pqxx::conversion_error*>(&e) != nullptr;
  return Concealed(absl::StatusCode::kInternal, pqxx ? "DB_ERROR" : "INTERNAL",
                   "internal error", log_context, e.what());
}

}  // namespace turnstile
