// The delivery pre-flight on its own: the policies it generates pass it, the
// policies the e2e tests and the reference audit-account template apply
// (AWS-valid) pass it, and removing the statements delivery needs is caught.
#include "cloudtrail/policy_preflight.h"

#include <gtest/gtest.h>

namespace orgtrail::cloudtrail {
namespace {

constexpr char kMgmt[] = "111111111111";
constexpr char kAudit[] = "444444444444";
constexpr char kOrg[] = "o-abcdef1234";
constexpr char kTrail[] = "arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail";
constexpr char kKey[] = "arn:aws:kms:us-east-1:444444444444:key/k1";

TimePoint Now() { return FromUnixSeconds(1'800'000'000); }

DeliverySetup OrgSetup() {
  DeliverySetup s;
  s.trail_arn = kTrail;
  s.owner_account = kMgmt;
  s.home_region = "us-east-1";
  s.org_id = kOrg;
  s.bucket = "acme-org-cloudtrail";
  s.bucket_owner = kAudit;
  s.kms_key_arn = kKey;
  s.key_account = kAudit;
  return s;
}

std::vector<PolicyGap> Gaps(const DeliverySetup& s) {
  return FindDeliveryPolicyGaps(iam::Authorizer::Default(), s, Now());
}

std::string Describe(const std::vector<PolicyGap>& gaps) {
  std::string out;
  for (const auto& g : gaps) out += g.Describe() + "\n";
  return out;
}

// A key policy: the account root plus the given statements.
std::string KeyPolicyWith(const OrderedJson& statements) {
  OrderedJson p = {{"Version", "2012-10-17"}, {"Statement", OrderedJson::array()}};
  p["Statement"].push_back({{"Sid", "Root"},
                            {"Effect", "Allow"},
                            {"Principal", {{"AWS", std::string("arn:aws:iam::") + kAudit + ":root"}}},
                            {"Action", "kms:*"},
                            {"Resource", "*"}});
  for (const auto& st : statements) p["Statement"].push_back(st);
  return p.dump();
}

TEST(PolicyPreflightTest, DeliveryContextIsTheServicePrincipalActingForTheTrail) {
  auth::RequestContext c = DeliveryContext(kTrail, kMgmt, "eu-west-1", Now());
  EXPECT_EQ(c.principal.type, auth::PrincipalType::kAWSService);
  EXPECT_EQ(c.principal.service, "cloudtrail.amazonaws.com");
  EXPECT_EQ(c.source_arn, kTrail);
  EXPECT_EQ(c.source_account, kMgmt);
  EXPECT_EQ(c.region, "eu-west-1");
  EXPECT_EQ(c.now, Now());
}

TEST(PolicyPreflightTest, ObjectResourcesCoverOrgAndManagementPaths) {
  DeliverySetup s = OrgSetup();
  s.prefix = "team/a";
  EXPECT_EQ(DeliveryObjectResources(s),
            (std::vector<std::string>{
                "arn:aws:s3:::acme-org-cloudtrail/team/a/AWSLogs/o-abcdef1234/*",
                "arn:aws:s3:::acme-org-cloudtrail/team/a/AWSLogs/111111111111/*"}));
  s.org_id.clear();
  s.prefix.clear();
  EXPECT_EQ(DeliveryObjectResources(s),
            (std::vector<std::string>{"arn:aws:s3:::acme-org-cloudtrail/AWSLogs/111111111111/*"}));
}

TEST(PolicyPreflightTest, GeneratedPoliciesPass) {
  for (bool org : {true, false}) {
    for (const char* prefix : {"", "logs/x"}) {
      DeliverySetup s = OrgSetup();
      if (!org) s.org_id.clear();
      s.prefix = prefix;
      s.bucket_policy = RequiredBucketPolicy(s).dump();
      s.key_policy = KeyPolicyWith(RequiredKeyPolicyStatements(s));
      auto gaps = Gaps(s);
      EXPECT_TRUE(gaps.empty()) << "org=" << org << " prefix=" << prefix << "\n"
                                << Describe(gaps);
      EXPECT_TRUE(CheckDeliveryPolicies(iam::Authorizer::Default(), s, Now()).ok());
    }
  }
}

TEST(PolicyPreflightTest, GeneratedPoliciesAreBoundToTheTrail) {
  DeliverySetup s = OrgSetup();
  s.bucket_policy = RequiredBucketPolicy(s).dump();
  s.key_policy = KeyPolicyWith(RequiredKeyPolicyStatements(s));
  // Another trail of the same account may not use them (aws:SourceArn).
  DeliverySetup other = s;
  other.trail_arn = "arn:aws:cloudtrail:us-east-1:111111111111:trail/other";
  auto gaps = Gaps(other);
  ASSERT_FALSE(gaps.empty());
  EXPECT_NE(Describe(gaps).find("aws:SourceArn"), std::string::npos) << Describe(gaps);
}

// tests/e2e/test_org_trail.py audit_infrastructure(): the organization
// trail's bucket and key policies.
TEST(PolicyPreflightTest, E2eOrgTrailPoliciesPass) {
  DeliverySetup s = OrgSetup();
  const std::string cond = std::string(
                               R"({"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control","aws:SourceArn":")") +
                           kTrail + R"("}})";
  s.bucket_policy = std::string(R"({"Version":"2012-10-17","Statement":[
    {"Sid":"AWSCloudTrailAclCheck20150319","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
     "Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::acme-org-cloudtrail",
     "Condition":{"StringEquals":{"aws:SourceArn":")") +
                    kTrail + R"("}}},
    {"Sid":"AWSCloudTrailWrite20150319","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
     "Action":"s3:PutObject","Resource":"arn:aws:s3:::acme-org-cloudtrail/AWSLogs/111111111111/*",
     "Condition":)" + cond + R"(},
    {"Sid":"AWSCloudTrailOrganizationWrite20150319","Effect":"Allow",
     "Principal":{"Service":"cloudtrail.amazonaws.com"},
     "Action":"s3:PutObject","Resource":"arn:aws:s3:::acme-org-cloudtrail/AWSLogs/o-abcdef1234/*",
     "Condition":)" + cond + R"(}]})";
  s.key_policy = R"({"Version":"2012-10-17","Statement":[
    {"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444444444444:root"},
     "Action":"kms:*","Resource":"*"},
    {"Sid":"CloudTrailEncrypt","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
     "Action":"kms:GenerateDataKey*","Resource":"*",
     "Condition":{"StringLike":{"kms:EncryptionContext:aws:cloudtrail:arn":"arn:aws:cloudtrail:*:111111111111:trail/*"}}},
    {"Sid":"CloudTrailDescribe","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
     "Action":"kms:DescribeKey","Resource":"*"}]})";
  auto gaps = Gaps(s);
  EXPECT_TRUE(gaps.empty()) << Describe(gaps);
}

