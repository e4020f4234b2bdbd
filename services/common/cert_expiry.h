// When the certificate this process presents expires, as the gauge
// turnstile_tls_certificate_expiry_timestamp_seconds{identity} (its notAfter
// in Unix seconds) that TurnstileCertificateExpiringSoon watches. The file is
// read again every --tls_refresh_s, like gRPC's own certificate watcher, so
// a rotated certificate shows without a restart. Only with TLS on.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace turnstile {

// The notAfter (Unix seconds) of the first certificate in `pem`;
// INVALID_ARGUMENT if there is none.
absl::StatusOr<int64_t> CertificateNotAfter(absl::string_view pem);

// Reads the certificate file every `every_s` seconds and sets the gauge with
// label identity=`identity`; a file that cannot be read or parsed leaves the
// last value (and is logged once per change of state).
class CertExpiryWatcher {
 public:
  CertExpiryWatcher(std::string path, std::string identity, int every_s);
  ~CertExpiryWatcher();  // stops the thread
  CertExpiryWatcher(const CertExpiryWatcher&) = delete;
  CertExpiryWatcher& operator=(const CertExpiryWatcher&) = delete;

  // Reads the file once and sets the gauge; false if it could not.
  bool Refresh();

 private:
  void Loop();

  const std::string path_;
  const std::string identity_;
  const int every_s_;
  std::atomic<bool> failing_{false};  // logged once per failing spell
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

// The watcher of this process's own certificate (--tls_* flags, tls.h),
// or nullptr under --insecure_plaintext or without usable TLS flags.
std::unique_ptr<CertExpiryWatcher> WatchOwnCertificateExpiry();

}  // namespace turnstile
