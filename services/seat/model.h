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
};

// The result of a Try: the held seats (seat_id order) and their total.
struct Hold {
  std::vector<SeatRecord> seats;
  std::string currency;
  int64_t total_minor = 0;
  bool duplicate = false;  // a repeat of a Try that had already succeeded
};

}  // namespace turnstile::seat