// src/cfn/testdata/audit-account.yaml as CloudFormation renders it
// (ParamMasterAccount = the management account).
constexpr char kTemplateBucketPolicy[] = R"({"Version":"2012-10-17","Statement":[
  {"Sid":"AWSCloudTrailAclCheck20131101","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
   "Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::acme-org-cloudtrail"},
  {"Sid":"AWSCloudTrailWrite20131101","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
   "Action":"s3:PutObject","Resource":"arn:aws:s3:::acme-org-cloudtrail/*",
   "Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}]})";
constexpr char kTemplateKeyPolicy[] = R"({"Version":"2012-10-17","Statement":[
  {"Sid":"Enable IAM User Permissions","Effect":"Allow",
   "Principal":{"AWS":["arn:aws:iam::444444444444:root","arn:aws:iam::444444444444:role/pipeline-deployer"]},
   "Action":"kms:*","Resource":"*"},
  {"Sid":"Allow CloudTrail to encrypt logs","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
   "Action":"kms:GenerateDataKey*","Resource":"*",
   "Condition":{"StringLike":{"kms:EncryptionContext:aws:cloudtrail:arn":"arn:aws:cloudtrail:*:111111111111:trail/*"}}},
  {"Sid":"Allow the read role to decrypt logs","Effect":"Allow",
   "Principal":{"AWS":"arn:aws:iam::444444444444:role/CloudTrailLogReader"},
   "Action":"kms:Decrypt","Resource":"*",
   "Condition":{"Null":{"kms:EncryptionContext:aws:cloudtrail:arn":"false"}}},
  {"Sid":"Allow CloudTrail to describe key","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
   "Action":"kms:DescribeKey","Resource":"*"}]})";

