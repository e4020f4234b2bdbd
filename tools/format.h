// Human-readable one-line renderings of API messages for turnstilectl and
// the demo (operators read these in a terminal).
#pragma once

#include <string>

#include "turnstile/v1/coordinator.pb.h"
#include "turnstile/v1/inventory.pb.h"
#include "turnstile/v1/order.pb.h"

namespace turnstile::tools {

std::string FormatTime(const google::protobuf::Timestamp& ts);
std::string FormatTxn(const v1::Transaction& txn, bool with_branches);
std::string FormatSku(const v1::Sku& sku);
std::string FormatOrder(const v1::OrderInfo& order);

}  // namespace turnstile::tools
