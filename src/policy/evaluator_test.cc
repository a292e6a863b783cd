#include "policy/evaluator.h"

#include <gtest/gtest.h>

#include <string>

#include "policy/explain.h"

namespace orgtrail::policy {
namespace {

constexpr const char* kMgmt = "111111111111";
constexpr const char* kOther = "222222222222";
constexpr const char* kTrail = "arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail";

Policy Parse(const std::string& json, PolicyKind kind) {
  auto p = ParsePolicy(json, kind);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? std::move(p).value() : Policy{};
}

Caller User(const std::string& account, const std::string& name) {
  Caller c;
  c.account_id = account;
  c.arn = "arn:aws:iam::" + account + ":user/" + name;
  return c;
}

Caller Root(const std::string& account) {
  Caller c;
  c.account_id = account;
  c.arn = "arn:aws:iam::" + account + ":root";
  return c;
}

Caller Session(const std::string& account, const std::string& role, const std::string& session) {
  Caller c;
  c.account_id = account;
  c.arn = "arn:aws:sts::" + account + ":assumed-role/" + role + "/" + session;
  c.role_arn = "arn:aws:iam::" + account + ":role/" + role;
  return c;
}

Caller Service(const std::string& name) {
  Caller c;
  c.service = name;
  return c;
}

Request Req(Caller caller, std::string action, std::string resource,
            std::map<std::string, std::vector<std::string>> context = {}) {
  Request r;
  r.caller = std::move(caller);
  r.action = std::move(action);
  r.resource = std::move(resource);
  r.context = std::move(context);
  return r;
}

// §7.3: the bucket policy CloudTrail needs for an organization trail.
std::string CloudTrailBucketPolicy(const std::string& bucket) {
  return std::string(R"({"Version":"2012-10-17","Statement":[
    {"Sid":"AWSCloudTrailAclCheck20150319","Effect":"Allow",
     "Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl",
     "Resource":"arn:aws:s3:::)") + bucket + R"(",
     "Condition":{"StringEquals":{"aws:SourceArn":")" + kTrail + R"("}}},
    {"Sid":"AWSCloudTrailWrite20150319","Effect":"Allow",
     "Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject",
     "Resource":"arn:aws:s3:::)" + bucket + R"(/AWSLogs/111111111111/*",
     "Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control",
                                  "aws:SourceArn":")" + kTrail + R"("}}},
    {"Sid":"AWSCloudTrailOrganizationWrite20150319","Effect":"Allow",
     "Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject",
     "Resource":"arn:aws:s3:::)" + bucket + R"(/AWSLogs/o-abc123/*",
     "Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control",
                                  "aws:SourceArn":")" + kTrail + R"("}}}]})";
}

// §7.4: the key policy CloudTrail needs, plus the usual account-root statement.
std::string CloudTrailKeyPolicy() {
  return R"({"Version":"2012-10-17","Statement":[
    {"Sid":"Enable IAM User Permissions","Effect":"Allow",
     "Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"},
    {"Sid":"Allow CloudTrail to encrypt logs","Effect":"Allow",
     "Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"kms:GenerateDataKey*",
     "Resource":"*","Condition":{
       "StringLike":{"kms:EncryptionContext:aws:cloudtrail:arn":["arn:aws:cloudtrail:*:111111111111:trail/*"]},
       "StringEquals":{"aws:SourceArn":"arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail"}}},
    {"Sid":"Allow CloudTrail to describe key","Effect":"Allow",
     "Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"kms:DescribeKey","Resource":"*",
     "Condition":{"StringEquals":{"aws:SourceArn":"arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail"}}},
    {"Sid":"Allow log readers to decrypt","Effect":"Allow",
     "Principal":{"AWS":["arn:aws:iam::222222222222:role/LogReader"]},"Action":"kms:Decrypt",
     "Resource":"*","Condition":{"Null":{"kms:EncryptionContext:aws:cloudtrail:arn":"false"}}}]})";
}

