// The orphan sweep's flags, here rather than in process.cc: only the
// participants that hold something (inventory, seat, payment) link this
// file, so the other processes refuse these flags instead of ignoring them.
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "services/common/orphan_sweeper.h"
#include "services/common/status.h"

ABSL_FLAG(int, orphan_sweep_interval_s, 30,
          "Seconds between two orphan sweeps (0 = never; the sweep also "
          "needs --coordinator)");
ABSL_FLAG(int, orphan_margin_s, 60,
          "A hold is an orphan candidate this long after its transaction's "
          "deadline; leaves the coordinator's timeout and Cancel delivery "
          "time to act first (0..86400)");
ABSL_FLAG(int, orphan_batch, 100, "Holds examined per sweep (1..10000)");
ABSL_FLAG(int, orphan_rpc_timeout_ms, 2000,
          "Timeout of each Coordinator.GetTransaction of the sweep");

namespace turnstile {

absl::StatusOr<OrphanSweepOptions> OrphanSweepOptionsFromFlags(
    const std::string& coordinator) {
  OrphanSweepOptions options;
  options.coordinator = coordinator;
  const int interval = absl::GetFlag(FLAGS_orphan_sweep_interval_s);
  const int margin = absl::GetFlag(FLAGS_orphan_margin_s);
  const int batch = absl::GetFlag(FLAGS_orphan_batch);
  const int timeout = absl::GetFlag(FLAGS_orphan_rpc_timeout_ms);
  if (interval < 0 || margin < 0 || margin > 86400 || batch < 1 ||
      batch > 10000 || timeout < 1) {
    return InvalidArgument(
        absl::StrCat("orphan_sweep_interval_s=", interval,
                     " orphan_margin_s=", margin, " orphan_batch=", batch,
                     " orphan_rpc_timeout_ms=", timeout, " out of range"));
  }
  options.interval = std::chrono::seconds(interval);
  options.margin = std::chrono::seconds(margin);
  options.batch = batch;
  options.rpc_timeout = std::chrono::milliseconds(timeout);
  return options;
}

}  // namespace turnstile
