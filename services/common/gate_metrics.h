// The metric every gate-fronted participant shares (inventory, seat,
// booking): Tries turned away by the Redis gate before PostgreSQL, by
// reason, as turnstile_gate_refusals_total{reason} -- the dashboard's gate
// hit ratio and the alerts read one name whichever process refused.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>

namespace turnstile {

prometheus::Family<prometheus::Counter>& GateRefusals();

}  // namespace turnstile
