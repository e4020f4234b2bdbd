// The process logger of InitProcess: spdlog to stderr, named for the
// service, in the shape --log_format chose (log_format.h). Either way a line
// written while a trace is current (trace_scope.h) carries its trace_id,
// and the current gid unless the message has one, so that one request can
// be followed through the logs of every process.
#pragma once

#include <spdlog/formatter.h>
#include <spdlog/logger.h>

#include <memory>
#include <string>

#include "services/common/log_format.h"

namespace turnstile {

// The line formatter for `service` in `format`. Text is the pattern every
// process has always written,
//   2024-05-01T12:00:00.123+0000 level=info svc=<service> <message>
// followed by " gid=<gid>" and " trace_id=<id>" for those current and not
// in the message; json is log_format.h's JsonLine with the time in UTC.
std::unique_ptr<spdlog::formatter> MakeLogFormatter(const std::string& service,
                                                    LogFormat format);

// A stderr logger for `service` writing `format`, flushed at info and
// above.
std::shared_ptr<spdlog::logger> MakeProcessLogger(const std::string& service,
                                                  LogFormat format);

// Sends the gRPC library's own messages (gpr_log: errors by default,
// GRPC_VERBOSITY for more) through the default logger as
// `event=grpc_log file=... text="..."`, so that a json log has no line of
// another shape.
void RouteGrpcLogs();

}  // namespace turnstile