TEST(EvaluateTest, CloudTrailBucketPolicyAllowsTheTrail) {
  Policy p = Parse(CloudTrailBucketPolicy("ct-bucket"), PolicyKind::kResource);
  PolicySet set;
  set.resource = &p;
  set.resource_label = "the bucket policy of ct-bucket";
  const std::string org_key = "arn:aws:s3:::ct-bucket/AWSLogs/o-abc123/333333333333/CloudTrail/x.json.gz";
  const std::string mgmt_key = "arn:aws:s3:::ct-bucket/AWSLogs/111111111111/CloudTrail/x.json.gz";
  std::map<std::string, std::vector<std::string>> good = {
      {"aws:SourceArn", {kTrail}}, {"s3:x-amz-acl", {"bucket-owner-full-control"}}};

  EXPECT_EQ(Authorize(set, Req(Service("cloudtrail.amazonaws.com"), "s3:PutObject", org_key, good)),
            Decision::kAllow);
  EXPECT_EQ(Authorize(set, Req(Service("cloudtrail.amazonaws.com"), "s3:PutObject", mgmt_key, good)),
            Decision::kAllow);
  EXPECT_EQ(Authorize(set, Req(Service("cloudtrail.amazonaws.com"), "s3:GetBucketAcl",
                               "arn:aws:s3:::ct-bucket", {{"aws:SourceArn", {kTrail}}})),
            Decision::kAllow);
  // Another account's trail is refused.
  auto other = good;
  other["aws:SourceArn"] = {"arn:aws:cloudtrail:us-east-1:222222222222:trail/org-trail"};
  Explanation why;
  EXPECT_EQ(Authorize(set, Req(Service("cloudtrail.amazonaws.com"), "s3:PutObject", org_key, other),
                      &why),
            Decision::kImplicitDeny);
  EXPECT_NE(why.Message().find("statement 'AWSCloudTrailOrganizationWrite20150319' (index 2) "
                               "matches the principal, action and resource but its condition "
                               "StringEquals aws:SourceArn = " + std::string(kTrail) +
                               " failed: the request has aws:SourceArn = "
                               "arn:aws:cloudtrail:us-east-1:222222222222:trail/org-trail"),
            std::string::npos)
      << why.Message();
  // A missing (or wrong) ACL is refused, and the explanation says so.
  auto no_acl = good;
  no_acl["s3:x-amz-acl"] = {"private"};
  EXPECT_EQ(Authorize(set, Req(Service("cloudtrail.amazonaws.com"), "s3:PutObject", org_key, no_acl),
                      &why),
            Decision::kImplicitDeny);
  EXPECT_NE(why.Message().find("its condition StringEquals s3:x-amz-acl = "
                               "bucket-owner-full-control failed: the request has "
                               "s3:x-amz-acl = private"),
            std::string::npos)
      << why.Message();
  no_acl.erase("s3:x-amz-acl");
  EXPECT_EQ(Authorize(set, Req(Service("cloudtrail.amazonaws.com"), "s3:PutObject", org_key, no_acl),
                      &why),
            Decision::kImplicitDeny);
  EXPECT_NE(why.Message().find("the request has no s3:x-amz-acl"), std::string::npos)
      << why.Message();
  // Another service is not CloudTrail.
  EXPECT_EQ(Authorize(set, Req(Service("config.amazonaws.com"), "s3:PutObject", org_key, good)),
            Decision::kImplicitDeny);
}

