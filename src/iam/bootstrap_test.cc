#include "iam/bootstrap.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>

#include "base/strings.h"
#include "iam/test_fixture.h"

namespace orgtrail::iam {
namespace {

using testing::IdentityWorld;

class BootstrapTest : public ::testing::Test {
 protected:
  BootstrapTest() {
    char tmpl[] = "/tmp/orgtrail-bootstrap-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  ~BootstrapTest() override { std::filesystem::remove_all(dir_); }

  static int Mode(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return -1;
    return st.st_mode & 0777;
  }
  std::string Read(const std::string& name) {
    auto r = Env::Default()->ReadFile(dir_ + "/aws/" + name);
    return r.ok() ? *r : "<missing>";
  }

  IdentityWorld w_;
  std::string dir_;
};

TEST_F(BootstrapTest, FirstStartCreatesAccountKeyAndFiles) {
  std::string account;
  ASSERT_TRUE(Bootstrap(*w_.store, *Env::Default(), dir_, "http://127.0.0.1:4580",
                        std::string("123456789012"), &account)
                  .ok());
  EXPECT_EQ(account, "123456789012");
  ASSERT_TRUE(w_.store->GetAccount(account).ok());
  auto keys = w_.store->ListAccessKeys(account, "");
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 1u);
  auto cred = w_.store->FindCredential(keys->front().access_key_id);
  ASSERT_TRUE(cred.has_value());
  EXPECT_EQ(cred->principal.type, auth::PrincipalType::kRoot);

  EXPECT_EQ(Read("credentials"),
            "[management]\naws_access_key_id = " + keys->front().access_key_id +
                "\naws_secret_access_key = " + cred->secret_access_key + "\n");
  EXPECT_EQ(Read("config"),
            "[profile management]\nregion = us-east-1\nendpoint_url = http://127.0.0.1:4580\n");
  EXPECT_EQ(Mode(dir_ + "/aws/credentials"), 0600);
  EXPECT_EQ(Mode(dir_ + "/aws"), 0700);
}

TEST_F(BootstrapTest, RandomAccountIdWhenNoneGiven) {
  std::string account;
  ASSERT_TRUE(
      Bootstrap(*w_.store, *Env::Default(), dir_, "http://h:1", std::nullopt, &account).ok());
  EXPECT_EQ(account.size(), 12u);
  EXPECT_EQ(account.find_first_not_of("0123456789"), std::string::npos);
}

TEST_F(BootstrapTest, IdempotentAndFollowsEndpointChanges) {
  std::string first, second;
  ASSERT_TRUE(
      Bootstrap(*w_.store, *Env::Default(), dir_, "http://127.0.0.1:4580", std::nullopt, &first)
          .ok());
  std::string creds = Read("credentials");
  ASSERT_TRUE(
      Bootstrap(*w_.store, *Env::Default(), dir_, "http://127.0.0.1:4580", std::nullopt, &second)
          .ok());
  EXPECT_EQ(first, second);
  EXPECT_EQ(Read("credentials"), creds);
  auto accounts = w_.store->ListAccounts();
  ASSERT_TRUE(accounts.ok());
  EXPECT_EQ(accounts->size(), 1u);
  EXPECT_EQ(w_.store->ListAccessKeys(first, "")->size(), 1u);

  // New port: config follows, credentials stay.
  ASSERT_TRUE(
      Bootstrap(*w_.store, *Env::Default(), dir_, "http://127.0.0.1:5999", first, &second).ok());
  EXPECT_NE(Read("config").find("endpoint_url = http://127.0.0.1:5999\n"), std::string::npos);
  EXPECT_EQ(Read("credentials"), creds);

  // Lost credentials are rewritten with the same stored key.
  ASSERT_TRUE(Env::Default()->RemoveFile(dir_ + "/aws/credentials").ok());
  ASSERT_TRUE(
      Bootstrap(*w_.store, *Env::Default(), dir_, "http://127.0.0.1:5999", std::nullopt, &second)
          .ok());
  EXPECT_EQ(Read("credentials"), creds);
  EXPECT_EQ(Mode(dir_ + "/aws/credentials"), 0600);
}

TEST_F(BootstrapTest, RejectsBadOrConflictingAccountId) {
  std::string account;
  EXPECT_FALSE(Bootstrap(*w_.store, *Env::Default(), dir_, "http://h:1", std::string("12ab"),
                         &account)
                   .ok());
  ASSERT_TRUE(Bootstrap(*w_.store, *Env::Default(), dir_, "http://h:1",
                        std::string("123456789012"), &account)
                  .ok());
  Status s = Bootstrap(*w_.store, *Env::Default(), dir_, "http://h:1",
                       std::string("210987654321"), &account);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), "InvalidParameterValue");
}

}  // namespace
}  // namespace orgtrail::iam
