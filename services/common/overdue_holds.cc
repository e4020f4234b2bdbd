#include "services/common/overdue_holds.h"

namespace turnstile {

absl::StatusOr<std::vector<OverdueHold>> ListOverdueHolds(
    PgPool& pool, const char* statement, std::chrono::seconds margin,
    int limit) {
  return pool.Autocommit([&](pqxx::nontransaction& tx)
                             -> absl::StatusOr<std::vector<OverdueHold>> {
    std::vector<OverdueHold> holds;
    for (const auto& row : tx.exec_prepared(
             statement, static_cast<int64_t>(margin.count()), limit)) {
      holds.push_back({row[0].as<std::string>(), row[1].as<std::string>()});
    }
    return holds;
  });
}

}  // namespace turnstile
