#include "tools/bench_load.h"

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "services/common/status.h"
#include "services/common/tls.h"

namespace turnstile::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

struct LoadState {
  LoadOptions options;
  const AsyncOp* op = nullptr;
  SteadyClock::time_point start;
  std::atomic<int64_t> next{0};
  std::atomic<int> in_flight{0};
  std::atomic<bool> stop{false};
  std::atomic<int64_t> completed{0};
  std::atomic<int64_t> ok{0}, refused{0}, errors{0};

  std::mutex mu;  // guards tally and wakes the waiting caller
  std::condition_variable cv;
  Tally tally;
  SteadyClock::time_point first_refusal, last_refusal;

  bool Exhausted() const { return stop.load() || next.load() >= options.count; }
};

void Refill(const std::shared_ptr<LoadState>& state);

void Complete(const std::shared_ptr<LoadState>& state,
              SteadyClock::time_point t0, const grpc::Status& status) {
  const auto now = SteadyClock::now();
  const double ms = std::chrono::duration<double, std::milli>(now - t0).count();
  {
    std::lock_guard lock(state->mu);
    Tally& t = state->tally;
    if (status.ok()) {
      ++t.ok;
      t.ok_ms.push_back(ms);
      state->ok.fetch_add(1, std::memory_order_relaxed);
    } else if (IsRefusalStatus(status)) {
      std::string reason = ReasonOfGrpc(status);
      if (reason.empty()) {
        reason = absl::StatusCodeToString(FromGrpc(status).code());
      }
      ++t.refused[reason];
      if (t.refused_ms.empty()) state->first_refusal = now;
      state->last_refusal = now;
      t.refused_ms.push_back(ms);
      state->refused.fetch_add(1, std::memory_order_relaxed);
    } else {
      const std::string key =
          absl::StrCat(absl::StatusCodeToString(FromGrpc(status).code()), " ",
                       ReasonOfGrpc(status));
      if (++t.errors[key] == 1) {
        t.error_samples[key] = status.error_message().substr(0, 300);
      }
      state->errors.fetch_add(1, std::memory_order_relaxed);
    }
  }
  state->completed.fetch_add(1, std::memory_order_relaxed);
  state->in_flight.fetch_sub(1);
  Refill(state);
  if (state->in_flight.load() == 0 && state->Exhausted()) {
    std::lock_guard lock(state->mu);
    state->cv.notify_all();
  }
}

// Starts operations until `concurrency` are in flight or none is left.
// Called from completions too; a completion delivered inline (inside an
// op's start on this thread) returns at once and the outer loop carries on,
// so the stack never grows with the number of operations.
void Refill(const std::shared_ptr<LoadState>& state) {
  thread_local bool active = false;
  if (active) return;
  active = true;
  const int limit = std::max(1, state->options.concurrency);
  while (true) {
    int current = state->in_flight.load();
    if (current >= limit) break;
    if (!state->in_flight.compare_exchange_weak(current, current + 1)) {
      continue;
    }
    if (state->options.rate > 0) {
      // Paced: the caller's loop calls Refill again as time passes.
      const double elapsed =
          std::chrono::duration<double>(SteadyClock::now() - state->start)
              .count();
      if (static_cast<double>(state->next.load()) >=
          state->options.rate * elapsed + 1) {
        state->in_flight.fetch_sub(1);
        break;
      }
    }
    const int64_t i =
        state->stop.load() ? state->options.count : state->next.fetch_add(1);
    if (i >= state->options.count) {
      state->in_flight.fetch_sub(1);
      break;
    }
    const auto t0 = SteadyClock::now();
    (*state->op)(i, [state, t0](const grpc::Status& status) {
      Complete(state, t0, status);
    });
  }
  active = false;
}

void PrintProgress(const LoadState& state, bool final) {
  const double s =
      std::chrono::duration<double>(SteadyClock::now() - state.start).count();
  const int64_t done = state.completed.load();
  std::fprintf(stderr,
               "\r[%s] %6.1fs  requests %lld/%lld  ok %lld  refused %lld  "
               "errors %lld  %.0f/s  in-flight %d   %s",
               state.options.label.c_str(), s, static_cast<long long>(done),
               static_cast<long long>(state.options.count),
               static_cast<long long>(state.ok.load()),
               static_cast<long long>(state.refused.load()),
               static_cast<long long>(state.errors.load()),
               s > 0 ? done / s : 0.0, state.in_flight.load(),
               final ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace

bool IsRefusalStatus(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::FAILED_PRECONDITION ||
         status.error_code() == grpc::StatusCode::ABORTED;
}

std::string ReasonOfGrpc(const grpc::Status& status) {
  return ReasonOf(FromGrpc(status));
}

std::vector<std::shared_ptr<grpc::Channel>> MakeChannels(
    const std::string& target, const std::string& peer, int n) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < std::max(1, n); ++i) {
    grpc::ChannelArguments args;
    // A distinct argument gives each channel its own subchannel (and TCP
    // connection) instead of sharing the global pool's.
    args.SetInt("turnstile.bench_channel", i);
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    SetPeerName(args, peer);
    channels.push_back(
        grpc::CreateCustomChannel(target, MeshChannelCredentials(), args));
  }
  return channels;
}

Tally RunAsyncLoad(const LoadOptions& options, const AsyncOp& op) {
  auto state = std::make_shared<LoadState>();
  state->options = options;
  state->op = &op;
  state->start = SteadyClock::now();
  {
    std::lock_guard lock(state->mu);
    state->tally.ok_ms.reserve(std::min<int64_t>(options.count, 1 << 20));
  }
  Refill(state);
  auto last_print = SteadyClock::now();
  {
    std::unique_lock lock(state->mu);
    while (!(state->in_flight.load() == 0 && state->Exhausted())) {
      state->cv.wait_for(lock, options.rate > 0
                                   ? std::chrono::milliseconds(1)
                                   : std::chrono::milliseconds(100));
      if (options.rate > 0) {
        lock.unlock();
        Refill(state);
        lock.lock();
      }
      const auto now = SteadyClock::now();
      if (options.duration_cap.count() > 0 &&
          now - state->start >= options.duration_cap && !state->stop.load()) {
        state->stop.store(true);
      }
      if (options.progress && now - last_print >= std::chrono::seconds(1)) {
        last_print = now;
        lock.unlock();
        PrintProgress(*state, false);
        lock.lock();
      }
    }
  }
  if (options.progress) PrintProgress(*state, true);
  std::lock_guard lock(state->mu);
  Tally tally = std::move(state->tally);
  tally.seconds =
      std::chrono::duration<double>(SteadyClock::now() - state->start).count();
  tally.refusal_window_s =
      std::chrono::duration<double>(state->last_refusal - state->first_refusal)
          .count();
  // A capped run issued fewer than asked: report what was issued.
  return tally;
}

}  // namespace turnstile::bench
