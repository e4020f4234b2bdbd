#include "services/payment/store.h"

#include "absl/strings/str_cat.h"
#include "services/common/barrier.h"
#include "services/common/overdue_holds.h"
#include "services/common/status.h"
#include "services/payment/validation.h"

namespace turnstile::payment {

void PaymentStore::Prepare(pqxx::connection& conn) {
  conn.prepare("pay_authorize",
               "SELECT outcome, COALESCE(user_id, ''), COALESCE(currency, ''), "
               "COALESCE(amount, 0) FROM pay_authorize($1::uuid, $2, $3, $4, "
               "$5::bigint, to_timestamp($6::bigint / 1000.0), $7)");
  conn.prepare("pay_settle",
               "SELECT outcome, COALESCE(amount, 0), COALESCE(note, '') "
               "FROM pay_settle($1::uuid, $2, $3)");
  conn.prepare("pay_deposit_ledger",
               "INSERT INTO ledger_entry (user_id, currency, kind, amount, "
               "request_id) VALUES ($1, $2, 'DEPOSIT', $3, $4) "
               "ON CONFLICT (user_id, request_id) DO NOTHING RETURNING id");
  conn.prepare("pay_deposit_prior",
               "SELECT currency, amount FROM ledger_entry "
               "WHERE user_id = $1 AND request_id = $2");
  conn.prepare("pay_wallet_credit",
               "INSERT INTO wallet (user_id, currency, balance, frozen) "
               "VALUES ($1, $2, $3, 0) ON CONFLICT (user_id, currency) DO "
               "UPDATE SET balance = wallet.balance + EXCLUDED.balance, "
               "updated_at = now() RETURNING balance, frozen");
  conn.prepare("pay_wallet_get",
               "SELECT balance, frozen FROM wallet "
               "WHERE user_id = $1 AND currency = $2");
  // Conditional on the state, so a phase can move a payment only once.
  conn.prepare("pay_overdue",
               "SELECT gid::text, branch_id FROM payment "
               "WHERE state = 'AUTHORIZED' AND deadline IS NOT NULL "
               "AND deadline < now() - make_interval(secs => $1::bigint) "
               "ORDER BY deadline LIMIT $2");
}

absl::StatusOr<WalletRow> PaymentStore::Deposit(const std::string& user_id,
                                                const std::string& currency,
                                                int64_t amount,
                                                const std::string& request_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<WalletRow> {
    WalletRow wallet{user_id, currency, 0, 0};
    // The unique (user_id, request_id) makes a concurrent repeat wait for
    // the first and then insert nothing.
    if (!tx.exec_prepared("pay_deposit_ledger", user_id, currency, amount,
                          request_id)
             .empty()) {
      const auto row =
          tx.exec_prepared1("pay_wallet_credit", user_id, currency, amount);
      wallet.balance = row[0].as<int64_t>();
      wallet.frozen = row[1].as<int64_t>();
      return wallet;
    }
    const auto prior =
        tx.exec_prepared1("pay_deposit_prior", user_id, request_id);
    if (prior[0].as<std::string>() != currency ||
        prior[1].as<int64_t>() != amount) {
      return Error(absl::StatusCode::kAlreadyExists, "REQUEST_ID_REUSED",
                   absl::StrCat("request_id ", request_id,
                                " was used for a different deposit"));
    }
    const auto row = tx.exec_prepared1("pay_wallet_get", user_id, currency);
    wallet.balance = row[0].as<int64_t>();
    wallet.frozen = row[1].as<int64_t>();
    return wallet;
  });
}

absl::StatusOr<WalletRow> PaymentStore::GetWallet(const std::string& user_id,
                                                  const std::string& currency) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<WalletRow> {
    const auto result = tx.exec_prepared("pay_wallet_get", user_id, currency);
    if (result.empty()) {
      return NotFound(absl::StrCat("no ", currency, " wallet for ", user_id));
    }
    return WalletRow{user_id, currency, result[0][0].as<int64_t>(),
                     result[0][1].as<int64_t>()};
  });
}

absl::StatusOr<Authorization> PaymentStore::Authorize(
    const std::string& gid, const std::string& branch_id,
    const std::string& user_id, const std::string& currency, int64_t amount,
    int64_t deadline_ms) {
  const std::string content = TryContentOf(user_id, currency, amount);
  return pool_.Autocommit(
      [&](pqxx::nontransaction& tx) -> absl::StatusOr<Authorization> {
        const auto row =
            tx.exec_prepared1("pay_authorize", gid, branch_id, user_id,
                              currency, amount, deadline_ms, content);
        auto outcome = BarrierOutcomeFromWord(row[0].as<std::string>());
        if (!outcome.ok()) return outcome.status();
        return Authorization{row[1].as<std::string>(), row[2].as<std::string>(),
                             row[3].as<int64_t>(),
                             *outcome == BarrierOutcome::kDuplicate};
      });
}

namespace {

// Capture (phase "confirm") or release (phase "cancel") in one statement
// (sql/payment/0003).
absl::StatusOr<PhaseResult> Settle(PgPool& pool, const std::string& gid,
                                   const std::string& branch_id,
                                   const char* phase) {
  return pool.Autocommit(
      [&](pqxx::nontransaction& tx) -> absl::StatusOr<PhaseResult> {
        const auto row = tx.exec_prepared1("pay_settle", gid, branch_id, phase);
        auto answer = ReadPhaseAnswer(row[0].c_str(), row[2].c_str());
        if (!answer.ok()) return answer.status();
        PhaseResult result;
        result.applied = answer->applied;
        result.note = answer->note;
        if (result.applied) result.amount = row[1].as<int64_t>();
        return result;
      });
}

}  // namespace

absl::StatusOr<PhaseResult> PaymentStore::Capture(
    const std::string& gid, const std::string& branch_id) {
  return Settle(pool_, gid, branch_id, "confirm");
}

absl::StatusOr<PhaseResult> PaymentStore::Release(
    const std::string& gid, const std::string& branch_id) {
  return Settle(pool_, gid, branch_id, "cancel");
}

absl::StatusOr<std::vector<OverdueHold>> PaymentStore::ListOverdue(
    std::chrono::seconds margin, int limit) {
  return ListOverdueHolds(pool_, "pay_overdue", margin, limit);
}

}  // namespace turnstile::payment
