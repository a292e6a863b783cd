#include "org/organizations_service.h"

#include <gtest/gtest.h>

#include <set>

#include "base/strings.h"
#include "iam/sts_service.h"
#include "iam/test_fixture.h"

namespace orgtrail::org {
namespace {

using iam::testing::IdentityWorld;

constexpr char kMgmt[] = "111122223333";
constexpr char kOutsider[] = "999988887777";

class OrganizationsServiceTest : public ::testing::Test {
 protected:
  OrganizationsServiceTest()
      : authz_(*w_.store), orgs_(*w_.db, *w_.store, w_.clock), ops_(orgs_.Ops()),
        mgmt_(w_.Root(kMgmt)) {
    orgs_.SetAuthorizer(&authz_);
  }

  Result<Json> Call(const std::string& op, const auth::RequestContext& ctx, Json in = {}) {
    return ops_.at(op)(ctx, in);
  }
  std::string Code(const std::string& op, const auth::RequestContext& ctx, Json in = {}) {
    auto r = Call(op, ctx, std::move(in));
    return r.ok() ? "OK" : r.status().code();
  }
  // Creates an account; returns its id.
  std::string NewAccount(const std::string& name, const std::string& email) {
    auto r = Call("CreateAccount", mgmt_, {{"AccountName", name}, {"Email", email}});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return "";
    EXPECT_EQ((*r)["CreateAccountStatus"]["State"], "SUCCEEDED");
    return (*r)["CreateAccountStatus"]["AccountId"];
  }

