// Least privilege in PostgreSQL, on the test cluster that is set up like the
// local stack (tests/support/pg_cluster.h): every service's role owns its
// own database and can reach no other (not even its tables after a stray
// CONNECT grant), passwords are checked (scram-sha-256, nothing trusted), and
// a real service process connects as its role with --pg_password_file, owns
// what it migrates and never logs the password; a wrong or missing password
// file stops it at once instead of being retried like a database that is
// still starting.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <pqxx/pqxx>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "services/common/migrate.h"
#include "tests/support/child_process.h"
#include "tests/support/mesh.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/service_process.h"
#include "tests/support/test_pki.h"
#include "turnstile/v1/payment.grpc.pb.h"

namespace turnstile {
namespace {

using testing::SharedPg;

// The error of a connection attempt ("" if it succeeded).
std::string ConnectError(const std::string& conninfo) {
  try {
    pqxx::connection conn(conninfo);
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

class PgLeastPrivilegeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    prefix_ = testing::TestDatabaseName("lp");
    inventory_db_ = prefix_ + "_inventory";
    payment_db_ = prefix_ + "_payment";
    SharedPg().CreateDatabase(inventory_db_, "inventory");
    SharedPg().CreateDatabase(payment_db_, "payment");
  }

  // The payment schema, migrated by its owner as the service would.
  void MigratePayment() {
    auto applied = Migrate(SharedPg().OwnerConninfo(payment_db_, "payment"),
                           MigrationDir("payment"));
    ASSERT_TRUE(applied.ok()) << applied.status();
  }

  // `db` as the inventory role, with its real password.
  std::string AsInventory(const std::string& db) const {
    return SharedPg().OwnerConninfo(db, "inventory");
  }

  std::string LogPath(const std::string& name) const {
    return SharedPg().dir() + "/" + prefix_ + "_" + name + ".log";
  }

  std::string prefix_;
  std::string inventory_db_;
  std::string payment_db_;
};

TEST_F(PgLeastPrivilegeTest, RoleReachesItsOwnDatabaseOnly) {
  pqxx::connection own(AsInventory(inventory_db_));
  pqxx::nontransaction tx(own);
  EXPECT_EQ(tx.exec1("SELECT current_user")[0].as<std::string>(),
            "turnstile_inventory");
  EXPECT_FALSE(
      tx.exec1("SELECT rolsuper OR rolcreatedb OR rolcreaterole FROM pg_roles "
               "WHERE rolname = current_user")[0]
          .as<bool>());
  EXPECT_EQ(tx.exec1("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE "
                     "datname = current_database()")[0]
                .as<std::string>(),
            "turnstile_inventory");

  for (const std::string& other :
       {payment_db_, std::string("postgres"), std::string("template1")}) {
    const std::string error = ConnectError(AsInventory(other));
    EXPECT_NE(error.find("permission denied for database"), std::string::npos)
        << other << ": " << error;
  }
}

// Even if somebody granted CONNECT on the payment database to everyone, the
// inventory role could read, change and add nothing there: the tables and
// the schema belong to the payment role, which granted nothing.
TEST_F(PgLeastPrivilegeTest, RoleCannotUsePaymentTablesEvenWithConnect) {
  MigratePayment();
  SharedPg().Query("postgres", "GRANT CONNECT ON DATABASE " + payment_db_ +
                                   " TO turnstile_inventory");
  pqxx::connection conn(AsInventory(payment_db_));
  for (const char* sql :
       {"SELECT * FROM wallet", "SELECT * FROM ledger_entry",
        "UPDATE wallet SET balance = balance + 1",
        "INSERT INTO wallet (user_id, currency) VALUES ('x', 'EUR')",
        "CREATE TABLE intruder (id int)"}) {
    pqxx::nontransaction tx(conn);
    try {
      tx.exec(sql);
      ADD_FAILURE() << "allowed: " << sql;
    } catch (const pqxx::sql_error& e) {
      EXPECT_NE(std::string(e.what()).find("permission denied"),
                std::string::npos)
          << sql << ": " << e.what();
    }
  }
  SharedPg().Query("postgres", "REVOKE CONNECT ON DATABASE " + payment_db_ +
                                   " FROM turnstile_inventory");
  EXPECT_EQ(SharedPg().Query(payment_db_,
                             "SELECT string_agg(DISTINCT tableowner, ',') FROM "
                             "pg_tables WHERE schemaname = 'public'"),
            "turnstile_payment");
}

TEST_F(PgLeastPrivilegeTest, WrongOrMissingPasswordIsRefused) {
  const std::string base =
      "host=127.0.0.1 port=" + std::to_string(SharedPg().port()) +
      " dbname=" + inventory_db_ + " user=";
  for (const std::string& user :
       {std::string("turnstile_inventory"), std::string("postgres")}) {
    EXPECT_NE(ConnectError(base + user + " password=not-the-password")
                  .find("password authentication failed"),
              std::string::npos)
        << user;
    EXPECT_NE(ConnectError(base + user).find("no password supplied"),
              std::string::npos)
        << user;
  }
  // Another service's password does not open this role either.
  EXPECT_NE(ConnectError(base + "turnstile_inventory password=" +
                         SharedPg().Password("payment"))
                .find("password authentication failed"),
            std::string::npos);
  EXPECT_EQ(ConnectError(AsInventory(inventory_db_)), "");
}

TEST_F(PgLeastPrivilegeTest, HbaTrustsNobody) {
  EXPECT_EQ(SharedPg().Query("postgres",
                             "SELECT count(*) FROM pg_hba_file_rules WHERE "
                             "auth_method <> 'scram-sha-256' OR error IS NOT "
                             "NULL"),
            "0");
  EXPECT_NE(
      SharedPg().Query("postgres", "SELECT count(*) FROM pg_hba_file_rules"),
      "0");
  // The file itself: no rule line says trust (comments may).
  std::istringstream hba(
      ReadFile(SharedPg().Query("postgres", "SHOW hba_file")));
  std::string line;
  int rules = 0;
  while (std::getline(hba, line)) {
    line = line.substr(0, line.find('#'));
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    ++rules;
    EXPECT_EQ(line.find("trust"), std::string::npos) << line;
  }
  EXPECT_GT(rules, 0);
}

TEST_F(PgLeastPrivilegeTest, ServiceConnectsAsItsRoleWithThePasswordFile) {
  testing::ServiceProcess payment("payment", LogPath("payment"));
  ASSERT_TRUE(payment.Start(SharedPg().ServiceFlags(payment_db_, "payment")));
  // A read opens a pooled connection (the pool connects lazily).
  auto stub = v1::Payment::NewStub(payment.channel("loadgen"));
  v1::GetWalletRequest request;
  request.set_currency("EUR");
  v1::Wallet wallet;
  grpc::ClientContext context;
  context.AddMetadata("x-turnstile-user", "nobody");
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  const grpc::Status status = stub->GetWallet(&context, request, &wallet);
  EXPECT_NE(status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << status.error_message();
  // It migrated as its role, so it owns its tables; every connection it
  // holds is its role's.
  EXPECT_EQ(SharedPg().Query(payment_db_,
                             "SELECT string_agg(DISTINCT tableowner, ',') FROM "
                             "pg_tables WHERE schemaname = 'public'"),
            "turnstile_payment");
  EXPECT_EQ(SharedPg().Query(payment_db_,
                             "SELECT string_agg(DISTINCT usename, ',') FROM "
                             "pg_stat_activity WHERE datname = '" +
                                 payment_db_ + "' AND pid <> pg_backend_pid()"),
            "turnstile_payment");
  EXPECT_EQ(payment.Stop(), 0);
  const std::string log = ReadFile(LogPath("payment"));
  EXPECT_NE(log.find("event=migrated"), std::string::npos) << log;
  EXPECT_EQ(log.find(SharedPg().Password("payment")), std::string::npos);
}

// Runs turnstile-payment with `args` and waits for it to exit on its own;
// false if it still runs after `limit`.
bool ExitsWithin(const std::vector<std::string>& args,
                 const std::string& log_path, std::chrono::seconds limit) {
  testing::ChildProcess proc;
  std::vector<std::string> all = {
      "--listen=127.0.0.1:" + std::to_string(testing::FreePort()),
      "--metrics_listen=", "--tls_dir=" + testing::TestPkiDir()};
  all.insert(all.end(), args.begin(), args.end());
  proc.Start(testing::Binary("turnstile-payment"), all, log_path);
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!proc.Exited()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

TEST_F(PgLeastPrivilegeTest, WrongPasswordFileStopsTheServiceAtOnce) {
  const std::string wrong = SharedPg().dir() + "/secrets/" + prefix_ + ".pass";
  {
    std::ofstream(wrong) << "wrong-" << SharedPg().Password("payment") << "\n";
  }
  std::vector<std::string> args =
      SharedPg().ServiceFlags(payment_db_, "payment");
  args.push_back("--pg_password_file=" + wrong);
  // --migrate_wait_ms stays 30 s: a refused login must not be waited out.
  ASSERT_TRUE(ExitsWithin(args, LogPath("wrong"), std::chrono::seconds(10)));
  const std::string log = ReadFile(LogPath("wrong"));
  EXPECT_NE(log.find("password authentication failed"), std::string::npos)
      << log;
  EXPECT_EQ(log.find("migrate_retry"), std::string::npos) << log;
  EXPECT_EQ(log.find(SharedPg().Password("payment")), std::string::npos);
  EXPECT_EQ(SharedPg().Query(payment_db_,
                             "SELECT count(*) FROM pg_tables WHERE "
                             "schemaname = 'public'"),
            "0");
}

TEST_F(PgLeastPrivilegeTest, MissingPasswordFileStopsTheService) {
  std::vector<std::string> args =
      SharedPg().ServiceFlags(payment_db_, "payment");
  args.push_back("--pg_password_file=" + SharedPg().dir() + "/no-such-file");
  ASSERT_TRUE(ExitsWithin(args, LogPath("missing"), std::chrono::seconds(10)));
  const std::string log = ReadFile(LogPath("missing"));
  EXPECT_NE(log.find("flag=pg_password_file"), std::string::npos) << log;
  EXPECT_NE(log.find("no-such-file"), std::string::npos) << log;
}

// The Helm chart migrates in a Job and starts the services with
// --migrate_on_start=false: a service then only checks the schema, waits a
// bounded time for the Job, refuses to run on a database that is behind and
// creates nothing itself.
TEST_F(PgLeastPrivilegeTest, CheckOnlyStartRefusesAnUnmigratedDatabase) {
  std::vector<std::string> args =
      SharedPg().ServiceFlags(payment_db_, "payment");
  args.push_back("--migrate_on_start=false");
  args.push_back("--migrate_wait_ms=1500");
  ASSERT_TRUE(ExitsWithin(args, LogPath("behind"), std::chrono::seconds(10)));
  const std::string log = ReadFile(LogPath("behind"));
  EXPECT_NE(log.find("SCHEMA_BEHIND"), std::string::npos) << log;
  EXPECT_NE(log.find("migrate_retry"), std::string::npos) << log;
  EXPECT_EQ(SharedPg().Query(payment_db_,
                             "SELECT count(*) FROM pg_tables WHERE "
                             "schemaname = 'public'"),
            "0");

  MigratePayment();
  const std::string before =
      SharedPg().Query(payment_db_, "SELECT count(*) FROM schema_migrations");
  testing::ServiceProcess payment("payment", LogPath("checked"));
  std::vector<std::string> start =
      SharedPg().ServiceFlags(payment_db_, "payment");
  start.push_back("--migrate_on_start=false");
  ASSERT_TRUE(payment.Start(start));
  EXPECT_EQ(payment.Stop(), 0);
  EXPECT_NE(ReadFile(LogPath("checked")).find("checked_only=true"),
            std::string::npos);
  EXPECT_EQ(
      SharedPg().Query(payment_db_, "SELECT count(*) FROM schema_migrations"),
      before);
}

}  // namespace
}  // namespace turnstile
