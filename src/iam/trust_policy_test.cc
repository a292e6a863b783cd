#include "iam/trust_policy.h"

#include <gtest/gtest.h>

#include "iam/policy_document.h"

namespace orgtrail::iam {
namespace {

auth::Principal Root(const std::string& account) {
  auth::Principal p;
  p.type = auth::PrincipalType::kRoot;
  p.account_id = account;
  p.arn = "arn:aws:iam::" + account + ":root";
  p.principal_id = account;
  return p;
}

auth::Principal User(const std::string& account, const std::string& name) {
  auth::Principal p;
  p.type = auth::PrincipalType::kIAMUser;
  p.account_id = account;
  p.arn = "arn:aws:iam::" + account + ":user/" + name;
  p.principal_id = "AIDAEXAMPLEEXAMPLE1";
  p.user_name = name;
  return p;
}

auth::Principal Role(const std::string& account, const std::string& role,
                     const std::string& session) {
  auth::Principal p;
  p.type = auth::PrincipalType::kAssumedRole;
  p.account_id = account;
  p.arn = "arn:aws:sts::" + account + ":assumed-role/" + role + "/" + session;
  p.role_arn = "arn:aws:iam::" + account + ":role/" + role;
  p.role_name = role;
  p.session_name = session;
  return p;
}

TrustDecision Eval(const std::string& policy, const auth::Principal& caller,
                   std::optional<std::string> external_id = std::nullopt) {
  auto doc = ValidatePolicyDocument(policy, PolicyKind::kTrust);
  EXPECT_TRUE(doc.ok()) << doc.status().ToString() << " for " << policy;
  if (!doc.ok()) return TrustDecision::kImplicitDeny;
  TrustRequest req;
  req.caller = &caller;
  req.external_id = std::move(external_id);
  return EvaluateTrustPolicy(*doc, req);
}

std::string Allow(const std::string& principal, const std::string& extra = "") {
  return R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":)" + principal +
         R"(,"Action":"sts:AssumeRole")" + extra + "}]}";
}

constexpr auto kAllow = TrustDecision::kAllow;
constexpr auto kImplicit = TrustDecision::kImplicitDeny;
constexpr auto kExplicit = TrustDecision::kExplicitDeny;

TEST(TrustPolicyTest, AllowByAccountRootArn) {
  std::string p = Allow(R"({"AWS":"arn:aws:iam::111122223333:root"})");
  EXPECT_EQ(Eval(p, Root("111122223333")), kAllow);
  EXPECT_EQ(Eval(p, User("111122223333", "alice")), kAllow);
  EXPECT_EQ(Eval(p, Role("111122223333", "r", "s")), kAllow);
  EXPECT_EQ(Eval(p, Root("444455556666")), kImplicit);  // wrong account
  EXPECT_EQ(Eval(p, User("444455556666", "alice")), kImplicit);
}

TEST(TrustPolicyTest, AllowByBareAccountIdAndLists) {
  EXPECT_EQ(Eval(Allow(R"({"AWS":"111122223333"})"), User("111122223333", "a")), kAllow);
  EXPECT_EQ(Eval(Allow(R"({"AWS":["999999999999","111122223333"]})"), Root("111122223333")),
            kAllow);
  EXPECT_EQ(Eval(Allow(R"({"AWS":"111122223333"})"), Root("111122223334")), kImplicit);
  EXPECT_EQ(Eval(Allow(R"("*")"), Root("123456789012")), kAllow);
  EXPECT_EQ(Eval(Allow(R"({"AWS":"*"})"), Root("123456789012")), kAllow);
}

TEST(TrustPolicyTest, AllowByExactUserOrRoleArn) {
  std::string by_user = Allow(R"({"AWS":"arn:aws:iam::111122223333:user/alice"})");
  EXPECT_EQ(Eval(by_user, User("111122223333", "alice")), kAllow);
  EXPECT_EQ(Eval(by_user, User("111122223333", "bob")), kImplicit);
  EXPECT_EQ(Eval(by_user, Root("111122223333")), kImplicit);

  std::string by_role = Allow(R"({"AWS":"arn:aws:iam::111122223333:role/Auditor"})");
  EXPECT_EQ(Eval(by_role, Role("111122223333", "Auditor", "s1")), kAllow);
  EXPECT_EQ(Eval(by_role, Role("111122223333", "Other", "s1")), kImplicit);
}

TEST(TrustPolicyTest, ServicePrincipalNeverMatchesAUser) {
  std::string p = Allow(R"({"Service":"cloudtrail.amazonaws.com"})");
  EXPECT_EQ(Eval(p, Root("111122223333")), kImplicit);
  EXPECT_EQ(Eval(p, User("111122223333", "cloudtrail.amazonaws.com")), kImplicit);
}

TEST(TrustPolicyTest, ActionMatching) {
  auto root = Root("111122223333");
  auto with_action = [](const std::string& action) {
    return R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":)" +
           action + "}}";
  };
  EXPECT_EQ(Eval(with_action(R"("sts:*")"), root), kAllow);
  EXPECT_EQ(Eval(with_action(R"("*")"), root), kAllow);
  EXPECT_EQ(Eval(with_action(R"(["s3:GetObject","STS:AssumeRole"])"), root), kAllow);
  EXPECT_EQ(Eval(with_action(R"("sts:AssumeRoleWithSAML")"), root), kImplicit);
  EXPECT_EQ(Eval(with_action(R"("sts:TagSession")"), root), kImplicit);
}

TEST(TrustPolicyTest, ExplicitDenyWins) {
  std::string p = R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"},
    {"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:user/mallory"},"Action":"sts:*"}]})";
  EXPECT_EQ(Eval(p, User("111122223333", "alice")), kAllow);
  EXPECT_EQ(Eval(p, User("111122223333", "mallory")), kExplicit);
}