TEST(ExplainTest, NamesStatementThatMissesTheResource) {
  // The organization statement is missing (aws/aws-cdk#22267): the write to
  // AWSLogs/<o-id>/... is explained by the statement that covers the account path.
  std::string doc = R"({"Version":"2012-10-17","Statement":[
    {"Sid":"AWSCloudTrailAclCheck20131101","Effect":"Allow",
     "Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::b"},
    {"Sid":"AWSCloudTrailWrite20131101","Effect":"Allow",
     "Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject",
     "Resource":"arn:aws:s3:::b/AWSLogs/111111111111/*",
     "Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}]})";
  Policy p = Parse(doc, PolicyKind::kResource);
  PolicySet set;
  set.resource = &p;
  set.resource_label = "the bucket policy of b";
  Explanation why;
  const std::string key = "arn:aws:s3:::b/AWSLogs/o-123/111111111111/CloudTrail/f.json.gz";
  ASSERT_EQ(Authorize(set, Req(Service("cloudtrail.amazonaws.com"), "s3:PutObject", key,
                               {{"s3:x-amz-acl", {"bucket-owner-full-control"}}}),
                      &why),
            Decision::kImplicitDeny);
  EXPECT_EQ(why.Message(),
            "no statement in the bucket policy of b allows s3:PutObject for Service "
            "cloudtrail.amazonaws.com on " + key +
                "; statement 'AWSCloudTrailWrite20131101' (index 1) matches the principal and "
                "action but not the resource (it covers arn:aws:s3:::b/AWSLogs/111111111111/*)");
}

TEST(EvaluateTest, CloudTrailKeyPolicy) {
  Policy key = Parse(CloudTrailKeyPolicy(), PolicyKind::kResource);
  PolicySet set;
  set.resource = &key;
  set.resource_is_key_policy = true;
  set.resource_label = "the key policy of key 1234";
  std::map<std::string, std::vector<std::string>> ctx = {
      {"aws:SourceArn", {kTrail}}, {"kms:EncryptionContext:aws:cloudtrail:arn", {kTrail}}};
  EXPECT_EQ(Authorize(set, Req(Service("cloudtrail.amazonaws.com"), "kms:GenerateDataKey", "*", ctx)),
            Decision::kAllow);
  EXPECT_EQ(Authorize(set, Req(Service("cloudtrail.amazonaws.com"), "kms:DescribeKey", "*", ctx)),
            Decision::kAllow);
  // Another account's trail cannot use the key.
  std::map<std::string, std::vector<std::string>> other = {
      {"aws:SourceArn", {"arn:aws:cloudtrail:us-east-1:222222222222:trail/t"}},
      {"kms:EncryptionContext:aws:cloudtrail:arn", {"arn:aws:cloudtrail:us-east-1:222222222222:trail/t"}}};
  Explanation why;
  EXPECT_EQ(Authorize(set, Req(Service("cloudtrail.amazonaws.com"), "kms:GenerateDataKey", "*", other),
                      &why),
            Decision::kImplicitDeny);
  EXPECT_NE(why.Message().find("'Allow CloudTrail to encrypt logs' (index 1)"), std::string::npos)
      << why.Message();
  EXPECT_NE(why.Message().find("StringLike kms:EncryptionContext:aws:cloudtrail:arn"),
            std::string::npos)
      << why.Message();
  // Service cannot decrypt (no statement for it).
  EXPECT_EQ(Authorize(set, Req(Service("cloudtrail.amazonaws.com"), "kms:Decrypt", "*", ctx)),
            Decision::kImplicitDeny);

  // Cross-account reader named directly: key policy AND its identity policy.
  Policy reader_identity = Parse(
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]})",
      PolicyKind::kIdentity);
  Request decrypt = Req(Session(kOther, "LogReader", "s1"), "kms:Decrypt",
                        "arn:aws:kms:us-east-1:111111111111:key/1234",
                        {{"kms:EncryptionContext:aws:cloudtrail:arn", {kTrail}}});
  EXPECT_EQ(Authorize(set, decrypt, &why), Decision::kImplicitDeny);
  EXPECT_NE(why.Message().find("cross-account request"), std::string::npos) << why.Message();
  set.identity = {&reader_identity};
  EXPECT_EQ(Authorize(set, decrypt), Decision::kAllow);
  // Without the encryption context, the Null condition fails.
  decrypt.context.clear();
  EXPECT_EQ(Authorize(set, decrypt, &why), Decision::kImplicitDeny);
  EXPECT_NE(why.Message().find("Null kms:EncryptionContext:aws:cloudtrail:arn = false"),
            std::string::npos)
      << why.Message();
}

