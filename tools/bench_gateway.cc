#include "tools/bench_gateway.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/common/pg_password.h"
#include "services/gateway/jwt/jwt_flags.h"
#include "services/gateway/jwt/jwt_mint.h"
#include "tools/bench_flags.h"
#include "tools/bench_load.h"
#include "tools/bench_orders.h"
#include "tools/bench_outcome.h"
#include "tools/bench_report.h"
#include "tools/bench_requests.h"
#include "tools/bench_rpc.h"
#include "tools/bench_setup.h"
#include "tools/bench_stats.h"
#include "turnstile/v1/order.grpc.pb.h"

namespace turnstile::bench {

using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

constexpr char kPlaceOrderPath[] = "/turnstile.v1.Order/PlaceOrder";
// Stock of the stocked SKU: no run comes near selling it out.
constexpr int64_t kAmpleStock = 100'000'000;

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Die("cannot read " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void WriteFileOrDie(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  out.close();
  if (!out) Die("cannot write " + path);
}

// --- gateway-prep -------------------------------------------------------

// One pay_now order of one unit of `sku`.
std::string PlaceOrderBody(const std::string& request_id,
                           const std::string& sku) {
  v1::PlaceOrderRequest req;
  req.set_request_id(request_id);
  req.set_pay_now(true);
  auto* line = req.add_lines();
  line->set_sku_id(sku);
  line->set_quantity(1);
  return GrpcWebFrame(req.SerializeAsString());
}

// One token per buyer, minted the first time it is needed.
class Tokens {
 public:
  Tokens(std::string secret, gateway::JwtSettings settings, int64_t buyers)
      : secret_(std::move(secret)),
        settings_(std::move(settings)),
        now_s_(static_cast<int64_t>(std::time(nullptr))),
        tokens_(static_cast<size_t>(buyers)) {}

  const std::string& For(int64_t buyer) {
    std::string& token = tokens_[static_cast<size_t>(buyer)];
    if (token.empty()) {
      auto minted = gateway::MintHs256(
          secret_, {.user = User(buyer),
                    .ttl_s = absl::GetFlag(FLAGS_token_ttl_s),
                    .issuer = settings_.issuer,
                    .audience = settings_.audience,
                    .now_s = now_s_});
      if (!minted.ok()) Die("minting a token: " + minted.status().ToString());
      token = *std::move(minted);
    }
    return token;
  }

 private:
  std::string secret_;
  gateway::JwtSettings settings_;
  int64_t now_s_;
  std::vector<std::string> tokens_;
};

struct PhaseFile {
  std::string phase, path, file, sku;
  int64_t requests = 0;
  size_t bytes = 0;
};

// `count` orders of `sku`, buyer i % buyers for request i, to `file`; the
// gateway path with each buyer's token, the direct one without.
PhaseFile WritePhase(const std::string& dir, const std::string& tag,
                     const std::string& phase, const std::string& path,
                     const std::string& sku, int64_t count, int64_t buyers,
                     Tokens& tokens) {
  const bool gateway = path == "gateway";
  std::string data(kRequestFileMagic);
  data.reserve(data.size() +
               static_cast<size_t>(count) * (gateway ? 420 : 120));
  for (int64_t i = 0; i < count; ++i) {
    const int64_t buyer = i % buyers;
    const std::string request_id =
        absl::StrCat("edge-", tag, "-", phase, "-", path, "-", i);
    AppendRequest({kPlaceOrderPath, User(buyer),
                   gateway ? tokens.For(buyer) : std::string(),
                   PlaceOrderBody(request_id, sku)},
                  &data);
  }
  PhaseFile out{phase, path,  absl::StrCat(dir, "/", phase, "-", path, ".req"),
                sku,   count, data.size()};
  WriteFileOrDie(out.file, data);
  return out;
}

}  // namespace

int RunGatewayPrep() {
  const gateway::JwtSettings settings = gateway::JwtSettingsFromFlags();
  if (settings.hs256_secret_file.empty()) {
    Die("gateway-prep needs --jwt_hs256_secret_file (the gateway's)");
  }
  auto secret = gateway::ReadHs256Secret(settings.hs256_secret_file);
  if (!secret.ok()) Die(secret.status().ToString());
  const std::string dir = absl::GetFlag(FLAGS_gateway_dir);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) Die("cannot create " + dir + ": " + ec.message());
  const int64_t buyers = std::max<int64_t>(1, absl::GetFlag(FLAGS_buyers));
  const int64_t soldout = absl::GetFlag(FLAGS_soldout_requests);
  const int64_t paynow = absl::GetFlag(FLAGS_paynow_requests);
  const int64_t warmup = absl::GetFlag(FLAGS_warmup_requests);
  if (paynow > buyers) {
    std::cout << "warning: --paynow_requests > --buyers: some buyers place "
                 "more than one pay_now order in a phase\n";
  }

