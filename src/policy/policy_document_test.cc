#include "policy/policy_document.h"

#include <gtest/gtest.h>

#include <string>

namespace orgtrail::policy {
namespace {

TEST(ParsePolicyTest, AcceptsIdentityPolicyShapes) {
  auto p = ParsePolicy(R"({"Version":"2012-10-17","Id":"x","Statement":{
      "Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}})",
                       PolicyKind::kIdentity);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->statements.size(), 1u);
  EXPECT_EQ(p->statements[0].sid, "Read");
  EXPECT_EQ(p->statements[0].actions, std::vector<std::string>{"s3:GetObject"});
  EXPECT_TRUE(p->variables_enabled());
  EXPECT_EQ(p->id, "x");

  auto q = ParsePolicy(R"({"Statement":[
      {"Effect":"Deny","NotAction":["iam:*","sts:*"],"NotResource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]},
      {"Effect":"Allow","Action":"*","Resource":"*","Condition":{
        "NumericLessThan":{"s3:max-keys":10},"Bool":{"aws:SecureTransport":true},
        "ForAnyValue:StringLike":{"aws:TagKeys":["a*","b"]}}}]})",
                       PolicyKind::kIdentity);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_FALSE(q->variables_enabled());  // no Version: 2008 semantics
  ASSERT_EQ(q->statements.size(), 2u);
  EXPECT_TRUE(q->statements[0].not_action);
  EXPECT_TRUE(q->statements[0].not_resource);
  EXPECT_EQ(q->statements[1].index, 1u);
  ASSERT_EQ(q->statements[1].conditions.size(), 3u);
  // Numbers and booleans become their JSON text.
  bool saw_number = false, saw_bool = false;
  for (const auto& c : q->statements[1].conditions) {
    if (c.key == "s3:max-keys") saw_number = c.values == std::vector<std::string>{"10"};
    if (c.key == "aws:SecureTransport") saw_bool = c.values == std::vector<std::string>{"true"};
  }
  EXPECT_TRUE(saw_number);
  EXPECT_TRUE(saw_bool);
}

TEST(ParsePolicyTest, AcceptsPrincipalShapes) {
  auto p = ParsePolicy(R"({"Version":"2008-10-17","Statement":[
      {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},
      {"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},
      {"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::111122223333:root",
          "arn:aws:iam::111122223333:role/path/R","arn:aws:sts::111122223333:assumed-role/R/s"]},
       "Action":"s3:*","Resource":"*"},
      {"Effect":"Allow","Principal":{"Service":["cloudtrail.amazonaws.com"],"Federated":"cognito-identity.amazonaws.com",
          "CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},
       "Action":"s3:*","Resource":"*"},
      {"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/admin"},
       "Action":"s3:*","Resource":"*"}]})",
                       PolicyKind::kResource);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(p->statements[0].principals.any);
  EXPECT_TRUE(p->statements[1].principals.any);
  EXPECT_EQ(p->statements[2].principals.aws.size(), 4u);
  EXPECT_EQ(p->statements[3].principals.service.size(), 1u);
  EXPECT_EQ(p->statements[3].principals.federated.size(), 1u);
  EXPECT_EQ(p->statements[3].principals.canonical_user.size(), 1u);
  EXPECT_TRUE(p->statements[4].not_principal);
}

TEST(ParsePolicyTest, AcceptsTrustPolicy) {
  auto p = ParsePolicy(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",
      "Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":["sts:AssumeRole","sts:TagSession"],
      "Condition":{"StringEquals":{"sts:ExternalId":"abc"}}}]})",
                       PolicyKind::kTrust);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_FALSE(p->statements[0].has_resource);
}

struct BadCase {
  const char* name;
  PolicyKind kind;
  const char* json;
  const char* message_part;
};