TEST(EvaluateTest, KmsDelegationViaAccountRoot) {
  Policy key = Parse(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",
      "Principal":{"AWS":"111111111111"},"Action":"kms:*","Resource":"*"}]})",
                     PolicyKind::kResource);
  Policy allow_encrypt = Parse(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",
      "Action":"kms:Encrypt","Resource":"*"}]})",
                               PolicyKind::kIdentity);
  Policy star = Parse(R"({"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})",
                      PolicyKind::kIdentity);
  PolicySet set;
  set.resource = &key;
  set.resource_is_key_policy = true;
  set.caller_is_resource_owner_account = true;
  // A user of the account: key policy delegates, identity policy decides.
  Request encrypt = Req(User(kMgmt, "alice"), "kms:Encrypt", "arn:aws:kms:us-east-1:111111111111:key/k");
  Explanation why;
  EXPECT_EQ(Authorize(set, encrypt, &why), Decision::kImplicitDeny);
  EXPECT_NE(why.Message().find("delegates to its IAM policies"), std::string::npos) << why.Message();
  set.identity = {&allow_encrypt};
  EXPECT_EQ(Authorize(set, encrypt), Decision::kAllow);
  Request decrypt = encrypt;
  decrypt.action = "kms:Decrypt";
  EXPECT_EQ(Authorize(set, decrypt), Decision::kImplicitDeny);
  // Root of the account, with the implicit "*" identity policy.
  set.identity = {&star};
  EXPECT_EQ(Authorize(set, Req(Root(kMgmt), "kms:Decrypt", "k")), Decision::kAllow);
  // Same-account identity allow is not enough when the key policy does not name the account.
  Policy other_key = Parse(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",
      "Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"kms:*","Resource":"*"}]})",
                           PolicyKind::kResource);
  set.resource = &other_key;
  set.identity = {&star};
  EXPECT_EQ(Authorize(set, Req(User(kMgmt, "alice"), "kms:Decrypt", "k"), &why),
            Decision::kImplicitDeny);
  EXPECT_NE(why.Message().find("must allow the request"), std::string::npos) << why.Message();
  // No key policy at all.
  set.resource = nullptr;
  EXPECT_EQ(Authorize(set, Req(User(kMgmt, "alice"), "kms:Decrypt", "k")), Decision::kImplicitDeny);
}

TEST(EvaluateTest, SameAccountAndCrossAccountRules) {
  Policy bucket = Parse(R"({"Version":"2012-10-17","Statement":[
      {"Sid":"User","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/bob"},
       "Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},
      {"Sid":"Acct","Effect":"Allow","Principal":{"AWS":"222222222222"},
       "Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]})",
                        PolicyKind::kResource);
  Policy read = Parse(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",
      "Action":"s3:Get*","Resource":"arn:aws:s3:::b/*"}]})",
                      PolicyKind::kIdentity);
  PolicySet set;
  set.resource = &bucket;
  set.caller_is_resource_owner_account = true;
  // Same account: the resource policy naming the user suffices.
  EXPECT_EQ(Authorize(set, Req(User(kMgmt, "bob"), "s3:GetObject", "arn:aws:s3:::b/k")),
            Decision::kAllow);
  // Same account: identity policy alone suffices.
  set.identity = {&read};
  EXPECT_EQ(Authorize(set, Req(User(kMgmt, "carol"), "s3:GetObject", "arn:aws:s3:::b/k")),
            Decision::kAllow);
  set.identity = {};
  EXPECT_EQ(Authorize(set, Req(User(kMgmt, "carol"), "s3:GetObject", "arn:aws:s3:::b/k")),
            Decision::kImplicitDeny);
  // Cross-account: both sides needed.
  set.caller_is_resource_owner_account = false;
  Request cross = Req(User(kOther, "dave"), "s3:GetObject", "arn:aws:s3:::b/k");
  Explanation why;
  EXPECT_EQ(Authorize(set, cross, &why), Decision::kImplicitDeny);
  EXPECT_NE(why.Message().find("cross-account request: both an identity policy"), std::string::npos);
  set.identity = {&read};
  EXPECT_EQ(Authorize(set, cross), Decision::kAllow);
  // Identity alone cross-account is not enough.
  Policy empty = Parse(R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"333333333333"},
      "Action":"s3:*","Resource":"*"}]})",
                       PolicyKind::kResource);
  set.resource = &empty;
  EXPECT_EQ(Authorize(set, cross, &why), Decision::kImplicitDeny);
  EXPECT_NE(why.Message().find("no statement in the resource policy allows"), std::string::npos)
      << why.Message();
  set.resource = nullptr;
  EXPECT_EQ(Authorize(set, cross), Decision::kImplicitDeny);
}

