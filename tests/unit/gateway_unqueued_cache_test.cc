// The waiting room's memory of products that are not queued
// (services/gateway/waiting_room/unqueued_cache.h) on a clock the test
// drives: remembered for the ttl only, every product of an order must be
// known, a Forget (this gateway configured the queue) wins over an answer
// fetched before it, the size is bounded, and ttl 0 remembers nothing.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "services/gateway/waiting_room/unqueued_cache.h"

namespace turnstile::gateway {
namespace {

using std::chrono::milliseconds;
using Clock = UnqueuedCache::Clock;

const QueueProduct kTee{QueueProduct::kSku, "tee"};
const QueueProduct kCap{QueueProduct::kSku, "cap"};
const QueueProduct kTeeRun{QueueProduct::kRun, "tee"};

TEST(UnqueuedCache, RemembersForTheTtlOnly) {
  UnqueuedCache cache(milliseconds(1000));
  const Clock::time_point t0 = Clock::now();
  EXPECT_TRUE(cache.AllUnqueued({}, t0));  // nothing to check
  EXPECT_FALSE(cache.AllUnqueued({kTee}, t0));
  cache.NoteUnqueued(kTee, t0, cache.generation());
  EXPECT_TRUE(cache.AllUnqueued({kTee}, t0 + milliseconds(999)));
  EXPECT_FALSE(cache.AllUnqueued({kTeeRun}, t0));  // a run is not the SKU
  EXPECT_FALSE(cache.AllUnqueued({kTee, kCap}, t0));
  cache.NoteUnqueued(kCap, t0, cache.generation());
  EXPECT_TRUE(cache.AllUnqueued({kTee, kCap}, t0 + milliseconds(10)));
  EXPECT_FALSE(cache.AllUnqueued({kTee}, t0 + milliseconds(1000)));
  EXPECT_FALSE(cache.AllUnqueued({kTee}, t0));  // dropped once lapsed
  EXPECT_EQ(cache.size(), 1u);
}

TEST(UnqueuedCache, ForgetWinsOverAnAnswerFromBeforeIt) {
  UnqueuedCache cache(milliseconds(1000));
  const Clock::time_point t0 = Clock::now();
  cache.NoteUnqueued(kTee, t0, cache.generation());
  const uint64_t before = cache.generation();  // a check starts...
  cache.Forget(kTee);                          // ...the queue is configured
  EXPECT_FALSE(cache.AllUnqueued({kTee}, t0));
  cache.NoteUnqueued(kTee, t0, before);  // ...its NOT_QUEUED arrives: ignored
  EXPECT_FALSE(cache.AllUnqueued({kTee}, t0));
  cache.NoteUnqueued(kTee, t0, cache.generation());
  EXPECT_TRUE(cache.AllUnqueued({kTee}, t0));
}

TEST(UnqueuedCache, BoundedAndOffAtZero) {
  UnqueuedCache cache(milliseconds(1000), /*max_entries=*/3);
  const Clock::time_point t0 = Clock::now();
  for (int i = 0; i < 3; ++i) {
    cache.NoteUnqueued({QueueProduct::kSku, std::to_string(i)}, t0,
                       cache.generation());
  }
  EXPECT_EQ(cache.size(), 3u);
  cache.NoteUnqueued(kTee, t0, cache.generation());
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_TRUE(cache.AllUnqueued({kTee}, t0));
  UnqueuedCache off(milliseconds(0));
  off.NoteUnqueued(kTee, t0, off.generation());
  EXPECT_FALSE(off.AllUnqueued({kTee}, t0));
  EXPECT_TRUE(off.AllUnqueued({}, t0));
  EXPECT_EQ(off.size(), 0u);
}

}  // namespace
}  // namespace turnstile::gateway
