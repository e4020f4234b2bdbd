// The metric every gate-fronted participant shares (inventory, seat,
// booking): Tries turned away by the Redis gate before PostgreSQL, by
// reason, as turnstile_gate_refusals_total{reason} -- the dashboard's gate
// hit ratio and the alerts read one name whichever process refused. Also
// how each participant counts its own gate calls by call and answer.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>

#include <string>

#include "absl/status/statusor.h"
#include "services/common/gate_scripts.h"

namespace turnstile {

prometheus::Family<prometheus::Counter>& GateRefusals();

// Counts one gate call in `family` as {call, result}: the answer's status
// name, or REDIS_ERROR when Redis gave none.
template <typename R>
void CountGateCall(prometheus::Family<prometheus::Counter>& family,
                   const char* call, const absl::StatusOr<R>& r) {
  const std::string result =
      r.ok() ? std::string(GateStatusName(r->status)) : "REDIS_ERROR";
  family.Add({{"call", call}, {"result", result}}).Increment();
}

}  // namespace turnstile