TEST(EvaluateTest, ExplicitDenyAcrossPolicies) {
  Policy allow_all = Parse(R"({"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})",
                           PolicyKind::kIdentity);
  Policy deny_delete = Parse(R"({"Version":"2012-10-17","Statement":[{"Sid":"NoDelete","Effect":"Deny",
      "Principal":"*","Action":["s3:DeleteObject","s3:DeleteBucket"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}]})",
                             PolicyKind::kResource);
  PolicySet set;
  set.identity = {&allow_all};
  set.resource = &deny_delete;
  set.caller_is_resource_owner_account = true;
  set.resource_label = "the bucket policy of b";
  Explanation why;
  EXPECT_EQ(Authorize(set, Req(Root(kMgmt), "s3:DeleteObject", "arn:aws:s3:::b/k"), &why),
            Decision::kExplicitDeny);
  EXPECT_EQ(why.Message(),
            "statement 'NoDelete' (index 0) of the bucket policy of b explicitly denies "
            "s3:DeleteObject for arn:aws:iam::111111111111:root on arn:aws:s3:::b/k");
  EXPECT_EQ(Authorize(set, Req(Root(kMgmt), "s3:GetObject", "arn:aws:s3:::b/k"), &why),
            Decision::kAllow);
  EXPECT_NE(why.Message().find("is allowed by statement index 0 of identity policy #0"),
            std::string::npos)
      << why.Message();
  // A deny in an identity policy also beats a resource allow.
  Policy deny_identity = Parse(R"({"Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]})",
                               PolicyKind::kIdentity);
  Policy res_allow = Parse(R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]})",
                           PolicyKind::kResource);
  set.identity = {&allow_all, &deny_identity};
  set.resource = &res_allow;
  EXPECT_EQ(Authorize(set, Req(User(kMgmt, "u"), "s3:GetObject", "arn:aws:s3:::b/k")),
            Decision::kExplicitDeny);
  // Service principals are judged only by the resource policy.
  EXPECT_EQ(Authorize(set, Req(Service("cloudtrail.amazonaws.com"), "s3:GetObject", "arn:aws:s3:::b/k")),
            Decision::kAllow);
}

TEST(EvaluateTest, PrincipalMatching) {
  struct Case {
    const char* principal;
    Caller caller;
    PrincipalMatch want;
  };
  const std::vector<Case> cases = {
      {R"("*")", User(kMgmt, "a"), PrincipalMatch::kAny},
      {R"({"AWS":"*"})", Service("cloudtrail.amazonaws.com"), PrincipalMatch::kAny},
      {R"({"AWS":"111111111111"})", User(kMgmt, "a"), PrincipalMatch::kAccount},
      {R"({"AWS":"arn:aws:iam::111111111111:root"})", User(kMgmt, "a"), PrincipalMatch::kAccount},
      {R"({"AWS":"arn:aws:iam::111111111111:root"})", Root(kMgmt), PrincipalMatch::kExact},
      {R"({"AWS":"111111111111"})", User(kOther, "a"), PrincipalMatch::kNone},
      {R"({"AWS":"arn:aws:iam::111111111111:user/a"})", User(kMgmt, "a"), PrincipalMatch::kExact},
      {R"({"AWS":"arn:aws:iam::111111111111:user/b"})", User(kMgmt, "a"), PrincipalMatch::kNone},
      {R"({"AWS":"arn:aws:iam::111111111111:role/R"})", Session(kMgmt, "R", "s"),
       PrincipalMatch::kExact},
      {R"({"AWS":"arn:aws:sts::111111111111:assumed-role/R/s"})", Session(kMgmt, "R", "s"),
       PrincipalMatch::kExact},
      {R"({"AWS":"arn:aws:sts::111111111111:assumed-role/R/t"})", Session(kMgmt, "R", "s"),
       PrincipalMatch::kNone},
      {R"({"Service":"cloudtrail.amazonaws.com"})", Service("cloudtrail.amazonaws.com"),
       PrincipalMatch::kService},
      {R"({"Service":"cloudtrail.amazonaws.com"})", User(kMgmt, "a"), PrincipalMatch::kNone},
      {R"({"AWS":"111111111111"})", Service("cloudtrail.amazonaws.com"), PrincipalMatch::kNone},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    Policy p = Parse(std::string(R"({"Statement":[{"Effect":"Allow","Principal":)") +
                         cases[i].principal + R"(,"Action":"s3:*","Resource":"*"}]})",
                     PolicyKind::kResource);
    Trace t;
    Evaluate(p, Req(cases[i].caller, "s3:GetObject", "arn:aws:s3:::b/k"), &t);
    ASSERT_EQ(t.statements.size(), 1u);
    EXPECT_EQ(t.statements[0].principal, cases[i].want) << "case " << i;
  }
  // Anonymous callers match only "*".
  Caller anon;
  anon.anonymous = true;
  Policy star = Parse(R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]})",
                      PolicyKind::kResource);
  Policy acct = Parse(R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"s3:GetObject","Resource":"*"}]})",
                      PolicyKind::kResource);
  PolicySet set;
  set.resource = &star;
  EXPECT_EQ(Authorize(set, Req(anon, "s3:GetObject", "arn:aws:s3:::b/k")), Decision::kAllow);
  set.resource = &acct;
  EXPECT_EQ(Authorize(set, Req(anon, "s3:GetObject", "arn:aws:s3:::b/k")), Decision::kImplicitDeny);
}

