#include "cfn/template.h"

#include <gtest/gtest.h>

namespace orgtrail::cfn {
namespace {

Json Parse(const std::string& body) {
  auto r = ParseTemplateSyntax(body);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Json();
}

TEST(TemplateTest, ShortFormsBecomeLongForms) {
  Json t = Parse(R"(
a: !Ref X
b: !Sub 'x-${Y}'
c: !Sub ['${A}', {A: !Ref Z}]
d: !GetAtt R.Arn
e: !GetAtt [R, Arn]
f: !Join [',', [a, b]]
g: !Select [0, !Split [',', 'a,b']]
h: !If [Cond, 1, 2]
i: !Equals [a, b]
j: !Not [!Condition C]
k: !And [!Condition C, !Condition D]
l: !Or [!Condition C, !Condition D]
m: !FindInMap [M, K1, K2]
n: !GetAZs ''
o: !ImportValue Exp
p: !Base64 hello
q: !GetAtt R.Nested.Attr
)");
  EXPECT_EQ(t["a"], Json({{"Ref", "X"}}));
  EXPECT_EQ(t["b"], Json({{"Fn::Sub", "x-${Y}"}}));
  EXPECT_EQ(t["c"]["Fn::Sub"][1]["A"], Json({{"Ref", "Z"}}));
  EXPECT_EQ(t["d"], Json({{"Fn::GetAtt", {"R", "Arn"}}}));
  EXPECT_EQ(t["e"], Json({{"Fn::GetAtt", {"R", "Arn"}}}));
  EXPECT_EQ(t["f"]["Fn::Join"][1], Json({"a", "b"}));
  EXPECT_EQ(t["g"]["Fn::Select"][1]["Fn::Split"][0], ",");
  EXPECT_EQ(t["h"]["Fn::If"], Json({"Cond", 1, 2}));
  EXPECT_TRUE(t["i"].contains("Fn::Equals"));
  EXPECT_EQ(t["j"]["Fn::Not"][0], Json({{"Condition", "C"}}));
  EXPECT_EQ(t["k"]["Fn::And"].size(), 2u);
  EXPECT_EQ(t["l"]["Fn::Or"].size(), 2u);
  EXPECT_EQ(t["m"]["Fn::FindInMap"], Json({"M", "K1", "K2"}));
  EXPECT_EQ(t["n"], Json({{"Fn::GetAZs", ""}}));
  EXPECT_EQ(t["o"], Json({{"Fn::ImportValue", "Exp"}}));
  EXPECT_EQ(t["p"], Json({{"Fn::Base64", "hello"}}));
  EXPECT_EQ(t["q"], Json({{"Fn::GetAtt", {"R", "Nested.Attr"}}}));
}

TEST(TemplateTest, ScalarsAreTypedLikeYaml) {
  Json t = Parse("a: true\nb: 30\nc: '30'\nd: 1.10\ne: ~\nf: 007\n");
  EXPECT_EQ(t["a"], true);
  EXPECT_EQ(t["b"], 30);
  EXPECT_EQ(t["c"], "30");
  EXPECT_EQ(t["d"], "1.10");  // kept verbatim, never 1.1
  EXPECT_TRUE(t["e"].is_null());
  EXPECT_EQ(t["f"], "007");
}

TEST(TemplateTest, JsonTemplates) {
  Json t = Parse(R"({"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": {"Fn::Sub": "x"}}}}})");
  EXPECT_EQ(t["Resources"]["B"]["Properties"]["BucketName"]["Fn::Sub"], "x");
  auto bad = ParseTemplateSyntax("{\"Resources\": ");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), "ValidationError");
  EXPECT_EQ(bad.status().message(), "Template format error: JSON not well-formed.");
}

TEST(TemplateTest, MalformedYamlNamesLineAndColumn) {
  auto r = ParseTemplateSyntax("Resources:\n  A: [1, 2\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "ValidationError");
  EXPECT_NE(r.status().message().find("Template format error: YAML not well-formed. (line"), std::string::npos)
      << r.status().message();
}

// Bodies on which yaml-cpp 0.7 never returns (found by template_fuzz): refused
// up front as the invalid YAML they are, quickly.
TEST(TemplateTest, LeadingFlowEntryIsRefusedWithoutReachingTheParser) {
  for (std::string body : {std::string(",AaW"), std::string(","), std::string("  ,a"),
                           std::string("# c\n,a"), std::string("\"a\",b"), std::string("'a' ,b"),
                           std::string("'it''s',b"), std::string("&#,"), std::string("!t &a ,b"),
                           std::string("\n\n%\n\n,!"), std::string("--- ,a"),
                           std::string("0\n&\n({\n5\n #\n,!"),
                           std::string("\0,,,,%", 6), std::string("a: b\x01")}) {
    auto t = ParseTemplate(body);
    ASSERT_FALSE(t.ok()) << body;
    EXPECT_EQ(t.status().code(), "ValidationError") << body;
  }
  // Commas elsewhere are ordinary YAML: in plain, quoted and block scalars, flow collections.
  auto ok = ParseTemplate(
      "Description: a, b\nMetadata:\n  Q: 'x,\n    ,y'\n  L: |\n    ,line\n  F: [1,\n    2]\n"
      "Resources:\n  B:\n    Type: AWS::S3::Bucket\n");
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
}

TEST(TemplateTest, DuplicateKeysAndUnknownTagsAreRejected) {
  EXPECT_FALSE(ParseTemplateSyntax("a: 1\na: 2\n").ok());
  auto r = ParseTemplateSyntax("a: !Bogus x\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("!Bogus"), std::string::npos);
}

TEST(TemplateTest, AliasBombIsBounded) {
  std::string y = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  std::string prev = "a";
  for (int i = 0; i < 9; ++i) {
    std::string n = "l" + std::to_string(i);
    y += n + ": &" + n + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev +
         ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n";
    prev = n;
  }
  auto r = ParseTemplateSyntax(y);
  EXPECT_FALSE(r.ok());
}

TEST(TemplateTest, SectionChecks) {
  auto no_res = ParseTemplate("Description: x\n");
  ASSERT_FALSE(no_res.ok());
  EXPECT_EQ(no_res.status().message(), "Template format error: At least one Resources member must be defined.");
  auto bad_section = ParseTemplate("Resourcez: {}\nResources: {A: {Type: AWS::S3::Bucket}}\n");
  ASSERT_FALSE(bad_section.ok());
  EXPECT_EQ(bad_section.status().message(),
            "Template format error: Invalid template property or properties [Resourcez]");
  auto no_type = ParseTemplate("Resources: {A: {Properties: {}}}\n");
  ASSERT_FALSE(no_type.ok());
  EXPECT_EQ(no_type.status().message(),
            "Template format error: [/Resources/A] Every Resources object must contain a Type member.");
  auto version = ParseTemplate("AWSTemplateFormatVersion: '2011-01-01'\nResources: {A: {Type: X}}\n");
  ASSERT_FALSE(version.ok());
  EXPECT_TRUE(ParseTemplate("AWSTemplateFormatVersion: '2010-09-09'\nResources: {A: {Type: X}}\n").ok());
}

TEST(TemplateTest, GarbageNeverCrashes) {
  for (const char* s : {"", "\0\1\2", "!!binary x", "[", "{", "- !Ref\n", "a: !GetAtt x",
                        "*unknown", "a: !Sub [1]", "---\n---\n", "? [a]\n: b\n"}) {
    auto r = ParseTemplate(std::string(s));
    EXPECT_FALSE(r.ok()) << s;
  }
}

}  // namespace
}  // namespace orgtrail::cfn
