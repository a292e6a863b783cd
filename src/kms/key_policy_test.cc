#include "kms/key_policy.h"

#include <gtest/gtest.h>

#include "iam/authorizer.h"
#include "policy/policy_document.h"

namespace orgtrail::kms {
namespace {

auth::Principal Root(const std::string& account) {
  auth::Principal p;
  p.type = auth::PrincipalType::kRoot;
  p.account_id = account;
  p.arn = "arn:aws:iam::" + account + ":root";
  return p;
}

auth::Principal User(const std::string& account, const std::string& name) {
  auth::Principal p;
  p.type = auth::PrincipalType::kIAMUser;
  p.account_id = account;
  p.user_name = name;
  p.arn = "arn:aws:iam::" + account + ":user/" + name;
  return p;
}

auth::Principal Role(const std::string& account, const std::string& role) {
  auth::Principal p;
  p.type = auth::PrincipalType::kAssumedRole;
  p.account_id = account;
  p.role_arn = "arn:aws:iam::" + account + ":role/" + role;
  p.arn = "arn:aws:sts::" + account + ":assumed-role/" + role + "/s";
  return p;
}

auth::Principal Service(const std::string& name) {
  auth::Principal p;
  p.type = auth::PrincipalType::kAWSService;
  p.service = name;
  return p;
}

// The key policy's verdict as KmsService reaches it: iam::Authorizer with the
// key policy as must-allow resource policy. Users and roles get an allow-all
// identity policy so that the key policy alone decides. Statements written
// without a Resource get "Resource": "*" (key policies need one).
bool AllowsIn(const std::string& policy, const auth::RequestContext& rc,
              const std::string& action, const EncryptionContext* ctx) {
  const auth::Principal& p = rc.principal;
  Json j = Json::parse(policy, nullptr, false);
  if (j.is_object() && j.contains("Statement")) {
    Json& st = j["Statement"];
    if (st.is_object()) st = Json::array({st});
    for (auto& one : st)
      if (one.is_object() && !one.contains("Resource")) one["Resource"] = "*";
  }
  const std::string text = j.dump();
  auto doc = ValidateKeyPolicy(text);
  EXPECT_TRUE(doc.ok()) << doc.status().ToString() << " for " << policy;
  if (!doc.ok()) return false;
  auto parsed = policy::ParsePolicy(text, policy::PolicyKind::kResource);
  EXPECT_TRUE(parsed.ok());
  if (!parsed.ok()) return false;
  iam::Authorizer authz([](const auth::Principal&) {
    return Result<std::vector<iam::IdentityPolicyText>>(std::vector<iam::IdentityPolicyText>{
        {"all", R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}})"}});
  });
  iam::AuthzCheck check;
  check.action = action;
  check.resource = "arn:aws:kms:us-east-1:111122223333:key/k";
  check.resource_account = "111122223333";
  check.resource_policy = &*parsed;
  check.kind = iam::ResourcePolicyKind::kKey;
  if (p.type != auth::PrincipalType::kAWSService) check.context["kms:CallerAccount"] = {p.account_id};
  if (ctx != nullptr)
    for (const auto& [k, v] : *ctx) check.context["kms:EncryptionContext:" + k] = {v};
  return authz.Authorize(rc, check).ok();
}

bool Allows(const std::string& policy, const auth::Principal& p, const std::string& action,
            const EncryptionContext* ctx = nullptr) {
  auth::RequestContext rc;
  rc.principal = p;
  return AllowsIn(policy, rc, action, ctx);
}

TEST(WildcardMatchTest, StarsAndQuestionMarks) {
  EXPECT_TRUE(WildcardMatch("kms:*", "kms:Decrypt", true));
  EXPECT_TRUE(WildcardMatch("kms:GenerateDataKey*", "kms:GenerateDataKeyWithoutPlaintext", true));
  EXPECT_TRUE(WildcardMatch("KMS:decrypt", "kms:Decrypt", true));
  EXPECT_FALSE(WildcardMatch("KMS:decrypt", "kms:Decrypt", false));
  EXPECT_FALSE(WildcardMatch("kms:GenerateDataKey*", "kms:Decrypt", true));
  EXPECT_TRUE(WildcardMatch("arn:aws:cloudtrail:*:111:trail/*",
                            "arn:aws:cloudtrail:us-east-1:111:trail/org", false));
  EXPECT_FALSE(WildcardMatch("arn:aws:cloudtrail:*:111:trail/*",
                             "arn:aws:cloudtrail:us-east-1:222:trail/org", false));
  EXPECT_TRUE(WildcardMatch("a?c", "abc", false));
  EXPECT_FALSE(WildcardMatch("a?c", "ac", false));
  EXPECT_TRUE(WildcardMatch("*", "", false));
}

TEST(ValidateKeyPolicyTest, RejectsMalformedDocuments) {
  for (const char* bad : {"", "not json", "[]", "{}", R"({"Statement": []})",
                          R"({"Statement": [1]})",
                          R"({"Statement": {"Effect": "Maybe", "Principal": "*", "Action": "kms:*"}})",
                          R"({"Statement": {"Effect": "Allow", "Action": "kms:*"}})",
                          R"({"Statement": {"Effect": "Allow", "Principal": "*"}})",
                          R"({"Version": "2020-01-01", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "kms:*"}})",
                          R"({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Condition": []}})"}) {
    auto r = ValidateKeyPolicy(bad);
    EXPECT_EQ(r.status().code(), "MalformedPolicyDocumentException") << bad;
  }
  EXPECT_EQ(ValidateKeyPolicy(std::string(40000, ' ')).status().code(), "LimitExceededException");
  EXPECT_TRUE(ValidateKeyPolicy(DefaultKeyPolicy("111122223333")).ok());
}