  const std::string tag = Tag();
  const std::string soldout_sku = absl::StrCat("bench-gw-soldout-", tag);
  const std::string stock_sku = absl::StrCat("bench-gw-stock-", tag);
  CreateSku(soldout_sku, 0, 1, 1);
  const int buckets = CreateSku(stock_sku, kAmpleStock, 0,
                                absl::GetFlag(FLAGS_throughput_buckets));
  std::cout << absl::StrFormat(
      "== gateway-prep: sold-out SKU %s (stock 0, limit 1), stocked SKU %s "
      "(%d units, %d buckets), %d buyers ==\n",
      soldout_sku, stock_sku, kAmpleStock, buckets, buyers);
  // Only pay_now orders touch a wallet; the refused ones never get there.
  const int64_t wallets = std::min(buyers, paynow);
  if (absl::GetFlag(FLAGS_fund) && wallets > 0) {
    Tally funding = Fund(wallets);
    if (funding.ok != wallets) {
      PrintTally("deposits", funding);
      Die("funding the wallets failed");
    }
    std::cout << absl::StrFormat("funded %d wallets in %.1f s\n", wallets,
                                 funding.seconds);
  }

  Tokens tokens(*secret, settings, buyers);
  std::vector<PhaseFile> files;
  for (const char* path : {"direct", "gateway"}) {
    files.push_back(WritePhase(dir, tag, "warmup", path, soldout_sku, warmup,
                               buyers, tokens));
    files.push_back(WritePhase(dir, tag, "soldout", path, soldout_sku, soldout,
                               buyers, tokens));
    files.push_back(WritePhase(dir, tag, "paynow", path, stock_sku, paynow,
                               buyers, tokens));
  }
  JsonWriter json;
  json.BeginObject();
  json.Field("scenario", "gateway-prep")
      .Field("tag", tag)
      .Field("soldout_sku", soldout_sku)
      .Field("stock_sku", stock_sku)
      .Field("stock_buckets", buckets)
      .Field("buyers", buyers)
      .Field("funded_wallets", wallets)
      .Field("jwt_issuer", settings.issuer)
      .Field("jwt_audience", settings.audience)
      .Field("token_ttl_s", absl::GetFlag(FLAGS_token_ttl_s));
  json.Key("files").BeginArray();
  for (const PhaseFile& f : files) {
    json.BeginObject()
        .Field("phase", f.phase)
        .Field("path", f.path)
        .Field("file", f.file)
        .Field("sku", f.sku)
        .Field("requests", f.requests)
        .Field("bytes", static_cast<int64_t>(f.bytes))
        .EndObject();
    std::cout << absl::StrFormat("wrote %s: %d requests, %.1f MB\n", f.file,
                                 f.requests, f.bytes / 1e6);
  }
  json.EndArray().EndObject();
  WriteFileOrDie(dir + "/prep.json", json.str() + "\n");
  std::cout << "wrote " << dir << "/prep.json\n";
  return 0;
}

// --- gateway-direct -----------------------------------------------------

