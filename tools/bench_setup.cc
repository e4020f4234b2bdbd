#include "tools/bench_setup.h"

#include <google/protobuf/descriptor.h>

#include <chrono>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "services/common/clients.h"
#include "tools/bench_flags.h"
#include "tools/bench_load.h"
#include "tools/bench_rpc.h"
#include "turnstile/v1/inventory.grpc.pb.h"
#include "turnstile/v1/payment.grpc.pb.h"

namespace turnstile::bench {

using std::chrono::seconds;

bool SetBuckets(v1::CreateSkuRequest& req, int buckets) {
  using google::protobuf::FieldDescriptor;
  const FieldDescriptor* field =
      req.GetDescriptor()->FindFieldByName("buckets");
  if (field == nullptr || field->cpp_type() != FieldDescriptor::CPPTYPE_INT32) {
    return false;
  }
  req.GetReflection()->SetInt32(&req, field, buckets);
  return true;
}

int CreateSku(const std::string& sku, int64_t stock, int limit, int buckets) {
  auto stub = v1::Inventory::NewStub(
      MakeChannel(absl::GetFlag(FLAGS_inventory), "inventory"));
  v1::CreateSkuRequest req;
  req.set_sku_id(sku);
  req.set_name("turnstile-bench " + sku);
  req.mutable_price()->set_currency("EUR");
  req.mutable_price()->set_minor_units(absl::GetFlag(FLAGS_price));
  req.set_stock(stock);
  req.set_per_user_limit(limit);
  int applied = 1;
  if (buckets > 1) {
    if (SetBuckets(req, buckets)) {
      applied = buckets;
    } else {
      std::cerr << "warning: CreateSkuRequest has no buckets field in this "
                   "build; the SKU gets 1 bucket\n";
    }
  }
  v1::Sku out;
  auto ctx = CallContextFor(seconds(30), kOperator, kAdmin);
  if (auto s = stub->CreateSku(ctx.get(), req, &out); !s.ok()) {
    Die("CreateSku " + sku + ": " + s.error_message());
  }
  return applied;
}

v1::Sku GetSku(const std::string& sku) {
  auto stub = v1::Inventory::NewStub(
      MakeChannel(absl::GetFlag(FLAGS_inventory), "inventory"));
  v1::GetSkuRequest req;
  req.set_sku_id(sku);
  v1::Sku out;
  auto ctx = CallContext(seconds(10));
  if (auto s = stub->GetSku(ctx.get(), req, &out); !s.ok()) {
    Die("GetSku " + sku + ": " + s.error_message());
  }
  return out;
}

Tally Fund(int64_t buyers) {
  StubPool<v1::Payment> payment(absl::GetFlag(FLAGS_payment), "payment", 2);
  const int64_t amount = absl::GetFlag(FLAGS_deposit);
  LoadOptions options;
  options.label = "funding wallets";
  options.count = buyers;
  options.concurrency = absl::GetFlag(FLAGS_fund_concurrency);
  return RunAsyncLoad(options, [&](int64_t i, OpDone done) {
    v1::DepositRequest req;
    req.set_user_id(User(i));
    req.mutable_amount()->set_currency("EUR");
    req.mutable_amount()->set_minor_units(amount);
    req.set_request_id(absl::StrCat("bench-fund-", User(i), "-", amount));
    auto& stub = payment[i];
    Send<v1::DepositRequest, v1::Wallet>(
        [&stub](auto... a) { stub.async()->Deposit(a...); }, std::move(req),
        [done](const grpc::Status& s, const v1::Wallet&) { done(s); },
        kOperator, kAdmin);
  });
}

}  // namespace turnstile::bench
