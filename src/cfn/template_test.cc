#include "cfn/template.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

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
  Json t = Parse(
      R"({"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": {"Fn::Sub": "x"}}}}})");
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
  EXPECT_NE(r.status().message().find("Template format error: YAML not well-formed. (line"),
            std::string::npos)
      << r.status().message();
}

// Bodies on which the YAML library used before libyaml never returned (found
// by template_fuzz; "[:" and "{:" are from that library's bug tracker). Each
// is refused as the invalid YAML it is, with a position.
TEST(TemplateTest, BodiesThatLoopedYamlCppAreRefused) {
  for (std::string body :
       {std::string(",AaW"), std::string(","), std::string("  ,a"), std::string("# c\n,a"),
        std::string("\"a\",b"), std::string("'a' ,b"), std::string("'it''s',b"), std::string("&#,"),
        std::string("!t &a ,b"), std::string("\n\n%\n\n,!"), std::string("--- ,a"),
        std::string("0\n&\n({\n5\n #\n,!"), std::string("\0,,,,%", 6), std::string("a: b\x01"),
        std::string("[:"), std::string("a: {:"), std::string("a:\n  - b\n,c\n")}) {
    auto t = ParseTemplate(body);
    ASSERT_FALSE(t.ok()) << body;
    EXPECT_EQ(t.status().code(), "ValidationError") << body;
    EXPECT_NE(t.status().message().find("(line "), std::string::npos) << t.status().message();
  }
  // Commas elsewhere are ordinary YAML: in plain, quoted and block scalars, flow collections.
  auto ok = ParseTemplate(
      "Description: a, b\nMetadata:\n  Q: 'x,\n    ,y'\n  L: |\n    ,line\n  F: [1,\n    2]\n"
      "Resources:\n  B:\n    Type: AWS::S3::Bucket\n");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ((*ok)["Metadata"]["Q"], "x, ,y");
  EXPECT_EQ((*ok)["Metadata"]["L"], ",line\n");
  EXPECT_EQ((*ok)["Metadata"]["F"], Json({1, 2}));
}