namespace {

struct DirectRequest {
  std::string user;
  v1::PlaceOrderRequest req;
};

std::vector<DirectRequest> LoadDirect(const std::string& path) {
  auto parsed = ParseRequestFile(ReadFileOrDie(path));
  if (!parsed.ok()) Die(path + ": " + parsed.status().ToString());
  std::vector<DirectRequest> out;
  out.reserve(parsed->size());
  for (const PreparedRequest& r : *parsed) {
    if (r.path != kPlaceOrderPath) Die(path + ": not PlaceOrder: " + r.path);
    auto message = GrpcWebFrameMessage(r.body);
    DirectRequest d{r.user, {}};
    if (!message.ok() ||
        !d.req.ParseFromArray(message->data(),
                              static_cast<int>(message->size()))) {
      Die(path + ": a body is no PlaceOrderRequest frame");
    }
    out.push_back(std::move(d));
  }
  return out;
}

Tally SendAll(StubPool<v1::Order>& orders,
              const std::vector<DirectRequest>& requests,
              const std::string& label, bool progress) {
  LoadOptions options;
  options.label = label;
  options.count = static_cast<int64_t>(requests.size());
  options.concurrency = absl::GetFlag(FLAGS_concurrency);
  options.duration_cap = seconds(absl::GetFlag(FLAGS_duration_s));
  options.progress = progress;
  return RunAsyncLoad(options, [&](int64_t i, OpDone done) {
    const DirectRequest& r = requests[static_cast<size_t>(i)];
    PlaceRequest(orders[i], r.user, r.req, std::move(done));
  });
}

}  // namespace

int RunGatewayDirect() {
  const std::string file = absl::GetFlag(FLAGS_requests_file);
  if (file.empty()) Die("gateway-direct needs --requests_file");
  const std::string label = absl::GetFlag(FLAGS_label).empty()
                                ? "gateway-direct"
                                : absl::GetFlag(FLAGS_label);
  const auto dbs = DatabasesFromFlags();
  const std::vector<DirectRequest> requests = LoadDirect(file);
  StubPool<v1::Order> orders(absl::GetFlag(FLAGS_order), "order",
                             absl::GetFlag(FLAGS_channels));
  if (const std::string warm = absl::GetFlag(FLAGS_warmup_file);
      !warm.empty()) {
    const std::vector<DirectRequest> warmup = LoadDirect(warm);
    Tally t = SendAll(orders, warmup, label + " warm-up", false);
    std::cout << absl::StrFormat("warm-up: %d requests in %.1f s\n",
                                 t.requests(), t.seconds);
  }
  Settle(dbs);
  const double load_before = LoadAverage();
  Tally tally = SendAll(orders, requests, label, true);
  const double load_after = LoadAverage();
  const bool capped = tally.requests() < static_cast<int64_t>(requests.size());
  PrintTally(absl::StrCat("-- ", label, ": direct gRPC to ",
                          absl::GetFlag(FLAGS_order), " --"),
             tally);
  std::cout << absl::StrFormat(
      "  machine load average (1 min) before/after: %.2f / %.2f on %d "
      "hardware threads%s\n",
      load_before, load_after, std::thread::hardware_concurrency(),
      capped ? "; the duration cap ended the phase" : "");
  if (const std::string path = absl::GetFlag(FLAGS_json); !path.empty()) {
    JsonWriter json;
    json.BeginObject();
    json.Field("scenario", "gateway-direct")
        .Field("label", label)
        .Field("path", "direct");
    json.Key("config").BeginObject();
    json.Field("requests_file", file)
        .Field("records", static_cast<int64_t>(requests.size()))
        .Field("concurrency", absl::GetFlag(FLAGS_concurrency))
        .Field("channels", absl::GetFlag(FLAGS_channels))
        .Field("duration_cap_s", absl::GetFlag(FLAGS_duration_s))
        .Field("order", absl::GetFlag(FLAGS_order))
        .Field("hardware_threads",
               static_cast<int64_t>(std::thread::hardware_concurrency()))
        .Field("load_average_before", load_before)
        .Field("load_average_after", load_after);
    json.EndObject();
    json.Field("capped", capped);
    WriteTally(json, "load", tally);
    json.EndObject();
    WriteFileOrDie(path, json.str() + "\n");
    std::cout << "wrote " << path << "\n";
  }
  return 0;
}

int RunSettle() {
  const auto dbs = DatabasesFromFlags();
  Settle(dbs);
  std::cout << "settled\n";
  return 0;
}

}  // namespace turnstile::bench