TEST(KeyPolicyAllowsTest, DefaultPolicyGrantsOnlyItsAccount) {
  std::string p = DefaultKeyPolicy("111122223333");
  EXPECT_TRUE(Allows(p, Root("111122223333"), "kms:Decrypt"));
  EXPECT_TRUE(Allows(p, User("111122223333", "alice"), "kms:DescribeKey"));
  EXPECT_FALSE(Allows(p, Root("444455556666"), "kms:Decrypt"));
  EXPECT_FALSE(Allows(p, Service("cloudtrail.amazonaws.com"), "kms:GenerateDataKey"));
}

TEST(KeyPolicyAllowsTest, PrincipalForms) {
  auto policy = [](const std::string& principal) {
    return R"({"Statement":[{"Effect":"Allow","Principal":)" + principal +
           R"(,"Action":["kms:Decrypt","kms:Encrypt"],"Resource":"*"}]})";
  };
  EXPECT_TRUE(Allows(policy(R"({"AWS":"444455556666"})"), User("444455556666", "bob"), "kms:Decrypt"));
  EXPECT_TRUE(Allows(policy(R"({"AWS":["999999999999","arn:aws:iam::444455556666:root"]})"),
                     Role("444455556666", "Reader"), "kms:Encrypt"));
  EXPECT_TRUE(Allows(policy(R"({"AWS":"arn:aws:iam::444455556666:role/Reader"})"),
                     Role("444455556666", "Reader"), "kms:Decrypt"));
  EXPECT_FALSE(Allows(policy(R"({"AWS":"arn:aws:iam::444455556666:role/Reader"})"),
                      Role("444455556666", "Writer"), "kms:Decrypt"));
  EXPECT_TRUE(Allows(policy(R"({"AWS":"arn:aws:iam::444455556666:user/bob"})"),
                     User("444455556666", "bob"), "kms:Decrypt"));
  EXPECT_FALSE(Allows(policy(R"({"AWS":"arn:aws:iam::444455556666:user/bob"})"),
                      User("444455556666", "eve"), "kms:Decrypt"));
  EXPECT_FALSE(Allows(policy(R"({"AWS":"444455556666"})"), User("444455556666", "bob"),
                      "kms:DisableKey"));
  EXPECT_TRUE(Allows(policy(R"("*")"), User("777788889999", "x"), "kms:Decrypt"));
  // An account grant never names a service principal, and a service grant no account.
  EXPECT_FALSE(Allows(policy(R"({"AWS":"444455556666"})"), Service("cloudtrail.amazonaws.com"),
                      "kms:Decrypt"));
  EXPECT_FALSE(Allows(policy(R"({"Service":"cloudtrail.amazonaws.com"})"), Root("444455556666"),
                      "kms:Decrypt"));
  EXPECT_FALSE(Allows(policy(R"({"Service":"s3.amazonaws.com"})"),
                      Service("cloudtrail.amazonaws.com"), "kms:Decrypt"));
}

constexpr char kCloudTrailPolicy[] = R"({
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "Encrypt", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
     "Action": "kms:GenerateDataKey*", "Resource": "*",
     "Condition": {"StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn":
                                  ["arn:aws:cloudtrail:*:111122223333:trail/*"]}}},
    {"Sid": "Decrypt", "Effect": "Allow", "Principal": {"AWS": "*"},
     "Action": "kms:Decrypt", "Resource": "*",
     "Condition": {"Null": {"kms:EncryptionContext:aws:cloudtrail:arn": "false"}}}
  ]})";

TEST(KeyPolicyAllowsTest, CloudTrailEncryptionContextConditions) {
  auto ct = Service("cloudtrail.amazonaws.com");
  EncryptionContext good = {{"aws:cloudtrail:arn", "arn:aws:cloudtrail:us-east-1:111122223333:trail/org"}};
  EncryptionContext other = {{"aws:cloudtrail:arn", "arn:aws:cloudtrail:us-east-1:999999999999:trail/org"}};
  EncryptionContext none;
  EXPECT_TRUE(Allows(kCloudTrailPolicy, ct, "kms:GenerateDataKey", &good));
  EXPECT_TRUE(Allows(kCloudTrailPolicy, ct, "kms:GenerateDataKeyWithoutPlaintext", &good));
  EXPECT_FALSE(Allows(kCloudTrailPolicy, ct, "kms:GenerateDataKey", &other));
  EXPECT_FALSE(Allows(kCloudTrailPolicy, ct, "kms:GenerateDataKey", &none));
  EXPECT_FALSE(Allows(kCloudTrailPolicy, ct, "kms:GenerateDataKey", nullptr));
  EXPECT_FALSE(Allows(kCloudTrailPolicy, ct, "kms:Encrypt", &good));
  // Readers: any principal, but only for blobs carrying the trail context.
  EXPECT_TRUE(Allows(kCloudTrailPolicy, Role("444455556666", "Auditor"), "kms:Decrypt", &good));
  EXPECT_FALSE(Allows(kCloudTrailPolicy, Role("444455556666", "Auditor"), "kms:Decrypt", &none));
}

