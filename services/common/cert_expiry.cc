#include "services/common/cert_expiry.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>

#include "prometheus/gauge.h"
#include "services/common/process.h"
#include "services/common/tls.h"

namespace turnstile {
namespace {

prometheus::Family<prometheus::Gauge>& ExpiryFamily() {
  static auto& family =
      prometheus::BuildGauge()
          .Name("turnstile_tls_certificate_expiry_timestamp_seconds")
          .Help(
              "notAfter (Unix time) of the certificate this process "
              "presents, by identity; re-read every --tls_refresh_s")
          .Register(Metrics());
  return family;
}

}  // namespace

absl::StatusOr<int64_t> CertificateNotAfter(absl::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (!bio) return absl::ResourceExhaustedError("BIO_new_mem_buf failed");
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
  if (!cert) return absl::InvalidArgumentError("no PEM certificate");
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &tm) != 1) {
    return absl::InvalidArgumentError("unreadable notAfter");
  }
  return static_cast<int64_t>(timegm(&tm));
}

CertExpiryWatcher::CertExpiryWatcher(std::string path, std::string identity,
                                     int every_s)
    : path_(std::move(path)),
      identity_(std::move(identity)),
      every_s_(std::max(1, every_s)) {
  Refresh();
  thread_ = std::thread([this] { Loop(); });
}

CertExpiryWatcher::~CertExpiryWatcher() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool CertExpiryWatcher::Refresh() {
  std::ifstream in(path_);
  std::stringstream text;
  text << in.rdbuf();
  auto not_after =
      in ? CertificateNotAfter(text.str())
         : absl::StatusOr<int64_t>(absl::NotFoundError("cannot read the file"));
  if (!not_after.ok()) {
    if (!failing_.exchange(true)) {
      spdlog::warn("event=tls_cert_expiry_unreadable cert={} error=\"{}\"",
                   path_, std::string(not_after.status().message()));
    }
    return false;
  }
  failing_ = false;
  ExpiryFamily()
      .Add({{"identity", identity_}})
      .Set(static_cast<double>(*not_after));
  return true;
}

void CertExpiryWatcher::Loop() {
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, std::chrono::seconds(every_s_),
                       [&] { return stopping_; })) {
    lock.unlock();
    Refresh();
    lock.lock();
  }
}

std::unique_ptr<CertExpiryWatcher> WatchOwnCertificateExpiry() {
  if (InsecurePlaintext()) return nullptr;
  auto files = TlsFilesFromFlags();
  if (!files.ok()) return nullptr;
  return std::make_unique<CertExpiryWatcher>(files->cert, TlsIdentity(),
                                             TlsRefreshSeconds());
}

}  // namespace turnstile
