// The notAfter reader behind turnstile_tls_certificate_expiry_timestamp_seconds
// (services/common/cert_expiry.h) against certificates made by the tests' PKI
// (scripts/pki.sh): the same instant as `openssl x509 -enddate`, an expired
// certificate in the past, the first certificate of a chain, garbage and a
// private key refused; the watcher sets the gauge and follows a rotation.
#include "services/common/cert_expiry.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

#include "tests/support/metrics_reader.h"
#include "tests/support/test_pki.h"

namespace turnstile {
namespace {

using testing::ReadFile;
using testing::TestPki;
using testing::TestPkiDir;

// `openssl x509 -enddate` of the file, as Unix seconds (via date(1)).
int64_t OpensslNotAfter(const std::string& path) {
  const std::string cmd = "date -u -d \"$(openssl x509 -in " + path +
                          " -noout -enddate | cut -d= -f2)\" +%s";
  FILE* p = popen(cmd.c_str(), "r");
  char buf[64] = {0};
  const bool read = p != nullptr && std::fgets(buf, sizeof(buf), p) != nullptr;
  if (p != nullptr) pclose(p);
  return read ? std::stoll(buf) : -1;
}

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST(CertExpiryTest, ReadsTheSameNotAfterAsOpenssl) {
  const std::string path = TestPkiDir() + "/payment.pem";
  auto not_after = CertificateNotAfter(ReadFile(path));
  ASSERT_TRUE(not_after.ok()) << not_after.status();
  EXPECT_EQ(*not_after, OpensslNotAfter(path));
  // scripts/pki.sh issues for 825 days.
  EXPECT_NEAR(static_cast<double>(*not_after - Now()), 825.0 * 86400, 86400);
}

TEST(CertExpiryTest, AnExpiredCertificateIsInThePast) {
  TestPki({"--expired", "expiry-old"});
  const std::string path = TestPkiDir() + "/expiry-old.pem";
  auto not_after = CertificateNotAfter(ReadFile(path));
  ASSERT_TRUE(not_after.ok()) << not_after.status();
  EXPECT_LT(*not_after, Now());
  EXPECT_EQ(*not_after, OpensslNotAfter(path));
}

TEST(CertExpiryTest, TheFirstCertificateOfAChainCounts) {
  TestPki({"--expired", "expiry-chain"});
  const std::string leaf = ReadFile(TestPkiDir() + "/expiry-chain.pem");
  const std::string ca = ReadFile(TestPkiDir() + "/ca.pem");
  auto leaf_first = CertificateNotAfter(leaf + ca);
  auto ca_first = CertificateNotAfter(ca + leaf);
  ASSERT_TRUE(leaf_first.ok() && ca_first.ok());
  EXPECT_EQ(*leaf_first, *CertificateNotAfter(leaf));
  EXPECT_EQ(*ca_first, *CertificateNotAfter(ca));
  EXPECT_NE(*leaf_first, *ca_first);
}

TEST(CertExpiryTest, NoCertificateIsAnError) {
  EXPECT_FALSE(CertificateNotAfter("").ok());
  EXPECT_FALSE(CertificateNotAfter("-----BEGIN CERTIFICATE-----\nAAAA\n"
                                   "-----END CERTIFICATE-----\n")
                   .ok());
  EXPECT_FALSE(
      CertificateNotAfter(ReadFile(TestPkiDir() + "/payment-key.pem")).ok());
}

TEST(CertExpiryTest, TheWatcherSetsTheGaugeAndFollowsARotation) {
  TestPki({"--expired", "expiry-watch"});
  const std::string path = TestPkiDir() + "/expiry-watch.pem";
  const auto gauge = [] {
    return testing::LocalMetric(
        "turnstile_tls_certificate_expiry_timestamp_seconds",
        {{"identity", "expiry-watch"}});
  };
  CertExpiryWatcher watcher(path, "expiry-watch", 3600);
  const double expired = gauge();
  EXPECT_EQ(expired, static_cast<double>(OpensslNotAfter(path)));
  EXPECT_LT(expired, static_cast<double>(Now()));
  // Rotation (rename, as a Kubernetes secret update does), then the next
  // refresh sees it.
  TestPki({"--renew", "expiry-watch"});
  ASSERT_TRUE(watcher.Refresh());
  EXPECT_GT(gauge(), static_cast<double>(Now() + 800LL * 86400));
  // An unreadable file keeps the last value.
  CertExpiryWatcher missing(TestPkiDir() + "/no-such.pem", "expiry-missing",
                            3600);
  EXPECT_FALSE(missing.Refresh());
  EXPECT_EQ(
      testing::LocalMetric("turnstile_tls_certificate_expiry_timestamp_seconds",
                           {{"identity", "expiry-missing"}}),
      -1);
}

}  // namespace
}  // namespace turnstile
