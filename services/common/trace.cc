#include "services/common/trace.h"

#include <random>

namespace turnstile {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr size_t kHeaderLength = 55;  // 2 + 1 + 32 + 1 + 16 + 1 + 2

bool IsLowerHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool AllLowerHex(std::string_view s) {
  for (char c : s) {
    if (!IsLowerHex(c)) return false;
  }
  return true;
}

bool AllZero(std::string_view s) {
  for (char c : s) {
    if (c != '0') return false;
  }
  return true;
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

int HexValue(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

// One generator per thread, seeded once from the operating system: ids
// must not repeat across processes, but need not be unguessable.
std::mt19937_64& Generator() {
  thread_local std::mt19937_64 generator = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  return generator;
}

template <size_t N>
void RandomHex(std::array<char, N>& out) {
  static_assert(N % 16 == 0);
  for (;;) {
    bool zero = true;
    for (size_t i = 0; i < N; i += 16) {
      uint64_t bits = Generator()();
      zero = zero && bits == 0;
      for (size_t j = 0; j < 16; ++j) {
        out[i + j] = kHex[(bits >> (60 - 4 * j)) & 0xf];
      }
    }
    if (!zero) return;
  }
}

}  // namespace

std::optional<TraceContext> ParseTraceparent(std::string_view header) {
  while (!header.empty() && IsBlank(header.front())) header.remove_prefix(1);
  while (!header.empty() && IsBlank(header.back())) header.remove_suffix(1);
  if (header.size() < kHeaderLength) return std::nullopt;
  const std::string_view version = header.substr(0, 2);
  if (!AllLowerHex(version) || version == "ff") return std::nullopt;
  if (version == "00"
          ? header.size() != kHeaderLength
          : header.size() > kHeaderLength && header[kHeaderLength] != '-') {
    return std::nullopt;
  }
  if (header[2] != '-' || header[35] != '-' || header[52] != '-') {
    return std::nullopt;
  }
  const std::string_view trace_id = header.substr(3, 32);
  const std::string_view parent_id = header.substr(36, 16);
  const std::string_view flags = header.substr(53, 2);
  if (!AllLowerHex(trace_id) || !AllLowerHex(parent_id) ||
      !AllLowerHex(flags) || AllZero(trace_id) || AllZero(parent_id)) {
    return std::nullopt;
  }
  TraceContext context;
  trace_id.copy(context.trace_id.data(), context.trace_id.size());
  parent_id.copy(context.span_id.data(), context.span_id.size());
  context.flags =
      static_cast<uint8_t>(HexValue(flags[0]) * 16 + HexValue(flags[1]));
  return context;
}

TraceContext NewTrace() {
  TraceContext context;
  RandomHex(context.trace_id);
  RandomHex(context.span_id);
  context.flags = 0x01;
  return context;
}

TraceContext ChildSpan(const TraceContext& parent) {
  if (!parent.valid()) return NewTrace();
  TraceContext child = parent;
  RandomHex(child.span_id);
  return child;
}

std::string FormatTraceparent(const TraceContext& context) {
  if (!context.valid()) return "";
  std::string out;
  out.reserve(kHeaderLength);
  out.append("00-");
  out.append(context.trace_id_view());
  out.push_back('-');
  out.append(context.span_id_view());
  out.push_back('-');
  out.push_back(kHex[context.flags >> 4]);
  out.push_back(kHex[context.flags & 0xf]);
  return out;
}

bool IsValidTraceId(std::string_view trace_id) {
  return trace_id.size() == 32 && AllLowerHex(trace_id) && !AllZero(trace_id);
}

TraceContext SpanInTrace(std::string_view trace_id) {
  TraceContext context;
  if (!IsValidTraceId(trace_id)) return context;
  trace_id.copy(context.trace_id.data(), context.trace_id.size());
  RandomHex(context.span_id);
  context.flags = 0x01;
  return context;
}

}  // namespace turnstile
