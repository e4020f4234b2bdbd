#include "services/gateway/waiting_room/queue_product.h"

#include "absl/strings/str_cat.h"
#include "services/common/status.h"
#include "services/common/validate.h"

namespace turnstile::gateway {

bool IsProductId(absl::string_view id) {
  // The services' own id rule: every SKU or run they accept can be queued.
  return CheckId("id", id).ok();
}

std::string QueueProduct::Name() const {
  return absl::StrCat(kind == kSku ? "sku:" : "run:", id);
}

std::array<std::string, 5> QueueProduct::Keys() const {
  const std::string base =
      absl::StrCat("ts:{", kind == kSku ? "qs:" : "qr:", id, "}:");
  return {base + "cfg", base + "wait", base + "seen", base + "user",
          base + "pass"};
}

void QueueProduct::ToProto(v1::QueuedProduct* out) const {
  out->Clear();
  if (kind == kSku) {
    out->set_sku_id(id);
  } else {
    out->set_run_id(id);
  }
}

absl::StatusOr<QueueProduct> ProductOf(const v1::QueuedProduct& product) {
  const bool sku = !product.sku_id().empty();
  const bool run = !product.run_id().empty();
  if (sku == run) {
    return Error(absl::StatusCode::kInvalidArgument, "BAD_PRODUCT",
                 "product must set exactly one of sku_id and run_id");
  }
  QueueProduct out;
  out.kind = sku ? QueueProduct::kSku : QueueProduct::kRun;
  out.id = sku ? product.sku_id() : product.run_id();
  if (!IsProductId(out.id)) {
    return Error(absl::StatusCode::kInvalidArgument, "BAD_PRODUCT",
                 "product ids are 1-64 chars of [A-Za-z0-9_.:@-]");
  }
  return out;
}

}  // namespace turnstile::gateway