TEST(EvaluateTest, NotPrincipalNotActionNotResource) {
  Policy p = Parse(R"({"Version":"2012-10-17","Statement":[
      {"Sid":"DenyAllButAdmin","Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111111111111:role/Admin"},
       "Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::b"},
      {"Sid":"AllowAll","Effect":"Allow","Principal":"*","NotAction":"s3:DeleteObject",
       "NotResource":"arn:aws:s3:::b/secret/*"}]})",
                   PolicyKind::kResource);
  EXPECT_EQ(Evaluate(p, Req(User(kMgmt, "u"), "s3:DeleteBucket", "arn:aws:s3:::b")),
            Decision::kExplicitDeny);
  EXPECT_EQ(Evaluate(p, Req(Session(kMgmt, "Admin", "x"), "s3:DeleteBucket", "arn:aws:s3:::b")),
            Decision::kAllow);
  EXPECT_EQ(Evaluate(p, Req(User(kMgmt, "u"), "s3:DeleteObject", "arn:aws:s3:::b/k")),
            Decision::kImplicitDeny);
  EXPECT_EQ(Evaluate(p, Req(User(kMgmt, "u"), "s3:GetObject", "arn:aws:s3:::b/k")),
            Decision::kAllow);
  EXPECT_EQ(Evaluate(p, Req(User(kMgmt, "u"), "s3:GetObject", "arn:aws:s3:::b/secret/k")),
            Decision::kImplicitDeny);
}

TEST(EvaluateTest, ActionAndResourceWildcards) {
  Policy p = Parse(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",
      "Action":["S3:Get*","kms:?escribeKey"],"Resource":["arn:aws:s3:::logs-*/AWSLogs/*","arn:aws:kms:*"]}]})",
                   PolicyKind::kIdentity);
  struct Case {
    const char* action;
    const char* resource;
    Decision want;
  };
  const std::vector<Case> cases = {
      {"s3:GetObject", "arn:aws:s3:::logs-a/AWSLogs/1/x", Decision::kAllow},
      {"s3:getobject", "arn:aws:s3:::logs-a/AWSLogs/1/x", Decision::kAllow},  // case-insensitive
      {"s3:PutObject", "arn:aws:s3:::logs-a/AWSLogs/1/x", Decision::kImplicitDeny},
      {"s3express:GetObject", "arn:aws:s3:::logs-a/AWSLogs/1/x", Decision::kImplicitDeny},
      {"s3:GetObject", "arn:aws:s3:::logs-a/awslogs/1/x", Decision::kImplicitDeny},  // case-sensitive
      {"s3:GetObject", "arn:aws:s3:::other/AWSLogs/1/x", Decision::kImplicitDeny},
      {"kms:DescribeKey", "arn:aws:kms:us-east-1:1:key/k", Decision::kAllow},
      {"kms:DescribeKeys", "arn:aws:kms:us-east-1:1:key/k", Decision::kImplicitDeny},
  };
  for (const auto& c : cases)
    EXPECT_EQ(Evaluate(p, Req(User(kMgmt, "u"), c.action, c.resource)), c.want)
        << c.action << " " << c.resource;
}

