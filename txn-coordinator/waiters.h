// Commit/Abort with wait=true: the call is parked here until its transaction
// reaches CONFIRMED/CANCELLED or its time is up, without holding a thread.
// The driver notifies finished transactions directly; a background thread
// also re-reads the states of waited transactions every poll interval, so a
// transaction finished by another replica (or a missed notification) still
// releases its waiters.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "txn-coordinator/log_store.h"

namespace turnstile::coordinator {

class Waiters {
 public:
  using Done = std::function<void(TxnState)>;
  using Time = std::chrono::system_clock::time_point;

  Waiters(LogStore* log, std::chrono::milliseconds poll);
  ~Waiters();  // Stop()

  // Calls `done` exactly once (never inside Add): with the final state when
  // `gid` finishes, else at `until` (or on Cancel/Stop) with the latest known
  // state. Returns a handle for Cancel.
  uint64_t Add(const std::string& gid, TxnState known, Time until, Done done);
  // `gid` reached `state` (final states release its waiters).
  void Notify(const std::string& gid, TxnState state);
  // Releases one waiter now (e.g. the client went away).
  void Cancel(uint64_t id);
  // Releases every waiter and joins the thread.
  void Stop();

  size_t size() const;

 private:
  struct Entry {
    std::string gid;
    TxnState known;
    Time until;
    Done done;
  };
  void Loop();
  // Removes and returns the entries matching `pred`; call with mu_ held.
  template <typename Pred>
  std::vector<Entry> TakeIf(Pred pred);

  LogStore* log_;
  const std::chrono::milliseconds poll_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, Entry> entries_;
  uint64_t next_id_ = 1;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace turnstile::coordinator
