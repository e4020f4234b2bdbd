#include "services/common/secret_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "services/common/status.h"

namespace turnstile {

absl::StatusOr<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error(absl::StatusCode::kFailedPrecondition, "SECRET_FILE",
                 absl::StrCat("cannot read secret file ", path, ": ",
                              std::strerror(errno)));
  }
  std::ostringstream content;
  content << in.rdbuf();
  std::string secret = content.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) {
    secret.pop_back();
  }
  if (secret.empty()) {
    return Error(absl::StatusCode::kFailedPrecondition, "SECRET_FILE",
                 absl::StrCat("secret file ", path, " is empty"));
  }
  return secret;
}

}  // namespace turnstile