TEST(PolicyPreflightTest, AuditAccountTemplatePoliciesPass) {
  DeliverySetup s = OrgSetup();
  s.bucket_policy = kTemplateBucketPolicy;
  s.key_policy = kTemplateKeyPolicy;
  auto gaps = Gaps(s);
  EXPECT_TRUE(gaps.empty()) << Describe(gaps);
}

TEST(PolicyPreflightTest, TemplateWithoutWriteStatementNamesIt) {
  auto bucket = nlohmann::json::parse(kTemplateBucketPolicy);
  bucket["Statement"].erase(1);
  DeliverySetup s = OrgSetup();
  s.bucket_policy = bucket.dump();
  s.key_policy = kTemplateKeyPolicy;
  auto gaps = Gaps(s);
  ASSERT_EQ(gaps.size(), 2u) << Describe(gaps);  // the org path and the management path
  for (const auto& g : gaps) {
    EXPECT_EQ(g.kind, GapKind::kBucketPolicy);
    EXPECT_EQ(g.action, "s3:PutObject");
  }
  EXPECT_EQ(gaps[0].resource, "arn:aws:s3:::acme-org-cloudtrail/AWSLogs/o-abcdef1234/*");
  EXPECT_NE(gaps[0].explanation.find(
                "no statement in the bucket policy of acme-org-cloudtrail allows s3:PutObject "
                "for Service cloudtrail.amazonaws.com"),
            std::string::npos)
      << gaps[0].explanation;
  Status st = CheckDeliveryPolicies(iam::Authorizer::Default(), s, Now());
  EXPECT_EQ(st.code(), "InsufficientS3BucketPolicyException");
}

TEST(PolicyPreflightTest, TemplateWithoutGenerateDataKeyNamesIt) {
  auto key = nlohmann::json::parse(kTemplateKeyPolicy);
  key["Statement"].erase(1);
  DeliverySetup s = OrgSetup();
  s.bucket_policy = kTemplateBucketPolicy;
  s.key_policy = key.dump();
  auto gaps = Gaps(s);
  ASSERT_EQ(gaps.size(), 1u) << Describe(gaps);
  EXPECT_EQ(gaps[0].kind, GapKind::kKeyPolicy);
  EXPECT_EQ(gaps[0].action, "kms:GenerateDataKey");
  EXPECT_EQ(gaps[0].resource, kKey);
  Status st = CheckDeliveryPolicies(iam::Authorizer::Default(), s, Now());
  EXPECT_EQ(st.code(), "InsufficientEncryptionPolicyException");
  EXPECT_NE(st.message().find(std::string("no statement in the key policy of ") + kKey),
            std::string::npos)
      << st.message();
}

TEST(PolicyPreflightTest, UnparsableStoredPolicyGrantsNothing) {
  DeliverySetup s = OrgSetup();
  s.kms_key_arn.clear();
  s.bucket_policy = "{not json";
  auto gaps = Gaps(s);
  EXPECT_EQ(gaps.size(), 3u) << Describe(gaps);
}

}  // namespace
}  // namespace orgtrail::cloudtrail
