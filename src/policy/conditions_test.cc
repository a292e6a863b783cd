#include "policy/conditions.h"

#include <gtest/gtest.h>

namespace orgtrail::policy {
namespace {

struct Case {
  const char* op;
  const char* key;
  std::vector<std::string> values;
  ContextValues context;
  bool want;
};

ConditionClause Clause(const Case& c) {
  ConditionClause clause;
  clause.op_text = c.op;
  auto op = ParseConditionOperator(c.op);
  EXPECT_TRUE(op.has_value()) << c.op;
  if (op) clause.op = *op;
  clause.key = c.key;
  clause.values = c.values;
  return clause;
}

void RunCases(const std::vector<Case>& cases) {
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    ConditionClause clause = Clause(c);
    EXPECT_EQ(ValidateConditionValues(clause), "") << "case " << i << " " << c.op;
    EXPECT_EQ(EvaluateCondition(clause, c.context, /*variables_enabled=*/true), c.want)
        << "case " << i << ": " << c.op << " " << c.key;
  }
}

TEST(ConditionsTest, StringOperators) {
  RunCases({
      {"StringEquals", "s3:x-amz-acl", {"bucket-owner-full-control"},
       {{"s3:x-amz-acl", {"bucket-owner-full-control"}}}, true},
      {"StringEquals", "s3:x-amz-acl", {"bucket-owner-full-control"},
       {{"s3:x-amz-acl", {"private"}}}, false},
      {"StringEquals", "s3:x-amz-acl", {"Bucket-Owner-Full-Control"},
       {{"s3:x-amz-acl", {"bucket-owner-full-control"}}}, false},  // case-sensitive value
      {"StringEquals", "S3:X-AMZ-ACL", {"private"}, {{"s3:x-amz-acl", {"private"}}},
       true},  // key case-insensitive
      {"StringEquals", "aws:SourceAccount", {"111", "222"}, {{"aws:SourceAccount", {"222"}}},
       true},  // values OR
      {"StringEquals", "aws:SourceAccount", {"111"}, {}, false},  // missing key
      {"StringNotEquals", "aws:SourceAccount", {"111"}, {{"aws:SourceAccount", {"222"}}}, true},
      {"StringNotEquals", "aws:SourceAccount", {"111", "222"}, {{"aws:SourceAccount", {"222"}}},
       false},  // NOR
      {"StringNotEquals", "aws:SourceAccount", {"111"}, {}, true},  // negated + missing
      {"StringEqualsIgnoreCase", "k", {"HeLLo"}, {{"k", {"hello"}}}, true},
      {"StringEqualsIgnoreCase", "k", {"HeLLo"}, {{"k", {"help"}}}, false},
      {"StringNotEqualsIgnoreCase", "k", {"HeLLo"}, {{"k", {"hello"}}}, false},
      {"StringNotEqualsIgnoreCase", "k", {"HeLLo"}, {{"k", {"bye"}}}, true},
      {"StringLike", "s3:prefix", {"home/*"}, {{"s3:prefix", {"home/alice/x"}}}, true},
      {"StringLike", "s3:prefix", {"home/?"}, {{"s3:prefix", {"home/ab"}}}, false},
      {"StringLike", "s3:prefix", {"home/??"}, {{"s3:prefix", {"home/ab"}}}, true},
      {"StringNotLike", "s3:prefix", {"home/*"}, {{"s3:prefix", {"tmp/x"}}}, true},
      {"StringNotLike", "s3:prefix", {"home/*"}, {{"s3:prefix", {"home/x"}}}, false},
  });
}

TEST(ConditionsTest, NumericOperators) {
  RunCases({
      {"NumericEquals", "n", {"10"}, {{"n", {"10"}}}, true},
      {"NumericEquals", "n", {"10"}, {{"n", {"10.0"}}}, true},
      {"NumericEquals", "n", {"10"}, {{"n", {"11"}}}, false},
      {"NumericEquals", "n", {"10"}, {{"n", {"ten"}}}, false},
      {"NumericNotEquals", "n", {"10"}, {{"n", {"11"}}}, true},
      {"NumericNotEquals", "n", {"10"}, {{"n", {"10"}}}, false},
      {"NumericLessThan", "n", {"10"}, {{"n", {"9"}}}, true},
      {"NumericLessThan", "n", {"10"}, {{"n", {"10"}}}, false},
      {"NumericLessThanEquals", "n", {"10"}, {{"n", {"10"}}}, true},
      {"NumericLessThanEquals", "n", {"10"}, {{"n", {"11"}}}, false},
      {"NumericGreaterThan", "n", {"10"}, {{"n", {"11"}}}, true},
      {"NumericGreaterThan", "n", {"10"}, {{"n", {"10"}}}, false},
      {"NumericGreaterThanEquals", "n", {"10"}, {{"n", {"10"}}}, true},
      {"NumericGreaterThanEquals", "n", {"10"}, {{"n", {"-3"}}}, false},
      {"NumericLessThan", "n", {"10"}, {}, false},
  });
}

TEST(ConditionsTest, DateOperators) {
  RunCases({
      {"DateLessThan", "aws:CurrentTime", {"2026-12-31T23:59:59Z"},
       {{"aws:CurrentTime", {"2026-11-26T15:01:31Z"}}}, true},
      {"DateLessThan", "aws:CurrentTime", {"2026-01-01T00:00:00Z"},
       {{"aws:CurrentTime", {"2026-11-26T15:01:31Z"}}}, false},
      {"DateGreaterThan", "aws:CurrentTime", {"2026-01-01"},
       {{"aws:CurrentTime", {"2026-11-26T15:01:31Z"}}}, true},
      {"DateEquals", "aws:EpochTime", {"1700000000"}, {{"aws:EpochTime", {"1700000000"}}}, true},
      {"DateEquals", "aws:CurrentTime", {"1700000000"},
       {{"aws:CurrentTime", {"2023-11-14T22:13:20Z"}}}, true},  // epoch vs ISO
      {"DateNotEquals", "aws:CurrentTime", {"1700000000"},
       {{"aws:CurrentTime", {"2023-11-14T22:13:21Z"}}}, true},
      {"DateLessThanEquals", "aws:EpochTime", {"100"}, {{"aws:EpochTime", {"100"}}}, true},
      {"DateGreaterThanEquals", "aws:EpochTime", {"100"}, {{"aws:EpochTime", {"99"}}}, false},
      {"DateLessThan", "aws:CurrentTime", {"2026-12-31T23:59:59Z"},
       {{"aws:CurrentTime", {"not a date"}}}, false},
  });
}

TEST(ConditionsTest, BoolBinaryNull) {
  RunCases({
      {"Bool", "aws:SecureTransport", {"true"}, {{"aws:SecureTransport", {"true"}}}, true},
      {"Bool", "aws:SecureTransport", {"true"}, {{"aws:SecureTransport", {"TRUE"}}}, true},
      {"Bool", "aws:SecureTransport", {"false"}, {{"aws:SecureTransport", {"true"}}}, false},
      {"Bool", "aws:MultiFactorAuthPresent", {"false"}, {}, false},  // missing
      {"BoolIfExists", "aws:MultiFactorAuthPresent", {"false"}, {}, true},
      {"BinaryEquals", "k", {"QmluYXJ5"}, {{"k", {"QmluYXJ5"}}}, true},
      {"BinaryEquals", "k", {"QmluYXJ5"}, {{"k", {"QmluYXJ6"}}}, false},
      {"Null", "kms:EncryptionContext:aws:cloudtrail:arn", {"false"},
       {{"kms:EncryptionContext:aws:cloudtrail:arn", {"arn:aws:cloudtrail:us-east-1:1:trail/t"}}},
       true},
      {"Null", "kms:EncryptionContext:aws:cloudtrail:arn", {"false"}, {}, false},
      {"Null", "aws:TokenIssueTime", {"true"}, {}, true},
      {"Null", "aws:TokenIssueTime", {"true"}, {{"aws:TokenIssueTime", {"x"}}}, false},
  });
}

TEST(ConditionsTest, IpAddressOperators) {
  RunCases({
      {"IpAddress", "aws:SourceIp", {"203.0.113.0/24"}, {{"aws:SourceIp", {"203.0.113.9"}}},
       true},
      {"IpAddress", "aws:SourceIp", {"203.0.113.0/24"}, {{"aws:SourceIp", {"203.0.114.9"}}},
       false},
      {"IpAddress", "aws:SourceIp", {"10.0.0.0/9"}, {{"aws:SourceIp", {"10.127.0.1"}}}, true},
      {"IpAddress", "aws:SourceIp", {"10.0.0.0/9"}, {{"aws:SourceIp", {"10.128.0.1"}}}, false},
      {"IpAddress", "aws:SourceIp", {"127.0.0.1"}, {{"aws:SourceIp", {"127.0.0.1"}}}, true},
      {"IpAddress", "aws:SourceIp", {"2001:db8::/32"}, {{"aws:SourceIp", {"2001:db8:1::5"}}},
       true},
      {"IpAddress", "aws:SourceIp", {"2001:db8::/32"}, {{"aws:SourceIp", {"2001:db9::5"}}},
       false},
      {"IpAddress", "aws:SourceIp", {"2001:db8::/32"}, {{"aws:SourceIp", {"10.0.0.1"}}},
       false},  // family mismatch
      {"IpAddress", "aws:SourceIp", {"0.0.0.0/0"}, {{"aws:SourceIp", {"garbage"}}}, false},
      {"NotIpAddress", "aws:SourceIp", {"192.0.2.0/24"}, {{"aws:SourceIp", {"203.0.113.1"}}},
       true},
      {"NotIpAddress", "aws:SourceIp", {"192.0.2.0/24"}, {{"aws:SourceIp", {"192.0.2.1"}}},
       false},
  });
}

TEST(ConditionsTest, ArnOperators) {
  const std::string trail = "arn:aws:cloudtrail:us-east-1:111111111111:trail/org";
  RunCases({
      {"ArnEquals", "aws:SourceArn", {trail}, {{"aws:SourceArn", {trail}}}, true},
      {"ArnEquals", "aws:SourceArn", {trail},
       {{"aws:SourceArn", {"arn:aws:cloudtrail:us-east-1:222222222222:trail/org"}}}, false},
      {"ArnLike", "aws:SourceArn", {"arn:aws:cloudtrail:*:111111111111:trail/*"},
       {{"aws:SourceArn", {trail}}}, true},
      {"ArnLike", "aws:SourceArn", {"arn:aws:cloudtrail:*:111111111111:trail/*"},
       {{"aws:SourceArn", {"arn:aws:cloudtrail:us-east-1:222222222222:trail/x"}}}, false},
      // '*' inside one component does not swallow ':' separators of others.
      {"ArnLike", "aws:SourceArn", {"arn:aws:s3:::*"}, {{"aws:SourceArn", {"arn:aws:s3:::b/k"}}},
       true},
      {"ArnLike", "aws:SourceArn", {"arn:aws:*"}, {{"aws:SourceArn", {trail}}}, true},
      {"ArnNotEquals", "aws:SourceArn", {trail}, {{"aws:SourceArn", {trail}}}, false},
      {"ArnNotLike", "aws:SourceArn", {"arn:aws:cloudtrail:*:222222222222:*"},
       {{"aws:SourceArn", {trail}}}, true},
      {"ArnLike", "aws:SourceArn", {trail}, {{"aws:SourceArn", {"not-an-arn"}}}, false},
  });
}

TEST(ConditionsTest, IfExistsAndMissingKeys) {
  RunCases({
      {"StringEqualsIfExists", "aws:SourceAccount", {"111"}, {}, true},
      {"StringEqualsIfExists", "aws:SourceAccount", {"111"}, {{"aws:SourceAccount", {"222"}}},
       false},
      {"StringEqualsIfExists", "aws:SourceAccount", {"111"}, {{"aws:SourceAccount", {"111"}}},
       true},
      {"NumericLessThanIfExists", "n", {"5"}, {}, true},
      {"IpAddressIfExists", "aws:SourceIp", {"10.0.0.0/8"}, {}, true},
      {"ArnLikeIfExists", "aws:SourceArn", {"arn:aws:x:::y"}, {}, true},
      {"DateLessThanIfExists", "aws:CurrentTime", {"2020-01-01T00:00:00Z"}, {}, true},
      {"ArnNotLike", "aws:SourceArn", {"arn:aws:x:::y"}, {}, true},
      {"NotIpAddress", "aws:SourceIp", {"10.0.0.0/8"}, {}, true},
  });
}

TEST(ConditionsTest, SetOperators) {
  ContextValues tags = {{"aws:TagKeys", {"team", "env"}}};
  RunCases({
      {"ForAllValues:StringEquals", "aws:TagKeys", {"team", "env", "cost"}, tags, true},
      {"ForAllValues:StringEquals", "aws:TagKeys", {"team"}, tags, false},
      {"ForAllValues:StringEquals", "aws:TagKeys", {"team"}, {}, true},  // missing: true
      {"ForAllValues:StringEquals", "aws:TagKeys", {"team"}, {{"aws:TagKeys", {}}}, true},
      {"ForAnyValue:StringEquals", "aws:TagKeys", {"env"}, tags, true},
      {"ForAnyValue:StringEquals", "aws:TagKeys", {"cost"}, tags, false},
      {"ForAnyValue:StringEquals", "aws:TagKeys", {"env"}, {}, false},  // missing: false
      {"ForAnyValue:StringEqualsIfExists", "aws:TagKeys", {"env"}, {}, false},
      {"ForAllValues:StringLike", "aws:TagKeys", {"t*", "e*"}, tags, true},
      {"ForAllValues:StringNotEquals", "aws:TagKeys", {"secret"}, tags, true},
      {"ForAllValues:StringNotEquals", "aws:TagKeys", {"env"}, tags, false},
      {"ForAnyValue:StringNotEquals", "aws:TagKeys", {"env"}, tags, true},
      {"ForAnyValue:StringNotEquals", "aws:TagKeys", {"env", "team"}, tags, false},
  });
}

TEST(ConditionsTest, PolicyVariablesInValues) {
  ContextValues ctx = {{"aws:username", {"alice"}}, {"s3:prefix", {"home/alice/docs"}}};
  RunCases({
      {"StringLike", "s3:prefix", {"home/${aws:username}/*"}, ctx, true},
      {"StringLike", "s3:prefix", {"home/${aws:userid}/*"}, ctx, false},  // missing variable
      {"StringEquals", "s3:prefix", {"home/${aws:username, 'bob'}/docs"},
       {{"s3:prefix", {"home/bob/docs"}}}, true},  // default
      {"StringEquals", "k", {"a${*}b${?}c${$}"}, {{"k", {"a*b?c$"}}}, true},
      {"StringLike", "k", {"a${*}b"}, {{"k", {"axxb"}}}, false},  // ${*} is a literal star
      {"StringLike", "k", {"a${*}b"}, {{"k", {"a*b"}}}, true},
  });
  // Version 2008-10-17: variables are literal text.
  ConditionClause clause;
  clause.op_text = "StringEquals";
  clause.op = *ParseConditionOperator("StringEquals");
  clause.key = "k";
  clause.values = {"${aws:username}"};
  EXPECT_TRUE(EvaluateCondition(clause, {{"k", {"${aws:username}"}}}, false));
  EXPECT_FALSE(EvaluateCondition(clause, {{"k", {"alice"}}, {"aws:username", {"alice"}}}, false));
  EXPECT_TRUE(EvaluateCondition(clause, {{"k", {"alice"}}, {"aws:username", {"alice"}}}, true));
}

TEST(ConditionsTest, FailureDetails) {
  Case c{"StringEquals", "s3:x-amz-acl", {"bucket-owner-full-control"},
         {{"s3:x-amz-acl", {"private"}}}, false};
  ConditionFailure f;
  ASSERT_FALSE(EvaluateCondition(Clause(c), c.context, true, &f));
  EXPECT_EQ(f.op, "StringEquals");
  EXPECT_EQ(f.key, "s3:x-amz-acl");
  EXPECT_EQ(f.expected, std::vector<std::string>{"bucket-owner-full-control"});
  EXPECT_EQ(f.actual, std::vector<std::string>{"private"});
  EXPECT_FALSE(f.key_missing);

  ConditionFailure g;
  ASSERT_FALSE(EvaluateCondition(Clause(c), {}, true, &g));
  EXPECT_TRUE(g.key_missing);

  Case v{"StringLike", "s3:prefix", {"home/${aws:username}/*"}, {{"s3:prefix", {"x"}}}, false};
  ConditionFailure h;
  ASSERT_FALSE(EvaluateCondition(Clause(v), v.context, true, &h));
  EXPECT_EQ(h.missing_variable, "aws:username");
}

TEST(ConditionsTest, OperatorParsing) {
  auto op = ParseConditionOperator("ForAnyValue:StringEqualsIfExists");
  ASSERT_TRUE(op);
  EXPECT_EQ(op->op, ConditionOp::kStringEquals);
  EXPECT_EQ(op->set, SetQualifier::kForAnyValue);
  EXPECT_TRUE(op->if_exists);
  EXPECT_TRUE(ParseConditionOperator("stringequals"));  // IAM is case-insensitive here
  EXPECT_FALSE(ParseConditionOperator("StringEqual"));
  EXPECT_FALSE(ParseConditionOperator("NullIfExists"));
  EXPECT_FALSE(ParseConditionOperator("ForAllValues:Null"));
  EXPECT_FALSE(ParseConditionOperator("ForSomeValues:StringEquals"));
  EXPECT_FALSE(ParseConditionOperator(""));
  EXPECT_TRUE(IsNegated(ConditionOp::kStringNotLike));
  EXPECT_FALSE(IsNegated(ConditionOp::kNumericLessThan));
}

TEST(ConditionsTest, ValueValidation) {
  auto check = [](const char* op, std::string value) {
    ConditionClause c;
    c.op_text = op;
    c.op = *ParseConditionOperator(op);
    c.key = "k";
    c.values = {std::move(value)};
    return ValidateConditionValues(c);
  };
  EXPECT_NE(check("NumericLessThan", "abc"), "");
  EXPECT_NE(check("NumericLessThan", "0x10"), "");
  EXPECT_EQ(check("NumericLessThan", "-1.5"), "");
  EXPECT_NE(check("DateLessThan", "yesterday"), "");
  EXPECT_EQ(check("DateLessThan", "2026-01-01T00:00:00Z"), "");
  EXPECT_NE(check("IpAddress", "300.1.1.1/8"), "");
  EXPECT_NE(check("IpAddress", "10.0.0.0/33"), "");
  EXPECT_NE(check("IpAddress", "::/129"), "");
  EXPECT_EQ(check("IpAddress", "::/0"), "");
  EXPECT_NE(check("Null", "maybe"), "");
  EXPECT_EQ(check("StringEquals", "anything"), "");
}

TEST(GlobTest, Wildcards) {
  EXPECT_TRUE(GlobMatch("*", "", false));
  EXPECT_TRUE(GlobMatch("a*b*c", "aXXbYYc", false));
  EXPECT_FALSE(GlobMatch("a*b*c", "aXXbYY", false));
  EXPECT_TRUE(GlobMatch("arn:aws:s3:::b/*", "arn:aws:s3:::b/x/y:z", false));
  EXPECT_FALSE(GlobMatch("arn:aws:s3:::b/*", "arn:aws:s3:::bb/x", false));
  EXPECT_TRUE(GlobMatch("S3:get*", "s3:GetObject", true));
  EXPECT_FALSE(GlobMatch("S3:get*", "s3:GetObject", false));
  EXPECT_TRUE(GlobMatch("?", "x", false));
  EXPECT_FALSE(GlobMatch("?", "", false));
  // Pathological backtracking stays fast.
  std::string text(5000, 'a');
  EXPECT_FALSE(GlobMatch("*a*a*a*a*a*a*a*b", text, false));
}

}  // namespace
}  // namespace orgtrail::policy
