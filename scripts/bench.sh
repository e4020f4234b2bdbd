#!/usr/bin/env bash
# Turnstile benchmark (issues 3, 8 and 10): the standard scenarios against
# the local mesh, each bounded in time, about 14 minutes in all on a 2-core
# box.
#   (a) flagship: 100,000 buyers, 1,000 units, limit 1, pay_now, gate
#       (0 oversold, exactly 1,000 PAID, every invariant true)
#   (b) strategy table: pessimistic / optimistic / gate on one contended SKU
#       (turnstile-inventory restarted with --reservation_strategy=X)
#   (c) hot-SKU buckets 1 vs 8 on a 100,000-unit SKU (gate, pessimistic)
#   (d) baselines: pgbench tpcb-like, redis-benchmark EVALSHA of the reserve
#       script, and pay_now through the full TCC vs a second order process,
#       the bench-only binary turnstile-order-bypass (UNSAFE: measurement only),
#       and refusal latency at a sustainable offered rate (BENCH_REFUSAL_RATE)
#   (e) the price of security: pay_now orders/s and sold-out refusals/s over
#       the mesh as it runs (mTLS, authorization table) and over the same
#       mesh restarted with --insecure_plaintext (measurement only), then
#       restarted with mTLS again
#   (f) the edge: sold-out refusals/s and pay_now orders/s through
#       turnstile-gateway (gRPC-web over HTTP/1.1, sent by wrk with
#       scripts/bench/grpc_web.lua) and directly over gRPC to the order
#       service, the same prepared orders, the same number in flight, back to
#       back in one run; the gateway restarted with raised rate limits (the
#       limiter still runs: one EVALSHA per call) and, for its price, once
#       more with PlaceOrder's limits off; then restarted with its defaults
#   (g) bookings over ranges (turnstile-bench --scenario=booking): train
#       bookings/s (PlaceOrder pay_now, one leg line, full TCC) / pgbench,
#       remaining-seat queries/s (Booking.RemainingSeats direct) and
#       sold-out leg refusals/s / redis-benchmark EVALSHA range_free on the
#       same gate, seat-legs sold / capacity of our allocation vs first-fit
#       (in process), and p50/p99 of 230 concurrent buyers of one net-cafe
#       zone's 4-hour package (seed 000: 11.7 s average lock step)
# Writes JSON and latency PNGs to .turnstile/bench/ and prints one table of
# ratios. Assumes the mesh runs (./run up) with binaries in
# ${TURNSTILE_BUILD_DIR:-build}; leaves inventory running with the gate
# strategy and stops the bypass order process when done.
# Sizes can be overridden: BENCH_BUYERS, BENCH_STOCK, BENCH_CONCURRENCY,
# BENCH_STRATEGY_BUYERS, BENCH_STRATEGY_S, BENCH_BUCKET_ORDERS, BENCH_BUCKET_S,
# BENCH_BASELINE_BUYERS,
# BENCH_THROUGHPUT_S, BENCH_PGBENCH_S, BENCH_REFUSAL_RATE, BENCH_EDGE_S,
# BENCH_EDGE_BUYERS, BENCH_EDGE_SOLDOUT, BENCH_EDGE_PAYNOW, BENCH_EDGE_THREADS,
# BENCH_BOOKING_S, BENCH_BOOKING_BUYERS, BENCH_BOOKING_REDIS_REQUESTS,
# BENCH_BOOKING_CONCURRENCY;
# BENCH_ONLY="a b c d" picks scenarios (default all, a-g).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
STATE=$ROOT/.turnstile
BUILD=${TURNSTILE_BUILD_DIR:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
PG_PORT=${TURNSTILE_PG_PORT:-55432}
# Superuser for the checks and pgbench; services connect as their own roles.
PG_BASE="host=127.0.0.1 port=$PG_PORT user=postgres"
SECRETS=$STATE/secrets
PG_SUPERUSER_PASS=$SECRETS/pg-postgres.pass
REDIS_PASS=$SECRETS/redis.pass
REDIS_PORT=${TURNSTILE_REDIS_PORT:-56379}
OUT=$STATE/bench
BYPASS_PORT=${BENCH_BYPASS_PORT:-50064}
BYPASS_METRICS=${BENCH_BYPASS_METRICS:-9464}

BUYERS=${BENCH_BUYERS:-100000}
STOCK=${BENCH_STOCK:-1000}
CONCURRENCY=${BENCH_CONCURRENCY:-256}
STRATEGY_BUYERS=${BENCH_STRATEGY_BUYERS:-$BUYERS}
STRATEGY_S=${BENCH_STRATEGY_S:-30}
BUCKET_ORDERS=${BENCH_BUCKET_ORDERS:-20000}
BUCKET_S=${BENCH_BUCKET_S:-20}
BASELINE_BUYERS=${BENCH_BASELINE_BUYERS:-50000}
THROUGHPUT_S=${BENCH_THROUGHPUT_S:-10}
PGBENCH_S=${BENCH_PGBENCH_S:-10}
REFUSAL_RATE=${BENCH_REFUSAL_RATE:-2000}
MTLS_S=${BENCH_MTLS_S:-15}
MTLS_BUYERS=${BENCH_MTLS_BUYERS:-20000}
ONLY=${BENCH_ONLY:-a b c d e f g}
GATEWAY_PORT=${TURNSTILE_GATEWAY_PORT:-8080}
EDGE_S=${BENCH_EDGE_S:-15}
EDGE_BUYERS=${BENCH_EDGE_BUYERS:-20000}
# Per path; more than a phase sends in EDGE_S, so time, not the file, ends it.
EDGE_SOLDOUT=${BENCH_EDGE_SOLDOUT:-250000}
EDGE_PAYNOW=${BENCH_EDGE_PAYNOW:-$EDGE_BUYERS}
EDGE_THREADS=${BENCH_EDGE_THREADS:-2}
EDGE_DIR=$OUT/gateway
# (g): seconds per timed step (train, remaining, sold-out; about 4 x this in
# all with the baselines), train buyers (one ticket each), and the
# redis-benchmark calls per EVALSHA baseline (range_free over ~600 seats runs
# at a few thousand per second: keep it to seconds).
BOOKING_S=${BENCH_BOOKING_S:-10}
BOOKING_BUYERS=${BENCH_BOOKING_BUYERS:-20000}
BOOKING_REDIS_REQUESTS=${BENCH_BOOKING_REDIS_REQUESTS:-20000}
# In flight (and pgbench/redis-benchmark clients) for (g). The availability
# reads no longer hold gRPC threads (callback API + bounded readers), so 256
# works too (README, Bookings over ranges).
BOOKING_CONCURRENCY=${BENCH_BOOKING_CONCURRENCY:-64}
# Raised for the bench (one client IP, few users at a high rate), but on:
# every PlaceOrder still costs the limiter's EVALSHA. The second spec turns
# PlaceOrder's buckets off (no Redis call) to measure that cost.
# Only PlaceOrder is listed (no `*`: the bench calls nothing else, and ./run
# splits TURNSTILE_GATEWAY_FLAGS unquoted, where a `*` could glob).
EDGE_LIMITS="/turnstile.v1.Order/PlaceOrder=user:1000000:1000000,ip:1000000:1000000,fail_closed"
EDGE_NO_LIMITS="/turnstile.v1.Order/PlaceOrder=user:off,ip:off"

log() { printf '\033[1m[bench]\033[0m %s\n' "$*"; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
  for _ in $(seq 1 150); do port_open "$1" && return 0; sleep 0.1; done
  return 1
}
wait_closed() {
  for _ in $(seq 1 100); do port_open "$1" || return 0; sleep 0.1; done
  return 1
}

for port in 50050 50051 50052 50053 50054 50056; do
  port_open "$port" || { log "the mesh is not running (port $port): ./run up first"; exit 1; }
done
for b in turnstile-bench turnstile-order-bypass; do
  [ -x "$BUILD/bin/$b" ] || { log "no $BUILD/bin/$b: build first"; exit 1; }
done
[ -f "$PG_SUPERUSER_PASS" ] || { log "no $PG_SUPERUSER_PASS: ./run up first"; exit 1; }
mkdir -p "$OUT" "$STATE/logs" "$STATE/pids"

bench() {
  "$BUILD/bin/turnstile-bench" --pg_base="$PG_BASE" --pg_password_file="$PG_SUPERUSER_PASS" \
    --redis=127.0.0.1:$REDIS_PORT --redis_password_file="$REDIS_PASS" \
    --concurrency="$CONCURRENCY" "$@"
}

# Restarts turnstile-inventory exactly as ./run starts it, plus the strategy.
restart_inventory() {
  local strategy=$1 pidf=$STATE/pids/inventory
  if [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; then
    kill "$(cat "$pidf")"
    for _ in $(seq 1 100); do kill -0 "$(cat "$pidf")" 2>/dev/null || break; sleep 0.1; done
  fi
  wait_closed 50051 || { log "port 50051 still taken"; exit 1; }
  nohup "$BUILD/bin/turnstile-inventory" --listen=127.0.0.1:50051 \
    --pg="host=127.0.0.1 port=$PG_PORT user=turnstile_inventory dbname=turnstile_inventory" \
    --pg_password_file="$SECRETS/pg-inventory.pass" --metrics_listen=127.0.0.1:9451 \
    --redis=127.0.0.1:$REDIS_PORT --redis_password_file="$REDIS_PASS" \
    --reservation_strategy="$strategy" \
    >>"$STATE/logs/inventory.log" 2>&1 &
  echo $! >"$pidf"
  wait_port 50051 || { log "inventory failed to start:"; tail -n 20 "$STATE/logs/inventory.log"; exit 1; }
  # Let the order service's channel reconnect before the load starts.
  sleep 1
  log "inventory restarted with --reservation_strategy=$strategy"
}

# A second order process with the coordinator bypassed (measurement only):
# the bench-only binary, same flags as turnstile-order.
BYPASS_PID=""
start_bypass_order() {
  nohup "$BUILD/bin/turnstile-order-bypass" --listen=127.0.0.1:$BYPASS_PORT \
    --pg="host=127.0.0.1 port=$PG_PORT user=turnstile_order dbname=turnstile_order" \
    --pg_password_file="$SECRETS/pg-order.pass" --metrics_listen=127.0.0.1:$BYPASS_METRICS \
    --redis=127.0.0.1:$REDIS_PORT --redis_password_file="$REDIS_PASS" \
    --coordinator=127.0.0.1:50050 --inventory=127.0.0.1:50051 --seat=127.0.0.1:50052 \
    --payment=127.0.0.1:50053 >>"$STATE/logs/order-bypass.log" 2>&1 &
  BYPASS_PID=$!
  echo "$BYPASS_PID" >"$STATE/pids/order-bypass"
  wait_port "$BYPASS_PORT" || { log "bypass order failed to start:"; tail -n 20 "$STATE/logs/order-bypass.log"; exit 1; }
  log "UNSAFE bypass order service on 127.0.0.1:$BYPASS_PORT (log .turnstile/logs/order-bypass.log)"
}
cleanup() {
  if [ -n "$BYPASS_PID" ] && kill -0 "$BYPASS_PID" 2>/dev/null; then
    kill "$BYPASS_PID"; rm -f "$STATE/pids/order-bypass"
  fi
}
trap cleanup EXIT

# Restarts turnstile-gateway alone, as ./run starts it plus `$1` (./run up
# leaves the running services alone and starts what is missing).
restart_gateway() {
  local pidf=$STATE/pids/gateway
  if [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; then
    # It drains for up to --shutdown_grace_ms (5 s) after closing its port;
    # ./run up would take a draining process for a running one.
    kill "$(cat "$pidf")"
    for _ in $(seq 1 300); do kill -0 "$(cat "$pidf")" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$(cat "$pidf")" 2>/dev/null; then log "the gateway did not stop"; exit 1; fi
  fi
  wait_closed "$GATEWAY_PORT" || { log "port $GATEWAY_PORT still taken"; exit 1; }
  TURNSTILE_SKIP_DEPS=1 TURNSTILE_SKIP_BUILD=1 TURNSTILE_GATEWAY_FLAGS="$1" \
    bash "$ROOT/run" up >/dev/null
  wait_port "$GATEWAY_PORT" || { log "the gateway did not come back"; exit 1; }
  sleep 1
}

# wrk through the gateway: label, request file, optionally the JSON file
# (default $OUT/<label>.json) and the seconds (default EDGE_S). wrk runs the
# whole time even if every thread has used up its requests.
edge_wrk() {
  local label=$1 file=$2 json=${3:-$OUT/$1.json} secs=${4:-$EDGE_S}
  wrk -t"$EDGE_THREADS" -c"$CONCURRENCY" -d"${secs}s" --timeout 30s --latency \
    -s "$ROOT/scripts/bench/grpc_web.lua" "http://127.0.0.1:$GATEWAY_PORT" \
    -- "$file" "$EDGE_THREADS" "$json" "$label" >"$OUT/$label.wrk.txt" 2>&1 || STATUS=1
  grep -v '^wrote' "$OUT/$label.wrk.txt" | sed -n '/^\[/,$p'
}

want() { [[ " $ONLY " == *" $1 "* ]]; }
START=$(date +%s)
STATUS=0
run() { # label, then bench flags; a failed check fails the whole script
  local label=$1; shift
  log "$label"
  bench --label="$label" --json="$OUT/$label.json" --plot="$OUT/$label.png" "$@" || STATUS=1
}

# Wallets are funded once, by the first run (idempotent deposits), for the
# largest buyer count; every later run reuses them.
FUNDED=$BUYERS
for n in $STRATEGY_BUYERS $BUCKET_ORDERS $BASELINE_BUYERS $((REFUSAL_RATE * 8)); do
  if [ "$n" -gt "$FUNDED" ]; then FUNDED=$n; fi
done

if want a; then
  restart_inventory gate
  run flagship --buyers="$BUYERS" --stock="$STOCK" --per_user_limit=1 --flow=pay_now \
    --strategy=gate --duration_s=150 --fund_buyers="$FUNDED"
  FUND_FLAG=--fund=false
else
  FUND_FLAG=--fund_buyers=$FUNDED
fi

# The same sale for every strategy: all buyers, one contended SKU, each run
# capped at STRATEGY_S seconds (the slow strategies do not get through all
# buyers; requests per second is the measure).
if want b; then
  for s in pessimistic optimistic gate; do
    restart_inventory "$s"
    run "strategy-$s" --buyers="$STRATEGY_BUYERS" --stock="$STOCK" --per_user_limit=1 \
      --flow=pay_now --strategy="$s" --duration_s="$STRATEGY_S" $FUND_FLAG
    FUND_FLAG=--fund=false
  done
fi

# Hot SKU: pay_now orders that all succeed on a 100,000-unit SKU, its stock
# in 1 or 8 rows; with the gate and with row locks held through the Try.
if want c; then
  for s in gate pessimistic; do
    restart_inventory "$s"
    for b in 1 8; do
      run "buckets-$s-$b" --buyers="$BUCKET_ORDERS" --stock=100000 --per_user_limit=0 \
        --buckets="$b" --flow=pay_now --strategy="$s" --duration_s="$BUCKET_S" $FUND_FLAG
      FUND_FLAG=--fund=false
    done
  done
fi

if want d; then
  restart_inventory gate
  # Refusal latency as service time: the same 256 buyers at most in flight,
  # but an offered load the box sustains instead of a saturating loop.
  run refusal-latency --buyers=$((REFUSAL_RATE * 8)) --stock=1 --per_user_limit=1 \
    --flow=pay_now --strategy=gate --rate="$REFUSAL_RATE" --duration_s=30 $FUND_FLAG
  FUND_FLAG=--fund=false
  start_bypass_order
  run baselines --buyers="$BASELINE_BUYERS" --stock="$STOCK" --per_user_limit=1 \
    --flow=pay_now --strategy=gate --duration_s=60 $FUND_FLAG --baselines \
    --bypass_order=127.0.0.1:$BYPASS_PORT --throughput_s="$THROUGHPUT_S" \
    --pgbench_seconds="$PGBENCH_S"
fi

# The same two loads, mTLS first, then the whole mesh (and the load client)
# in plaintext; each settles briefly after a restart.
if want e; then
  restart_inventory gate
  for mode in mtls plaintext; do
    extra=()
    if [ "$mode" = plaintext ]; then
      log "restarting the five services with --insecure_plaintext"
      TURNSTILE_SERVICE_FLAGS=--insecure_plaintext bash "$ROOT/run" restart >/dev/null
      extra=(--insecure_plaintext)
      sleep 2
    fi
    run "$mode-paynow" --buyers="$MTLS_BUYERS" --stock=100000000 --per_user_limit=0 \
      --buckets=8 --flow=pay_now --strategy=gate --duration_s="$MTLS_S" \
      --fund_buyers="$MTLS_BUYERS" "${extra[@]}"
    run "$mode-soldout" --buyers=$((MTLS_BUYERS * 5)) --stock=1 --per_user_limit=1 \
      --flow=pay_now --strategy=gate --duration_s="$MTLS_S" --fund=false "${extra[@]}"
  done
  log "restarting the five services with mTLS"
  bash "$ROOT/run" restart >/dev/null
fi

# The same prepared orders direct and through the gateway, each phase after
# a warm-up and after every transaction is terminal (settle).
if want f && ! command -v wrk >/dev/null; then
  log "scenario f skipped: no wrk (apt-get install wrk)"; STATUS=1
elif want f && ! port_open "$GATEWAY_PORT"; then
  log "scenario f skipped: the gateway is not running (port $GATEWAY_PORT): ./run up first"; STATUS=1
elif want f; then
  restart_inventory gate
  # 256 connections from one IP is the default per-IP cap: leave room.
  EDGE_FLAGS="--max_connections_per_ip=$((CONCURRENCY * 4))"
  restart_gateway "--rate_limits=$EDGE_LIMITS $EDGE_FLAGS"
  log "gateway restarted with raised rate limits for the bench (PlaceOrder user:1000000:1000000, ip:1000000:1000000; still one EVALSHA per call)"
  log "preparing: SKUs, $EDGE_PAYNOW wallets, $EDGE_BUYERS tokens, request files in ${EDGE_DIR#$ROOT/}"
  bench --scenario=gateway-prep --buyers="$EDGE_BUYERS" --soldout_requests="$EDGE_SOLDOUT" \
    --paynow_requests="$EDGE_PAYNOW" --gateway_dir="$EDGE_DIR" \
    --jwt_hs256_secret_file="$SECRETS/jwt-hs256.key" || { log "gateway-prep failed"; exit 1; }
  for what in soldout paynow; do
    log "edge-direct-$what"
    bench --scenario=gateway-direct --label="edge-direct-$what" \
      --requests_file="$EDGE_DIR/$what-direct.req" --warmup_file="$EDGE_DIR/warmup-direct.req" \
      --duration_s="$EDGE_S" --json="$OUT/edge-direct-$what.json" || STATUS=1
    log "edge-gateway-$what"
    edge_wrk "edge-warmup" "$EDGE_DIR/warmup-gateway.req" "$EDGE_DIR/warmup.json" 3 >/dev/null
    bench --scenario=settle >/dev/null
    edge_wrk "edge-gateway-$what" "$EDGE_DIR/$what-gateway.req"
  done
  # The same sold-out file again: refused orders store nothing, so the
  # repeat is the same work.
  restart_gateway "--rate_limits=$EDGE_NO_LIMITS $EDGE_FLAGS"
  log "edge-gateway-soldout-nolimit (gateway restarted with PlaceOrder's rate limits off: no EVALSHA)"
  edge_wrk "edge-warmup" "$EDGE_DIR/warmup-gateway.req" "$EDGE_DIR/warmup.json" 3 >/dev/null
  bench --scenario=settle >/dev/null
  edge_wrk "edge-gateway-soldout-nolimit" "$EDGE_DIR/soldout-gateway.req"
  log "restarting the gateway with its default flags"
  restart_gateway ""
fi

# Bookings over ranges: every step after the system has settled, the
# baselines against the same PostgreSQL and Redis right after.
if want g; then
  log "booking"
  bench --scenario=booking --label=booking --json="$OUT/booking.json" \
    --throughput_s="$BOOKING_S" --booking_buyers="$BOOKING_BUYERS" \
    --pgbench_seconds="$PGBENCH_S" --redis_requests="$BOOKING_REDIS_REQUESTS" \
    --concurrency="$BOOKING_CONCURRENCY" || STATUS=1
fi

# The final table, from the JSON files of this run.
log "done in $(( $(date +%s) - START )) s; JSON and PNG files in .turnstile/bench/"
python3 - "$OUT" "$ONLY" <<'EOF' || log "python3 missing: see the JSON files"
import json, os, sys
out, only = sys.argv[1], sys.argv[2].split()
def load(name):
    p = os.path.join(out, name + ".json")
    return json.load(open(p)) if os.path.exists(p) else None
def rate(j, what="requests_per_s"):
    return j["load"][what] if j else float("nan")
rows = []
def row(name, value, target="", note=""):
    rows.append((name, value, target, note))
def fmt(x, digits=2):
    return "-" if x != x else f"{x:.{digits}f}"
if "a" in only and (f := load("flagship")):
    o = f["outcome"]
    row("flagship: oversold / PAID units / stock",
        f'{o["oversold"]} / {o["paid_units"]} / {f["config"]["stock"]}',
        "0 / stock / stock", "PASS" if f["invariants"]["all_ok"] else "FAIL")
    row("flagship: requests/s, refusal p99 ms",
        f'{rate(f):.0f}, {f["load"]["latency_refusals"]["p99_ms"]:.2f}',
        "p99 < 5 ms", f'concurrency {f["config"]["concurrency"]}')
if "b" in only:
    s = {k: load("strategy-" + k) for k in ("pessimistic", "optimistic", "gate")}
    for k, j in s.items():
        row(f"strategy {k}: requests/s", fmt(rate(j), 0), "",
            "seed 004: " + {"pessimistic": "3,500", "optimistic": "12,000",
                            "gate": "55,000"}[k] + " TPS")
    p, o, g = (rate(s[k]) for k in ("pessimistic", "optimistic", "gate"))
    row("gate / pessimistic", fmt(g / p if p else float("nan")), ">= 10", "seed 004: 15.7")
    row("optimistic / pessimistic", fmt(o / p if p else float("nan")), "", "seed 004: 3.4")
    w = {k: rate(j, "refusals_per_s_in_window") for k, j in s.items()}
    row("gate / pessimistic, refusals/s in window",
        fmt(w["gate"] / w["pessimistic"] if w["pessimistic"] else float("nan")), "",
        f'{w["gate"]:.0f} / {w["pessimistic"]:.0f}')
if "c" in only:
    for st in ("gate", "pessimistic"):
        b1, b8 = load(f"buckets-{st}-1"), load(f"buckets-{st}-8")
        r1, r8 = rate(b1, "successes_per_s"), rate(b8, "successes_per_s")
        row(f"buckets ({st}): pay_now successes/s, 1 / 8 buckets", f"{fmt(r1, 0)} / {fmt(r8, 0)}")
        row(f"buckets ({st}): 8 / 1", fmt(r8 / r1 if r1 else float("nan")))
if "d" in only and (d := load("baselines")):
    r = d.get("ratios", {})
    b = d.get("baselines", {})
    row("refusals/s / redis-benchmark EVALSHA/s",
        fmt(r.get("refusals_per_s_over_evalsha_per_s", float("nan")), 3), ">= 0.25",
        f'{d["load"]["refusals_per_s_in_window"]:.0f} / {b.get("redis_benchmark", {}).get("evalsha_reserve_per_s", float("nan")):.0f}')
    row("pay_now successes/s / pgbench TPS",
        fmt(r.get("pay_now_per_s_over_pgbench_tps", float("nan")), 3), ">= 0.3",
        f'{b["pay_now_full_tcc"]["successes_per_s"]:.0f} / {b.get("pgbench", {}).get("tps", float("nan")):.0f} (DTM 0.26)')
    if "pay_now_bypass" in b:
        row("full TCC / coordinator bypass",
            fmt(r.get("full_tcc_over_bypass", float("nan")), 3), ">= 0.5",
            f'{b["pay_now_full_tcc"]["successes_per_s"]:.0f} / {b["pay_now_bypass"]["successes_per_s"]:.0f} (DTM 0.43, Seata 0.05-0.3)')
    row("refusal p99 ms (baselines sale, saturating)", fmt(d["load"]["latency_refusals"]["p99_ms"]),
        "< 5", f'concurrency {d["config"]["concurrency"]}')
if "d" in only and (l := load("refusal-latency")):
    row("refusal p99 ms at a sustainable rate", fmt(l["load"]["latency_refusals"]["p99_ms"]),
        "< 5", f'concurrency {l["config"]["concurrency"]}, {l["config"]["rate"]:.0f}/s offered')
if "e" in only:
    for what, key, label in (("paynow", "successes_per_s", "pay_now orders/s"),
                             ("soldout", "refusals_per_s_in_window", "sold-out refusals/s")):
        m, p = load("mtls-" + what), load("plaintext-" + what)
        a, b = rate(m, key), rate(p, key)
        row(f"mTLS / plaintext, {label}", fmt(a / b if b else float("nan"), 3), ">= 0.85",
            f"{fmt(a, 0)} / {fmt(b, 0)}")
if "g" in only and (k := load("booking")):
    r, b = k.get("ratios", {}), k.get("baselines", {})
    nan = float("nan")
    free = b.get("evalsha_range_free", {}).get("per_s", nan)
    if "remaining" in k:
        row("booking: remaining-seat queries/s / EVALSHA range_free/s",
            fmt(r.get("remaining_per_s_over_evalsha_range_free", nan), 3), ">= 0.3",
            f'{k["remaining"]["successes_per_s"]:.0f} / {free:.0f}')
    if "train" in k:
        row("booking: train bookings/s / pgbench TPS",
            fmt(r.get("train_bookings_per_s_over_pgbench_tps", nan), 3), "",
            f'{k["train"]["successes_per_s"]:.0f} / {b.get("pgbench", {}).get("tps", nan):.0f}')
    if "soldout" in k:
        row("booking: sold-out leg refusals/s / EVALSHA range_free/s",
            fmt(r.get("soldout_refusals_per_s_over_evalsha_range_free", nan), 3), "",
            f'{k["soldout_refusals_per_s"]:.0f} / {free:.0f}')
    if "alloc" in k:
        a = k["alloc"]
        row("booking: seat-legs sold/capacity, ours / first-fit",
            fmt(a["ours_over_first_fit"], 4), "> 1",
            f'{a["mean_share_ours"]:.4f} / {a["mean_share_first_fit"]:.4f}, '
            f'{len(a["seeds"])} seeds, ours lower on {a["seeds_ours_lower"]}')
    if "cafe" in k:
        c = k["cafe_all"]
        row(f'booking: {k["config"]["cafe_buyers"]} buyers of one zone (4h), p50 / p99 ms',
            f'{c["p50_ms"]:.0f} / {c["p99_ms"]:.0f}', "",
            f'seed 000: 11,757 ms average; {k["cafe"]["successes"]} PAID of '
            f'{k["config"]["cafe_machines"]} machines')
    row("booking: invariants and the bench's gates",
        "PASS" if k["invariants"]["all_ok"] else "FAIL", "PASS",
        "; ".join(c["name"] for c in k["invariants"]["checks"] if not c["ok"]))
if rows:
    w = [max(len(str(r[i])) for r in rows + [("measure", "value", "target", "note")]) for i in range(4)]
    print("\n== Turnstile bench: ratios measured in this run ==")
    print(f'{"measure":<{w[0]}}  {"value":>{w[1]}}  {"target":<{w[2]}}  note')
    for name, value, target, note in rows:
        print(f"{name:<{w[0]}}  {value:>{w[1]}}  {target:<{w[2]}}  {note}")
if "f" in only:
    # scenario, direct req/s p50 p99, gateway req/s p50 p99, ratio, target
    edge, notes = [], []
    def side(j, rate_key, lat_key):
        if not j:
            return float("nan"), float("nan"), float("nan")
        l = j["load"][lat_key]
        return j["load"][rate_key], l["p50_ms"], l["p99_ms"]
    for what, rate_key, lat_key, label, target in (
            ("soldout", "refusals_per_s", "latency_refusals", "sold-out refusals/s", 0.7),
            ("paynow", "successes_per_s", "latency_successes", "pay_now orders/s", 0.9)):
        d, g = load("edge-direct-" + what), load("edge-gateway-" + what)
        dr, dp50, dp99 = side(d, rate_key, lat_key)
        gr, gp50, gp99 = side(g, rate_key, "latency_all")
        edge.append({"scenario": label, "direct_per_s": dr, "direct_p50_ms": dp50,
                     "direct_p99_ms": dp99, "gateway_per_s": gr, "gateway_p50_ms": gp50,
                     "gateway_p99_ms": gp99, "ratio": gr / dr if dr == dr and dr else float("nan"),
                     "target": target})
        for name, j in (("direct", d), ("gateway", g)):
            if j and j["load"]["errors"]:
                notes.append(f'{label}, {name}: {j["load"]["errors"]} errors {j["load"]["errors_by_kind"]}')
            if j and j.get("exhausted_threads"):
                notes.append(f'{label}, {name}: the request file ran out before {j["load"]["seconds"]:.1f} s')
    n = load("edge-gateway-soldout-nolimit")
    if n and edge and edge[0]["gateway_per_s"] == edge[0]["gateway_per_s"]:
        nr, np50, np99 = side(n, "refusals_per_s", "latency_all")
        dr = edge[0]["direct_per_s"]
        edge.append({"scenario": "sold-out refusals/s, PlaceOrder limits off",
                     "direct_per_s": dr, "direct_p50_ms": edge[0]["direct_p50_ms"],
                     "direct_p99_ms": edge[0]["direct_p99_ms"], "gateway_per_s": nr,
                     "gateway_p50_ms": np50, "gateway_p99_ms": np99,
                     "ratio": nr / dr if dr else float("nan"), "target": None})
        lim = edge[0]["gateway_per_s"]
        notes.append(f"the limiter's EVALSHA per call: {lim:.0f} refusals/s with it, {nr:.0f}/s "
                     f"without ({(1 - lim / nr) * 100 if nr else float('nan'):.1f} % of the "
                     f"gateway's sold-out throughput; p50 {edge[0]['gateway_p50_ms']:.2f} vs "
                     f"{np50:.2f} ms)")
    head = ("scenario", "direct/s", "p50 ms", "p99 ms", "gateway/s", "p50 ms", "p99 ms", "ratio", "target")
    table = [(e["scenario"], fmt(e["direct_per_s"], 0), fmt(e["direct_p50_ms"]), fmt(e["direct_p99_ms"]),
              fmt(e["gateway_per_s"], 0), fmt(e["gateway_p50_ms"]), fmt(e["gateway_p99_ms"]),
              fmt(e["ratio"], 3), "" if e["target"] is None else f'>= {e["target"]}') for e in edge]
    w = [max(len(str(r[i])) for r in table + [head]) for i in range(len(head))]
    print("\n== The edge: through turnstile-gateway (gRPC-web, HTTP/1.1, wrk) / direct gRPC, same run ==")
    print("  ".join(f"{h:<{w[i]}}" if i == 0 else f"{h:>{w[i]}}" for i, h in enumerate(head)))
    for r in table:
        print("  ".join(f"{c:<{w[i]}}" if i == 0 else f"{c:>{w[i]}}" for i, c in enumerate(r)))
    print("  latencies: direct = refusals resp. successes (turnstile-bench); gateway = every answer (wrk)")
    print("  the gateway ran with raised rate limits (one EVALSHA per PlaceOrder still paid)")
    for note in notes:
        print("  " + note)
    clean = [{k: (None if isinstance(v, float) and v != v else v) for k, v in e.items()} for e in edge]
    json.dump({"rows": clean, "notes": notes}, open(os.path.join(out, "edge.json"), "w"), indent=1)
    print("  wrote " + os.path.join(out, "edge.json"))
EOF
exit $STATUS
