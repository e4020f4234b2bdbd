// A GoogleTest fixture for the real turnstile-booking binary: a fresh
// database of SharedPg() and a flushed SharedRedis() per test, the process
// on a fresh loopback port, the Booking and Participant stubs, the requests
// the booking tests build (a venue and a run), and the PostgreSQL and
// Redis views of the booked ranges that the tests compare.
//
// Transport. The Booking RPCs must be in the authorization table
// (services/common/authz_table.cc) for an mTLS caller to reach them. Once
// they are, the fixture runs over mTLS with the test PKI (a "booking"
// certificate added to it) and calls as the real callers do: turnstilectl
// for operator RPCs, order for Tries, coordinator for Confirm/Cancel. Until
// then it starts the process with --insecure_plaintext and plaintext
// channels (the handlers are the same either way).
#pragma once

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "services/common/limit_gate.h"
#include "services/common/range_gate.h"
#include "services/common/redis_client.h"
#include "tests/support/child_process.h"
#include "tests/support/service_harness.h"
#include "turnstile/v1/booking.grpc.pb.h"
#include "turnstile/v1/participant.grpc.pb.h"

namespace turnstile::testing {

// Venue "cafe" (UTC, 10:00-22:00, 30-min slots) with zone "std" (machines
// m1..m4, 600/h, packages "2h" = 1000 and "4h" = 1800) and zone "vip" (v1,
// v2, 1200/h).
v1::CreateVenueRequest VenueRequest(const std::string& id = "cafe");
// Run "G1:2026-12-24": `stops` stops an hour apart, classes "first" (100 a
// leg) in car 1 and "second" (50 a leg) in car 2, `seats_per_car` seats
// each.
v1::CreateRunRequest RunRequest(int stops = 6, int seats_per_car = 4);
inline constexpr char kRunId[] = "G1:2026-12-24";
inline constexpr char kDay[] = "2026-12-24";
// 2026-12-24 hh:mm UTC as epoch seconds.
int64_t At(int hh, int mm = 0);

v1::HoldBookingsRequest SlotTry(const std::string& gid,
                                const std::vector<std::string>& machines,
                                int64_t start, const std::string& package,
                                int duration = 0,
                                const std::string& zone = "std");
v1::HoldBookingsRequest LegTry(const std::string& gid, int from, int to,
                               const std::string& cls,
                               const std::vector<std::string>& docs,
                               const std::vector<std::string>& seats = {},
                               const std::string& user = "alice");

class BookingHarness : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Starts turnstile-booking with the database, Redis, transport flags and
  // `args`; waits until it serves.
  void Launch(const std::vector<std::string>& args = {});
  int Stop();

  Outcome CreateVenue(const v1::CreateVenueRequest& r,
                      v1::Venue* out = nullptr);
  Outcome CreateRun(const v1::CreateRunRequest& r, v1::Run* out = nullptr);
  Outcome Hold(const v1::HoldBookingsRequest& r,
               v1::HoldBookingsResponse* out = nullptr);
  Outcome Confirm(const std::string& gid, bool* applied = nullptr);
  Outcome Cancel(const std::string& gid, bool* applied = nullptr);
  Outcome Reconcile(const v1::ReconcileBookingsRequest& r,
                    v1::ReconcileBookingsResponse* out = nullptr);

  std::unique_ptr<grpc::ClientContext> Ctx(int seconds = 10) const;
  std::string Query(const std::string& sql) const;
  int64_t Count(const std::string& sql) const;

  // "resource[from,to):S|H:owner" of every booking row of `gate_key`, and of
  // the Redis gate (sold ranges and live holds), sorted.
  std::string PgView(const std::string& gate_key) const;
  std::string GateView(const std::string& gate_key);
  // "counter=used" of the day-limit gate of `day` (live uses), and of
  // PostgreSQL's booking_quota for the day's doc / user-day counters, sorted.
  std::string LimitView(const std::string& day);
  std::string PgLimitView(const std::string& day, bool doc,
                          bool user_day) const;
  // Everything a request could change in PostgreSQL, as one string.
  std::string Snapshot() const;

  bool tls_ = false;
  std::string db_;
  std::string address_;
  ChildProcess process_;
  std::unique_ptr<v1::Booking::Stub> booking_;          // as turnstilectl
  std::unique_ptr<v1::Booking::Stub> booking_try_;      // as order
  std::unique_ptr<v1::Participant::Stub> participant_;  // as coordinator
  std::unique_ptr<RedisClient> redis_;
  std::unique_ptr<RangeGate> gate_;
  std::unique_ptr<LimitGate> limit_gate_;

 private:
  std::shared_ptr<grpc::Channel> Channel(const std::string& identity);
  std::string LogPath() const;
};

}  // namespace turnstile::testing
