// The web UI's demo catalogue (issue 11 item 5): one product of each kind
// under fixed ids, so that the links `./run demo` prints stay the same from
// run to run: an event with a seat map, a flash-sale SKU, a net cafe and a
// train run (tomorrow), plus three funded buyers to sign in as. Seeding is
// idempotent: what exists is kept (a run is per day, so a new day adds one).
#pragma once

#include <string>

#include "tools/demo_common.h"

namespace turnstile::demo {

struct UiCatalogue {
  std::string event_id;
  std::string sku_id;
  std::string venue_id;
  std::string run_id;
  // The buyers funded for the UI, e.g. "alice".
  std::vector<std::string> buyers;
};

UiCatalogue SeedUiCatalogue(Stubs& stubs);

// The catalogue's pages under `base_url` (the gateway, e.g.
// http://127.0.0.1:8080) and the sign-in hint, for people.
std::string DescribeUiCatalogue(const UiCatalogue& catalogue,
                                const std::string& base_url);

}  // namespace turnstile::demo
