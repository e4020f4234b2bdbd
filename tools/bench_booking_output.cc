// The booking scenarios' results (bench_booking.h): the allocation table,
// the ratios of one run on the console, and --json.
#include <fstream>
#include <iostream>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/str_format.h"
#include "tools/bench_booking.h"
#include "tools/bench_flags.h"
#include "tools/bench_report.h"
#include "tools/bench_rpc.h"

namespace turnstile::bench {

void PrintAlloc(const AllocComparison& c) {
  int64_t seats = 0;
  for (int n : c.shape.class_seats) seats += n;
  std::cout << absl::StrFormat(
      "-- allocation, in process: %d stops, %d seats in %d classes, %d "
      "buyers of 1-%d passengers on random trips, %d seeds --\n",
      c.shape.stops, seats, c.shape.class_seats.size(), c.shape.buyers,
      c.shape.max_passengers, c.seeds.size());
  for (const SeedComparison& s : c.seeds) {
    std::cout << absl::StrFormat(
        "  seed %2d: ours %4d/%d seat-legs (%.4f), first-fit %4d (%.4f)\n",
        s.seed, s.ours.seat_legs_sold, s.ours.capacity, s.ours.share(),
        s.first_fit.seat_legs_sold, s.first_fit.share());
  }
  std::cout << absl::StrFormat(
      "  mean sold/capacity: ours %.4f, first-fit %.4f, ours/first-fit = "
      "%.4f; ours lower on %d of %d seeds\n",
      c.mean_share_ours, c.mean_share_first_fit, c.ratio, c.seeds_ours_lower,
      c.seeds.size());
}

void PrintBookingRatios(BookingRun& run) {
  std::cout << "== ratios (ours / theirs, same run) ==\n";
  const double free_rps = run.range_free ? run.range_free->rps : 0;
  if (run.remaining.requests() > 0 && run.range_free) {
    std::cout << absl::StrFormat(
        "  remaining-seat queries/s / EVALSHA range_free/s = %.0f / %.0f = "
        "%.3f  (target >= 0.3)\n",
        run.remaining.Rate(run.remaining.ok), free_rps,
        Ratio(run.remaining.Rate(run.remaining.ok), free_rps));
  }
  if (run.train.requests() > 0 && run.pgbench) {
    std::cout << absl::StrFormat(
        "  train bookings/s / pgbench TPS                = %.0f / %.0f = "
        "%.3f\n",
        run.train.Rate(run.train.ok), run.pgbench->tps,
        Ratio(run.train.Rate(run.train.ok), run.pgbench->tps));
  }
  if (run.soldout.requests() > 0 && run.range_free) {
    std::cout << absl::StrFormat(
        "  sold-out leg refusals/s / EVALSHA range_free/s = %.0f / %.0f = "
        "%.3f\n",
        run.soldout.RefusalRate(), free_rps,
        Ratio(run.soldout.RefusalRate(), free_rps));
  }
  if (run.soldout.requests() > 0 && run.range_hold_taken) {
    std::cout << absl::StrFormat(
        "  sold-out leg refusals/s / EVALSHA range_hold TAKEN/s = %.0f / "
        "%.0f = %.3f\n",
        run.soldout.RefusalRate(), run.range_hold_taken->rps,
        Ratio(run.soldout.RefusalRate(), run.range_hold_taken->rps));
  }
  if (run.alloc) {
    std::cout << absl::StrFormat(
        "  seat-legs sold/capacity, ours / first-fit     = %.4f / %.4f = "
        "%.4f\n",
        run.alloc->mean_share_ours, run.alloc->mean_share_first_fit,
        run.alloc->ratio);
  }
  if (run.cafe.requests() > 0) {
    std::cout << absl::StrFormat(
        "  net cafe, %d concurrent buyers of one zone (4h): p50 %.1f ms, "
        "p99 %.1f ms, all of them (seed 000: 11.7 s average lock step, "
        "11756.63 ms)\n",
        run.cafe_buyers, run.cafe_all.p50, run.cafe_all.p99);
  }
  std::cout << absl::StrFormat(
      "  machine load average (1 min) before/after the steps: %.2f / %.2f on "
      "%d hardware threads\n",
      run.load_before, run.load_after, std::thread::hardware_concurrency());
}

namespace {

void WriteOutcome(JsonWriter& json, const SaleOutcome& o) {
  json.BeginObject()
      .Field("requests", o.requests)
      .Field("accepted", o.accepted)
      .Field("refused", o.refused)
      .Field("seats_sold", o.seats_sold)
      .Field("seat_legs_sold", o.seat_legs_sold)
      .Field("capacity", o.capacity)
      .Field("share", o.share())
      .EndObject();
}

void WriteAlloc(JsonWriter& json, const AllocComparison& c) {
  json.Key("alloc").BeginObject();
  json.Field("stops", c.shape.stops)
      .Field("buyers", c.shape.buyers)
      .Field("max_passengers", c.shape.max_passengers);
  json.Key("class_seats").BeginArray();
  for (int n : c.shape.class_seats) json.Int(n);
  json.EndArray();
  json.Key("seeds").BeginArray();
  for (const SeedComparison& s : c.seeds) {
    json.BeginObject().Field("seed", static_cast<int64_t>(s.seed));
    json.Key("ours");
    WriteOutcome(json, s.ours);
    json.Key("first_fit");
    WriteOutcome(json, s.first_fit);
    json.EndObject();
  }
  json.EndArray();
  json.Field("mean_share_ours", c.mean_share_ours)
      .Field("mean_share_first_fit", c.mean_share_first_fit)
      .Field("ours_over_first_fit", c.ratio)
      .Field("seeds_ours_lower", c.seeds_ours_lower);
  json.EndObject();
}

void WriteBaseline(JsonWriter& json, const std::string& key,
                   const RangeBaseline& b) {
  json.Key(key).BeginObject();
  json.Field("per_s", b.rps).Field("command", b.command);
  json.EndObject();
}

}  // namespace

void WriteBookingJson(const std::string& path, BookingRun& run) {
  JsonWriter json;
  json.BeginObject();
  json.Field("scenario", "booking").Field("label", run.label);
  json.Key("config").BeginObject();
  json.Field("tag", run.tag)
      .Field("day", run.day)
      .Field("steps", absl::GetFlag(FLAGS_booking_steps))
      .Field("concurrency", run.concurrency)
      .Field("channels", absl::GetFlag(FLAGS_channels))
      .Field("throughput_s", absl::GetFlag(FLAGS_throughput_s))
      .Field("booking_buyers", absl::GetFlag(FLAGS_booking_buyers))
      .Field("train_runs", absl::GetFlag(FLAGS_train_runs))
      .Field("train_seats", absl::GetFlag(FLAGS_train_seats))
      .Field("cafe_buyers", run.cafe_buyers)
      .Field("cafe_machines", run.cafe_machines)
      .Field("order", absl::GetFlag(FLAGS_order))
      .Field("booking", absl::GetFlag(FLAGS_booking))
      .Field("hardware_threads",
             static_cast<int64_t>(std::thread::hardware_concurrency()))
      .Field("load_average_before", run.load_before)
      .Field("load_average_after", run.load_after);
  json.EndObject();
  if (run.alloc) WriteAlloc(json, *run.alloc);
  if (run.funding.requests() > 0) WriteTally(json, "funding", run.funding);
  if (run.train.requests() > 0) {
    json.Key("train_runs").BeginArray();
    for (const auto& r : run.train_runs) json.String(r);
    json.EndArray();
    WriteTally(json, "train", run.train);
  }
  if (run.remaining.requests() > 0) {
    json.Key("remaining_query").BeginObject();
    json.Field("run_id", run.remaining_run)
        .Field("class_id", run.remaining_class)
        .Field("from_stop", run.remaining_from)
        .Field("to_stop", run.remaining_to)
        .Field("answer", run.remaining_answer);
    json.EndObject();
    WriteTally(json, "remaining", run.remaining);
  }
  if (run.soldout.requests() > 0) {
    json.Field("soldout_run", run.soldout_run);
    WriteTally(json, "soldout", run.soldout);
    json.Field("soldout_refusals_per_s", run.soldout.RefusalRate());
  }
  if (run.cafe.requests() > 0) {
    json.Field("venue", run.venue);
    WriteTally(json, "cafe", run.cafe);
    WriteSummary(json, "cafe_all", run.cafe_all);
  }
  json.Key("baselines").BeginObject();
  if (run.pgbench) {
    json.Key("pgbench").BeginObject();
    json.Field("tps", run.pgbench->tps)
        .Field("clients", run.pgbench->clients)
        .Field("seconds", run.pgbench->seconds)
        .Field("command", run.pgbench->command);
    json.EndObject();
  }
  if (run.range_free)
    WriteBaseline(json, "evalsha_range_free", *run.range_free);
  if (run.range_hold_taken) {
    WriteBaseline(json, "evalsha_range_hold_taken", *run.range_hold_taken);
  }
  json.EndObject();
  json.Key("ratios").BeginObject();
  const double free_rps = run.range_free ? run.range_free->rps : 0;
  if (run.remaining.requests() > 0 && run.range_free) {
    json.Field("remaining_per_s_over_evalsha_range_free",
               Ratio(run.remaining.Rate(run.remaining.ok), free_rps));
  }
  if (run.train.requests() > 0 && run.pgbench) {
    json.Field("train_bookings_per_s_over_pgbench_tps",
               Ratio(run.train.Rate(run.train.ok), run.pgbench->tps));
  }
  if (run.soldout.requests() > 0 && run.range_free) {
    json.Field("soldout_refusals_per_s_over_evalsha_range_free",
               Ratio(run.soldout.RefusalRate(), free_rps));
  }
  if (run.soldout.requests() > 0 && run.range_hold_taken) {
    json.Field("soldout_refusals_per_s_over_evalsha_range_hold_taken",
               Ratio(run.soldout.RefusalRate(), run.range_hold_taken->rps));
  }
  if (run.alloc) json.Field("alloc_ours_over_first_fit", run.alloc->ratio);
  json.EndObject();
  json.Key("invariants").BeginObject();
  json.Field("all_ok", run.all_ok);
  json.Key("checks").BeginArray();
  for (const auto& c : run.checks) {
    json.BeginObject()
        .Field("name", c.name)
        .Field("ok", c.ok)
        .Field("detail", c.detail)
        .EndObject();
  }
  json.EndArray().EndObject();
  json.EndObject();
  std::ofstream out(path);
  out << json.str() << "\n";
  if (!out) Die("cannot write " + path);
  std::cout << "wrote " << path << "\n";
}

}  // namespace turnstile::bench