TEST(TemplateTest, ControlCharactersNameTheirPosition) {
  auto r = ParseTemplateSyntax("a: b\nc: d\x01\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("(line 2, column 5)"), std::string::npos)
      << r.status().message();
}

TEST(TemplateTest, DuplicateKeysAndUnknownTagsAreRejected) {
  EXPECT_FALSE(ParseTemplateSyntax("a: 1\na: 2\n").ok());
  auto r = ParseTemplateSyntax("a: !Bogus x\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("!Bogus"), std::string::npos);
  EXPECT_NE(r.status().message().find("(line 1, column 4)"), std::string::npos)
      << r.status().message();
}

TEST(TemplateTest, DuplicateKeysNameTheSecondOccurrence) {
  for (auto [body, want] : std::vector<std::pair<std::string, std::string>>{
           {"x: 1\nm:\n  a: 1\n  b: 2\n  a: 3\n", "(line 5, column 3) Duplicate key 'a'"},
           {"x: 1\nm: {a: 1, b: 2,\n  a: 3}\n", "(line 3, column 3) Duplicate key 'a'"},
           {"Resources: {}\nResources: {}\n", "(line 2, column 1) Duplicate key 'Resources'"}}) {
    auto r = ParseTemplateSyntax(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().code(), "ValidationError");
    EXPECT_NE(r.status().message().find(want), std::string::npos) << r.status().message();
  }
}

// The quoted form of "1" is the same key as the plain one, as the key is the text written.
TEST(TemplateTest, KeysAreTheirText) {
  auto dup = ParseTemplateSyntax("m:\n  1: a\n  '1': b\n");
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("(line 3, column 3) Duplicate key '1'"), std::string::npos)
      << dup.status().message();
  Json t = Parse("1: a\ntrue: b\n'null': c\n!!str 2: d\n");
  EXPECT_EQ(t, Json({{"1", "a"}, {"true", "b"}, {"null", "c"}, {"2", "d"}}));
}

TEST(TemplateTest, NonStringKeysAreRefused) {
  for (std::string body : {"? [a]\n: b\n", "? {a: 1}\n: b\n", "a: {[a]: b}\n", "~: x\n",
                           "null: x\n", "!Ref a: b\n", "a: &n null\n*n : c\n"}) {
    auto r = ParseTemplateSyntax(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_NE(r.status().message().find("Keys must be strings"), std::string::npos)
        << body << ": " << r.status().message();
  }
  EXPECT_FALSE(ParseTemplateSyntax(": x\n").ok());  // libyaml: "did not find expected key"
}

TEST(TemplateTest, MergeKeysAreRefused) {
  auto r = ParseTemplateSyntax("a: &a {x: 1}\nb:\n  <<: *a\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("(line 3, column 3) Merge keys"), std::string::npos)
      << r.status().message();
}

TEST(TemplateTest, AliasesAreExpanded) {
  Json t = Parse(
      "Tags: &tags\n  - {Key: team, Value: audit}\nOther: *tags\nName: &n !Sub '${A}-x'\n"
      "Copy: *n\nk: &k key1\nm: {*k : 1}\n");
  EXPECT_EQ(t["Other"], t["Tags"]);
  EXPECT_EQ(t["Other"][0]["Key"], "team");
  EXPECT_EQ(t["Copy"], Json({{"Fn::Sub", "${A}-x"}}));
  EXPECT_EQ(t["m"], Json({{"key1", 1}}));
}

TEST(TemplateTest, UnknownAndRecursiveAliasesAreRefused) {
  for (std::string body : {"a: *nope\n", "a: &a [1, *a]\n", "a: &a {b: *a}\n"}) {
    auto r = ParseTemplateSyntax(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_NE(r.status().message().find("Unknown alias *"), std::string::npos)
        << r.status().message();
  }
}

// "Billion laughs": ten levels of ten aliases would be 10^10 nodes.
TEST(TemplateTest, AliasBombIsBounded) {
  std::string y = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  std::string prev = "a";
  for (int i = 0; i < 9; ++i) {
    std::string n = "l";
    n += std::to_string(i);  // not "l" + ...: a GCC 12 -Wrestrict false positive at -O3
    y.append(n).append(": &").append(n).append(" [");
    for (int j = 0; j < 10; ++j) y.append(j ? ", *" : "*").append(prev);
    y.append("]\n");
    prev = n;
  }
  auto r = ParseTemplateSyntax(y);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("too large once its anchors and aliases are expanded"),
            std::string::npos)
      << r.status().message();
}

// Few nodes but long scalars: the byte budget bounds what aliases copy.
TEST(TemplateTest, AliasedLongScalarsAreBounded) {
  std::string y = "a: &a '" + std::string(40000, 'x') + "'\nb: &b [";
  for (int i = 0; i < 100; ++i) y.append(i ? ", *a" : "*a");
  y.append("]\nc: [*b, *b]\n");
  ASSERT_LT(y.size(), kMaxTemplateBodyBytes);
  auto r = ParseTemplateSyntax(y);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("too large once its anchors and aliases are expanded"),
            std::string::npos);
}

std::string NestedAnchors(int levels, const std::string& inner) {
  std::string y = "a: ";
  for (int i = 0; i < levels; ++i) y.append("&a").append(std::to_string(i)).append(" [");
  y.append(inner).append(std::string(levels, ']')).append("\n");
  return y;
}

// An anchor costs its subtree once, not again for each anchor inside it.
TEST(TemplateTest, NestedAnchorsAreCountedOnce) {
  Json t = Parse(NestedAnchors(60, "x") + "b: *a0\nc: *a30\n");
  EXPECT_EQ(t["b"], t["a"]);
  Json inner = t["a"];
  for (int i = 0; i < 30; ++i) inner = Json(inner[0]);
  EXPECT_EQ(t["c"], inner);
}

// Each anchor keeps a copy of its subtree: ten anchors around 20000 nodes would be 200000 more.
TEST(TemplateTest, AnchorCopiesAreBounded) {
  std::string list = "x";
  for (int i = 1; i < 20000; ++i) list.append(",x");
  EXPECT_TRUE(ParseTemplateSyntax(NestedAnchors(1, list)).ok());
  auto r = ParseTemplateSyntax(NestedAnchors(10, list));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("too large once its anchors and aliases are expanded"),
            std::string::npos)
      << r.status().message();
}

std::string NestedFlow(int levels) {
  return "a: " + std::string(levels, '[') + "x" + std::string(levels, ']') + "\n";
}

std::string NestedBlock(int levels) {
  std::string y;
  for (int i = 0; i < levels; ++i) y.append(2 * i, ' ').append("k:\n");
  return y.append(2 * levels, ' ').append("v\n");
}

TEST(TemplateTest, NestingDepthIsBounded) {
  // The root mapping is depth 0: NestedFlow(99) and NestedBlock(100) reach depth 100.
  EXPECT_TRUE(ParseTemplateSyntax(NestedFlow(99)).ok());
  EXPECT_TRUE(ParseTemplateSyntax(NestedBlock(100)).ok());
  for (std::string body : {NestedFlow(100), NestedBlock(101), NestedFlow(20000)}) {
    auto r = ParseTemplateSyntax(body);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("nested too deeply"), std::string::npos)
        << r.status().message();
  }
  // Aliases cannot stack subtrees deeper than the limit either.
  std::string chain = "a0: &a0 [x]\n";
  for (int i = 1; i < 5; ++i) {
    chain.append("a").append(std::to_string(i)).append(": &a").append(std::to_string(i));
    chain.append(" ").append(std::string(40, '[')).append("*a").append(std::to_string(i - 1));
    chain.append(std::string(40, ']')).append("\n");
  }
  auto aliased = ParseTemplateSyntax(chain);
  ASSERT_FALSE(aliased.ok());
  EXPECT_NE(
      aliased.status().message().find("(line 4, column 49) The template is nested too deeply"),
      std::string::npos)
      << aliased.status().message();
  auto deep_json =
      ParseTemplateSyntax("{\"a\": " + std::string(5000, '[') + std::string(5000, ']') + "}");
  ASSERT_FALSE(deep_json.ok());
  EXPECT_NE(deep_json.status().message().find("nested too deeply"), std::string::npos);
}

