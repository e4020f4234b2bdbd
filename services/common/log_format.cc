#include "services/common/log_format.h"

#include <nlohmann/json.hpp>

namespace turnstile {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

bool IsKeyStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool IsKeyChar(char c) {
  return IsKeyStart(c) || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

// Length of the key at s[pos] if a key followed by '=' starts there, else 0.
size_t KeyLength(std::string_view s, size_t pos) {
  if (pos >= s.size() || !IsKeyStart(s[pos])) return 0;
  size_t end = pos + 1;
  while (end < s.size() && IsKeyChar(s[end])) ++end;
  return end < s.size() && s[end] == '=' ? end - pos : 0;
}

// Whether a closing quote at s[pos] ends the value: followed by the end,
// or by blanks and then the end or the next key=.
bool EndsValue(std::string_view s, size_t pos) {
  size_t next = pos + 1;
  if (next == s.size()) return true;
  if (!IsBlank(s[next])) return false;
  while (next < s.size() && IsBlank(s[next])) ++next;
  return next == s.size() || KeyLength(s, next) > 0;
}

// The value of a quoted string opened at s[open]: its end (the closing
// quote's index) or npos if it is not terminated.
size_t ClosingQuote(std::string_view s, size_t open) {
  size_t fallback = std::string_view::npos;
  for (size_t i = open + 1; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() &&
        (s[i + 1] == '"' || s[i + 1] == '\\')) {
      ++i;
      continue;
    }
    if (s[i] != '"') continue;
    if (EndsValue(s, i)) return i;
    if (i + 1 < s.size() && IsBlank(s[i + 1])) fallback = i;
  }
  return fallback;
}

std::string Unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() &&
        (s[i + 1] == '"' || s[i + 1] == '\\')) {
      ++i;
    }
    out.push_back(s[i]);
  }
  return out;
}

void AppendText(std::string& msg, std::string_view text) {
  if (text.empty()) return;
  if (!msg.empty()) msg.push_back(' ');
  msg.append(text);
}

bool HasField(const ParsedMessage& parsed, std::string_view key) {
  for (const auto& [k, v] : parsed.fields) {
    if (k == key) return true;
  }
  return false;
}

}  // namespace

std::optional<LogFormat> ParseLogFormat(std::string_view name) {
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  return std::nullopt;
}

ParsedMessage ParseKeyValues(std::string_view s) {
  ParsedMessage out;
  size_t pos = 0;
  while (pos < s.size()) {
    if (IsBlank(s[pos])) {
      ++pos;
      continue;
    }
    const size_t start = pos;
    const size_t key_length = KeyLength(s, pos);
    if (key_length == 0) {
      // A bare word (or a stray quote): text up to the next blank.
      while (pos < s.size() && !IsBlank(s[pos])) ++pos;
      AppendText(out.msg, s.substr(start, pos - start));
      continue;
    }
    const std::string_view key = s.substr(pos, key_length);
    pos += key_length + 1;  // past '='
    std::string value;
    if (pos < s.size() && s[pos] == '"') {
      const size_t close = ClosingQuote(s, pos);
      if (close == std::string_view::npos) {
        AppendText(out.msg, s.substr(start));
        break;
      }
      value = Unescape(s.substr(pos + 1, close - pos - 1));
      pos = close + 1;
    } else {
      const size_t value_start = pos;
      while (pos < s.size() && !IsBlank(s[pos])) ++pos;
      value = std::string(s.substr(value_start, pos - value_start));
    }
    if (HasField(out, key)) {
      AppendText(out.msg, s.substr(start, pos - start));
    } else {
      out.fields.emplace_back(std::string(key), std::move(value));
    }
  }
  return out;
}

bool HasKey(std::string_view message, std::string_view key) {
  for (size_t pos = message.find(key); pos != std::string_view::npos;
       pos = message.find(key, pos + 1)) {
    const bool starts = pos == 0 || IsBlank(message[pos - 1]);
    const size_t after = pos + key.size();
    if (starts && after < message.size() && message[after] == '=') return true;
  }
  return false;
}

std::string JsonLine(const LogRecord& record) {
  ParsedMessage parsed = ParseKeyValues(record.message);
  nlohmann::ordered_json line = nlohmann::ordered_json::object();
  line["ts"] = std::string(record.time);
  line["level"] = std::string(record.level);
  line["svc"] = std::string(record.service);
  std::string msg;
  for (auto& [key, value] : parsed.fields) {
    if (key == "ts" || key == "level" || key == "svc" || key == "msg") {
      AppendText(msg, key + "=" + value);
      continue;
    }
    line[key] = std::move(value);
  }
  AppendText(msg, parsed.msg);
  if (!msg.empty()) line["msg"] = std::move(msg);
  if (!record.gid.empty() && !line.contains("gid"))
    line["gid"] = std::string(record.gid);
  if (!record.trace_id.empty() && !line.contains("trace_id")) {
    line["trace_id"] = std::string(record.trace_id);
  }
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string TextSuffix(std::string_view message, std::string_view trace_id,
                       std::string_view gid) {
  std::string out;
  if (!gid.empty() && !HasKey(message, "gid")) {
    out.append(" gid=").append(gid);
  }
  if (!trace_id.empty() && !HasKey(message, "trace_id")) {
    out.append(" trace_id=").append(trace_id);
  }
  return out;
}

}  // namespace turnstile
