#include "services/payment/store.h"

#include "absl/strings/str_cat.h"
#include "services/common/barrier.h"
#include "services/common/status.h"

namespace turnstile::payment {

void PaymentStore::Prepare(pqxx::connection& conn) {
  PrepareBarrier(conn);
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
  conn.prepare("pay_wallet_freeze",
               "UPDATE wallet SET balance = balance - $3, "
               "frozen = frozen + $3, updated_at = now() "
               "WHERE user_id = $1 AND currency = $2 AND balance >= $3");
  conn.prepare("pay_wallet_capture",
               "UPDATE wallet SET frozen = frozen - $3, updated_at = now() "
               "WHERE user_id = $1 AND currency = $2");
  conn.prepare("pay_wallet_release",
               "UPDATE wallet SET balance = balance + $3, "
               "frozen = frozen - $3, updated_at = now() "
               "WHERE user_id = $1 AND currency = $2");
  conn.prepare("pay_payment_insert",
               "INSERT INTO payment (gid, branch_id, user_id, currency, "
               "amount, state) VALUES ($1::uuid, $2, $3, $4, $5, "
               "'AUTHORIZED')");
  conn.prepare("pay_payment_get",
               "SELECT user_id, currency, amount, state FROM payment "
               "WHERE gid = $1::uuid AND branch_id = $2");
  // Conditional on the state, so a phase can move a payment only once.
  conn.prepare("pay_payment_move",
               "UPDATE payment SET state = $3, updated_at = now() "
               "WHERE gid = $1::uuid AND branch_id = $2 "
               "AND state = 'AUTHORIZED' RETURNING user_id, currency, amount");
  conn.prepare("pay_ledger_branch",
               "INSERT INTO ledger_entry (user_id, currency, kind, amount, "
               "gid, branch_id) VALUES ($1, $2, $3, $4, $5::uuid, $6)");
  conn.prepare("pay_barrier_confirmed",
               "SELECT 1 FROM tcc_barrier WHERE gid = $1::uuid "
               "AND branch_id = $2 AND phase = 'confirm'");
}

namespace {

absl::Status Internal(absl::string_view message) {
  return Error(absl::StatusCode::kInternal, "PAYMENT_STATE", message);
}

}  // namespace

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
    const std::string& user_id, const std::string& currency, int64_t amount) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<Authorization> {
    auto outcome = BarrierTry(tx, gid, branch_id, [&](pqxx::work& tx) {
      // A Confirm that arrived without any Try (an order with nothing to
      // pay) closes the branch: freezing now would never be captured.
      if (!tx.exec_prepared("pay_barrier_confirmed", gid, branch_id).empty()) {
        return Error(absl::StatusCode::kAborted, "BRANCH_CONFIRMED",
                     "the branch was already confirmed without a payment");
      }
      if (tx.exec_prepared("pay_wallet_freeze", user_id, currency, amount)
              .affected_rows() != 1) {
        return Refused("INSUFFICIENT_FUNDS",
                       absl::StrCat("the ", currency, " wallet of ", user_id,
                                    " holds less than ", amount));
      }
      tx.exec_prepared("pay_payment_insert", gid, branch_id, user_id, currency,
                       amount);
      tx.exec_prepared("pay_ledger_branch", user_id, currency, "FREEZE", amount,
                       gid, branch_id);
      return absl::OkStatus();
    });
    if (!outcome.ok()) return outcome.status();
    if (*outcome == BarrierOutcome::kExecuted) {
      return Authorization{user_id, currency, amount, false};
    }
    // A repeat: answer with what the first Try froze.
    const auto stored = tx.exec_prepared("pay_payment_get", gid, branch_id);
    if (stored.empty()) {
      return Internal("try recorded but no payment row for the branch");
    }
    return Authorization{stored[0][0].as<std::string>(),
                         stored[0][1].as<std::string>(),
                         stored[0][2].as<int64_t>(), true};
  });
}

namespace {

// Moves an AUTHORIZED payment to `to` and adjusts the wallet; explains in
// `result` when there was nothing to move. Runs inside a barrier phase.
absl::Status MovePayment(pqxx::work& tx, const std::string& gid,
                         const std::string& branch_id, const char* to,
                         const char* wallet_stmt, const char* ledger_kind,
                         const char* forbidden_state, PhaseResult& result) {
  const auto moved = tx.exec_prepared("pay_payment_move", gid, branch_id, to);
  if (moved.empty()) {
    const auto stored = tx.exec_prepared("pay_payment_get", gid, branch_id);
    if (stored.empty()) {
      // No Try ever froze anything for this branch (e.g. a free order):
      // nothing to move, and the barrier row closes the branch.
      result.note = "no authorization";
      return absl::OkStatus();
    }
    const std::string state = stored[0][3].as<std::string>();
    if (state == forbidden_state) {
      // Confirm after Cancel or Cancel after Confirm: a coordinator bug.
      // Refusing keeps the branch visibly stuck instead of hiding it.
      return Error(absl::StatusCode::kFailedPrecondition, "PAYMENT_STATE",
                   absl::StrCat("payment is already ", state));
    }
    result.note = absl::StrCat("already ", state);
    return absl::OkStatus();
  }
  const std::string user_id = moved[0][0].as<std::string>();
  const std::string currency = moved[0][1].as<std::string>();
  const int64_t amount = moved[0][2].as<int64_t>();
  if (tx.exec_prepared(wallet_stmt, user_id, currency, amount)
          .affected_rows() != 1) {
    return Internal("payment without wallet");
  }
  tx.exec_prepared("pay_ledger_branch", user_id, currency, ledger_kind, amount,
                   gid, branch_id);
  result.applied = true;
  result.amount = amount;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PhaseResult> PaymentStore::Capture(
    const std::string& gid, const std::string& branch_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<PhaseResult> {
    PhaseResult result;
    auto outcome = BarrierConfirm(tx, gid, branch_id, [&](pqxx::work& tx) {
      return MovePayment(tx, gid, branch_id, "CAPTURED", "pay_wallet_capture",
                         "CAPTURE", "VOIDED", result);
    });
    if (!outcome.ok()) return outcome.status();
    if (*outcome == BarrierOutcome::kDuplicate) result.note = "repeat";
    return result;
  });
}

absl::StatusOr<PhaseResult> PaymentStore::Release(
    const std::string& gid, const std::string& branch_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<PhaseResult> {
    PhaseResult result;
    auto outcome = BarrierCancel(tx, gid, branch_id, [&](pqxx::work& tx) {
      return MovePayment(tx, gid, branch_id, "VOIDED", "pay_wallet_release",
                         "RELEASE", "CAPTURED", result);
    });
    if (!outcome.ok()) return outcome.status();
    if (*outcome == BarrierOutcome::kDuplicate) result.note = "repeat";
    if (*outcome == BarrierOutcome::kEmptyRollback) {
      result.note = "empty rollback";
    }
    return result;
  });
}

}  // namespace turnstile::payment