TEST(EvaluateTest, PolicyVariablesInResource) {
  Policy p = Parse(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*",
      "Resource":"arn:aws:s3:::home/${aws:username}/*"}]})",
                   PolicyKind::kIdentity);
  EXPECT_EQ(Evaluate(p, Req(User(kMgmt, "alice"), "s3:GetObject", "arn:aws:s3:::home/alice/f")),
            Decision::kAllow);  // aws:username derived from the user ARN
  EXPECT_EQ(Evaluate(p, Req(User(kMgmt, "alice"), "s3:GetObject", "arn:aws:s3:::home/bob/f")),
            Decision::kImplicitDeny);
  // Sessions have no aws:username: the statement does not match.
  Trace t;
  EXPECT_EQ(Evaluate(p, Req(Session(kMgmt, "R", "s"), "s3:GetObject", "arn:aws:s3:::home/R/f"), &t),
            Decision::kImplicitDeny);
  EXPECT_EQ(t.statements[0].resource_missing_variable, "aws:username");
  // Explicit context wins over derived values.
  EXPECT_EQ(Evaluate(p, Req(User(kMgmt, "alice"), "s3:GetObject", "arn:aws:s3:::home/zed/f",
                            {{"aws:username", {"zed"}}})),
            Decision::kAllow);
  // Version 2008-10-17: literal.
  Policy old = Parse(R"({"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:*",
      "Resource":"arn:aws:s3:::home/${aws:username}/*"}]})",
                     PolicyKind::kIdentity);
  EXPECT_EQ(Evaluate(old, Req(User(kMgmt, "alice"), "s3:GetObject", "arn:aws:s3:::home/alice/f")),
            Decision::kImplicitDeny);
  EXPECT_EQ(Evaluate(old, Req(User(kMgmt, "alice"), "s3:GetObject",
                              "arn:aws:s3:::home/${aws:username}/f")),
            Decision::kAllow);
  // Account variables in conditions.
  Policy acct = Parse(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*",
      "Resource":"*","Condition":{"StringEquals":{"aws:SourceAccount":"${aws:PrincipalAccount}"}}}]})",
                      PolicyKind::kIdentity);
  EXPECT_EQ(Evaluate(acct, Req(User(kMgmt, "a"), "s3:GetObject", "x", {{"aws:SourceAccount", {kMgmt}}})),
            Decision::kAllow);
  EXPECT_EQ(Evaluate(acct, Req(User(kMgmt, "a"), "s3:GetObject", "x", {{"aws:SourceAccount", {kOther}}})),
            Decision::kImplicitDeny);
}

TEST(EvaluateTest, TrustPolicy) {
  Policy trust = Parse(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",
      "Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole",
      "Condition":{"StringEquals":{"sts:ExternalId":"xyz"}}}]})",
                       PolicyKind::kTrust);
  Policy assume = Parse(R"({"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]})",
                        PolicyKind::kIdentity);
  PolicySet set;
  set.resource = &trust;
  set.resource_is_trust_policy = true;
  set.identity = {&assume};
  Request r = Req(User(kOther, "u"), "sts:AssumeRole", "arn:aws:iam::111111111111:role/R",
                  {{"sts:ExternalId", {"xyz"}}});
  EXPECT_EQ(Authorize(set, r), Decision::kAllow);
  r.context["sts:ExternalId"] = {"nope"};
  EXPECT_EQ(Authorize(set, r), Decision::kImplicitDeny);
  r.context["sts:ExternalId"] = {"xyz"};
  set.identity = {};
  EXPECT_EQ(Authorize(set, r), Decision::kImplicitDeny);
}

TEST(EvaluateTest, DerivedContextKeys) {
  Caller c = Session(kMgmt, "R", "s");
  c.org_id = "o-abc123";
  Request r = Req(c, "s3:GetObject", "arn:aws:s3:::b/k");
  r.resource_account = kOther;
  ContextValues ctx = EffectiveContext(r);
  EXPECT_EQ(*LookupContext(ctx, "aws:principalarn"),
            std::vector<std::string>{"arn:aws:iam::111111111111:role/R"});
  EXPECT_EQ(*LookupContext(ctx, "aws:PrincipalOrgID"), std::vector<std::string>{"o-abc123"});
  EXPECT_EQ(*LookupContext(ctx, "aws:ResourceAccount"), std::vector<std::string>{kOther});
  EXPECT_EQ(LookupContext(ctx, "aws:username"), nullptr);
}

}  // namespace
}  // namespace orgtrail::policy