TEST(TrustPolicyTest, ExternalIdAndPrincipalArnConditions) {
  std::string p = Allow(R"({"AWS":"111122223333"})",
                        R"(,"Condition":{"StringEquals":{"sts:ExternalId":"abc123"}})");
  auto root = Root("111122223333");
  EXPECT_EQ(Eval(p, root, "abc123"), kAllow);
  EXPECT_EQ(Eval(p, root, "wrong"), kImplicit);
  EXPECT_EQ(Eval(p, root), kImplicit);  // missing key fails the condition

  std::string like = Allow(R"({"AWS":"111122223333"})",
                           R"(,"Condition":{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/Audit*"}})");
  EXPECT_EQ(Eval(like, Role("111122223333", "AuditReader", "s")), kAllow);
  EXPECT_EQ(Eval(like, Role("111122223333", "Dev", "s")), kImplicit);
  EXPECT_EQ(Eval(like, User("111122223333", "alice")), kImplicit);
}

TEST(TrustPolicyTest, UnsupportedConditionFailsClosed) {
  auto root = Root("111122223333");
  std::string allow = Allow(R"({"AWS":"111122223333"})",
                            R"(,"Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}})");
  EXPECT_EQ(Eval(allow, root), kImplicit);
  std::string unknown_key = Allow(R"({"AWS":"111122223333"})",
                                  R"(,"Condition":{"StringEquals":{"aws:SourceIp":"1.2.3.4"}})");
  EXPECT_EQ(Eval(unknown_key, root), kImplicit);
  std::string deny = R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"},
    {"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole",
     "Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}}]})";
  EXPECT_EQ(Eval(deny, root), kExplicit);
}

TEST(TrustPolicyTest, WildcardMatch) {
  EXPECT_TRUE(WildcardMatch("*", ""));
  EXPECT_TRUE(WildcardMatch("a*c", "abbbc"));
  EXPECT_TRUE(WildcardMatch("a?c", "abc"));
  EXPECT_FALSE(WildcardMatch("a?c", "ac"));
  EXPECT_FALSE(WildcardMatch("abc", "ABC"));
  EXPECT_TRUE(WildcardMatch("abc", "ABC", true));
  EXPECT_TRUE(WildcardMatch("*:root", "arn:aws:iam::1:root"));
  EXPECT_FALSE(WildcardMatch("*:root", "arn:aws:iam::1:rootx"));
}

TEST(PolicyDocumentTest, RejectsMalformedDocuments) {
  for (const char* bad : {
           "", "not json", "[]", R"({"Statement":[]})",
           R"({"Version":"2099-01-01","Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}})",
           R"({"Statement":{"Effect":"Maybe","Principal":"*","Action":"sts:AssumeRole"}})",
           R"({"Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}})",
           R"({"Statement":{"Effect":"Allow","Principal":"*"}})",
           R"({"Statement":{"Effect":"Allow","Principal":{"Nope":"x"},"Action":"sts:AssumeRole"}})",
           R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"AssumeRole"}})",
           R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Bogus":1}})",
       }) {
    auto r = ValidatePolicyDocument(bad, PolicyKind::kTrust);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), "MalformedPolicyDocument") << bad;
    EXPECT_EQ(r.status().http_status(), 400);
  }
  // Identity policies: Resource required, Principal forbidden.
  EXPECT_TRUE(ValidatePolicyDocument(
                  R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}})",
                  PolicyKind::kIdentity)
                  .ok());
  EXPECT_FALSE(ValidatePolicyDocument(R"({"Statement":{"Effect":"Allow","Action":"*"}})",
                                      PolicyKind::kIdentity)
                   .ok());
  EXPECT_FALSE(ValidatePolicyDocument(
                   R"({"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Principal":"*"}})",
                   PolicyKind::kIdentity)
                   .ok());
}

}  // namespace
}  // namespace orgtrail::iam
