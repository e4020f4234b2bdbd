// Plain data of the seat service, shared by the gRPC layer, the validation
// rules and the store, so that none of them depends on another's
// representation (no protobuf below service.cc, no SQL above store.cc).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace turnstile::seat {

// A block of rows x seats_per_row seats of one price.
struct SectionSpec {
  std::string name;
  int64_t rows = 0;
  int64_t seats_per_row = 0;
  int64_t price_minor = 0;
};

// An event to create with its seat map.
struct NewEvent {
  std::string event_id;
  std::string name;
  std::string currency;
  bool has_starts_at = false;
  int64_t starts_at_seconds = 0;
  int32_t starts_at_nanos = 0;
  std::vector<SectionSpec> sections;
};

// An event as stored.
struct EventRecord {
  std::string event_id;
  std::string name;
  std::string currency;
  int64_t starts_at_micros = 0;
  int64_t seat_count = 0;
};

enum class SeatState { kAvailable, kHeld, kSold };

// One seat as stored (prices are in the event's currency).
struct SeatRecord {
  std::string seat_id;
  std::string section;
  int64_t row = 0;
  int64_t number = 0;
  int64_t price_minor = 0;
  SeatState state = SeatState::kAvailable;
};

// An event with every seat, ordered by section (as defined), row, number.
struct SeatMapRecord {
  EventRecord event;
  std::vector<SeatRecord> seats;
};

// The Try of a seat branch.
struct HoldCommand {
  std::string gid;
  std::string branch_id;
  std::string user_id;
  std::string event_id;
  std::vector<std::string> seat_ids;
  // Until when the hold blocks others in the gate (epoch ms: transaction
  // deadline + margin); also stored in PostgreSQL so that a rebuilt gate
  // gets the same expiry.
  int64_t expiry_ms = 0;
  // The transaction deadline (epoch ms), stored with the held seats for the
  // orphan sweep.
  int64_t deadline_ms = 0;
};

// The result of a Try: the held seats (seat_id order) and their total.
struct Hold {
  std::vector<SeatRecord> seats;
  std::string currency;
  int64_t total_minor = 0;
  bool duplicate = false;  // a repeat of a Try that had already succeeded
};

// What a Confirm or Cancel did in PostgreSQL, and the seats it concerned so
// that the gate can follow: Confirm lists the seats the branch bought (also
// on a repeat), Cancel the seats it released now (none on a repeat or an
// empty rollback).
struct BranchSeats {
  bool applied = false;
  std::string event_id;  // "" if seat_ids is empty
  std::vector<std::string> seat_ids;
};

// A seat that is not AVAILABLE in PostgreSQL, as the reconciler sees it.
struct TakenSeat {
  std::string seat_id;
  SeatState state = SeatState::kHeld;  // kHeld or kSold
  std::string owner;                   // "<hold_gid>:<hold_branch>"
  int64_t expires_ms = 0;              // hold_expires_at (held seats)
};

// One consistent PostgreSQL view of an event for the reconciler.
struct EventGateState {
  std::vector<TakenSeat> seats;  // every HELD or SOLD seat, by seat_id
  // Owners asked about whose branch is decided in PostgreSQL (a confirm or
  // cancel barrier row): a gate hold of theirs is no longer in flight.
  std::vector<std::string> finished_owners;
  int64_t now_ms = 0;  // PostgreSQL's clock at the snapshot
};

}  // namespace turnstile::seat
