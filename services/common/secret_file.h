// Reads one secret (a password) from a file: what --pg_password_file and
// --redis_password_file name, e.g. a Kubernetes secret volume in production
// or .turnstile/secrets/ locally. Secrets come from files, never from flags
// or the environment, because a command line is visible to every local user
// in `ps` and a flag value may end up in a log line. Error messages name the
// file, never its content.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace turnstile {

// The content of `path` without trailing line breaks (`openssl rand -hex`,
// `echo` and editors add one). FAILED_PRECONDITION with reason SECRET_FILE if
// the file cannot be read or holds nothing.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path);

}  // namespace turnstile
