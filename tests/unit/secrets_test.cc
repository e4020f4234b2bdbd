// Secret files and the PostgreSQL password (services/common/secret_file.h,
// pg_password.h), no server needed: the file's content without its line
// break is the secret, unreadable and empty files are errors that name the
// file and not the content, and the password lands in the conninfo exactly
// as libpq will read it (quoted, replacing any other, URIs too).
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "services/common/pg_password.h"
#include "services/common/secret_file.h"
#include "services/common/status.h"

namespace turnstile {
namespace {

// What libpq makes of `conninfo`: keyword -> value of the options it sets.
std::map<std::string, std::string> Parsed(const std::string& conninfo) {
  std::map<std::string, std::string> out;
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (options == nullptr) {
    out["error"] = error != nullptr ? error : "?";
    PQfreemem(error);
    return out;
  }
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val != nullptr) out[o->keyword] = o->val;
  }
  PQconninfoFree(options);
  return out;
}

class SecretFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/turnstile-secrets-test-XXXXXX";
    dir_ = mkdtemp(dir);
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  std::string Write(const std::string& name, const std::string& content) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  std::string dir_;
};

TEST_F(SecretFileTest, ContentWithoutTrailingLineBreaksIsTheSecret) {
  EXPECT_EQ(*ReadSecretFile(Write("a", "s3cret\n")), "s3cret");
  EXPECT_EQ(*ReadSecretFile(Write("b", "s3cret\r\n")), "s3cret");
  EXPECT_EQ(*ReadSecretFile(Write("c", "s3cret")), "s3cret");
  // Inner spaces and quotes are the password's own.
  EXPECT_EQ(*ReadSecretFile(Write("d", " a 'b' \\c \n")), " a 'b' \\c ");
}

TEST_F(SecretFileTest, MissingOrEmptyFileIsAnErrorNamingTheFile) {
  for (const std::string& path :
       {dir_ + "/absent", Write("empty", ""), Write("newline", "\n")}) {
    auto secret = ReadSecretFile(path);
    ASSERT_FALSE(secret.ok()) << path;
    EXPECT_EQ(secret.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(ReasonOf(secret.status()), "SECRET_FILE");
    EXPECT_NE(secret.status().message().find(path), absl::string_view::npos);
  }
}

TEST(ConninfoWithPasswordTest, AddsThePasswordAsLibpqReadsIt) {
  for (const std::string& password :
       {std::string("plain"), std::string("it's"), std::string("back\\slash"),
        std::string("sp ace=x"), std::string("a'b\\'c")}) {
    auto conninfo = ConninfoWithPassword(
        "host=127.0.0.1 port=55432 dbname=turnstile_order "
        "user=turnstile_order",
        password);
    ASSERT_TRUE(conninfo.ok()) << conninfo.status();
    const auto parsed = Parsed(*conninfo);
    EXPECT_EQ(parsed.at("password"), password) << *conninfo;
    EXPECT_EQ(parsed.at("host"), "127.0.0.1");
    EXPECT_EQ(parsed.at("port"), "55432");
    EXPECT_EQ(parsed.at("dbname"), "turnstile_order");
    EXPECT_EQ(parsed.at("user"), "turnstile_order");
  }
}

TEST(ConninfoWithPasswordTest, ReplacesAPasswordAndReadsUris) {
  auto replaced =
      ConninfoWithPassword("host=h user=u password=old dbname=d", "new");
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(Parsed(*replaced).at("password"), "new");

  auto uri = ConninfoWithPassword(
      "postgresql://u@h:5433/d?sslmode=disable&application_name=x", "p:w@d");
  ASSERT_TRUE(uri.ok()) << uri.status();
  const auto parsed = Parsed(*uri);
  EXPECT_EQ(parsed.at("password"), "p:w@d");
  EXPECT_EQ(parsed.at("user"), "u");
  EXPECT_EQ(parsed.at("host"), "h");
  EXPECT_EQ(parsed.at("port"), "5433");
  EXPECT_EQ(parsed.at("dbname"), "d");
  EXPECT_EQ(parsed.at("sslmode"), "disable");
}

TEST(ConninfoWithPasswordTest, MalformedConninfoIsInvalidArgument) {
  auto bad = ConninfoWithPassword("host='unterminated", "pw");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message().find("pw"), absl::string_view::npos);
}

TEST(PgConninfoFromFlagsTest, NoFlagLeavesTheConninfoAlone) {
  auto conninfo = PgConninfoFromFlags("host=h user=u");
  ASSERT_TRUE(conninfo.ok());
  EXPECT_EQ(*conninfo, "host=h user=u");
}

}  // namespace
}  // namespace turnstile
