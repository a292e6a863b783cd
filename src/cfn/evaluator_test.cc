#include "cfn/evaluator.h"

#include <gtest/gtest.h>

#include "cfn/resources.h"
#include "cfn/template.h"

namespace orgtrail::cfn {
namespace {

constexpr char kTemplate[] = R"(
Parameters:
  Env: {Type: String, AllowedValues: [prod, dev], Default: dev}
  Name: {Type: String, MinLength: 2, MaxLength: 8, AllowedPattern: '[a-z]+'}
  Days: {Type: Number, MinValue: 1, MaxValue: 365, Default: 14}
  Ids: {Type: List<Number>, Default: '1,2,3'}
  Zones: {Type: CommaDelimitedList, Default: 'a, b'}
  Secret: {Type: String, NoEcho: true, Default: s3cr3t}
Mappings:
  M: {prod: {Size: big}, dev: {Size: small}}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  Both: !And [!Condition IsDev, !Equals [!Ref Days, '14']]
  Either: {"Fn::Or": [{"Condition": "IsProd"}, {"Fn::Equals": ["a", "a"]}]}
Resources:
  A: {Type: AWS::S3::Bucket}
  B: {Type: AWS::S3::Bucket, DependsOn: A}
  C: {Type: AWS::S3::BucketPolicy, Properties: {Bucket: !Ref B, PolicyDocument: !GetAtt A.Arn}}
  D: {Type: AWS::S3::Bucket, Condition: IsProd}
  E: {Type: AWS::S3::Bucket, Properties: {BucketName: !Sub '${C}-x'}}
)";

struct Fixture {
  TemplateModel model;
  std::unique_ptr<Evaluator> ev;
};

Fixture Make(std::vector<ParameterInput> given = {{"Name", "abc", false}}) {
  Fixture f;
  auto t = ParseTemplate(kTemplate);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  auto m = AnalyzeTemplate(*t);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  f.model = *m;
  auto params = ResolveParameters(f.model, given, {});
  EXPECT_TRUE(params.ok()) << params.status().ToString();
  PseudoParams pseudo{"123456789012", "eu-west-1", "aws", "amazonaws.com", "st",
                      "arn:aws:cloudformation:eu-west-1:123456789012:stack/st/1"};
  f.ev = std::make_unique<Evaluator>(f.model, *params, pseudo,
                                     [](const std::string& n) -> std::optional<std::string> {
                                       if (n == "Shared") return "v-shared";
                                       return std::nullopt;
                                     });
  EXPECT_TRUE(f.ev->EvaluateConditions().ok());
  f.ev->SetResource("A", {"bucket-a", {{"Arn", "arn:aws:s3:::bucket-a"}}});
  return f;
}

Json Eval(Fixture& f, const std::string& yaml) {
  auto node = ParseTemplateSyntax("v: " + yaml);
  EXPECT_TRUE(node.ok()) << node.status().ToString();
  auto r = f.ev->Resolve((*node)["v"]);
  EXPECT_TRUE(r.ok()) << yaml << ": " << r.status().ToString();
  return r.ok() ? *r : Json("<error>");
}

Status EvalError(Fixture& f, const std::string& yaml) {
  auto node = ParseTemplateSyntax("v: " + yaml);
  EXPECT_TRUE(node.ok());
  auto r = f.ev->Resolve((*node)["v"]);
  return r.status();
}

TEST(EvaluatorTest, OrderFollowsDependencies) {
  Fixture f = Make();
  auto pos = [&](const std::string& id) {
    return std::find(f.model.order.begin(), f.model.order.end(), id) - f.model.order.begin();
  };
  EXPECT_LT(pos("A"), pos("B"));
  EXPECT_LT(pos("B"), pos("C"));
  EXPECT_LT(pos("A"), pos("C"));
  EXPECT_LT(pos("C"), pos("E"));  // implicit through !Sub
  EXPECT_EQ(f.model.resources.at("E").depends_on, std::set<std::string>{"C"});
}

TEST(EvaluatorTest, RefAndPseudoParameters) {
  Fixture f = Make();
  EXPECT_EQ(Eval(f, "!Ref Env"), "dev");
  EXPECT_EQ(Eval(f, "{Ref: Days}"), "14");
  EXPECT_EQ(Eval(f, "!Ref Ids"), Json({"1", "2", "3"}));
  EXPECT_EQ(Eval(f, "!Ref Zones"), Json({"a", "b"}));
  EXPECT_EQ(Eval(f, "!Ref AWS::AccountId"), "123456789012");
  EXPECT_EQ(Eval(f, "!Ref AWS::Region"), "eu-west-1");
  EXPECT_EQ(Eval(f, "!Ref AWS::Partition"), "aws");
  EXPECT_EQ(Eval(f, "!Ref AWS::URLSuffix"), "amazonaws.com");
  EXPECT_EQ(Eval(f, "!Ref AWS::StackName"), "st");
  EXPECT_EQ(Eval(f, "!Ref AWS::StackId"), "arn:aws:cloudformation:eu-west-1:123456789012:stack/st/1");
  EXPECT_EQ(Eval(f, "!Ref A"), "bucket-a");
  EXPECT_EQ(Eval(f, "{a: 1, b: !Ref AWS::NoValue, c: [x, !Ref AWS::NoValue]}"),
            Json({{"a", 1}, {"c", {"x"}}}));
  EXPECT_EQ(Eval(f, "{a: !If [IsProd, x, !Ref AWS::NoValue]}"), Json::object());
}

TEST(EvaluatorTest, GetAttBothForms) {
  Fixture f = Make();
  EXPECT_EQ(Eval(f, "!GetAtt A.Arn"), "arn:aws:s3:::bucket-a");
  EXPECT_EQ(Eval(f, "!GetAtt [A, Arn]"), "arn:aws:s3:::bucket-a");
  EXPECT_EQ(Eval(f, "{'Fn::GetAtt': [A, Arn]}"), "arn:aws:s3:::bucket-a");
  Status s = EvalError(f, "!GetAtt A.Nope");
  EXPECT_EQ(s.message(), "Template error: resource A does not support attribute type Nope in Fn::GetAtt");
}

TEST(EvaluatorTest, SubBothForms) {
  Fixture f = Make();
  EXPECT_EQ(Eval(f, "!Sub 'arn:aws:iam::${AWS::AccountId}:root'"), "arn:aws:iam::123456789012:root");
  EXPECT_EQ(Eval(f, "!Sub '${A.Arn}/*'"), "arn:aws:s3:::bucket-a/*");
  EXPECT_EQ(Eval(f, "!Sub ['${X}-${Env}-${!Literal}', {X: !Ref A}]"), "bucket-a-dev-${Literal}");
  EXPECT_EQ(Eval(f, "{'Fn::Sub': 'd${Days}'}"), "d14");
}

TEST(EvaluatorTest, ListFunctions) {
  Fixture f = Make();
  EXPECT_EQ(Eval(f, "!Join ['-', [a, !Ref Env, 3]]"), "a-dev-3");
  EXPECT_EQ(Eval(f, "!Join [',', !Ref Ids]"), "1,2,3");
  EXPECT_EQ(Eval(f, "{'Fn::Join': ['', [x, y]]}"), "xy");
  EXPECT_EQ(Eval(f, "!Select [1, !Ref Zones]"), "b");
  EXPECT_EQ(Eval(f, "!Select ['0', [p, q]]"), "p");
  EXPECT_EQ(Eval(f, "!Split ['|', 'a|b||c']"), Json({"a", "b", "", "c"}));
  EXPECT_EQ(Eval(f, "!Select [2, !Split [',', 'x,y,z']]"), "z");
  EXPECT_EQ(Eval(f, "!GetAZs ''"), Json({"eu-west-1a", "eu-west-1b", "eu-west-1c"}));
  EXPECT_EQ(Eval(f, "!Select [0, !GetAZs us-east-1]"), "us-east-1a");
  EXPECT_EQ(Eval(f, "!Base64 hi"), "aGk=");
  EXPECT_EQ(Eval(f, "{'Fn::Base64': !Sub '${Env}'}"), "ZGV2");
  EXPECT_EQ(Eval(f, "!FindInMap [M, !Ref Env, Size]"), "small");
  EXPECT_EQ(Eval(f, "{'Fn::FindInMap': [M, prod, Size]}"), "big");
  EXPECT_EQ(Eval(f, "!ImportValue Shared"), "v-shared");
  EXPECT_EQ(EvalError(f, "!ImportValue Missing").code(), "ValidationError");
  EXPECT_EQ(EvalError(f, "!Select [5, [a]]").code(), "ValidationError");
  EXPECT_EQ(EvalError(f, "!FindInMap [M, x, Size]").code(), "ValidationError");
  EXPECT_EQ(EvalError(f, "{'Fn::Bogus': 1}").code(), "ValidationError");
}

TEST(EvaluatorTest, ConditionsShortAndLong) {
  Fixture dev = Make();
  EXPECT_FALSE(dev.ev->ConditionHolds("IsProd"));
  EXPECT_TRUE(dev.ev->ConditionHolds("IsDev"));
  EXPECT_TRUE(dev.ev->ConditionHolds("Both"));
  EXPECT_TRUE(dev.ev->ConditionHolds("Either"));
  EXPECT_EQ(Eval(dev, "!If [IsProd, a, b]"), "b");
  EXPECT_EQ(Eval(dev, "{'Fn::If': [IsDev, a, b]}"), "a");
  EXPECT_EQ(Eval(dev, "!Equals [x, x]"), true);
  EXPECT_EQ(Eval(dev, "!Or [!Equals [a, b], !Condition IsDev]"), true);
  EXPECT_EQ(Eval(dev, "!And [!Equals [a, a], !Condition IsProd]"), false);
  EXPECT_EQ(Eval(dev, "{'Fn::Not': [{'Fn::Equals': [a, b]}]}"), true);
  Fixture prod = Make({{"Name", "abc", false}, {"Env", "prod", false}});
  EXPECT_TRUE(prod.ev->ConditionHolds("IsProd"));
  EXPECT_FALSE(prod.ev->ConditionHolds("Both"));
  EXPECT_EQ(Eval(prod, "!If [IsProd, a, b]"), "a");
}

Status ParamError(std::vector<ParameterInput> given) {
  auto t = ParseTemplate(kTemplate);
  auto m = AnalyzeTemplate(*t);
  return ResolveParameters(*m, given, {}).status();
}

TEST(EvaluatorTest, ParameterValidation) {
  EXPECT_EQ(ParamError({}).message(), "Parameters: [Name] must have values");
  EXPECT_EQ(ParamError({{"Name", "abc"}, {"Nope", "1"}}).message(),
            "Parameters: [Nope] do not exist in the template");
  EXPECT_EQ(ParamError({{"Name", "abc"}, {"Env", "test"}}).message(),
            "Parameter 'Env' must be one of AllowedValues");
  EXPECT_EQ(ParamError({{"Name", "ABC"}}).message(), "Parameter 'Name' must match pattern [a-z]+");
  EXPECT_EQ(ParamError({{"Name", "a"}}).message(), "Parameter 'Name' must contain at least 2 characters");
  EXPECT_EQ(ParamError({{"Name", "abcdefghi"}}).message(),
            "Parameter 'Name' must contain at most 8 characters");
  EXPECT_EQ(ParamError({{"Name", "abc"}, {"Days", "x"}}).message(), "Parameter 'Days' must be a number");
  EXPECT_EQ(ParamError({{"Name", "abc"}, {"Days", "0"}}).message(),
            "Parameter 'Days' must be a number not less than 1");
  EXPECT_EQ(ParamError({{"Name", "abc"}, {"Days", "366"}}).message(),
            "Parameter 'Days' must be a number not greater than 365");
  EXPECT_EQ(ParamError({{"Name", "abc"}, {"Ids", "1,x"}}).message(), "Parameter 'Ids' must be a number");
  EXPECT_TRUE(ParamError({{"Name", "abc"}}).ok());
  // UsePreviousValue reads the stack's previous value.
  auto t = ParseTemplate(kTemplate);
  auto m = AnalyzeTemplate(*t);
  auto r = ResolveParameters(*m, {{"Name", "", true}}, {{"Name", "prev"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->at("Name"), "prev");
  for (const auto& d : m->parameters) EXPECT_EQ(d.no_echo, d.name == "Secret") << d.name;
}

Status AnalyzeError(const std::string& yaml) {
  auto t = ParseTemplate(yaml);
  if (!t.ok()) return t.status();
  return AnalyzeTemplate(*t).status();
}

TEST(EvaluatorTest, CyclesAndUnresolvedReferences) {
  EXPECT_EQ(AnalyzeError("Resources:\n  A: {Type: T, DependsOn: B}\n  B: {Type: T, Properties: {X: !Ref A}}\n").message(),
            "Circular dependency between resources: [A, B]");
  EXPECT_EQ(AnalyzeError("Resources:\n  A: {Type: T, Properties: {X: !GetAtt A.Arn}}\n").message(),
            "Circular dependency between resources: [A]");
  EXPECT_EQ(AnalyzeError("Resources:\n  A: {Type: T, Properties: {X: !Sub '${C.Arn}'}}\n  B: {Type: T, Properties: {X: !Ref A}}\n  C: {Type: T, Properties: {X: !Ref B}}\n").message(),
            "Circular dependency between resources: [A, B, C]");
  EXPECT_EQ(AnalyzeError("Resources:\n  A: {Type: T, Properties: {X: !Ref Nope}}\n").message(),
            "Template format error: Unresolved resource dependencies [Nope] in the Resources block of the template");
  EXPECT_EQ(AnalyzeError("Resources:\n  A: {Type: T, DependsOn: [Nope]}\n").message(),
            "Template format error: Unresolved resource dependencies [Nope] in the Resources block of the template");
  EXPECT_EQ(AnalyzeError("Resources:\n  A: {Type: T, Properties: {X: !GetAtt Nope.Arn}}\n").message(),
            "Template error: instance of Fn::GetAtt references undefined resource Nope");
  EXPECT_EQ(AnalyzeError("Parameters: {P: {Type: Strin}}\nResources:\n  A: {Type: T}\n").message(),
            "Template format error: Unrecognized parameter type: Strin");
  EXPECT_TRUE(AnalyzeError("Resources:\n  A: {Type: T, Properties: {X: !Sub ['${Local}', {Local: x}]}}\n").ok());
}

TEST(EvaluatorTest, PoliciesAndOutputs) {
  auto t = ParseTemplate(
      "Resources:\n  A: {Type: T, DeletionPolicy: Retain, UpdateReplacePolicy: Retain}\n"
      "Outputs:\n  O: {Value: !Ref A, Export: {Name: !Sub '${AWS::StackName}-O'}}\n");
  ASSERT_TRUE(t.ok());
  auto m = AnalyzeTemplate(*t);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->resources.at("A").deletion_policy, "Retain");
  EXPECT_EQ(m->resources.at("A").update_replace_policy, "Retain");
  ASSERT_EQ(m->outputs.size(), 1u);
  EXPECT_TRUE(m->outputs[0].export_name.has_value());
  EXPECT_FALSE(AnalyzeError("Resources:\n  A: {Type: T, DeletionPolicy: Keep}\n").ok());
}

TEST(ResourcesTest, UnknownTypesAndProperties) {
  EXPECT_EQ(ValidateResourceProperties("X", "AWS::X::Y", Json::object()).message(),
            "Template format error: Unrecognized resource types: [AWS::X::Y]");
  Status s = ValidateResourceProperties("B", "AWS::S3::Bucket", {{"Foo", 1}});
  EXPECT_EQ(s.code(), "ValidationError");
  EXPECT_EQ(s.message().rfind("Encountered unsupported property Foo", 0), 0u) << s.message();
  Status mp = ValidateResourceProperties("P", "AWS::IAM::ManagedPolicy", Json::object());
  EXPECT_NE(mp.message().find("PolicyDocument"), std::string::npos) << mp.message();
  EXPECT_TRUE(ValidateResourceProperties("P", "AWS::IAM::ManagedPolicy",
                                         {{"PolicyDocument", Json::object()}})
                  .ok());
  EXPECT_FALSE(ValidateResourceProperties("A", "AWS::KMS::Alias", {{"AliasName", "alias/x"}}).ok());
  EXPECT_TRUE(ValidateResourceProperties("B", "AWS::S3::Bucket", {{"BucketName", "x"}}).ok());
  auto acl = CannedAclHeader("LogDeliveryWrite");
  ASSERT_TRUE(acl.ok());
  EXPECT_EQ(*acl, "log-delivery-write");
  EXPECT_FALSE(CannedAclHeader("Everyone").ok());
}

}  // namespace
}  // namespace orgtrail::cfn
