// The two shapes of a log line (--log_format): `text`, the key=value line
// every process has always written, and `json`, one object per line for log
// collectors. Pure functions, tested without a logger: the parser of a
// message's key=value pairs (values optionally in "..." with \" and \\
// escapes; never throws; whatever is not a pair is kept as text under
// "msg"), the JSON line built from them, and the trace/gid suffix that
// log_setup.h appends to text lines.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace turnstile {

enum class LogFormat { kText, kJson };

// "text" or "json"; nullopt otherwise.
std::optional<LogFormat> ParseLogFormat(std::string_view name);

struct ParsedMessage {
  // key -> value in message order, each key once (a repeated key's later
  // occurrences are left in `msg`).
  std::vector<std::pair<std::string, std::string>> fields;
  // Everything that is no key=value pair, space-separated, in order.
  std::string msg;
};

// Splits a message such as `event=x gid=... error="a \"b\" c" (note)`.
// A key is a letter or '_' followed by letters, digits, '_', '.' or '-'. A
// quoted value ends at the first unescaped '"' followed by the end, or by
// blanks and then the end or the next key=; failing that, at the last
// unescaped '"' followed by a blank (today's messages do not escape quotes
// inside values, so this keeps `error="participant "x" not found"` whole).
// An unterminated quote leaves the rest of the message in `msg`.
ParsedMessage ParseKeyValues(std::string_view message);

// True if `message` has the key `key` (at its start or after a blank).
bool HasKey(std::string_view message, std::string_view key);

struct LogRecord {
  std::string_view time;   // RFC 3339, e.g. 2024-05-01T12:00:00.123Z
  std::string_view level;  // spdlog's name: debug, info, warning, ...
  std::string_view service;
  std::string_view message;
  std::string_view trace_id;  // "" = none
  std::string_view gid;       // "" = none
};

// One JSON object (no newline): ts, level, svc, the message's fields as
// strings, msg (if any text was left), then gid and trace_id unless the
// message had them. A field named like one of these keys (ts, level, svc,
// msg) is kept in msg instead. Invalid UTF-8 is replaced, never thrown.
std::string JsonLine(const LogRecord& record);

// What a text line gets appended: " gid=<gid>" and " trace_id=<id>" for
// those given and not already in `message`.
std::string TextSuffix(std::string_view message, std::string_view trace_id,
                       std::string_view gid);

}  // namespace turnstile