TEST(TemplateTest, ExactlyOneDocument) {
  for (std::string body : {"a: 1\n---\nb: 2\n", "---\na: 1\n...\n---\nb: 2\n", "---\n---\n"}) {
    auto r = ParseTemplateSyntax(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_NE(r.status().message().find("exactly one document"), std::string::npos)
        << r.status().message();
  }
  auto empty = ParseTemplateSyntax("# only a comment\n");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("empty"), std::string::npos);
  EXPECT_EQ(Parse("%YAML 1.1\n---\na: 1 # c\n# c\n...\n"), Json({{"a", 1}}));
  EXPECT_EQ(Parse("--- {a: 1}\n"), Json({{"a", 1}}));
}

TEST(TemplateTest, BlockScalars) {
  Json t = Parse(
      "clip: |\n  l1\n   l2\n\n"
      "strip: |-\n  l1\n  l2\n\n"
      "keep: |+\n  l1\n\n"
      "fold: >\n  a\n  b\n\n  c\n"
      "foldstrip: >-\n  a\n  b\n"
      "indent: |2\n    x\n  y\n"
      "sub: !Sub |\n  #!/bin/sh\n  echo ${AWS::Region}\n"
      "num: |\n  30\n");
  EXPECT_EQ(t["clip"], "l1\n l2\n");
  EXPECT_EQ(t["strip"], "l1\nl2");
  EXPECT_EQ(t["keep"], "l1\n\n");
  EXPECT_EQ(t["fold"], "a b\nc\n");
  EXPECT_EQ(t["foldstrip"], "a b");
  EXPECT_EQ(t["indent"], "  x\ny\n");
  EXPECT_EQ(t["sub"], Json({{"Fn::Sub", "#!/bin/sh\necho ${AWS::Region}\n"}}));
  EXPECT_EQ(t["num"], "30\n");  // block scalars are strings
}

