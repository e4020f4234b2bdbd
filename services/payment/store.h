// SQL of the payment database (sql/payment): wallets, payment branches and
// the append-only ledger. Every method is one local transaction; the TCC
// phases run inside the barrier (services/common/barrier.h) so that the
// barrier row and the money movement commit together. Returns plain structs;
// never builds gRPC messages.
#pragma once

#include <chrono>
#include <cstdint>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/orphan_decision.h"
#include "services/common/pg_pool.h"

namespace turnstile::payment {

struct WalletRow {
  std::string user_id;
  std::string currency;
  int64_t balance = 0;
  int64_t frozen = 0;
};

// What one payment branch froze.
struct Authorization {
  std::string user_id;
  std::string currency;
  int64_t amount = 0;
  bool repeated = false;  // a repeat of a Try that had already succeeded
};

// Result of a second phase: whether this call moved money.
struct PhaseResult {
  bool applied = false;
  std::string note;  // why nothing moved, for logs ("" when applied)
  int64_t amount = 0;
};

class PaymentStore {
 public:
  explicit PaymentStore(PgPool& pool) : pool_(pool) {}

  // Prepares this store's statements (and the barrier's) on a connection.
  static void Prepare(pqxx::connection& conn);

  // Credits the wallet once per (user_id, request_id) and records a DEPOSIT
  // ledger entry; a repeat returns the wallet unchanged. ALREADY_EXISTS
  // (REQUEST_ID_REUSED) if the request_id was used for another amount or
  // currency.
  absl::StatusOr<WalletRow> Deposit(const std::string& user_id,
                                    const std::string& currency, int64_t amount,
                                    const std::string& request_id);

  // NOT_FOUND if the user never deposited that currency.
  absl::StatusOr<WalletRow> GetWallet(const std::string& user_id,
                                      const std::string& currency);

  // Try: moves amount from balance to frozen, records the payment
  // AUTHORIZED and a FREEZE ledger entry. FAILED_PRECONDITION
  // (INSUFFICIENT_FUNDS) if the wallet is missing or too low; ABORTED
  // (BRANCH_CANCELLED) after Cancel. A repeat with the same content returns
  // the stored payment; one with another user, currency or amount is
  // FAILED_PRECONDITION (TRY_MISMATCH). `deadline_ms` (the transaction
  // deadline, epoch ms) is stored with the payment for the orphan sweep.
  absl::StatusOr<Authorization> Authorize(const std::string& gid,
                                          const std::string& branch_id,
                                          const std::string& user_id,
                                          const std::string& currency,
                                          int64_t amount, int64_t deadline_ms);

  // Confirm: AUTHORIZED -> CAPTURED, frozen -= amount, CAPTURE entry.
  absl::StatusOr<PhaseResult> Capture(const std::string& gid,
                                      const std::string& branch_id);

  // Cancel: AUTHORIZED -> VOIDED, frozen back to balance, RELEASE entry.
  absl::StatusOr<PhaseResult> Release(const std::string& gid,
                                      const std::string& branch_id);

  // The orphan sweep (services/common/orphan_sweeper.h): up to `limit`
  // AUTHORIZED payments whose stored deadline is more than `margin` ago,
  // oldest first (the partial index of sql/payment/0005). Payments without a
  // deadline (from before it was stored) are never listed.
  absl::StatusOr<std::vector<OverdueHold>> ListOverdue(
      std::chrono::seconds margin, int limit);

 private:
  PgPool& pool_;
};

}  // namespace turnstile::payment
