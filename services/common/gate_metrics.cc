#include "services/common/gate_metrics.h"

#include "services/common/process.h"

namespace turnstile {

prometheus::Family<prometheus::Counter>& GateRefusals() {
  static auto& family =
      prometheus::BuildCounter()
          .Name("turnstile_gate_refusals_total")
          .Help("Tries refused by the Redis gate before PostgreSQL, by reason")
          .Register(Metrics());
  return family;
}

}  // namespace turnstile