TEST(TemplateTest, ScalarStylesAndStandardTags) {
  Json t = Parse(
      "plain: a b  # comment\n"
      "single: 'it''s'\n"
      "double: \"tab\\there \\u00e9\"\n"
      "multi: a\n  b\n"
      "null1: null\nnull2: 'null'\nnull3:\n"
      "i: !!int 42\ns: !!str 42\nb: !!bool true\nns: ! 42\n"
      "neg: -3\npos: +5\nhex: 0x1F\nexp: 1e3\nyes: yes\n"
      "list: [a, 'b', \"c\", 1, ~]\n");
  EXPECT_EQ(t["plain"], "a b");
  EXPECT_EQ(t["single"], "it's");
  EXPECT_EQ(t["double"], "tab\there \u00e9");
  EXPECT_EQ(t["multi"], "a b");
  EXPECT_TRUE(t["null1"].is_null());
  EXPECT_EQ(t["null2"], "null");
  EXPECT_TRUE(t["null3"].is_null());
  EXPECT_EQ(t["i"], 42);
  EXPECT_EQ(t["s"], "42");
  EXPECT_EQ(t["b"], true);
  EXPECT_EQ(t["ns"], "42");
  EXPECT_EQ(t["neg"], -3);
  EXPECT_EQ(t["pos"], 5);
  EXPECT_EQ(t["hex"], "0x1F");
  EXPECT_EQ(t["exp"], "1e3");
  EXPECT_EQ(t["yes"], "yes");
  EXPECT_EQ(t["list"], Json({"a", "b", "c", 1, nullptr}));
}

TEST(TemplateTest, RemainingShortForms) {
  Json t = Parse(
      "a: !Cidr [10.0.0.0/16, 4, 8]\nb: !Length [1, 2]\nc: !ToJsonString {k: v}\n"
      "d: !Transform {Name: M}\ne: !Condition C\nf: !Sub\n  - '${A}'\n  - A: 1\n"
      "g: !Select\n  - 1\n  - !GetAZs ''\n");
  EXPECT_EQ(t["a"], Json({{"Fn::Cidr", {"10.0.0.0/16", 4, 8}}}));
  EXPECT_EQ(t["b"], Json({{"Fn::Length", {1, 2}}}));
  EXPECT_EQ(t["c"], Json({{"Fn::ToJsonString", {{"k", "v"}}}}));
  EXPECT_EQ(t["d"], Json({{"Fn::Transform", {{"Name", "M"}}}}));
  EXPECT_EQ(t["e"], Json({{"Condition", "C"}}));
  EXPECT_EQ(t["f"], Json({{"Fn::Sub", Json::array({"${A}", {{"A", 1}}})}}));
  EXPECT_EQ(t["g"], Json({{"Fn::Select", Json::array({1, {{"Fn::GetAZs", ""}}})}}));
  for (std::string bad : {"a: !Ref [x]\n", "a: !Condition {x: 1}\n", "a: !GetAtt Res\n",
                          "a: !GetAtt .x\n", "a: !<tag:example.com,2000:x> 1\n"}) {
    auto r = ParseTemplateSyntax(bad);
    EXPECT_FALSE(r.ok()) << bad;
  }
}

TEST(TemplateTest, SectionChecks) {
  auto no_res = ParseTemplate("Description: x\n");
  ASSERT_FALSE(no_res.ok());
  EXPECT_EQ(no_res.status().message(),
            "Template format error: At least one Resources member must be defined.");
  auto bad_section = ParseTemplate("Resourcez: {}\nResources: {A: {Type: AWS::S3::Bucket}}\n");
  ASSERT_FALSE(bad_section.ok());
  EXPECT_EQ(bad_section.status().message(),
            "Template format error: Invalid template property or properties [Resourcez]");
  auto no_type = ParseTemplate("Resources: {A: {Properties: {}}}\n");
  ASSERT_FALSE(no_type.ok());
  EXPECT_EQ(
      no_type.status().message(),
      "Template format error: [/Resources/A] Every Resources object must contain a Type member.");
  auto version =
      ParseTemplate("AWSTemplateFormatVersion: '2011-01-01'\nResources: {A: {Type: X}}\n");
  ASSERT_FALSE(version.ok());
  EXPECT_TRUE(
      ParseTemplate("AWSTemplateFormatVersion: '2010-09-09'\nResources: {A: {Type: X}}\n").ok());
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
