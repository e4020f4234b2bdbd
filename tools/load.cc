#include "tools/load.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/common/status.h"

namespace turnstile::tools {

int Tally::refused_total() const {
  int n = 0;
  for (const auto& [k, v] : refused) n += v;
  return n;
}

int Tally::errors_total() const {
  int n = 0;
  for (const auto& [k, v] : errors) n += v;
  return n;
}

std::string Tally::Percentiles(std::vector<double> ms) {
  if (ms.empty()) return "-";
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) {
    return ms[std::min(ms.size() - 1, static_cast<size_t>(q * ms.size()))];
  };
  return absl::StrFormat("p50=%.1fms p90=%.1fms p99=%.1fms max=%.1fms", at(0.5),
                         at(0.9), at(0.99), ms.back());
}

std::string Tally::Summary(const std::string& title) const {
  const int total = ok + refused_total() + errors_total();
  std::string out = absl::StrFormat(
      "%s: %d requests in %.2fs (%.0f/s): %d succeeded, %d refused, %d "
      "errors\n",
      title, total, seconds, seconds > 0 ? total / seconds : 0.0, ok,
      refused_total(), errors_total());
  for (const auto& [k, v] : refused) {
    absl::StrAppend(&out, "    refused ", k, ": ", v, "\n");
  }
  for (const auto& [k, v] : errors) {
    absl::StrAppend(&out, "    ERROR ", k, ": ", v, "\n");
  }
  absl::StrAppend(&out, "    latency of successes: ", Percentiles(ok_ms),
                  "\n    latency of refusals:  ", Percentiles(refused_ms),
                  "\n");
  return out;
}

bool IsRefusal(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::FAILED_PRECONDITION ||
         status.error_code() == grpc::StatusCode::ABORTED;
}

Tally RunLoad(int n, int concurrency,
              const std::function<grpc::Status(int)>& call) {
  Tally tally;
  std::mutex mu;
  std::atomic<int> next{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < std::max(1, concurrency); ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < n; i = next++) {
        const auto t0 = std::chrono::steady_clock::now();
        const grpc::Status status = call(i);
        const double ms = std::chrono::duration<double, std::milli>(
                              std::chrono::steady_clock::now() - t0)
                              .count();
        const std::string key =
            absl::StrCat(absl::StatusCodeToString(FromGrpc(status).code()), " ",
                         ReasonOf(FromGrpc(status)));
        std::lock_guard lock(mu);
        if (status.ok()) {
          ++tally.ok;
          tally.ok_ms.push_back(ms);
        } else if (IsRefusal(status)) {
          ++tally.refused[key];
          tally.refused_ms.push_back(ms);
        } else {
          ++tally.errors[absl::StrCat(key, " ", status.error_message())];
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  tally.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return tally;
}

}  // namespace turnstile::tools
