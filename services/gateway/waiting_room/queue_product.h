// The product a waiting room belongs to (waiting_room.proto's
// QueuedProduct: exactly one of a SKU or a train run) as the gateway's
// waiting room handles it: validated, named in one canonical text
// ("sku:<id>" / "run:<id>", as passes and metric labels write it), and the
// five Redis keys of its queue under one hash tag (lua/lib/queue.lua):
// ts:{qs:<sku_id>}:* or ts:{qr:<run_id>}:*. Pure.
#pragma once

#include <array>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "turnstile/v1/waiting_room.pb.h"

namespace turnstile::gateway {

struct QueueProduct {
  enum Kind { kSku, kRun } kind = kSku;
  std::string id;  // 1-64 chars of [A-Za-z0-9_.:@-]

  // "sku:<id>" or "run:<id>".
  std::string Name() const;
  // Q:cfg Q:wait Q:seen Q:user Q:pass, in the scripts' KEYS order.
  std::array<std::string, 5> Keys() const;
  // Back into the proto message.
  void ToProto(v1::QueuedProduct* out) const;
  bool operator==(const QueueProduct& o) const {
    return kind == o.kind && id == o.id;
  }
};

// True for 1-64 chars of [A-Za-z0-9_.:@-] (the ids of SKUs and runs).
bool IsProductId(absl::string_view id);

// The product of a request, or INVALID_ARGUMENT (reason BAD_PRODUCT) if it
// sets neither or both ids or an id outside the alphabet.
absl::StatusOr<QueueProduct> ProductOf(const v1::QueuedProduct& product);

}  // namespace turnstile::gateway
