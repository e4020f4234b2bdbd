// The password of the PostgreSQL role a process connects as. Each service
// has a role of its own that owns only its database (turnstile_<service>),
// and the tools (turnstilectl, turnstile-demo, turnstile-bench) use the
// superuser named in their --pg_base. Either way the password comes from
// the file --pg_password_file names (environment fallback
// TURNSTILE_PG_PASSWORD_FILE), never from --pg itself, and is added to the
// libpq conninfo in memory only; conninfo strings that carry it are never
// logged.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace turnstile {

// `conninfo` (keyword/value or postgresql:// URI) with `password` set,
// replacing any password it had, as a keyword/value string.
// INVALID_ARGUMENT if libpq cannot parse `conninfo`.
absl::StatusOr<std::string> ConninfoWithPassword(absl::string_view conninfo,
                                                 absl::string_view password);

// The content of --pg_password_file ("" if the flag is empty), for a caller
// that hands the password on some other way (turnstile-bench to pgbench).
absl::StatusOr<std::string> PgPasswordFromFlags();

// `conninfo` with the password from --pg_password_file added, or unchanged
// if the flag is empty (e.g. a server that authenticates peers another way).
// The file is read on every call; the services call it once at start-up, so
// a rotated password takes effect on their next start.
absl::StatusOr<std::string> PgConninfoFromFlags(const std::string& conninfo);

// For a service's main: PgConninfoFromFlags, or nullopt after logging the
// problem (event=bad_flag flag=pg_password_file), and the process exits.
std::optional<std::string> ServiceConninfo(const std::string& conninfo);

}  // namespace turnstile
