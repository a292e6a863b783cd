#include "iam/sts_service.h"

#include <gtest/gtest.h>

#include "base/strings.h"
#include "iam/test_fixture.h"

namespace orgtrail::iam {
namespace {

using testing::IdentityWorld;

constexpr char kMgmt[] = "111122223333";
constexpr char kMember[] = "444455556666";

class StsServiceTest : public ::testing::Test {
 protected:
  StsServiceTest() : sts_(*w_.store, w_.clock) {
    w_.EnsureAccount(kMgmt);
    w_.EnsureAccount(kMember);
    RoleSpec spec;
    spec.account_id = kMember;
    spec.name = "OrganizationAccountAccessRole";
    spec.assume_role_policy_document =
        R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]})";
    spec.max_session_duration = 7200;
    role_ = std::move(w_.store->CreateRole(spec)).value();
  }

  Result<OrderedJson> Call(const std::string& op, const auth::RequestContext& ctx,
                           const auth::QueryParams& params) {
    auto ops = sts_.Ops();
    return ops.at(op)(ctx, params);
  }

  IdentityWorld w_;
  StsService sts_;
  RoleRecord role_;
};

TEST_F(StsServiceTest, GetCallerIdentityForRootUserAndRole) {
  auto root = Call("GetCallerIdentity", w_.Root(kMgmt), {});
  ASSERT_TRUE(root.ok());
  EXPECT_EQ((*root)["UserId"], kMgmt);
  EXPECT_EQ((*root)["Account"], kMgmt);
  EXPECT_EQ((*root)["Arn"], "arn:aws:iam::111122223333:root");
  // Member order as AWS renders it.
  EXPECT_EQ(root->begin().key(), "UserId");

  auto user = w_.store->CreateUser(kMgmt, "alice");
  auto key = w_.store->CreateAccessKey(kMgmt, "alice");
  ASSERT_TRUE(user.ok() && key.ok());
  auto ctx = w_.Context(w_.store->FindCredential(key->key.access_key_id)->principal);
  auto as_user = Call("GetCallerIdentity", ctx, {});
  ASSERT_TRUE(as_user.ok());
  EXPECT_EQ((*as_user)["UserId"], user->user_id);
  EXPECT_EQ((*as_user)["Arn"], "arn:aws:iam::111122223333:user/alice");
}

