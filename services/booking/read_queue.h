// The availability readers of the booking process: FreeMachines,
// FreeWindows, RemainingSeats and GetStopMatrix are served with gRPC's
// callback API, whose threads must never block (DESIGN.md §7), so each
// call is a ReadJob handed to this bounded queue. A few worker threads take
// the queued jobs in batches (read_batch.h), plan each one (validation and
// the catalogue, which may load a venue or run from PostgreSQL once), send
// the batch's gate calls pipelined over one Redis connection
// (RangeGate::ReadBatch), rebuild an absent gate from PostgreSQL through the
// reconciler and read it again, and hand every job its answer, which
// finishes the call. A full queue refuses at once: RESOURCE_EXHAUSTED /
// OVERLOADED with RetryInfo (overload.h, queue label "booking_read").
// Metrics: turnstile_booking_read_queue_depth (gauge) and
// turnstile_booking_read_batch_size (histogram of jobs per batch).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/booking/reconciler.h"
#include "services/common/range_gate.h"
#include "services/common/trace.h"

namespace turnstile::booking {

// One availability call. All three steps run on a reader thread, in the
// call's trace, in this order: `plan` once; then, if it returned a gate
// call, `answer` once with the gate's answer; then `finish` once with the
// final status (plan's or answer's error, or the gate read's failure).
struct ReadJob {
  // The gate call the answer needs; an error ends the call; OK without a
  // call (nullopt) means the answer is complete already.
  std::function<absl::StatusOr<std::optional<RangeReadCall>>()> plan;
  // Fills the response from the gate's answer (status kOk).
  std::function<absl::Status(const RangeReadAnswer&)> answer;
  std::function<void(const absl::Status&)> finish;
  TraceContext trace;
};

struct ReadQueueOptions {
  int workers = 2;          // reader threads (each uses one Redis connection)
  size_t queue_max = 1024;  // jobs waiting; beyond: RESOURCE_EXHAUSTED
  size_t batch_max = 64;    // jobs one batch takes
  bool coalesce = true;     // identical gate calls of a batch sent once
};

class ReadQueue {
 public:
  ReadQueue(RangeGate* gate, BookingReconciler* reconciler,
            ReadQueueOptions options);
  ReadQueue(const ReadQueue&) = delete;
  ReadQueue& operator=(const ReadQueue&) = delete;
  ~ReadQueue();  // Stop()

  // Queues the job, or refuses it (RESOURCE_EXHAUSTED, nothing of `job`
  // runs) when the queue is full or stopped.
  absl::Status Submit(ReadJob job);

  // Lets the workers finish what is queued, then joins them. Later Submits
  // are refused.
  void Stop();

 private:
  void Work();
  void RunBatch(std::vector<ReadJob>& jobs);
  void SetDepth(size_t depth);

  RangeGate* const gate_;
  BookingReconciler* const reconciler_;
  const ReadQueueOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<ReadJob> queue_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace turnstile::booking
