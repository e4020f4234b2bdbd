#include "services/gateway/ratelimit/rate_limit_config.h"

#include <optional>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace turnstile::gateway {
namespace {

constexpr size_t kMaxFullName = 64;  // the Lua scripts' id limit

bool IsDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// "12", "0.5", "2.125": tokens per second in thousandths (0.001 is the
// resolution the Lua script works in), or nullopt.
std::optional<int64_t> ParseMilliRate(absl::string_view s) {
  absl::string_view whole = s, frac;
  if (const size_t dot = s.find('.'); dot != absl::string_view::npos) {
    whole = s.substr(0, dot);
    frac = s.substr(dot + 1);
    if (frac.empty() || frac.size() > 3 || !IsDigits(frac)) return {};
  }
  if (!IsDigits(whole) || whole.size() > 7) return {};
  int64_t milli = 0;
  for (char c : whole) milli = milli * 10 + (c - '0');
  for (size_t i = 0; i < 3; ++i) {
    milli = milli * 10 + (i < frac.size() ? frac[i] - '0' : 0);
  }
  if (milli < 1 || milli > static_cast<int64_t>(kMaxRatePerS) * 1000) {
    return {};
  }
  return milli;
}

std::optional<int64_t> ParseBurst(absl::string_view s) {
  if (!IsDigits(s) || s.size() > 10) return {};
  int64_t v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  if (v < 1 || v > kMaxBurst) return {};
  return v;
}

bool IsServiceChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         c == '.';
}
bool IsMethodChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// One "user:RATE:BURST" / "ip:off" part into `spec`; "" or the problem.
std::string ParseBucket(absl::string_view part, BucketSpec* spec) {
  const std::vector<absl::string_view> f = absl::StrSplit(part, ':');
  if (f.size() == 2 && f[1] == "off") {
    *spec = BucketSpec{};
    return "";
  }
  if (f.size() != 3) {
    return absl::StrCat("\"", part, "\" must be ", f[0], ":RATE:BURST or ",
                        f[0], ":off");
  }
  const auto milli = ParseMilliRate(f[1]);
  if (!milli) {
    return absl::StrCat(
        "rate \"", f[1],
        "\" must be tokens per second, a decimal in [0.001, 1000000] with at "
        "most 3 decimals");
  }
  const auto burst = ParseBurst(f[2]);
  if (!burst) {
    return absl::StrCat("burst \"", f[2], "\" must be an integer in [1, ",
                        kMaxBurst, "]");
  }
  spec->rate_per_s = static_cast<double>(*milli) / 1000.0;
  spec->burst = *burst;
  return "";
}

// One "METHOD=..." entry; "" or the problem.
std::string ParseEntry(absl::string_view entry, MethodLimits* out) {
  const size_t eq = entry.find('=');
  if (eq == absl::string_view::npos) {
    return "expected METHOD=user:RATE:BURST,ip:RATE:BURST[,fail_closed]";
  }
  const absl::string_view method =
      absl::StripAsciiWhitespace(entry.substr(0, eq));
  if (method != kDefaultMethod && !IsLimitableMethod(method)) {
    return absl::StrCat("method \"", method,
                        "\" must be * or a full path /package.Service/Method "
                        "(at most 65 chars)");
  }
  out->method = std::string(method);
  bool have_user = false, have_ip = false;
  for (absl::string_view part : absl::StrSplit(entry.substr(eq + 1), ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (part == "fail_closed") {
      if (out->fail_closed) return "fail_closed is repeated";
      out->fail_closed = true;
      continue;
    }
    const absl::string_view scope = part.substr(0, part.find(':'));
    bool* have = nullptr;
    BucketSpec* spec = nullptr;
    if (scope == "user") {
      have = &have_user;
      spec = &out->per_user;
    } else if (scope == "ip") {
      have = &have_ip;
      spec = &out->per_ip;
    } else {
      return absl::StrCat("unknown part \"", part,
                          "\" (expected user:..., ip:... or fail_closed)");
    }
    if (*have) return absl::StrCat("scope ", scope, " is repeated");
    *have = true;
    if (std::string problem = ParseBucket(part, spec); !problem.empty()) {
      return problem;
    }
  }
  if (!have_user) return "the user bucket is missing (user:off for none)";
  if (!have_ip) return "the ip bucket is missing (ip:off for none)";
  return "";
}

}  // namespace

bool IsLimitableMethod(absl::string_view path) {
  if (path.size() < 4 || path.size() > kMaxFullName + 1 || path[0] != '/') {
    return false;
  }
  const size_t slash = path.find('/', 1);
  if (slash == absl::string_view::npos || slash == 1 ||
      slash + 1 == path.size()) {
    return false;
  }
  for (char c : path.substr(1, slash - 1)) {
    if (!IsServiceChar(c)) return false;
  }
  for (char c : path.substr(slash + 1)) {
    if (!IsMethodChar(c)) return false;
  }
  return true;
}

MethodName SplitMethod(absl::string_view path) {
  const size_t slash = path.find('/', 1);
  return {path.substr(1, slash - 1), path.substr(slash + 1)};
}

absl::StatusOr<std::vector<MethodLimits>> ParseRateLimits(
    absl::string_view spec) {
  std::vector<MethodLimits> out;
  if (absl::StripAsciiWhitespace(spec).empty()) return out;
  absl::flat_hash_set<std::string> methods;
  int index = 0;
  for (absl::string_view entry : absl::StrSplit(spec, ';')) {
    ++index;
    entry = absl::StripAsciiWhitespace(entry);
    MethodLimits limits;
    std::string problem =
        entry.empty() ? "empty entry" : ParseEntry(entry, &limits);
    if (problem.empty() && !methods.insert(limits.method).second) {
      problem = absl::StrCat("method ", limits.method, " is given twice");
    }
    if (!problem.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--rate_limits entry ", index, " \"", entry, "\": ", problem));
    }
    out.push_back(std::move(limits));
  }
  return out;
}

}  // namespace turnstile::gateway