TEST_F(StsServiceTest, AssumeRoleHappyPath) {
  auto r = Call("AssumeRole", w_.Root(kMgmt),
                {{"RoleArn", role_.arn}, {"RoleSessionName", "admin-session"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& creds = (*r)["Credentials"];
  EXPECT_TRUE(StartsWith(creds["AccessKeyId"].get<std::string>(), "ASIA"));
  EXPECT_EQ(creds["SecretAccessKey"].get<std::string>().size(), 40u);
  EXPECT_FALSE(creds["SessionToken"].get<std::string>().empty());
  EXPECT_EQ(creds["Expiration"], FormatIso8601(w_.clock.Now() + std::chrono::hours(1)));
  std::vector<std::string> order;
  for (auto it = creds.begin(); it != creds.end(); ++it) order.push_back(it.key());
  EXPECT_EQ(order, (std::vector<std::string>{"AccessKeyId", "SecretAccessKey", "SessionToken",
                                             "Expiration"}));
  EXPECT_EQ((*r)["AssumedRoleUser"]["Arn"],
            "arn:aws:sts::444455556666:assumed-role/OrganizationAccountAccessRole/admin-session");
  EXPECT_EQ((*r)["AssumedRoleUser"]["AssumedRoleId"], role_.role_id + ":admin-session");
  EXPECT_FALSE(r->contains("PackedPolicySize"));

  // The new credentials authenticate as the assumed role.
  auto cred = w_.store->FindCredential(creds["AccessKeyId"].get<std::string>());
  ASSERT_TRUE(cred.has_value());
  EXPECT_EQ(cred->session_token, creds["SessionToken"].get<std::string>());
  auto who = Call("GetCallerIdentity", w_.Context(cred->principal), {});
  ASSERT_TRUE(who.ok());
  EXPECT_EQ((*who)["Account"], kMember);
  EXPECT_EQ((*who)["UserId"], role_.role_id + ":admin-session");
}

TEST_F(StsServiceTest, AssumeRoleDeniedForOtherAccountsAndUnknownRoles) {
  auto r = Call("AssumeRole", w_.Root(kMember),
                {{"RoleArn", role_.arn}, {"RoleSessionName", "s1"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "AccessDenied");
  EXPECT_EQ(r.status().http_status(), 403);
  // AWS's sentence, then why (the trust policy names another account).
  EXPECT_EQ(r.status().message().rfind(
                "User: arn:aws:iam::444455556666:root is not authorized to perform: "
                "sts:AssumeRole on resource: "
                "arn:aws:iam::444455556666:role/OrganizationAccountAccessRole because ",
                0),
            0u)
      << r.status().message();
  EXPECT_NE(r.status().message().find("arn:aws:iam::111122223333:root"), std::string::npos);

  std::string missing = "arn:aws:iam::444455556666:role/NoSuchRole";
  auto m = Call("AssumeRole", w_.Root(kMgmt), {{"RoleArn", missing}, {"RoleSessionName", "s1"}});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), "AccessDenied");
  EXPECT_NE(m.status().message().find(missing), std::string::npos);
}

TEST_F(StsServiceTest, AssumeRoleValidatesInput) {
  auto ctx = w_.Root(kMgmt);
  auto code = [&](const auth::QueryParams& p) {
    auto r = Call("AssumeRole", ctx, p);
    return r.ok() ? std::string("OK") : r.status().code();
  };
  EXPECT_EQ(code({{"RoleArn", role_.arn}}), "ValidationError");
  EXPECT_EQ(code({{"RoleSessionName", "abc"}}), "ValidationError");
  EXPECT_EQ(code({{"RoleArn", role_.arn}, {"RoleSessionName", "a"}}), "ValidationError");
  EXPECT_EQ(code({{"RoleArn", role_.arn}, {"RoleSessionName", "has space"}}), "ValidationError");
  EXPECT_EQ(code({{"RoleArn", role_.arn}, {"RoleSessionName", std::string(65, 'a')}}),
            "ValidationError");
  EXPECT_EQ(code({{"RoleArn", role_.arn}, {"RoleSessionName", "ok"}, {"DurationSeconds", "899"}}),
            "ValidationError");
  EXPECT_EQ(code({{"RoleArn", role_.arn}, {"RoleSessionName", "ok"}, {"DurationSeconds", "x"}}),
            "ValidationError");
  // Above the role's MaxSessionDuration (7200).
  EXPECT_EQ(code({{"RoleArn", role_.arn}, {"RoleSessionName", "ok"}, {"DurationSeconds", "7201"}}),
            "ValidationError");
  EXPECT_EQ(code({{"RoleArn", role_.arn}, {"RoleSessionName", "a+=,.@-_9"},
                  {"DurationSeconds", "7200"}}),
            "OK");
  auto r = Call("AssumeRole", ctx,
                {{"RoleArn", role_.arn}, {"RoleSessionName", "d"}, {"DurationSeconds", "900"}});
  EXPECT_FALSE(r.ok());  // session name too short
  auto r2 = Call("AssumeRole", ctx,
                 {{"RoleArn", role_.arn}, {"RoleSessionName", "dd"}, {"DurationSeconds", "900"}});
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ((*r2)["Credentials"]["Expiration"],
            FormatIso8601(w_.clock.Now() + std::chrono::seconds(900)));
}

TEST_F(StsServiceTest, ExternalIdConditionAndRoleChainingLimit) {
  ASSERT_TRUE(w_.store
                  ->UpdateAssumeRolePolicy(
                      kMember, role_.name,
                      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext-1"}}}]})")
                  .ok());
  auto ctx = w_.Root(kMgmt);
  EXPECT_EQ(Call("AssumeRole", ctx, {{"RoleArn", role_.arn}, {"RoleSessionName", "s1"}})
                .status()
                .code(),
            "AccessDenied");
  auto ok = Call("AssumeRole", ctx,
                 {{"RoleArn", role_.arn}, {"RoleSessionName", "s1"}, {"ExternalId", "ext-1"}});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();

  // Chaining from a role session: at most one hour.
  RoleSpec spec;
  spec.account_id = kMember;
  spec.name = "Next";
  spec.assume_role_policy_document =
      R"({"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/OrganizationAccountAccessRole"},"Action":"sts:AssumeRole"}})";
  spec.max_session_duration = 43200;
  auto next = w_.store->CreateRole(spec);
  ASSERT_TRUE(next.ok());
  auto cred = w_.store->FindCredential((*ok)["Credentials"]["AccessKeyId"].get<std::string>());
  auto role_ctx = w_.Context(cred->principal);
  EXPECT_EQ(Call("AssumeRole", role_ctx,
                 {{"RoleArn", next->arn}, {"RoleSessionName", "s2"}, {"DurationSeconds", "7200"}})
                .status()
                .code(),
            "ValidationError");
  EXPECT_TRUE(Call("AssumeRole", role_ctx, {{"RoleArn", next->arn}, {"RoleSessionName", "s2"}}).ok());
}

}  // namespace
}  // namespace orgtrail::iam
