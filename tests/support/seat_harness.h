// ServiceHarness for turnstile-seat: the Seat stub (on a channel that accepts
// the big seat maps), one helper per RPC (each returns the Outcome and
// optionally the response), the requests the seat service and concurrency
// tests build, and the PostgreSQL and Redis gate views of the taken seats
// that the seat integration tests compare.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/service_harness.h"
#include "turnstile/v1/seat.grpc.pb.h"

namespace turnstile::testing {

v1::SectionSpec Section(const std::string& name, int rows, int per_row,
                        int64_t price);

// Sections A (2 rows x 3 seats at 5000) and B (1 row x 2 seats at 2500).
v1::CreateEventRequest EventRequest(const std::string& id);

v1::HoldSeatsRequest HoldRequest(const std::string& gid,
                                 const std::string& user,
                                 const std::string& event,
                                 const std::vector<std::string>& seats,
                                 const std::string& branch = "seat");

class SeatHarness : public ServiceHarness {
 protected:
  SeatHarness(std::string db_prefix, int log_tail_lines)
      : ServiceHarness("seat", std::move(db_prefix), log_tail_lines) {
    cancel_reason_ = v1::CANCEL_REASON_DEADLINE;
  }

  // Seat maps of big events exceed the 4 MB default receive limit.
  void LaunchSeat(const std::vector<std::string>& args) {
    Launch(args, 64 << 20);
  }
  void Connected() override;
  void Disconnected() override;

  Outcome CreateEvent(const v1::CreateEventRequest& request,
                      v1::Event* out = nullptr);
  Outcome GetSeatMap(const std::string& id, v1::SeatMap* out = nullptr);
  Outcome Hold(const v1::HoldSeatsRequest& request,
               v1::HoldSeatsResponse* out = nullptr);
  Outcome Reconcile(const std::string& event,
                    v1::ReconcileSeatsResponse* out = nullptr);

  // "seat:STATE" of every seat of the event that is not AVAILABLE.
  std::string Taken(const std::string& event) const;
  // State and holder of one seat, e.g. "HELD:<gid>:seat:alice".
  std::string SeatRow(const std::string& event, const std::string& seat) const;
  // Everything a request could change, as one comparable string.
  std::string Snapshot() const;
  // "seat:S|H:<gid>:<branch>" of every taken seat of the event, from
  // PostgreSQL and from the Redis gate (sold seats and live holds).
  std::string PgView(const std::string& event = "gig") const;
  std::string GateView(const std::string& event = "gig") const;

  std::unique_ptr<v1::Seat::Stub> seat_;      // as turnstilectl
  std::unique_ptr<v1::Seat::Stub> seat_try_;  // as order (Tries)
};

}  // namespace turnstile::testing
