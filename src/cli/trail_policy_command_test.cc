// CheckReaderRole: the reference template's read role holds kms:Decrypt but
// no s3:GetObject, so on AWS it cannot read the logs by itself; the check must
// say exactly that, and must see a fix (an s3:GetObject grant) as enough.
#include "cli/trail_policy_command.h"

#include <gtest/gtest.h>

namespace orgtrail::cli {
namespace {

constexpr char kRole[] = "arn:aws:iam::444444444444:role/CloudTrailLogReader";

cloudtrail::DeliverySetup TemplateSetup() {
  cloudtrail::DeliverySetup s;
  s.trail_arn = "arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail";
  s.owner_account = "111111111111";
  s.home_region = "us-east-1";
  s.org_id = "o-abcdef1234";
  s.bucket = "acme-audit-cloudtrail";
  s.bucket_owner = "444444444444";
  s.kms_key_arn = "arn:aws:kms:us-east-1:444444444444:key/k1";
  s.key_account = "444444444444";
  // src/cfn/testdata/audit-account.yaml, rendered.
  s.bucket_policy = R"({"Version":"2012-10-17","Statement":[
    {"Sid":"AWSCloudTrailAclCheck20131101","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
     "Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::acme-audit-cloudtrail"},
    {"Sid":"AWSCloudTrailWrite20131101","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
     "Action":"s3:PutObject","Resource":"arn:aws:s3:::acme-audit-cloudtrail/*",
     "Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}]})";
  s.key_policy = R"({"Version":"2012-10-17","Statement":[
    {"Sid":"Enable IAM User Permissions","Effect":"Allow",
     "Principal":{"AWS":["arn:aws:iam::444444444444:root"]},"Action":"kms:*","Resource":"*"},
    {"Sid":"Allow the read role to decrypt logs","Effect":"Allow",
     "Principal":{"AWS":"arn:aws:iam::444444444444:role/CloudTrailLogReader"},
     "Action":"kms:Decrypt","Resource":"*",
     "Condition":{"Null":{"kms:EncryptionContext:aws:cloudtrail:arn":"false"}}}]})";
  return s;
}

const std::vector<iam::IdentityPolicyText> kDecryptOnly = {
    {"DecryptLogs",
     R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]})"}};

TimePoint Now() { return FromUnixSeconds(1'800'000'000); }

TEST(TrailPolicyCommandTest, TemplateReadRoleCanDecryptButNotRead) {
  ReaderVerdict v = CheckReaderRole(TemplateSetup(), kRole, kDecryptOnly, Now());
  EXPECT_FALSE(v.can_read);
  EXPECT_TRUE(v.can_decrypt);
  ASSERT_EQ(v.notes.size(), 1u);
  EXPECT_NE(v.notes[0].find(std::string("role ") + kRole +
                            " can decrypt the trail's logs but cannot read them: no s3:GetObject "
                            "on arn:aws:s3:::acme-audit-cloudtrail/AWSLogs/o-abcdef1234/*"),
            std::string::npos)
      << v.notes[0];
}

TEST(TrailPolicyCommandTest, GrantingGetObjectFixesIt) {
  auto policies = kDecryptOnly;
  policies.push_back({"ReadLogs", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",
      "Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-audit-cloudtrail/AWSLogs/*"}]})"});
  ReaderVerdict v = CheckReaderRole(TemplateSetup(), kRole, policies, Now());
  EXPECT_TRUE(v.can_read);
  EXPECT_TRUE(v.can_decrypt);
  ASSERT_EQ(v.notes.size(), 1u);
  EXPECT_NE(v.notes[0].find("can read and decrypt"), std::string::npos) << v.notes[0];
}

TEST(TrailPolicyCommandTest, KeyPolicyWithoutTheRoleMeansNoDecrypt) {
  cloudtrail::DeliverySetup s = TemplateSetup();
  // Only the account root: delegation to IAM, and the role's policy allows.
  // Without any statement for the account or the role, the key refuses.
  s.key_policy = R"({"Version":"2012-10-17","Statement":[
    {"Sid":"Other","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},
     "Action":"kms:*","Resource":"*"}]})";
  auto policies = kDecryptOnly;
  policies.push_back({"ReadLogs", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",
      "Action":"s3:GetObject","Resource":"*"}]})"});
  ReaderVerdict v = CheckReaderRole(s, kRole, policies, Now());
  EXPECT_TRUE(v.can_read);
  EXPECT_FALSE(v.can_decrypt);
  ASSERT_EQ(v.notes.size(), 1u);
  EXPECT_NE(v.notes[0].find("cannot decrypt them: no kms:Decrypt on "
                            "arn:aws:kms:us-east-1:444444444444:key/k1"),
            std::string::npos)
      << v.notes[0];
}

}  // namespace
}  // namespace orgtrail::cli
