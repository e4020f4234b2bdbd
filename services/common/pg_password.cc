#include "services/common/pg_password.h"

#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include <memory>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "services/common/secret_file.h"
#include "services/common/status.h"

ABSL_FLAG(std::string, pg_password_file, "",
          "File holding the password of the PostgreSQL user the process "
          "connects as (the user in --pg, or in --pg_base for the tools); "
          "its content, without the trailing newline, is the password. "
          "Empty: no password is added");

namespace turnstile {
namespace {

struct ConninfoOptionsDeleter {
  void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};

// A libpq keyword/value string value: single-quoted, with ' and \ escaped.
void AppendValue(std::string* out, absl::string_view value) {
  out->push_back('\'');
  for (char c : value) {
    if (c == '\'' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('\'');
}

}  // namespace

absl::StatusOr<std::string> ConninfoWithPassword(absl::string_view conninfo,
                                                 absl::string_view password) {
  char* error = nullptr;
  // libpq's own parser, so that URIs and quoting mean what libpq means.
  std::unique_ptr<PQconninfoOption, ConninfoOptionsDeleter> options(
      PQconninfoParse(std::string(conninfo).c_str(), &error));
  if (options == nullptr) {
    std::string message = error != nullptr ? error : "out of memory";
    PQfreemem(error);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return InvalidArgument(absl::StrCat("bad libpq conninfo: ", message));
  }
  std::string out;
  for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr || absl::string_view(o->keyword) == "password") {
      continue;
    }
    absl::StrAppend(&out, out.empty() ? "" : " ", o->keyword, "=");
    AppendValue(&out, o->val);
  }
  absl::StrAppend(&out, out.empty() ? "" : " ", "password=");
  AppendValue(&out, password);
  return out;
}

absl::StatusOr<std::string> PgPasswordFromFlags() {
  const std::string path = absl::GetFlag(FLAGS_pg_password_file);
  if (path.empty()) return std::string();
  return ReadSecretFile(path);
}

absl::StatusOr<std::string> PgConninfoFromFlags(const std::string& conninfo) {
  auto password = PgPasswordFromFlags();
  if (!password.ok()) return password.status();
  if (password->empty()) return conninfo;
  return ConninfoWithPassword(conninfo, *password);
}

std::optional<std::string> ServiceConninfo(const std::string& conninfo) {
  auto with_password = PgConninfoFromFlags(conninfo);
  if (!with_password.ok()) {
    spdlog::critical("event=bad_flag flag=pg_password_file error=\"{}\"",
                     std::string(with_password.status().message()));
    return std::nullopt;
  }
  return *std::move(with_password);
}

}  // namespace turnstile
