// Unit tests of the in-memory seat catalog (services/seat/seat_catalog.h):
// unknown events and seats, one load per event even under concurrent first
// use, no caching of failures, Put without a load, and the size bound.
#include "services/seat/seat_catalog.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "services/common/status.h"
#include "services/seat/validation.h"

namespace turnstile::seat {
namespace {

// Events "e<n>" have n seats "s1".."s<n>"; anything else is unknown.
struct FakeStore {
  std::atomic<int> loads{0};
  std::atomic<bool> down{false};

  absl::StatusOr<std::vector<std::string>> Load(const std::string& event) {
    ++loads;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (down) return absl::UnavailableError("db down");
    if (event.empty() || event[0] != 'e') {
      return Error(absl::StatusCode::kNotFound, "EVENT_NOT_FOUND", event);
    }
    std::vector<std::string> ids;
    for (int i = 1; i <= std::stoi(event.substr(1)); ++i) {
      ids.push_back("s" + std::to_string(i));
    }
    return ids;
  }
};

TEST(SeatCatalog, ChecksEventsAndSeats) {
  FakeStore store;
  SeatCatalog catalog([&](const std::string& e) { return store.Load(e); },
                      1000);
  EXPECT_TRUE(catalog.Check("e3", {"s1", "s3"}).ok());
  const absl::Status missing = catalog.Check("e3", {"s2", "s4", "x"});
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReasonOf(missing), "SEAT_NOT_FOUND");
  EXPECT_NE(missing.message().find("s4, x"), absl::string_view::npos)
      << missing;
  EXPECT_EQ(ReasonOf(catalog.Check("nope", {"s1"})), "EVENT_NOT_FOUND");
  EXPECT_EQ(store.loads.load(), 2);
  EXPECT_TRUE(catalog.Check("e3", {"s2"}).ok());  // cached
  EXPECT_EQ(store.loads.load(), 2);
  // An unknown event is asked again (it may have been created since).
  EXPECT_EQ(ReasonOf(catalog.Check("nope", {"s1"})), "EVENT_NOT_FOUND");
  EXPECT_EQ(store.loads.load(), 3);
  EXPECT_EQ(catalog.events(), 1u);
}

TEST(SeatCatalog, ConcurrentFirstUseLoadsOnce) {
  FakeStore store;
  SeatCatalog catalog([&](const std::string& e) { return store.Load(e); },
                      1000);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 32; ++i) {
    threads.emplace_back([&] { ok += catalog.Check("e5", {"s5"}).ok(); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 32);
  EXPECT_EQ(store.loads.load(), 1);
}

TEST(SeatCatalog, FailedLoadsAreNotCached) {
  FakeStore store;
  store.down = true;
  SeatCatalog catalog([&](const std::string& e) { return store.Load(e); },
                      1000);
  EXPECT_EQ(catalog.Check("e2", {"s1"}).code(), absl::StatusCode::kUnavailable);
  store.down = false;
  EXPECT_TRUE(catalog.Check("e2", {"s1"}).ok());
  EXPECT_EQ(store.loads.load(), 2);
}

TEST(SeatCatalog, PutNeedsNoLoadAndWarmStopsWhenFull) {
  FakeStore store;
  SeatCatalog catalog([&](const std::string& e) { return store.Load(e); }, 10);
  std::vector<SectionSpec> sections = {{"A", 2, 2, 100}};
  catalog.Put("gig", SeatIds(sections));
  EXPECT_TRUE(catalog.Check("gig", {"A-1-1", "A-2-2"}).ok());
  EXPECT_EQ(ReasonOf(catalog.Check("gig", {"A-3-1"})), "SEAT_NOT_FOUND");
  EXPECT_EQ(store.loads.load(), 0);
  EXPECT_TRUE(*catalog.Warm("e6"));  // 4 + 6 seats: full
  EXPECT_FALSE(*catalog.Warm("e3"));
  EXPECT_EQ(store.loads.load(), 1);
  EXPECT_EQ(catalog.events(), 2u);
}

TEST(SeatCatalog, BoundedByEvictingTheOldest) {
  FakeStore store;
  SeatCatalog catalog([&](const std::string& e) { return store.Load(e); }, 12);
  EXPECT_TRUE(catalog.Check("e4", {"s4"}).ok());
  EXPECT_TRUE(catalog.Check("e5", {"s5"}).ok());
  EXPECT_TRUE(catalog.Check("e6", {"s6"}).ok());  // 15 > 12: e4 goes
  EXPECT_EQ(catalog.events(), 2u);
  EXPECT_EQ(store.loads.load(), 3);
  EXPECT_TRUE(catalog.Check("e5", {"s1"}).ok());  // still cached
  EXPECT_EQ(store.loads.load(), 3);
  EXPECT_TRUE(catalog.Check("e4", {"s1"}).ok());  // loaded again
  EXPECT_EQ(store.loads.load(), 4);
}

}  // namespace
}  // namespace turnstile::seat