  IdentityWorld w_;
  iam::Authorizer authz_;
  OrganizationsService orgs_;
  auth::JsonOps ops_;
  auth::RequestContext mgmt_;
};

TEST_F(OrganizationsServiceTest, NoOrganizationYet) {
  auto r = Call("DescribeOrganization", mgmt_);
  EXPECT_EQ(r.status().code(), "AWSOrganizationsNotInUseException");
  EXPECT_EQ(r.status().message(), "Your account is not a member of an organization.");
  EXPECT_FALSE(orgs_.GetOrganization().has_value());
  EXPECT_EQ(Code("CreateAccount", mgmt_, {{"AccountName", "a"}, {"Email", "a@b.example"}}),
            "AWSOrganizationsNotInUseException");
}

TEST_F(OrganizationsServiceTest, CreateAndDescribeOrganization) {
  // The query API's snapshot, taken before, is renewed by the change.
  EXPECT_FALSE(orgs_.GetOrganization().has_value());
  EXPECT_FALSE(orgs_.IsMember(kMgmt));
  auto r = Call("CreateOrganization", mgmt_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Json& o = (*r)["Organization"];
  std::string id = o["Id"];
  EXPECT_TRUE(StartsWith(id, "o-"));
  EXPECT_EQ(id.size(), 12u);
  EXPECT_EQ(o["Arn"], "arn:aws:organizations::111122223333:organization/" + id);
  EXPECT_EQ(o["MasterAccountId"], kMgmt);
  EXPECT_EQ(o["MasterAccountArn"],
            "arn:aws:organizations::111122223333:account/" + id + "/111122223333");
  EXPECT_EQ(o["MasterAccountEmail"], "111122223333@example.com");
  EXPECT_EQ(o["FeatureSet"], "ALL");
  EXPECT_EQ(o["AvailablePolicyTypes"][0]["Type"], "SERVICE_CONTROL_POLICY");

  EXPECT_EQ(Code("CreateOrganization", mgmt_), "AlreadyInOrganizationException");
  auto d = Call("DescribeOrganization", mgmt_);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ((*d)["Organization"], o);
  auto info = orgs_.GetOrganization();
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->management_account_id, kMgmt);
  EXPECT_TRUE(StartsWith(info->root_id, "r-"));
  EXPECT_TRUE(orgs_.IsMember(kMgmt));
  EXPECT_FALSE(orgs_.IsMember(kOutsider));
  EXPECT_EQ(orgs_.OrganizationIdOf(kMgmt), id);
  EXPECT_EQ(orgs_.OrganizationIdOf(kOutsider), "");
  EXPECT_EQ(orgs_.MemberAccountIds(), std::vector<std::string>{kMgmt});

  // An outsider cannot see it nor create a second organization.
  auto outsider = w_.Root(kOutsider);
  EXPECT_EQ(Code("DescribeOrganization", outsider), "AWSOrganizationsNotInUseException");
  EXPECT_EQ(Code("CreateOrganization", outsider), "AccessDeniedException");
  EXPECT_EQ(Code("CreateOrganization", outsider, {{"FeatureSet", "NOPE"}}),
            "InvalidInputException");
}

TEST_F(OrganizationsServiceTest, CreateAccountMakesTrustedAdminRole) {
  ASSERT_TRUE(Call("CreateOrganization", mgmt_).ok());
  EXPECT_EQ(orgs_.MemberAccountIds(), std::vector<std::string>{kMgmt});  // before the account
  auto r = Call("CreateAccount", mgmt_, {{"AccountName", "Audit"}, {"Email", "audit@corp.example"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Json& st = (*r)["CreateAccountStatus"];
  EXPECT_EQ(st["State"], "SUCCEEDED");
  EXPECT_EQ(st["AccountName"], "Audit");
  EXPECT_TRUE(StartsWith(st["Id"].get<std::string>(), "car-"));
  EXPECT_TRUE(st["RequestedTimestamp"].is_number());
  std::string audit = st["AccountId"];
  ASSERT_EQ(audit.size(), 12u);

  // The CLI polls DescribeCreateAccountStatus.
  auto polled = Call("DescribeCreateAccountStatus", mgmt_, {{"CreateAccountRequestId", st["Id"]}});
  ASSERT_TRUE(polled.ok());
  EXPECT_EQ((*polled)["CreateAccountStatus"], st);
  EXPECT_EQ(Code("DescribeCreateAccountStatus", mgmt_,
                 {{"CreateAccountRequestId", "car-00000000000000000000000000000000"}}),
            "CreateAccountStatusNotFoundException");

  // The role exists in the new account, trusts the management root and
  // carries AdministratorAccess.
  auto role = w_.store->GetRole(audit, kOrganizationAccountAccessRole);
  ASSERT_TRUE(role.ok());
  Json trust = Json::parse(role->assume_role_policy_document);
  EXPECT_EQ(trust["Statement"][0]["Principal"]["AWS"], "arn:aws:iam::111122223333:root");
  auto admin = w_.store->GetRolePolicy(audit, kOrganizationAccountAccessRole, "AdministratorAccess");
  ASSERT_TRUE(admin.ok());
  Json adm = Json::parse(admin->document);
  EXPECT_EQ(adm["Statement"][0]["Action"], "*");
  EXPECT_EQ(adm["Statement"][0]["Resource"], "*");

  // And the management account can really assume it through STS.
  iam::StsService sts(*w_.store, w_.clock);
  auto assumed = sts.AssumeRole(mgmt_, {{"RoleArn", role->arn}, {"RoleSessionName", "setup"}});
  ASSERT_TRUE(assumed.ok()) << assumed.status().ToString();
  auto cred = w_.store->FindCredential((*assumed)["Credentials"]["AccessKeyId"].get<std::string>());
  ASSERT_TRUE(cred.has_value());
  auto member = w_.Context(cred->principal);
  EXPECT_EQ(member.principal.account_id, audit);

  // Members may describe the organization but not change it.
  EXPECT_EQ(Code("DescribeOrganization", member), "OK");
  auto denied = Call("CreateAccount", member, {{"AccountName", "x"}, {"Email", "x@corp.example"}});
  EXPECT_EQ(denied.status().code(), "AccessDeniedException");
  EXPECT_EQ(Code("ListAccounts", member), "AccessDeniedException");
  EXPECT_EQ(Code("EnableAWSServiceAccess", member,
                 {{"ServicePrincipal", "cloudtrail.amazonaws.com"}}),
            "AccessDeniedException");
  auto member_root = w_.Root(audit);
  EXPECT_EQ(Code("CreateAccount", member_root, {{"AccountName", "x"}, {"Email", "x@corp.example"}}),
            "AccessDeniedException");

  EXPECT_TRUE(orgs_.IsMember(audit));
  auto ids = orgs_.MemberAccountIds();
  EXPECT_EQ(ids.size(), 2u);
}

TEST_F(OrganizationsServiceTest, CreateAccountValidationAndDuplicateEmail) {
  ASSERT_TRUE(Call("CreateOrganization", mgmt_).ok());
  EXPECT_EQ(Code("CreateAccount", mgmt_, {{"AccountName", "a"}}), "InvalidInputException");
  EXPECT_EQ(Code("CreateAccount", mgmt_, {{"AccountName", "a"}, {"Email", "not-an-email"}}),
            "InvalidInputException");
  EXPECT_EQ(Code("CreateAccount", mgmt_, {{"AccountName", 5}, {"Email", "a@b.example"}}),
            "InvalidInputException");
  ASSERT_FALSE(NewAccount("Dev", "dev@corp.example").empty());
  auto dup = Call("CreateAccount", mgmt_, {{"AccountName", "Dev2"}, {"Email", "DEV@corp.example"}});
  ASSERT_TRUE(dup.ok());
  EXPECT_EQ((*dup)["CreateAccountStatus"]["State"], "FAILED");
  EXPECT_EQ((*dup)["CreateAccountStatus"]["FailureReason"], "EMAIL_ALREADY_EXISTS");
  EXPECT_FALSE((*dup)["CreateAccountStatus"].contains("AccountId"));
}

TEST_F(OrganizationsServiceTest, ListAndDescribeAccounts) {
  ASSERT_TRUE(Call("CreateOrganization", mgmt_).ok());
  std::set<std::string> expected = {kMgmt};
  for (int i = 0; i < 4; ++i)
    expected.insert(NewAccount("acct" + std::to_string(i), "a" + std::to_string(i) + "@x.example"));
  std::set<std::string> seen;
  Json in = {{"MaxResults", 2}};
  for (int page = 0; page < 10; ++page) {
    auto r = Call("ListAccounts", mgmt_, in);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_LE((*r)["Accounts"].size(), 2u);
    for (const auto& a : (*r)["Accounts"]) {
      seen.insert(a["Id"].get<std::string>());
      EXPECT_EQ(a["Status"], "ACTIVE");
      EXPECT_TRUE(a["JoinedTimestamp"].is_number());
    }
    if (!r->contains("NextToken")) break;
    in["NextToken"] = (*r)["NextToken"];
  }
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(Code("ListAccounts", mgmt_, {{"MaxResults", 0}}), "InvalidInputException");

  auto d = Call("DescribeAccount", mgmt_, {{"AccountId", kMgmt}});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ((*d)["Account"]["JoinedMethod"], "INVITED");
  EXPECT_EQ((*d)["Account"]["Email"], "111122223333@example.com");
  EXPECT_EQ(Code("DescribeAccount", mgmt_, {{"AccountId", kOutsider}}), "AccountNotFoundException");
  EXPECT_EQ(Code("DescribeAccount", mgmt_, {{"AccountId", "abc"}}), "InvalidInputException");
}

TEST_F(OrganizationsServiceTest, TrustedServiceAccess) {
  ASSERT_TRUE(Call("CreateOrganization", mgmt_).ok());
  EXPECT_FALSE(orgs_.IsServiceAccessEnabled("cloudtrail.amazonaws.com"));
  ASSERT_EQ(Code("EnableAWSServiceAccess", mgmt_, {{"ServicePrincipal", "cloudtrail.amazonaws.com"}}),
            "OK");
  w_.clock.Advance(std::chrono::seconds(60));
  ASSERT_EQ(Code("EnableAWSServiceAccess", mgmt_, {{"ServicePrincipal", "cloudtrail.amazonaws.com"}}),
            "OK");  // idempotent, keeps the first date
  EXPECT_TRUE(orgs_.IsServiceAccessEnabled("cloudtrail.amazonaws.com"));
  auto l = Call("ListAWSServiceAccessForOrganization", mgmt_);
  ASSERT_TRUE(l.ok());
  ASSERT_EQ((*l)["EnabledServicePrincipals"].size(), 1u);
  EXPECT_EQ((*l)["EnabledServicePrincipals"][0]["ServicePrincipal"], "cloudtrail.amazonaws.com");
  EXPECT_DOUBLE_EQ((*l)["EnabledServicePrincipals"][0]["DateEnabled"].get<double>(),
                   1795697791.0);
  EXPECT_EQ(Code("EnableAWSServiceAccess", mgmt_, {{"ServicePrincipal", "bad principal"}}),
            "InvalidInputException");
  ASSERT_EQ(Code("DisableAWSServiceAccess", mgmt_, {{"ServicePrincipal", "cloudtrail.amazonaws.com"}}),
            "OK");
  EXPECT_FALSE(orgs_.IsServiceAccessEnabled("cloudtrail.amazonaws.com"));
}

}  // namespace
}  // namespace orgtrail::org