TEST(KeyPolicyAllowsTest, StringEqualsAndNegations) {
  std::string p = R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"444455556666"},
      "Action":"kms:Decrypt","Condition":{"StringEquals":{"kms:EncryptionContext:team":["a","b"]},
      "StringNotEquals":{"kms:EncryptionContext:env":"prod"}}}]})";
  auto u = User("444455556666", "bob");
  EncryptionContext a = {{"team", "a"}}, b_dev = {{"team", "b"}, {"env", "dev"}},
                    a_prod = {{"team", "a"}, {"env", "prod"}}, c = {{"team", "c"}},
                    upper = {{"team", "A"}};
  EXPECT_TRUE(Allows(p, u, "kms:Decrypt", &a));
  EXPECT_TRUE(Allows(p, u, "kms:Decrypt", &b_dev));
  EXPECT_FALSE(Allows(p, u, "kms:Decrypt", &a_prod));
  EXPECT_FALSE(Allows(p, u, "kms:Decrypt", &c));
  EXPECT_FALSE(Allows(p, u, "kms:Decrypt", &upper));
}

TEST(KeyPolicyAllowsTest, UnmetConditionsAndNotPrincipal) {
  auto u = User("444455556666", "bob");
  // An Allow whose condition key the request lacks does not apply...
  std::string allow = R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"444455556666"},
      "Action":"kms:*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]})";
  EXPECT_FALSE(Allows(allow, u, "kms:Decrypt"));
  std::string unknown_key = R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"444455556666"},
      "Action":"kms:*","Condition":{"StringEquals":{"aws:RequestTag/x":"y"}}}]})";
  EXPECT_FALSE(Allows(unknown_key, u, "kms:Decrypt"));
  std::string not_principal = R"({"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"444455556666"},
      "Action":"kms:*"}]})";
  EXPECT_FALSE(Allows(not_principal, u, "kms:Decrypt"));
  // ...and a Deny on aws:SecureTransport false applies to a plain-HTTP call.
  std::string deny = R"({"Statement":[
      {"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"kms:*"},
      {"Effect":"Deny","Principal":"*","Action":"kms:Decrypt",
       "Condition":{"Bool":{"aws:SecureTransport":"false"}}}]})";
  EXPECT_FALSE(Allows(deny, u, "kms:Decrypt"));
  EXPECT_TRUE(Allows(deny, u, "kms:Encrypt"));
}

TEST(KeyPolicyAllowsTest, ExplicitDenyWins) {
  std::string p = R"({"Statement":[
      {"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"kms:*"},
      {"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::444455556666:user/eve"},"Action":"kms:Decrypt"}]})";
  EXPECT_TRUE(Allows(p, User("444455556666", "bob"), "kms:Decrypt"));
  EXPECT_FALSE(Allows(p, User("444455556666", "eve"), "kms:Decrypt"));
  EXPECT_TRUE(Allows(p, User("444455556666", "eve"), "kms:Encrypt"));
}

TEST(KeyPolicyAllowsTest, SourceAccountAndSourceArnForCloudTrail) {
  std::string p = R"({"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
      "Action":"kms:GenerateDataKey*","Condition":{
        "StringEquals":{"aws:SourceArn":"arn:aws:cloudtrail:us-east-1:111122223333:trail/org",
                        "aws:SourceAccount":"111122223333"}}}]})";
  // The keys come from the delivery's RequestContext (source_arn,
  // source_account), as AWS sets them for the service's call.
  auth::RequestContext rc;
  rc.principal = Service("cloudtrail.amazonaws.com");
  rc.source_arn = "arn:aws:cloudtrail:us-east-1:111122223333:trail/org";
  rc.source_account = "111122223333";
  EncryptionContext ec = {{"aws:cloudtrail:arn", rc.source_arn}};
  EXPECT_TRUE(AllowsIn(p, rc, "kms:GenerateDataKey", &ec));
  auto other = rc;
  other.source_arn = "arn:aws:cloudtrail:us-east-1:111122223333:trail/x";
  EXPECT_FALSE(AllowsIn(p, other, "kms:GenerateDataKey", &ec));
  auto foreign = rc;
  foreign.source_account = "999999999999";
  EXPECT_FALSE(AllowsIn(p, foreign, "kms:GenerateDataKey", &ec));
  auto none = rc;
  none.source_arn.clear();
  none.source_account.clear();
  EXPECT_FALSE(AllowsIn(p, none, "kms:GenerateDataKey", &ec));
}

}  // namespace
}  // namespace orgtrail::kms
