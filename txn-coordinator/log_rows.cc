#include "txn-coordinator/log_rows.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace turnstile::coordinator::log_rows {

TxnState StateOf(const pqxx::field& f) {
  auto s = ParseState(f.c_str());
  // The CHECK constraint allows nothing else.
  return s ? *s : TxnState::kTrying;
}

TxnRecord TxnFromRow(const pqxx::row& r) {
  TxnRecord t;
  t.gid = r[0].c_str();
  t.request_id = r[1].c_str();
  t.state = StateOf(r[2]);
  t.deadline_us = r[3].as<int64_t>();
  t.created_us = r[4].as<int64_t>();
  t.updated_us = r[5].as<int64_t>();
  t.next_attempt_us = r[6].as<int64_t>();
  t.cancel_reason = r[7].as<int>();
  t.detail = r[8].c_str();
  t.trace_id = r[9].c_str();
  return t;
}

void AttachBranches(const pqxx::result& rows, std::vector<TxnRecord>& txns) {
  std::map<std::string, TxnRecord*> by_gid;
  for (auto& t : txns) by_gid[t.gid] = &t;
  for (const auto& r : rows) {
    auto it = by_gid.find(r[0].c_str());
    if (it == by_gid.end()) continue;
    BranchRecord b;
    b.branch_id = r[1].c_str();
    b.participant = r[2].c_str();
    b.state = ParseBranchState(r[3].c_str()).value_or(BranchState::kRegistered);
    b.attempts = r[4].as<int>();
    b.last_error = r[5].c_str();
    b.next_attempt_us = r[6].as<int64_t>();
    it->second->branches.push_back(std::move(b));
  }
}

}  // namespace turnstile::coordinator::log_rows