TEST(ParsePolicyTest, RejectsMalformedDocumentsWithPreciseMessages) {
  const std::vector<BadCase> cases = {
      {"not json", PolicyKind::kIdentity, "{", "not valid JSON"},
      {"not an object", PolicyKind::kIdentity, "[1]", "must be a JSON object"},
      {"unknown top-level", PolicyKind::kIdentity,
       R"({"Statement":[],"Foo":1})", "Unknown top-level element \"Foo\""},
      {"bad version", PolicyKind::kIdentity,
       R"({"Version":"2012-10-18","Statement":[]})", "Version must be"},
      {"missing statement", PolicyKind::kIdentity, R"({"Version":"2012-10-17"})",
       "Statement is missing"},
      {"empty statement list", PolicyKind::kIdentity, R"({"Statement":[]})",
       "Statement must not be an empty list"},
      {"statement not object", PolicyKind::kIdentity, R"({"Statement":["x"]})",
       "Statement index 0: must be an object"},
      {"bad effect", PolicyKind::kIdentity,
       R"({"Statement":[{"Sid":"A","Effect":"allow","Action":"s3:*","Resource":"*"}]})",
       "Statement index 0 (Sid 'A'): Effect must be \"Allow\" or \"Deny\", got \"allow\""},
      {"missing effect", PolicyKind::kIdentity,
       R"({"Statement":[{"Action":"s3:*","Resource":"*"}]})", "Statement index 0: Effect is missing"},
      {"missing action", PolicyKind::kIdentity,
       R"({"Statement":[{"Effect":"Allow","Resource":"*"}]})", "Action (or NotAction) is missing"},
      {"empty action list", PolicyKind::kIdentity,
       R"({"Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]})",
       "Action must not be an empty list"},
      {"action not string", PolicyKind::kIdentity,
       R"({"Statement":[{"Effect":"Allow","Action":[1],"Resource":"*"}]})",
       "Action must contain only strings"},
      {"action without prefix", PolicyKind::kIdentity,
       R"({"Statement":[{"Effect":"Allow","Action":"GetObject","Resource":"*"}]})",
       "is not of the form"},
      {"both action and notaction", PolicyKind::kIdentity,
       R"({"Statement":[{"Effect":"Allow","Action":"s3:*","NotAction":"s3:*","Resource":"*"}]})",
       "Action and NotAction cannot both be present"},
      {"unknown statement element", PolicyKind::kIdentity,
       R"({"Statement":[{"Sid":"X","Effect":"Allow","Action":"s3:*","Resource":"*","Resources":"*"}]})",
       "Statement index 0 (Sid 'X'): unknown element \"Resources\""},
      {"missing resource", PolicyKind::kIdentity,
       R"({"Statement":[{"Effect":"Allow","Action":"s3:*"}]})", "Resource (or NotResource) is missing"},
      {"resource not arn", PolicyKind::kIdentity,
       R"({"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"bucket"}]})",
       "must be an ARN"},
      {"principal in identity", PolicyKind::kIdentity,
       R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]})",
       "should not specify a principal"},
      {"missing principal", PolicyKind::kResource,
       R"({"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]})",
       "Principal (or NotPrincipal) is missing"},
      {"bad principal type", PolicyKind::kResource,
       R"({"Statement":[{"Effect":"Allow","Principal":{"User":"x"},"Action":"s3:*","Resource":"*"}]})",
       "unknown principal type \"User\""},
      {"bad aws principal", PolicyKind::kResource,
       R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"s3:*","Resource":"*"}]})",
       "Invalid principal in policy"},
      {"wildcard principal arn", PolicyKind::kResource,
       R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/*"},"Action":"s3:*","Resource":"*"}]})",
       "Invalid principal in policy"},
      {"principal string not star", PolicyKind::kResource,
       R"({"Statement":[{"Effect":"Allow","Principal":"111122223333","Action":"s3:*","Resource":"*"}]})",
       "Principal must be \"*\" or an object"},
      {"empty principal", PolicyKind::kResource,
       R"({"Statement":[{"Effect":"Allow","Principal":{},"Action":"s3:*","Resource":"*"}]})",
       "Principal must not be empty"},
      {"trust with resource", PolicyKind::kTrust,
       R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Resource":"*"}]})",
       "has prohibited field Resource"},
      {"trust non-sts action", PolicyKind::kTrust,
       R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject"}]})",
       "AssumeRole policy may only specify STS AssumeRole actions"},
      {"unknown condition operator", PolicyKind::kIdentity,
       R"({"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualz":{"a":"b"}}}]})",
       "Condition has unknown operator \"StringEqualz\""},
      {"condition value object", PolicyKind::kIdentity,
       R"({"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"a":{"b":1}}}}]})",
       "values must be strings, numbers or booleans"},
      {"condition not object", PolicyKind::kIdentity,
       R"({"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":"x"}]})",
       "Condition must be an object"},
      {"condition empty values", PolicyKind::kIdentity,
       R"({"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"a":[]}}}]})",
       "has an empty list of values"},
      {"numeric condition not a number", PolicyKind::kIdentity,
       R"({"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":"ten"}}}]})",
       "Condition NumericLessThan key \"s3:max-keys\": value \"ten\" is not a number"},
      {"bad cidr", PolicyKind::kIdentity,
       R"({"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/40"}}}]})",
       "is not an IPv4 or IPv6 address"},
      {"duplicate sid", PolicyKind::kIdentity,
       R"({"Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"s3:*","Resource":"*"}]})",
       "Statement index 1 (Sid 'A'): Statement IDs (SID) in a single policy must be unique"},
      {"sid not string", PolicyKind::kIdentity,
       R"({"Statement":[{"Sid":5,"Effect":"Allow","Action":"s3:*","Resource":"*"}]})",
       "Sid must be a string"},
  };
  for (const auto& c : cases) {
    auto p = ParsePolicy(c.json, c.kind);
    ASSERT_FALSE(p.ok()) << c.name;
    EXPECT_EQ(p.status().code(), "MalformedPolicyDocument") << c.name;
    EXPECT_NE(p.status().message().find(c.message_part), std::string::npos)
        << c.name << ": " << p.status().message();
  }
}

TEST(ParsePolicyTest, RefusesDeepNestingWithoutRecursing) {
  std::string deep(100000, '[');
  auto p = ParsePolicy(deep, PolicyKind::kIdentity);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("nesting deeper"), std::string::npos);
  // Brackets inside strings do not count.
  std::string in_string = R"({"Statement":{"Sid":")" + std::string(100, '[') +
                          R"(","Effect":"Allow","Action":"s3:*","Resource":"*"}})";
  EXPECT_TRUE(ParsePolicy(in_string, PolicyKind::kIdentity).ok());
}

TEST(ParsePolicyTest, GarbageNeverCrashes) {
  const char* inputs[] = {"", "null", "\"x\"", "{\"Statement\":null}", "{\"Statement\":{}}",
                          "\xff\xfe", "{\"Version\":1,\"Statement\":[]}",
                          "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:*\","
                          "\"Resource\":\"*\",\"Condition\":{\"Null\":{\"k\":\"\xc3\x28\"}}}]}"};
  for (const char* in : inputs) {
    auto p = ParsePolicy(in, PolicyKind::kResource);
    EXPECT_FALSE(p.ok()) << in;
  }
}

}  // namespace
}  // namespace orgtrail::policy
