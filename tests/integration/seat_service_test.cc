// Integration tests of the seat service: the real turnstile-seat binary as a
// child process on a private PostgreSQL, called over gRPC/TCP. Every test
// gets a fresh database and process and checks the rows, not only the status
// codes: seat maps, happy paths, the TCC barrier, all-or-nothing holds, and
// bad input that must leave the database untouched.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "services/common/uuid.h"
#include "tests/support/mesh_test.h"
#include "tests/support/seat_harness.h"
#include "turnstile/v1/seat.grpc.pb.h"

namespace turnstile {
namespace {

using testing::EventRequest;
using testing::HoldRequest;
using testing::Outcome;
using testing::Section;
using testing::SharedPg;
using testing::SharedRedis;
namespace v1 = turnstile::v1;

class SeatServiceTest : public testing::SeatHarness {
 protected:
  SeatServiceTest() : SeatHarness("seat_svc", 40) {}

  void SetUp() override {
    SeatHarness::SetUp();
    Start();
  }

  // Starts the binary on a fresh port and waits until it serves.
  void Start() {
    LaunchSeat({"--metrics_listen=", "--pg_pool_size=8", RedisFlag()});
  }
};

constexpr auto OK = grpc::StatusCode::OK;

TEST_F(SeatServiceTest, CreateEventAndSeatMap) {
  v1::Event event;
  ASSERT_EQ(CreateEvent(EventRequest("gig"), &event).code, OK);
  EXPECT_EQ(event.event_id(), "gig");
  EXPECT_EQ(event.name(), "Concert gig");
  EXPECT_EQ(event.currency(), "EUR");
  EXPECT_EQ(event.seat_count(), 8);
  EXPECT_EQ(event.starts_at().seconds(), 1'900'000'000);
  EXPECT_EQ(event.starts_at().nanos(), 123'456'000);
  EXPECT_EQ(Count("SELECT count(*) FROM seat WHERE event_id = 'gig' AND "
                  "state = 'AVAILABLE'"),
            8);

  v1::SeatMap map;
  ASSERT_EQ(GetSeatMap("gig", &map).code, OK);
  EXPECT_EQ(map.event().SerializeAsString(), event.SerializeAsString());
  std::vector<std::string> ids;
  for (const auto& s : map.seats()) ids.push_back(s.seat_id());
  // Sections in the order defined, then row, then number.
  EXPECT_EQ(ids,
            (std::vector<std::string>{"A-1-1", "A-1-2", "A-1-3", "A-2-1",
                                      "A-2-2", "A-2-3", "B-1-1", "B-1-2"}));
  const auto& a23 = map.seats(5);
  EXPECT_EQ(a23.section(), "A");
  EXPECT_EQ(a23.row(), 2);
  EXPECT_EQ(a23.number(), 3);
  EXPECT_EQ(a23.price().minor_units(), 5000);
  EXPECT_EQ(a23.price().currency(), "EUR");
  EXPECT_EQ(a23.state(), v1::SEAT_STATE_AVAILABLE);
  EXPECT_EQ(map.seats(7).price().minor_units(), 2500);

  // Sections keep their defined order even when names sort otherwise.
  v1::CreateEventRequest reversed = EventRequest("rev");
  reversed.clear_sections();
  *reversed.add_sections() = Section("Z", 1, 1, 1);
  *reversed.add_sections() = Section("A", 1, 1, 2);
  ASSERT_EQ(CreateEvent(reversed).code, OK);
  ASSERT_EQ(GetSeatMap("rev", &map).code, OK);
  ASSERT_EQ(map.seats_size(), 2);
  EXPECT_EQ(map.seats(0).seat_id(), "Z-1-1");

  const std::string before = Snapshot();
  const Outcome again = CreateEvent(EventRequest("gig"));
  EXPECT_EQ(again.code, grpc::StatusCode::ALREADY_EXISTS) << again;
  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(GetSeatMap("nope").code, grpc::StatusCode::NOT_FOUND);
}

TEST_F(SeatServiceTest, LargestEventIsCreatedQuickly) {
  v1::CreateEventRequest request = EventRequest("arena");
  request.clear_sections();
  *request.add_sections() = Section("Floor", 100, 500, 9000);
  *request.add_sections() = Section("Upper", 100, 500, 4000);
  const auto start = std::chrono::steady_clock::now();
  v1::Event event;
  ASSERT_EQ(CreateEvent(request, &event).code, OK);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(event.seat_count(), 100'000);
  EXPECT_LT(took, std::chrono::seconds(15));
  EXPECT_EQ(Count("SELECT count(*) FROM seat WHERE event_id = 'arena'"),
            100'000);
  EXPECT_EQ(Count("SELECT count(DISTINCT seat_id) FROM seat"), 100'000);
  v1::SeatMap map;
  ASSERT_EQ(GetSeatMap("arena", &map).code, OK);
  ASSERT_EQ(map.seats_size(), 100'000);
  EXPECT_EQ(map.seats(0).seat_id(), "Floor-1-1");
  EXPECT_EQ(map.seats(99'999).seat_id(), "Upper-100-500");
  // Holds on a big event work as on a small one.
  ASSERT_EQ(Hold(HoldRequest(NewUuidV7(), "u", "arena",
                             {"Upper-100-500", "Floor-1-1"}))
                .code,
            OK);
  EXPECT_EQ(Taken("arena"), "Floor-1-1:HELD,Upper-100-500:HELD");
}

TEST_F(SeatServiceTest, HoldThenConfirm) {
  ASSERT_EQ(CreateEvent(EventRequest("gig")).code, OK);
  const std::string gid = NewUuidV7();
  v1::HoldSeatsResponse response;
  ASSERT_EQ(
      Hold(HoldRequest(gid, "alice", "gig", {"B-1-1", "A-1-2"}), &response)
          .code,
      OK);
  ASSERT_EQ(response.seats_size(), 2);
  EXPECT_EQ(response.seats(0).seat_id(), "A-1-2");
  EXPECT_EQ(response.seats(0).state(), v1::SEAT_STATE_HELD);
  EXPECT_EQ(response.seats(0).price().minor_units(), 5000);
  EXPECT_EQ(response.seats(1).seat_id(), "B-1-1");
  EXPECT_EQ(response.total().minor_units(), 7500);
  EXPECT_EQ(response.total().currency(), "EUR");
  EXPECT_EQ(Taken("gig"), "A-1-2:HELD,B-1-1:HELD");
  EXPECT_EQ(SeatRow("gig", "A-1-2"), "HELD:" + gid + ":seat:alice");
  EXPECT_EQ(Count("SELECT count(*) FROM seat WHERE hold_expires_at > now()"),
            2);
  EXPECT_EQ(Barrier(gid), "try");
  v1::SeatMap map;
  ASSERT_EQ(GetSeatMap("gig", &map).code, OK);
  EXPECT_EQ(map.seats(1).state(), v1::SEAT_STATE_HELD);
  EXPECT_EQ(map.seats(0).state(), v1::SEAT_STATE_AVAILABLE);

  bool applied = false;
  ASSERT_EQ(Confirm(gid, &applied).code, OK);
  EXPECT_TRUE(applied);
  EXPECT_EQ(Taken("gig"), "A-1-2:SOLD,B-1-1:SOLD");
  EXPECT_EQ(SeatRow("gig", "B-1-1"), "SOLD:" + gid + ":seat:alice");
  EXPECT_EQ(Barrier(gid), "confirm,try");
  ASSERT_EQ(GetSeatMap("gig", &map).code, OK);
  EXPECT_EQ(map.seats(1).state(), v1::SEAT_STATE_SOLD);
  // A sold seat cannot be held again.
  EXPECT_EQ(Hold(HoldRequest(NewUuidV7(), "bob", "gig", {"A-1-2"})).reason,
            "SEAT_TAKEN");
}

TEST_F(SeatServiceTest, HoldThenCancel) {
  ASSERT_EQ(CreateEvent(EventRequest("gig")).code, OK);
  const std::string before = Snapshot();
  const std::string gid = NewUuidV7();
  ASSERT_EQ(Hold(HoldRequest(gid, "carol", "gig", {"A-2-1", "A-2-2"})).code,
            OK);
  EXPECT_EQ(Taken("gig"), "A-2-1:HELD,A-2-2:HELD");
  bool applied = false;
  ASSERT_EQ(Cancel(gid, &applied).code, OK);
  EXPECT_TRUE(applied);
  EXPECT_EQ(Taken("gig"), "");
  EXPECT_EQ(SeatRow("gig", "A-2-1"), "AVAILABLE:-:-:-");
  EXPECT_EQ(Count("SELECT count(*) FROM seat WHERE hold_expires_at IS NOT "
                  "NULL OR hold_user IS NOT NULL"),
            0);
  EXPECT_EQ(Barrier(gid), "cancel,try");
  // Only the two barrier rows differ from before the hold.
  EXPECT_EQ(Count("SELECT count(*) FROM tcc_barrier"), 2);
  EXPECT_NE(Snapshot(), before);
  // Released seats can be held by someone else.
  ASSERT_EQ(Hold(HoldRequest(NewUuidV7(), "dan", "gig", {"A-2-1"})).code, OK);
}

TEST_F(SeatServiceTest, DuplicateHoldReturnsTheHeldSeats) {
  ASSERT_EQ(CreateEvent(EventRequest("gig")).code, OK);
  const std::string gid = NewUuidV7();
  v1::HoldSeatsResponse first, second, third;
  ASSERT_EQ(
      Hold(HoldRequest(gid, "erin", "gig", {"A-1-1", "B-1-2"}), &first).code,
      OK);
  ASSERT_EQ(
      Hold(HoldRequest(gid, "erin", "gig", {"A-1-1", "B-1-2"}), &second).code,
      OK);
  EXPECT_EQ(first.SerializeAsString(), second.SerializeAsString());
  // A repeat asking for something else is refused and changes nothing:
  // other seats, fewer seats, other user.
  const std::string before = Snapshot();
  for (const auto& other :
       {HoldRequest(gid, "erin", "gig", {"A-2-3"}),
        HoldRequest(gid, "erin", "gig", {"A-1-1"}),
        HoldRequest(gid, "frank", "gig", {"A-1-1", "B-1-2"})}) {
    const Outcome o = Hold(other, &third);
    EXPECT_EQ(o.code, grpc::StatusCode::FAILED_PRECONDITION) << o;
    EXPECT_EQ(o.reason, "TRY_MISMATCH");
  }
  EXPECT_EQ(Snapshot(), before);
  // The identical repeat still answers the held seats.
  ASSERT_EQ(
      Hold(HoldRequest(gid, "erin", "gig", {"A-1-1", "B-1-2"}), &third).code,
      OK);
  EXPECT_EQ(first.SerializeAsString(), third.SerializeAsString());
  EXPECT_EQ(Taken("gig"), "A-1-1:HELD,B-1-2:HELD");
  EXPECT_EQ(Count("SELECT count(*) FROM tcc_barrier"), 1);
}

TEST_F(SeatServiceTest, DuplicateConfirmAndCancelApplyOnce) {
  ASSERT_EQ(CreateEvent(EventRequest("gig")).code, OK);
  const std::string sold = NewUuidV7(), released = NewUuidV7();
  ASSERT_EQ(Hold(HoldRequest(sold, "finn", "gig", {"A-1-1"})).code, OK);
  ASSERT_EQ(Hold(HoldRequest(released, "finn", "gig", {"A-1-2"})).code, OK);
  bool applied = false;
  ASSERT_EQ(Confirm(sold, &applied).code, OK);
  EXPECT_TRUE(applied);
  ASSERT_EQ(Confirm(sold, &applied).code, OK);
  EXPECT_FALSE(applied);
  ASSERT_EQ(Cancel(released, &applied).code, OK);
  EXPECT_TRUE(applied);
  // Someone else holds the released seat now; a repeated Cancel of the old
  // branch must not release it.
  const std::string next = NewUuidV7();
  ASSERT_EQ(Hold(HoldRequest(next, "gus", "gig", {"A-1-2"})).code, OK);
  ASSERT_EQ(Cancel(released, &applied).code, OK);
  EXPECT_FALSE(applied);
  EXPECT_EQ(Taken("gig"), "A-1-1:SOLD,A-1-2:HELD");
  EXPECT_EQ(SeatRow("gig", "A-1-2"), "HELD:" + next + ":seat:gus");
  EXPECT_EQ(Barrier(sold), "confirm,try");
  EXPECT_EQ(Barrier(released), "cancel,try");
}

TEST_F(SeatServiceTest, CancelNeverReleasesSoldSeats) {
  ASSERT_EQ(CreateEvent(EventRequest("gig")).code, OK);
  const std::string gid = NewUuidV7();
  ASSERT_EQ(Hold(HoldRequest(gid, "hal", "gig", {"B-1-1"})).code, OK);
  ASSERT_EQ(Confirm(gid).code, OK);
  // A Cancel after Confirm (a coordinator fault) leaves the sale alone.
  bool applied = true;
  ASSERT_EQ(Cancel(gid, &applied).code, OK);
  EXPECT_FALSE(applied);
  EXPECT_EQ(Taken("gig"), "B-1-1:SOLD");
  EXPECT_EQ(SeatRow("gig", "B-1-1"), "SOLD:" + gid + ":seat:hal");
}

TEST_F(SeatServiceTest, CancelBeforeHoldIsEmptyRollbackAndBlocksHold) {
  ASSERT_EQ(CreateEvent(EventRequest("gig")).code, OK);
  const std::string gid = NewUuidV7();
  bool applied = true;
  ASSERT_EQ(Cancel(gid, &applied).code, OK);
  EXPECT_FALSE(applied);
  EXPECT_EQ(Barrier(gid), "cancel,try");
  EXPECT_EQ(Taken("gig"), "");
  const std::string after_cancel = Snapshot();
  const Outcome late = Hold(HoldRequest(gid, "ivy", "gig", {"A-1-1"}));
  EXPECT_EQ(late.code, grpc::StatusCode::ABORTED) << late;
  EXPECT_EQ(late.reason, "BRANCH_CANCELLED");
  EXPECT_EQ(Snapshot(), after_cancel);
  EXPECT_EQ(Taken("gig"), "");
}

TEST_F(SeatServiceTest, HoldAfterCancelIsRefused) {
  ASSERT_EQ(CreateEvent(EventRequest("gig")).code, OK);
  const std::string gid = NewUuidV7();
  ASSERT_EQ(Hold(HoldRequest(gid, "jo", "gig", {"A-1-1"})).code, OK);
  ASSERT_EQ(Cancel(gid).code, OK);
  const std::string before = Snapshot();
  const Outcome again = Hold(HoldRequest(gid, "jo", "gig", {"A-1-1"}));
  EXPECT_EQ(again.code, grpc::StatusCode::ABORTED) << again;
  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(Taken("gig"), "");
}

TEST_F(SeatServiceTest, ConfirmWithoutHoldIsRefusedVisibly) {
  ASSERT_EQ(CreateEvent(EventRequest("gig")).code, OK);
  const std::string gid = NewUuidV7();
  const std::string before = Snapshot();
  const Outcome outcome = Confirm(gid);
  EXPECT_EQ(outcome.code, grpc::StatusCode::FAILED_PRECONDITION) << outcome;
  EXPECT_EQ(outcome.reason, "BRANCH_NOT_TRIED");
  EXPECT_EQ(Snapshot(), before);
  // Nor can a cancelled hold be confirmed into a sale.
  ASSERT_EQ(Hold(HoldRequest(gid, "kim", "gig", {"A-1-3"})).code, OK);
  ASSERT_EQ(Cancel(gid).code, OK);
  EXPECT_EQ(Confirm(gid).code, grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Taken("gig"), "");
}

TEST_F(SeatServiceTest, TakenSeatFailsTheWholeHold) {
  ASSERT_EQ(CreateEvent(EventRequest("gig")).code, OK);
  const std::string first = NewUuidV7();
  ASSERT_EQ(Hold(HoldRequest(first, "lee", "gig", {"A-1-2"})).code, OK);
  const std::string before = Snapshot();
  const std::string gid = NewUuidV7();
  const Outcome outcome =
      Hold(HoldRequest(gid, "max", "gig", {"A-1-1", "A-1-2", "A-1-3"}));
  EXPECT_EQ(outcome.code, grpc::StatusCode::FAILED_PRECONDITION) << outcome;
  EXPECT_EQ(outcome.reason, "SEAT_TAKEN");
  EXPECT_NE(outcome.message.find("A-1-2"), std::string::npos) << outcome;
  // All or nothing: the free seats of the request stay AVAILABLE.
  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(SeatRow("gig", "A-1-1"), "AVAILABLE:-:-:-");
  EXPECT_EQ(SeatRow("gig", "A-1-3"), "AVAILABLE:-:-:-");
  EXPECT_EQ(SeatRow("gig", "A-1-2"), "HELD:" + first + ":seat:lee");
  EXPECT_EQ(Barrier(gid), "");
  // The refused branch may still be cancelled: an empty rollback that
  // touches none of the seats.
  bool applied = true;
  ASSERT_EQ(Cancel(gid, &applied).code, OK);
  EXPECT_FALSE(applied);
  EXPECT_EQ(Taken("gig"), "A-1-2:HELD");
}

TEST_F(SeatServiceTest, UnknownEventOrSeatChangesNothing) {
  ASSERT_EQ(CreateEvent(EventRequest("gig")).code, OK);
  ASSERT_EQ(CreateEvent(EventRequest("other")).code, OK);
  const std::string before = Snapshot();
  Outcome outcome = Hold(HoldRequest(NewUuidV7(), "ned", "nope", {"A-1-1"}));
  EXPECT_EQ(outcome.code, grpc::StatusCode::NOT_FOUND) << outcome;
  EXPECT_EQ(outcome.reason, "EVENT_NOT_FOUND");
  outcome = Hold(HoldRequest(NewUuidV7(), "ned", "gig", {"A-1-1", "C-1-1"}));
  EXPECT_EQ(outcome.code, grpc::StatusCode::NOT_FOUND) << outcome;
  EXPECT_EQ(outcome.reason, "SEAT_NOT_FOUND");
  EXPECT_NE(outcome.message.find("C-1-1"), std::string::npos);
  outcome = Hold(HoldRequest(NewUuidV7(), "ned", "gig", {"A-9-9"}));
  EXPECT_EQ(outcome.reason, "SEAT_NOT_FOUND") << outcome;
  // An unknown seat wins over a taken one: the request can never succeed.
  ASSERT_EQ(Hold(HoldRequest(NewUuidV7(), "ola", "gig", {"A-1-1"})).code, OK);
  const std::string held = Snapshot();
  outcome = Hold(HoldRequest(NewUuidV7(), "ned", "gig", {"A-1-1", "Q-1-1"}));
  EXPECT_EQ(outcome.reason, "SEAT_NOT_FOUND") << outcome;
  EXPECT_EQ(Snapshot(), held);
  EXPECT_NE(held, before);
  EXPECT_EQ(Taken("other"), "");  // same seat ids, other event: untouched
}

TEST_F(SeatServiceTest, RestartKeepsHoldsAndMigratesOnce) {
  ASSERT_EQ(CreateEvent(EventRequest("gig")).code, OK);
  const std::string gid = NewUuidV7();
  ASSERT_EQ(Hold(HoldRequest(gid, "pat", "gig", {"B-1-2"})).code, OK);
  ASSERT_EQ(Stop(), 0);
  Start();
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(Count("SELECT count(*) FROM schema_migrations"),
            testing::MigrationCount("seat"));
  bool applied = false;
  ASSERT_EQ(Confirm(gid, &applied).code, OK);
  EXPECT_TRUE(applied);
  EXPECT_EQ(Taken("gig"), "B-1-2:SOLD");
}

// Every RPC with bad input: INVALID_ARGUMENT (or NOT_FOUND for well-formed
// unknown ids) and the database exactly as before.
TEST_F(SeatServiceTest, BadInputChangesNothing) {
  ASSERT_EQ(CreateEvent(EventRequest("gig")).code, OK);
  const std::string live = NewUuidV7();
  ASSERT_EQ(Hold(HoldRequest(live, "quinn", "gig", {"A-1-1"})).code, OK);
  const std::string before = Snapshot();
  constexpr auto kInvalid = grpc::StatusCode::INVALID_ARGUMENT;
  const std::string gid = NewUuidV7();

  struct Case {
    std::string name;
    std::function<Outcome()> call;
    grpc::StatusCode want;
  };
  auto event = [](auto mutate) {
    v1::CreateEventRequest r = EventRequest("new");
    mutate(r);
    return r;
  };
  auto hold = [&](auto mutate) {
    v1::HoldSeatsRequest r = HoldRequest(gid, "quinn", "gig", {"A-1-2"});
    mutate(r);
    return r;
  };
  using E = v1::CreateEventRequest;
  using H = v1::HoldSeatsRequest;
  std::vector<std::pair<std::string, v1::CreateEventRequest>> events = {
      {"empty id", event([](E& r) { r.set_event_id(""); })},
      {"long id", event([](E& r) { r.set_event_id(std::string(65, 'e')); })},
      {"bad id chars", event([](E& r) { r.set_event_id("e'1"); })},
      {"empty name", event([](E& r) { r.set_name(""); })},
      {"long name", event([](E& r) { r.set_name(std::string(201, 'n')); })},
      {"control chars in name", event([](E& r) { r.set_name("a\tb"); })},
      {"no currency", event([](E& r) { r.set_currency(""); })},
      {"bad currency", event([](E& r) { r.set_currency("EURO"); })},
      {"no starts_at", event([](E& r) { r.clear_starts_at(); })},
      {"bad nanos", event([](E& r) { r.mutable_starts_at()->set_nanos(-1); })},
      {"far future",
       event([](E& r) { r.mutable_starts_at()->set_seconds(253402300800); })},
      {"no sections", event([](E& r) { r.clear_sections(); })},
      {"too many sections", event([](E& r) {
         r.clear_sections();
         for (int i = 0; i < 51; ++i) {
           *r.add_sections() = Section("S" + std::to_string(i), 1, 1, 1);
         }
       })},
      {"duplicate section names",
       event([](E& r) { r.mutable_sections(1)->set_name("A"); })},
      {"empty section name",
       event([](E& r) { r.mutable_sections(0)->set_name(""); })},
      {"long section name", event([](E& r) {
         r.mutable_sections(0)->set_name(std::string(17, 'A'));
       })},
      {"section name with dash",
       event([](E& r) { r.mutable_sections(0)->set_name("A-1"); })},
      {"zero rows", event([](E& r) { r.mutable_sections(0)->set_rows(0); })},
      {"negative rows",
       event([](E& r) { r.mutable_sections(0)->set_rows(-2); })},
      {"too many rows",
       event([](E& r) { r.mutable_sections(0)->set_rows(501); })},
      {"zero seats per row",
       event([](E& r) { r.mutable_sections(0)->set_seats_per_row(0); })},
      {"too many seats per row",
       event([](E& r) { r.mutable_sections(0)->set_seats_per_row(501); })},
      {"negative price",
       event([](E& r) { r.mutable_sections(0)->set_price_minor_units(-1); })},
      {"huge price", event([](E& r) {
         r.mutable_sections(0)->set_price_minor_units(1'000'000'000'001);
       })},
      {"too many seats in all", event([](E& r) {
         r.clear_sections();
         *r.add_sections() = Section("A", 500, 500, 1);
       })},
  };
  std::vector<std::pair<std::string, v1::HoldSeatsRequest>> holds = {
      {"no txn", hold([](H& r) { r.clear_txn(); })},
      {"malformed gid", hold([](H& r) { r.mutable_txn()->set_gid("xyz"); })},
      {"gid too long",
       hold([&](H& r) { r.mutable_txn()->set_gid(gid + "a"); })},
      {"empty branch", hold([](H& r) { r.mutable_txn()->set_branch_id(""); })},
      {"bad branch", hold([](H& r) { r.mutable_txn()->set_branch_id("S"); })},
      {"empty user", hold([](H& r) { r.set_user_id(""); })},
      {"long user", hold([](H& r) { r.set_user_id(std::string(65, 'u')); })},
      {"empty event", hold([](H& r) { r.set_event_id(""); })},
      {"bad event chars", hold([](H& r) { r.set_event_id("g i g"); })},
      {"no seats", hold([](H& r) { r.clear_seat_ids(); })},
      {"too many seats", hold([](H& r) {
         r.clear_seat_ids();
         for (int i = 1; i <= 21; ++i) {
           r.add_seat_ids("A-1-" + std::to_string(i));
         }
       })},
      {"duplicate seats", hold([](H& r) { r.add_seat_ids("A-1-2"); })},
      {"empty seat id", hold([](H& r) { r.add_seat_ids(""); })},
      {"long seat id",
       hold([](H& r) { r.add_seat_ids(std::string(65, 'A')); })},
      {"seat id breaking the array",
       hold([](H& r) { r.add_seat_ids("A-1-3\",\"A-1-1"); })},
  };

  std::vector<Case> cases;
  for (const auto& [name, request] : events) {
    cases.push_back({"CreateEvent " + name,
                     [&, r = request] { return CreateEvent(r); }, kInvalid});
  }
  for (const auto& [name, request] : holds) {
    cases.push_back(
        {"HoldSeats " + name, [&, r = request] { return Hold(r); }, kInvalid});
  }
  cases.push_back({"HoldSeats unknown event",
                   [&] { return Hold(HoldRequest(gid, "q", "zz", {"A-1-2"})); },
                   grpc::StatusCode::NOT_FOUND});
  cases.push_back({"HoldSeats unknown seat",
                   [&] { return Hold(HoldRequest(gid, "q", "gig", {"NULL"})); },
                   grpc::StatusCode::NOT_FOUND});
  cases.push_back(
      {"GetSeatMap empty", [&] { return GetSeatMap(""); }, kInvalid});
  cases.push_back({"GetSeatMap long",
                   [&] { return GetSeatMap(std::string(65, 'e')); }, kInvalid});
  cases.push_back(
      {"GetSeatMap bad chars", [&] { return GetSeatMap("a;b"); }, kInvalid});
  cases.push_back({"GetSeatMap unknown", [&] { return GetSeatMap("zz"); },
                   grpc::StatusCode::NOT_FOUND});
  for (const auto& [name, g, b] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"empty gid", "", "seat"},
           {"malformed gid", "not-a-uuid", "seat"},
           {"empty branch", live, ""},
           {"bad branch", live, "Seat"},
           {"long branch", live, std::string(65, 's')}}) {
    cases.push_back({"Confirm " + name,
                     [&, g = g, b = b] { return Confirm(g, nullptr, b); },
                     kInvalid});
    cases.push_back({"Cancel " + name,
                     [&, g = g, b = b] { return Cancel(g, nullptr, b); },
                     kInvalid});
  }

  for (const Case& c : cases) {
    const Outcome outcome = c.call();
    EXPECT_EQ(outcome.code, c.want) << c.name << ": " << outcome;
    if (outcome.code == kInvalid) {
      EXPECT_EQ(outcome.reason, "INVALID_ARGUMENT") << c.name;
    }
    EXPECT_EQ(Snapshot(), before) << c.name;
  }
  // The live hold is intact and confirmable.
  EXPECT_EQ(Taken("gig"), "A-1-1:HELD");
  ASSERT_EQ(Confirm(live).code, OK);
  EXPECT_EQ(Taken("gig"), "A-1-1:SOLD");
}

}  // namespace
}  // namespace turnstile
