#include "txn-coordinator/waiters.h"

#include <optional>
#include <set>
#include <vector>

namespace turnstile::coordinator {

Waiters::Waiters(LogStore* log, std::chrono::milliseconds poll)
    : log_(log), poll_(std::max(poll, std::chrono::milliseconds(10))) {
  thread_ = std::thread([this] { Loop(); });
}

Waiters::~Waiters() { Stop(); }

template <typename Pred>
std::vector<Waiters::Entry> Waiters::TakeIf(Pred pred) {
  std::vector<Entry> out;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (pred(it->second)) {
      out.push_back(std::move(it->second));
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

uint64_t Waiters::Add(const std::string& gid, TxnState known, Time until,
                      Done done) {
  std::unique_lock lock(mu_);
  const uint64_t id = next_id_++;
  entries_.emplace(id, Entry{gid, known, until, std::move(done)});
  // Stopped already: released by the thread's final sweep or Stop().
  lock.unlock();
  cv_.notify_all();
  return id;
}

void Waiters::Notify(const std::string& gid, TxnState state) {
  if (!IsFinal(state)) return;
  std::vector<Entry> done;
  {
    std::lock_guard lock(mu_);
    done = TakeIf([&](const Entry& e) { return e.gid == gid; });
  }
  for (auto& e : done) e.done(state);
}

void Waiters::Cancel(uint64_t id) {
  std::optional<Entry> entry;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return;
    entry = std::move(it->second);
    entries_.erase(it);
  }
  entry->done(entry->known);
}

void Waiters::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::vector<Entry> rest;
  {
    std::lock_guard lock(mu_);
    rest = TakeIf([](const Entry&) { return true; });
  }
  for (auto& e : rest) e.done(e.known);
}

size_t Waiters::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void Waiters::Loop() {
  std::unique_lock lock(mu_);
  Time last_poll = std::chrono::system_clock::now();
  while (!stopping_) {
    Time wake = last_poll + poll_;
    for (const auto& [id, e] : entries_) wake = std::min(wake, e.until);
    cv_.wait_until(lock, wake);
    if (stopping_) break;
    Time now = std::chrono::system_clock::now();
    const bool poll_due = now >= last_poll + poll_;
    bool expiring = false;
    for (const auto& [id, e] : entries_) expiring |= e.until <= now;
    if (entries_.empty() || (!poll_due && !expiring)) {
      if (poll_due) last_poll = now;
      continue;  // woken by Add: only the wake-up time changed
    }

    // Refresh the states of every waited transaction with one query.
    std::set<std::string> gid_set;
    for (const auto& [id, e] : entries_) gid_set.insert(e.gid);
    lock.unlock();
    auto states =
        log_->States(std::vector<std::string>(gid_set.begin(), gid_set.end()));
    lock.lock();
    last_poll = now;
    if (states.ok()) {
      for (auto& [id, e] : entries_) {
        if (auto it = states->find(e.gid); it != states->end()) {
          e.known = it->second;
        }
      }
    }
    now = std::chrono::system_clock::now();
    auto ready = TakeIf(
        [&](const Entry& e) { return IsFinal(e.known) || e.until <= now; });
    lock.unlock();
    for (auto& e : ready) e.done(e.known);
    lock.lock();
  }
}

}  // namespace turnstile::coordinator
