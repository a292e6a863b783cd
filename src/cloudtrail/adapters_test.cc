// Tests of the adapters the server wires: OrganizationsOrgDirectory over the
// real org::OrganizationsService, and DeliveryTrailDirectory (delivery's
// TrailDirectory) over CloudTrailService.
#include <gtest/gtest.h>

#include "cloudtrail/cloudtrail_service.h"
#include "cloudtrail/delivery_trail_directory.h"
#include "cloudtrail/org_directory.h"
#include "iam/test_fixture.h"
#include "policy/policy_document.h"

namespace orgtrail::cloudtrail {
namespace {

constexpr char kMgmt[] = "111122223333";
constexpr char kOutsider[] = "999988887777";

class OneBucket : public BucketDirectory {
 public:
  std::optional<BucketInfo> FindBucket(const std::string& name) override {
    if (name != "audit-cloudtrail") return std::nullopt;
    // Delivery is allowed for any trail (the pre-flight is tested in
    // cloudtrail_service_test and policy_preflight_test).
    return BucketInfo{name, "444455556666", "us-east-1", R"({"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
         "Action":["s3:GetBucketAcl","s3:PutObject"],
         "Resource":["arn:aws:s3:::audit-cloudtrail","arn:aws:s3:::audit-cloudtrail/*"]}]})"};
  }
};

class NoKeys : public KeyDirectory {
 public:
  std::optional<KeyInfo> FindKey(const std::string&, const std::string&,
                                 const std::string&) override {
    return std::nullopt;
  }
};

class AdaptersTest : public ::testing::Test {
 protected:
  AdaptersTest()
      : orgs_(*w_.db, *w_.store, w_.clock),
        org_dir_(orgs_),
        svc_(*w_.db, org_dir_, buckets_, keys_, w_.clock),
        delivery_dir_(svc_),
        mgmt_(w_.Root(kMgmt)) {}

  Json MustOk(Result<Json> r) {
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Json();
  }

  iam::testing::IdentityWorld w_;
  org::OrganizationsService orgs_;
  OrganizationsOrgDirectory org_dir_;
  OneBucket buckets_;
  NoKeys keys_;
  CloudTrailService svc_;
  DeliveryTrailDirectory delivery_dir_;
  auth::RequestContext mgmt_;
};

TEST_F(AdaptersTest, OrganizationTrailOverRealOrganizations) {
  const Json body = {{"Name", "org-trail"},
                     {"S3BucketName", "audit-cloudtrail"},
                     {"IsOrganizationTrail", true},
                     {"IsMultiRegionTrail", true}};
  EXPECT_FALSE(org_dir_.OrganizationOf(kMgmt).has_value());
  EXPECT_EQ(svc_.CreateTrail(mgmt_, body).status().code(), "OrganizationsNotInUseException");

  MustOk(orgs_.CreateOrganization(mgmt_, {{"FeatureSet", "ALL"}}));
  auto info = org_dir_.OrganizationOf(kMgmt);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->management_account, kMgmt);
  EXPECT_TRUE(info->all_features);
  EXPECT_FALSE(info->cloudtrail_access_enabled);
  EXPECT_EQ(svc_.CreateTrail(mgmt_, body).status().code(), "CloudTrailAccessNotEnabledException");

  MustOk(orgs_.EnableAWSServiceAccess(mgmt_, {{"ServicePrincipal", "cloudtrail.amazonaws.com"}}));
  EXPECT_TRUE(org_dir_.OrganizationOf(kMgmt)->cloudtrail_access_enabled);
  Json acct =
      MustOk(orgs_.CreateAccount(mgmt_, {{"AccountName", "Dev"}, {"Email", "dev@example.com"}}));
  std::string member = acct["CreateAccountStatus"]["AccountId"];
  ASSERT_FALSE(member.empty());
  EXPECT_EQ(org_dir_.OrganizationOf(member)->id, info->id);
  EXPECT_FALSE(org_dir_.OrganizationOf(kOutsider).has_value());

  Json t = MustOk(svc_.CreateTrail(mgmt_, body));
  const std::string arn = "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail";
  EXPECT_EQ(t["TrailARN"], arn);
  MustOk(svc_.StartLogging(mgmt_, {{"Name", "org-trail"}}));

  auto member_ctx = w_.Root(member);
  member_ctx.region = "eu-west-1";
  Json d = MustOk(svc_.DescribeTrails(member_ctx, Json::object()));
  ASSERT_EQ(d["trailList"].size(), 1u);
  EXPECT_EQ(d["trailList"][0]["TrailARN"], arn);
  member_ctx.region = "us-east-1";
  EXPECT_EQ(svc_.StopLogging(member_ctx, {{"Name", arn}}).status().code(),
            "NotOrganizationMasterAccountException");

  // Delivery's view: the org trail with its org id; membership from Organizations.
  auto targets = delivery_dir_.LoggingTrails();
  ASSERT_EQ(targets.size(), 1u);
  EXPECT_EQ(targets[0].trail_arn, arn);
  EXPECT_TRUE(targets[0].is_org);
  EXPECT_EQ(targets[0].org_id, info->id);
  EXPECT_TRUE(targets[0].multi_region);
  EXPECT_TRUE(targets[0].logging);
  EXPECT_FALSE(targets[0].filter.is_advanced());
  EXPECT_TRUE(delivery_dir_.IsOrgMember(info->id, member, w_.clock.Now()));
  EXPECT_TRUE(delivery_dir_.IsOrgMember(info->id, kMgmt, w_.clock.Now()));
  EXPECT_FALSE(delivery_dir_.IsOrgMember(info->id, kOutsider, w_.clock.Now()));
}

