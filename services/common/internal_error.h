// Concealed failures (DESIGN.md §6): a client is told only that something
// failed, in a generic message with a correlation id; what failed (the
// database's error text, SQL state, a host name, a library's message) goes
// to this process's log under the same id, where an operator finds it. Every
// place that turns an exception or foreign error text into a status for a
// client goes through here; ToGrpc conceals what slipped past.
#pragma once

#include <exception>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace turnstile {

// A fresh correlation id: 16 random lower-case hex digits.
std::string NewCorrelationId();

// Logs `detail` with a new correlation id under `log_context` (e.g. "pg",
// "redis", a service domain) and returns `code`/`reason` with the message
// "<public_message> (ref <id>)" and the id attached (CorrelationIdOf).
// INTERNAL, UNKNOWN and DATA_LOSS log at error level, the rest at info.
absl::Status Concealed(absl::StatusCode code, absl::string_view reason,
                       absl::string_view public_message,
                       absl::string_view log_context, absl::string_view detail);

// An unexpected exception as INTERNAL "internal error (ref <id>)": reason
// DB_ERROR for libpqxx's exceptions (the log has the SQL state and the
// statement), INTERNAL for any other.
absl::Status InternalError(absl::string_view log_context,
                           const std::exception& e);

}  // namespace turnstile