TEST_F(AdaptersTest, DeliveryDirectoryFiltersAndReports) {
  MustOk(svc_.CreateTrail(
      mgmt_,
      {{"Name", "acct-trail"}, {"S3BucketName", "audit-cloudtrail"}, {"S3KeyPrefix", "pre"}}));
  EXPECT_TRUE(delivery_dir_.LoggingTrails().empty());  // logging starts off
  MustOk(svc_.StartLogging(mgmt_, {{"Name", "acct-trail"}}));
  MustOk(svc_.PutEventSelectors(
      mgmt_, Json::parse(R"({"TrailName":"acct-trail","AdvancedEventSelectors":[{"FieldSelectors":[
          {"Field":"eventCategory","Equals":["Management"]},{"Field":"readOnly","Equals":["false"]}]}]})")));
  auto targets = delivery_dir_.LoggingTrails();
  ASSERT_EQ(targets.size(), 1u);
  EXPECT_FALSE(targets[0].is_org);
  EXPECT_EQ(targets[0].s3_key_prefix, "pre");
  EXPECT_TRUE(targets[0].filter.is_advanced());
  ASSERT_EQ(targets[0].filter.advanced().size(), 1u);
  EXPECT_EQ(targets[0].filter.advanced()[0].field_selectors.size(), 2u);

  const std::string arn = targets[0].trail_arn;
  TimePoint t1 = w_.clock.Now();
  delivery_dir_.ReportDelivery(
      arn, t1, Status::Ok(), "pre/AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/26/x.json.gz");
  delivery_dir_.ReportDelivery(
      arn, t1, Status::Error("AccessDenied", "bucket policy"),
      "pre/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/26/x.json.gz");
  Json s = MustOk(svc_.GetTrailStatus(mgmt_, {{"Name", "acct-trail"}}));
  EXPECT_EQ(s["LatestDeliveryTime"], ToUnixSeconds(t1));
  EXPECT_FALSE(s.contains("LatestDeliveryError"));
  EXPECT_EQ(s["LatestDigestDeliveryError"], "AccessDenied");
  EXPECT_FALSE(s.contains("LatestDigestDeliveryTime"));

  // Stopped trails are not delivered to.
  MustOk(svc_.StopLogging(mgmt_, {{"Name", "acct-trail"}}));
  EXPECT_TRUE(delivery_dir_.LoggingTrails().empty());
}

// aws:PrincipalOrgID as the server wires it: the Authorizer asks the real
// Organizations service which organization the caller's account is in.
TEST_F(AdaptersTest, PrincipalOrgIdComesFromOrganizations) {
  MustOk(orgs_.CreateOrganization(mgmt_, {{"FeatureSet", "ALL"}}));
  Json acct =
      MustOk(orgs_.CreateAccount(mgmt_, {{"AccountName", "Dev"}, {"Email", "dev@example.com"}}));
  const std::string member = acct["CreateAccountStatus"]["AccountId"];
  ASSERT_TRUE(orgs_.GetOrganization().has_value());
  const std::string org_id = orgs_.GetOrganization()->id;
  auto policy = policy::ParsePolicy(R"({"Version":"2012-10-17","Statement":[
      {"Sid":"OrgReads","Effect":"Allow","Principal":"*","Action":"s3:GetObject",
       "Resource":"arn:aws:s3:::audit-cloudtrail/*",
       "Condition":{"StringEquals":{"aws:PrincipalOrgID":")" + org_id + R"("}}}]})",
                                    policy::PolicyKind::kResource);
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();
  iam::AuthzCheck check;
  check.action = "s3:GetObject";
  check.resource = "arn:aws:s3:::audit-cloudtrail/AWSLogs/x";
  check.resource_account = "444455556666";
  check.resource_policy = &*policy;
  check.kind = iam::ResourcePolicyKind::kBucket;
  check.style = iam::DenyStyle::kS3;

  iam::Authorizer authz(*w_.store);
  // Without the lookup the key is absent and the condition cannot hold.
  EXPECT_FALSE(authz.Authorize(w_.Root(member), check).ok());
  authz.SetOrgIdLookup(PrincipalOrgIdLookup(orgs_));
  EXPECT_TRUE(authz.Authorize(w_.Root(member), check).ok());
  EXPECT_TRUE(authz.Authorize(mgmt_, check).ok());
  Status outsider = authz.Authorize(w_.Root(kOutsider), check);
  EXPECT_EQ(outsider.code(), "AccessDenied");
  EXPECT_NE(outsider.message().find("aws:PrincipalOrgID"), std::string::npos)
      << outsider.message();
}

}  // namespace
}  // namespace orgtrail::cloudtrail
