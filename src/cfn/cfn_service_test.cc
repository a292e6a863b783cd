#include "cfn/cfn_service.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "cfn/template.h"

namespace orgtrail::cfn {
namespace {

constexpr char kAccount[] = "222222222222";

// Records every call and answers with canned results; `fail` names calls
// ("kms:CreateKey", "s3:PUT lifecycle") that answer with an error.
class FakeInvoker : public ServiceInvoker {
 public:
  struct Call {
    std::string name;  // "kms:CreateKey", "iam:CreateRole", "s3:PUT acme?lifecycle"
    Json input;        // JSON input / query params
    s3::S3Request s3;
  };

  Result<Json> CallJson(const auth::RequestContext&, const std::string& service,
                        const std::string& op, const Json& input) override {
    calls.push_back({service + ":" + op, input, {}});
    if (fail.count(service + ":" + op))
      return Status::Error("LimitExceededException", "too many keys in this account");
    if (op == "CreateKey") {
      std::string id = "key-" + std::to_string(++keys);
      return Json{{"KeyMetadata", {{"KeyId", id}, {"Arn", "arn:aws:kms:eu-west-1:" + std::string(kAccount) + ":key/" + id}}}};
    }
    if (op == "CreateTrail")
      return Json{{"TrailARN", "arn:aws:cloudtrail:eu-west-1:" + std::string(kAccount) + ":trail/" + input.value("Name", "")}};
    return Json::object();
  }
  Result<OrderedJson> CallQuery(const auth::RequestContext&, const std::string& service,
                                const std::string& op, const auth::QueryParams& params) override {
    calls.push_back({service + ":" + op, Json(params), {}});
    if (fail.count(service + ":" + op)) return Status::Error("MalformedPolicyDocument", "bad policy");
    if (op == "CreateRole") {
      OrderedJson r;
      r["Role"]["Arn"] = "arn:aws:iam::" + std::string(kAccount) + ":role/" + params.at("RoleName");
      r["Role"]["RoleId"] = "AROAEXAMPLEEXAMPLE01";
      return r;
    }
    if (op == "CreatePolicy") {
      OrderedJson r;
      r["Policy"]["Arn"] =
          "arn:aws:iam::" + std::string(kAccount) + ":policy/" + params.at("PolicyName");
      r["Policy"]["PolicyId"] = "ANPAEXAMPLEEXAMPLE01";
      r["Policy"]["DefaultVersionId"] = "v1";
      return r;
    }
    if (op == "CreatePolicyVersion") {
      OrderedJson r;
      r["PolicyVersion"]["VersionId"] = "v" + std::to_string(++policy_versions + 1);
      return r;
    }
    if (op == "ListEntitiesForPolicy") {
      // One role attached outside any stack.
      OrderedJson r, role;
      role["RoleName"] = "outsider";
      r["PolicyRoles"] = OrderedJson::array({role});
      return r;
    }
    if (op == "ListPolicyVersions") {
      // The fake keeps only "the new default and v1".
      OrderedJson r;
      r["Versions"] = OrderedJson::array();
      if (policy_versions > 0) {
        OrderedJson v;
        v["VersionId"] = "v" + std::to_string(policy_versions + 1);
        v["IsDefaultVersion"] = true;
        r["Versions"].push_back(v);
        OrderedJson old;
        old["VersionId"] = "v1";
        old["IsDefaultVersion"] = false;
        r["Versions"].push_back(old);
      }
      return r;
    }
    return OrderedJson::object();
  }
  s3::S3Response CallS3(const auth::RequestContext&, const s3::S3Request& req) override {
    std::string sub = req.query.empty() ? "" : req.query[0].first;
    std::string name = "s3:" + req.method + " " + req.bucket + (sub.empty() ? "" : "?" + sub);
    calls.push_back({name, Json(), req});
    s3::S3Response r;
    if (fail.count("s3:" + req.method + " " + sub)) {
      r.status = 400;
      r.body = "<Error><Code>MalformedXML</Code><Message>The XML you provided was not well-formed</Message></Error>";
    }
    return r;
  }

  std::vector<std::string> Names(size_t from = 0) const {
    std::vector<std::string> out;
    for (size_t i = from; i < calls.size(); ++i) out.push_back(calls[i].name);
    return out;
  }
  const Call* Find(const std::string& name) const {
    for (const auto& c : calls)
      if (c.name == name) return &c;
    return nullptr;
  }

  std::vector<Call> calls;
  std::set<std::string> fail;
  int keys = 0;
  int policy_versions = 0;
};

std::string ReadTestdata(const std::string& name) {
  std::string dir = __FILE__;
  dir = dir.substr(0, dir.rfind('/'));
  std::ifstream in(dir + "/testdata/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Both parameter-file formats AWS tools use, as Query parameters.
auth::QueryParams ParamFile(const std::string& name, std::map<std::string, std::string> overrides = {}) {
  Json j = Json::parse(ReadTestdata(name));
  std::vector<std::pair<std::string, std::string>> kv;
  if (j.is_object()) {
    for (const auto& [k, v] : j["Parameters"].items()) kv.emplace_back(k, v.get<std::string>());
  } else {
    for (const auto& p : j) kv.emplace_back(p["ParameterKey"], p["ParameterValue"]);
  }
  auth::QueryParams q;
  int i = 1;
  for (auto& [k, v] : kv) {
    if (overrides.count(k)) v = overrides[k];
    std::string base = "Parameters.member." + std::to_string(i++);
    q[base + ".ParameterKey"] = k;
    q[base + ".ParameterValue"] = v;
  }
  return q;
}

class CfnServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = catalog::Db::Open(":memory:");
    ASSERT_TRUE(db.ok());
    db_ = std::move(db).value();
    svc_ = std::make_unique<CfnService>(*db_, invoker_, clock_);
    ops_ = svc_->Ops();
    ctx_.principal.account_id = kAccount;
    ctx_.principal.arn = "arn:aws:iam::222222222222:root";
    ctx_.region = "eu-west-1";
  }

  Result<OrderedJson> Call(const std::string& op, auth::QueryParams p) { return ops_.at(op)(ctx_, p); }

  OrderedJson Ok(const std::string& op, auth::QueryParams p) {
    auto r = Call(op, p);
    EXPECT_TRUE(r.ok()) << op << ": " << r.status().ToString();
    return r.ok() ? *r : OrderedJson();
  }

  auth::QueryParams CreateParams(const std::string& file = "params.json",
                                 std::map<std::string, std::string> overrides = {}) {
    auth::QueryParams p = ParamFile(file, overrides);
    p["StackName"] = "audit";
    p["TemplateBody"] = ReadTestdata("audit-account.yaml");
    p["Capabilities.member.1"] = "CAPABILITY_NAMED_IAM";
    return p;
  }

  OrderedJson Stack(const std::string& name = "audit") {
    auto out = Ok("DescribeStacks", {{"StackName", name}});
    return out["Stacks"][0];
  }

  std::map<std::string, std::string> Outputs(const OrderedJson& stack) {
    std::map<std::string, std::string> m;
    for (const auto& o : stack["Outputs"]) m[o["OutputKey"]] = o["OutputValue"];
    return m;
  }

  std::vector<OrderedJson> Events(const std::string& name = "audit") {
    auto out = Ok("DescribeStackEvents", {{"StackName", name}});
    return std::vector<OrderedJson>(out["StackEvents"].begin(), out["StackEvents"].end());
  }

  SimulatedClock clock_{FromUnixSeconds(1795000000)};
  FakeInvoker invoker_;
  std::unique_ptr<catalog::Db> db_;
  std::unique_ptr<CfnService> svc_;
  auth::QueryOps ops_;
  auth::RequestContext ctx_;
};

const char kLifecycle14[] =
    "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Rule><ID>TransitionToGlacier</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status>"
    "<Transition><Days>14</Days><StorageClass>GLACIER</StorageClass></Transition>"
    "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>"
    "<Rule><ID>ExpireLogs</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status>"
    "<Expiration><Days>180</Days></Expiration></Rule></LifecycleConfiguration>";

TEST_F(CfnServiceTest, CreatesTheReferenceStackInDependencyOrder) {
  auto out = Ok("CreateStack", CreateParams());
  std::string stack_id = out["StackId"];
  EXPECT_EQ(stack_id.rfind("arn:aws:cloudformation:eu-west-1:222222222222:stack/audit/", 0), 0u);

  std::vector<std::string> expected = {
      "iam:CreateRole", "iam:PutRolePolicy", "kms:CreateKey",
      "s3:PUT acme-audit-cloudtrail", "s3:PUT acme-audit-cloudtrail?accelerate",
      "s3:PUT acme-audit-cloudtrail?encryption", "s3:PUT acme-audit-cloudtrail?versioning",
      "s3:PUT acme-audit-cloudtrail?publicAccessBlock", "s3:PUT acme-audit-cloudtrail?lifecycle",
      "s3:PUT acme-audit-cloudtrail?policy", "kms:CreateAlias"};
  EXPECT_EQ(invoker_.Names(), expected);

  // The role: fixed name, trust policy with the account root and a bare account id.
  const auto* role = invoker_.Find("iam:CreateRole");
  ASSERT_NE(role, nullptr);
  EXPECT_EQ(role->input["RoleName"], "CloudTrailLogReader");
  Json trust = Json::parse(role->input["AssumeRolePolicyDocument"].get<std::string>());
  EXPECT_EQ(trust["Statement"][0]["Principal"]["AWS"],
            Json({"arn:aws:iam::222222222222:root", "111111111111"}));
  const auto* inline_policy = invoker_.Find("iam:PutRolePolicy");
  EXPECT_EQ(inline_policy->input["PolicyName"], "DecryptLogs");
  EXPECT_EQ(Json::parse(inline_policy->input["PolicyDocument"].get<std::string>())["Statement"][0]["Action"],
            "kms:Decrypt");

  // The key and its exact policy.
  const auto* key = invoker_.Find("kms:CreateKey");
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(key->input["Description"], "CloudTrail log encryption key");
  EXPECT_EQ(key->input["KeyUsage"], "ENCRYPT_DECRYPT");
  EXPECT_EQ(invoker_.Find("kms:EnableKeyRotation"), nullptr);
  EXPECT_EQ(invoker_.Find("kms:DisableKey"), nullptr);
  Json expected_policy = Json::parse(R"({
    "Version": "2012-10-17",
    "Statement": [
      {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
       "Principal": {"AWS": ["arn:aws:iam::222222222222:root",
                             "arn:aws:iam::222222222222:role/pipeline-deployer"]},
       "Action": "kms:*", "Resource": "*"},
      {"Sid": "Allow CloudTrail to encrypt logs", "Effect": "Allow",
       "Principal": {"Service": "cloudtrail.amazonaws.com"},
       "Action": "kms:GenerateDataKey*", "Resource": "*",
       "Condition": {"StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn":
                                    "arn:aws:cloudtrail:*:111111111111:trail/*"}}},
      {"Sid": "Allow the read role to decrypt logs", "Effect": "Allow",
       "Principal": {"AWS": "arn:aws:iam::222222222222:role/CloudTrailLogReader"},
       "Action": "kms:Decrypt", "Resource": "*",
       "Condition": {"Null": {"kms:EncryptionContext:aws:cloudtrail:arn": "false"}}},
      {"Sid": "Allow CloudTrail to describe key", "Effect": "Allow",
       "Principal": {"Service": "cloudtrail.amazonaws.com"},
       "Action": "kms:DescribeKey", "Resource": "*"}
    ]})");
  EXPECT_EQ(Json::parse(key->input["Policy"].get<std::string>()), expected_policy);
  const auto* alias = invoker_.Find("kms:CreateAlias");
  EXPECT_EQ(alias->input, Json({{"AliasName", "alias/cloudtrail"}, {"TargetKeyId", "key-1"}}));

  // The bucket calls and their XML bodies.
  const auto* create = invoker_.Find("s3:PUT acme-audit-cloudtrail");
  EXPECT_EQ(create->s3.headers.at("x-amz-acl"), "log-delivery-write");
  EXPECT_EQ(create->s3.body,
            "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>");
  EXPECT_EQ(invoker_.Find("s3:PUT acme-audit-cloudtrail?accelerate")->s3.body,
            "<AccelerateConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<Status>Enabled</Status></AccelerateConfiguration>");
  EXPECT_EQ(invoker_.Find("s3:PUT acme-audit-cloudtrail?encryption")->s3.body,
            "<ServerSideEncryptionConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm>"
            "<KMSMasterKeyID>key-1</KMSMasterKeyID></ApplyServerSideEncryptionByDefault></Rule>"
            "</ServerSideEncryptionConfiguration>");
  EXPECT_EQ(invoker_.Find("s3:PUT acme-audit-cloudtrail?versioning")->s3.body,
            "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<Status>Enabled</Status></VersioningConfiguration>");
  EXPECT_EQ(invoker_.Find("s3:PUT acme-audit-cloudtrail?publicAccessBlock")->s3.body,
            "<PublicAccessBlockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<BlockPublicAcls>true</BlockPublicAcls><BlockPublicPolicy>true</BlockPublicPolicy>"
            "</PublicAccessBlockConfiguration>");
  EXPECT_EQ(invoker_.Find("s3:PUT acme-audit-cloudtrail?lifecycle")->s3.body, kLifecycle14);
  Json bucket_policy = Json::parse(invoker_.Find("s3:PUT acme-audit-cloudtrail?policy")->s3.body);
  EXPECT_EQ(bucket_policy["Statement"][0]["Sid"], "AWSCloudTrailAclCheck20131101");
  EXPECT_EQ(bucket_policy["Statement"][0]["Resource"], "arn:aws:s3:::acme-audit-cloudtrail");
  EXPECT_EQ(bucket_policy["Statement"][1]["Resource"], "arn:aws:s3:::acme-audit-cloudtrail/*");
  EXPECT_EQ(bucket_policy["Statement"][1]["Condition"]["StringEquals"]["s3:x-amz-acl"],
            "bucket-owner-full-control");

  OrderedJson stack = Stack();
  EXPECT_EQ(stack["StackStatus"], "CREATE_COMPLETE");
  EXPECT_EQ(stack["StackId"], stack_id);
  auto outputs = Outputs(stack);
  EXPECT_EQ(outputs["BucketName"], "acme-audit-cloudtrail");
  EXPECT_EQ(outputs["BucketArn"], "arn:aws:s3:::acme-audit-cloudtrail");
  EXPECT_EQ(outputs["KmsKeyArn"], "arn:aws:kms:eu-west-1:222222222222:key/key-1");
  EXPECT_EQ(outputs["KmsKeyId"], "key-1");
  EXPECT_EQ(outputs["ReadRoleArn"], "arn:aws:iam::222222222222:role/CloudTrailLogReader");
  EXPECT_EQ(Events().front()["ResourceStatus"], "CREATE_COMPLETE");  // newest first
  EXPECT_EQ(Events().front()["LogicalResourceId"], "audit");

  auto resources = Ok("DescribeStackResources", {{"StackName", "audit"}});
  EXPECT_EQ(resources["StackResources"].size(), 5u);
  auto one = Ok("DescribeStackResource", {{"StackName", "audit"}, {"LogicalResourceId", "KeyAlias"}});
  EXPECT_EQ(one["StackResourceDetail"]["PhysicalResourceId"], "alias/cloudtrail");
  auto tmpl = Ok("GetTemplate", {{"StackName", "audit"}});
  EXPECT_EQ(tmpl["TemplateBody"], ReadTestdata("audit-account.yaml"));
  EXPECT_EQ(Call("CreateStack", CreateParams()).status().code(), "AlreadyExistsException");
}

TEST_F(CfnServiceTest, ListParameterFileGivesTheSameStack) {
  Ok("CreateStack", CreateParams("params-list.json"));
  auto outputs = Outputs(Stack());
  EXPECT_EQ(outputs["BucketName"], "acme-audit-cloudtrail");
  EXPECT_EQ(invoker_.Find("s3:PUT acme-audit-cloudtrail?lifecycle")->s3.body, kLifecycle14);
}

TEST_F(CfnServiceTest, NamedIamNeedsTheCapability) {
  auto p = CreateParams();
  p.erase("Capabilities.member.1");
  auto r = Call("CreateStack", p);
  EXPECT_EQ(r.status().code(), "InsufficientCapabilitiesException");
  EXPECT_EQ(r.status().message(), "Requires capabilities : [CAPABILITY_NAMED_IAM]");
  p["Capabilities.member.1"] = "CAPABILITY_IAM";
  EXPECT_EQ(Call("CreateStack", p).status().code(), "InsufficientCapabilitiesException");
  EXPECT_TRUE(invoker_.calls.empty());
  auto v = Ok("ValidateTemplate", {{"TemplateBody", ReadTestdata("audit-account.yaml")}});
  EXPECT_EQ(v["Capabilities"][0], "CAPABILITY_NAMED_IAM");
  EXPECT_EQ(v["CapabilitiesReason"], "The following resource(s) require capabilities: [AWS::IAM::Role]");
  EXPECT_EQ(v["Parameters"].size(), 5u);
}

TEST_F(CfnServiceTest, FailingResourceRollsBackAndEventsNameIt) {
  invoker_.fail.insert("s3:PUT lifecycle");
  Ok("CreateStack", CreateParams());
  OrderedJson stack = Stack();
  EXPECT_EQ(stack["StackStatus"], "ROLLBACK_COMPLETE");
  bool saw_failed = false, saw_rollback = false;
  for (const auto& e : Events()) {
    if (e["LogicalResourceId"] == "Bucket" && e["ResourceStatus"] == "CREATE_FAILED") {
      saw_failed = true;
      std::string reason = e["ResourceStatusReason"];
      EXPECT_NE(reason.find("The XML you provided was not well-formed"), std::string::npos) << reason;
      EXPECT_NE(reason.find("MalformedXML"), std::string::npos) << reason;
    }
    if (e["ResourceStatus"] == "ROLLBACK_IN_PROGRESS") {
      saw_rollback = true;
      EXPECT_EQ(e["ResourceStatusReason"],
                "The following resource(s) failed to create: [Bucket]. Rollback requested by user.");
    }
  }
  EXPECT_TRUE(saw_failed);
  EXPECT_TRUE(saw_rollback);
  // Everything created so far is gone again, newest first.
  auto names = invoker_.Names();
  ASSERT_GE(names.size(), 5u);
  EXPECT_EQ(std::vector<std::string>(names.end() - 5, names.end()),
            (std::vector<std::string>{"s3:PUT acme-audit-cloudtrail?lifecycle",
                                      "s3:DELETE acme-audit-cloudtrail", "kms:ScheduleKeyDeletion",
                                      "iam:DeleteRolePolicy", "iam:DeleteRole"}));
  const auto* del = invoker_.Find("kms:ScheduleKeyDeletion");
  ASSERT_NE(del, nullptr);
  EXPECT_EQ(del->input["PendingWindowInDays"], 30);
  EXPECT_NE(invoker_.Find("iam:DeleteRole"), nullptr);
  EXPECT_NE(invoker_.Find("s3:DELETE acme-audit-cloudtrail"), nullptr);
  EXPECT_EQ(invoker_.Find("kms:CreateAlias"), nullptr);
  EXPECT_EQ(Ok("DescribeStackResources", {{"StackName", "audit"}})["StackResources"].size(), 0u);
}

TEST_F(CfnServiceTest, UpdateChangesOnlyTheLifecycleRule) {
  Ok("CreateStack", CreateParams());
  size_t before = invoker_.calls.size();
  auto p = CreateParams("params.json", {{"ParamTransitionLogsToGlacierAfterThisManyDays", "30"}});
  Ok("UpdateStack", p);
  EXPECT_EQ(invoker_.Names(before), std::vector<std::string>{"s3:PUT acme-audit-cloudtrail?lifecycle"});
  std::string body = invoker_.calls.back().s3.body;
  EXPECT_NE(body.find("<Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition>"),
            std::string::npos);
  EXPECT_NE(body.find("<Expiration><Days>180</Days></Expiration>"), std::string::npos);
  EXPECT_EQ(Stack()["StackStatus"], "UPDATE_COMPLETE");
  auto again = Call("UpdateStack", p);
  EXPECT_EQ(again.status().code(), "ValidationError");
  EXPECT_EQ(again.status().message(), "No updates are to be performed.");
}

TEST_F(CfnServiceTest, NewBucketNameReplacesTheBucket) {
  Ok("CreateStack", CreateParams());
  size_t before = invoker_.calls.size();
  Ok("UpdateStack", CreateParams("params.json", {{"ParamBucketPrefix", "acme-audit2"}}));
  auto names = invoker_.Names(before);
  ASSERT_GE(names.size(), 4u);
  EXPECT_EQ(names.front(), "s3:PUT acme-audit2-cloudtrail");
  // The old policy goes before the old bucket it is attached to.
  EXPECT_EQ(std::vector<std::string>(names.end() - 2, names.end()),
            (std::vector<std::string>{"s3:DELETE acme-audit-cloudtrail?policy",
                                      "s3:DELETE acme-audit-cloudtrail"}));
  EXPECT_EQ(invoker_.Find("kms:CreateKey"), &invoker_.calls[2]);  // no second key
  EXPECT_EQ(Outputs(Stack())["BucketName"], "acme-audit2-cloudtrail");
  EXPECT_EQ(Stack()["StackStatus"], "UPDATE_COMPLETE");
}

TEST_F(CfnServiceTest, FailedUpdateRollsBack) {
  Ok("CreateStack", CreateParams());
  invoker_.fail.insert("s3:PUT lifecycle");
  Ok("UpdateStack", CreateParams("params.json", {{"ParamTransitionLogsToGlacierAfterThisManyDays", "30"}}));
  EXPECT_EQ(Stack()["StackStatus"], "UPDATE_ROLLBACK_COMPLETE");
  bool named = false;
  for (const auto& e : Events())
    named = named || (e["LogicalResourceId"] == "Bucket" && e["ResourceStatus"] == "UPDATE_FAILED");
  EXPECT_TRUE(named);
  // The stack keeps its previous parameters.
  OrderedJson stack = Stack();
  for (const auto& p : stack["Parameters"]) {
    if (p["ParameterKey"] == "ParamTransitionLogsToGlacierAfterThisManyDays") {
      EXPECT_EQ(p["ParameterValue"], "14");
    }
  }
}

TEST_F(CfnServiceTest, DeleteKeepsTheRetainedBucket) {
  Ok("CreateStack", CreateParams());
  std::string id = Stack()["StackId"];
  size_t before = invoker_.calls.size();
  Ok("DeleteStack", {{"StackName", "audit"}});
  auto names = invoker_.Names(before);
  EXPECT_EQ(names, (std::vector<std::string>{"kms:DeleteAlias", "s3:DELETE acme-audit-cloudtrail?policy",
                                             "kms:ScheduleKeyDeletion", "iam:DeleteRolePolicy",
                                             "iam:DeleteRole"}));
  bool skipped = false;
  for (const auto& e : Events(id))
    skipped = skipped || (e["LogicalResourceId"] == "Bucket" && e["ResourceStatus"] == "DELETE_SKIPPED");
  EXPECT_TRUE(skipped);
  auto gone = Call("DescribeStacks", {{"StackName", "audit"}});
  EXPECT_EQ(gone.status().code(), "ValidationError");
  EXPECT_EQ(gone.status().message(), "Stack with id audit does not exist");
  EXPECT_EQ(Stack(id)["StackStatus"], "DELETE_COMPLETE");
  Ok("DeleteStack", {{"StackName", "audit"}});  // deleting again is a no-op
  auto listed = Ok("ListStacks", {{"StackStatusFilter.member.1", "DELETE_COMPLETE"}});
  EXPECT_EQ(listed["StackSummaries"].size(), 1u);
}

TEST_F(CfnServiceTest, ChangeSetsAsDeployUsesThem) {
  auto p = CreateParams();
  p["ChangeSetName"] = "deploy-1";
  p["ChangeSetType"] = "CREATE";
  auto created = Ok("CreateChangeSet", p);
  EXPECT_TRUE(invoker_.calls.empty());
  EXPECT_EQ(Stack()["StackStatus"], "REVIEW_IN_PROGRESS");
  auto cs = Ok("DescribeChangeSet", {{"ChangeSetName", created["Id"]}});
  EXPECT_EQ(cs["Status"], "CREATE_COMPLETE");
  EXPECT_EQ(cs["ExecutionStatus"], "AVAILABLE");
  EXPECT_EQ(cs["Changes"].size(), 5u);
  EXPECT_EQ(cs["Changes"][0]["ResourceChange"]["Action"], "Add");
  Ok("ExecuteChangeSet", {{"ChangeSetName", "deploy-1"}, {"StackName", "audit"}});
  EXPECT_EQ(Stack()["StackStatus"], "CREATE_COMPLETE");
  EXPECT_EQ(Stack()["ChangeSetId"], created["Id"]);

  // Same inputs again: the change set fails the way deploy recognises.
  auto same = CreateParams();
  same["ChangeSetName"] = "deploy-2";
  Ok("CreateChangeSet", same);
  auto cs2 = Ok("DescribeChangeSet", {{"ChangeSetName", "deploy-2"}, {"StackName", "audit"}});
  EXPECT_EQ(cs2["Status"], "FAILED");
  EXPECT_NE(std::string(cs2["StatusReason"]).find("didn't contain changes"), std::string::npos);
  EXPECT_EQ(Call("ExecuteChangeSet", {{"ChangeSetName", "deploy-2"}, {"StackName", "audit"}}).status().code(),
            "InvalidChangeSetStatus");
  Ok("DeleteChangeSet", {{"ChangeSetName", "deploy-2"}, {"StackName", "audit"}});
  EXPECT_EQ(Call("DescribeChangeSet", {{"ChangeSetName", "deploy-2"}, {"StackName", "audit"}}).status().code(),
            "ChangeSetNotFound");

  auto upd = CreateParams("params.json", {{"ParamTransitionLogsToGlacierAfterThisManyDays", "30"}});
  upd["ChangeSetName"] = "deploy-3";
  Ok("CreateChangeSet", upd);
  auto cs3 = Ok("DescribeChangeSet", {{"ChangeSetName", "deploy-3"}, {"StackName", "audit"}});
  ASSERT_EQ(cs3["Changes"].size(), 1u);
  auto rc = cs3["Changes"][0]["ResourceChange"];
  EXPECT_EQ(rc["Action"], "Modify");
  EXPECT_EQ(rc["LogicalResourceId"], "Bucket");
  EXPECT_EQ(rc["Replacement"], "False");
  EXPECT_EQ(rc["Details"][0]["Target"]["Name"], "LifecycleConfiguration");
  EXPECT_EQ(Ok("ListChangeSets", {{"StackName", "audit"}})["Summaries"].size(), 2u);
  size_t before = invoker_.calls.size();
  Ok("ExecuteChangeSet", {{"ChangeSetName", "deploy-3"}, {"StackName", "audit"}});
  EXPECT_EQ(invoker_.Names(before), std::vector<std::string>{"s3:PUT acme-audit-cloudtrail?lifecycle"});
  EXPECT_EQ(Stack()["StackStatus"], "UPDATE_COMPLETE");
}

TEST_F(CfnServiceTest, BadTemplatesAreRefusedBeforeAnythingIsCreated) {
  auto p = CreateParams();
  p["TemplateBody"] = "Resources:\n  X: {Type: AWS::X::Y}\n";
  for (int i = 1; i <= 5; ++i) {
    p.erase("Parameters.member." + std::to_string(i) + ".ParameterKey");
    p.erase("Parameters.member." + std::to_string(i) + ".ParameterValue");
  }
  auto r = Call("CreateStack", p);
  EXPECT_EQ(r.status().code(), "ValidationError");
  EXPECT_EQ(r.status().message(), "Template format error: Unrecognized resource types: [AWS::X::Y]");
  p["TemplateBody"] = "Resources:\n  B: {Type: AWS::S3::Bucket, Properties: {Foo: 1}}\n";
  EXPECT_EQ(Call("CreateStack", p).status().message().rfind("Encountered unsupported property Foo", 0), 0u);
  p["TemplateBody"] =
      "Resources:\n  P: {Type: AWS::IAM::ManagedPolicy, Properties: {Roles: [r]}}\n";
  EXPECT_NE(Call("CreateStack", p).status().message().find("PolicyDocument"), std::string::npos);
  p["StackName"] = "1bad";
  EXPECT_EQ(Call("CreateStack", p).status().code(), "ValidationError");
  EXPECT_TRUE(invoker_.calls.empty());
  EXPECT_EQ(Ok("DescribeStacks", {})["Stacks"].size(), 0u);
}

TEST_F(CfnServiceTest, NoEchoParametersAreMasked) {
  auth::QueryParams p = {{"StackName", "s"},
                         {"TemplateBody",
                          "Parameters: {Pw: {Type: String, NoEcho: true}}\n"
                          "Resources:\n  T:\n    Type: AWS::CloudTrail::Trail\n    Properties:\n"
                          "      TrailName: org\n      S3BucketName: b\n      IsLogging: true\n"
                          "      IsMultiRegionTrail: true\n      IsOrganizationTrail: true\n"
                          "      EnableLogFileValidation: true\n      KMSKeyId: !Ref Pw\n"
                          "Outputs: {Arn: {Value: !GetAtt T.Arn}}\n"},
                         {"Parameters.member.1.ParameterKey", "Pw"},
                         {"Parameters.member.1.ParameterValue", "secret"}};
  Ok("CreateStack", p);
  OrderedJson stack = Stack("s");
  EXPECT_EQ(stack["StackStatus"], "CREATE_COMPLETE");
  EXPECT_EQ(stack["Parameters"][0]["ParameterValue"], "****");
  EXPECT_EQ(Outputs(stack)["Arn"], "arn:aws:cloudtrail:eu-west-1:222222222222:trail/org");
  const auto* trail = invoker_.Find("cloudtrail:CreateTrail");
  ASSERT_NE(trail, nullptr);
  EXPECT_EQ(trail->input["IsOrganizationTrail"], true);
  EXPECT_EQ(trail->input["EnableLogFileValidation"], true);
  EXPECT_EQ(trail->input["KmsKeyId"], "secret");
  EXPECT_NE(invoker_.Find("cloudtrail:StartLogging"), nullptr);
}

TEST_F(CfnServiceTest, ManagedPolicyCreatesAttachesUpdatesAndDeletes) {
  const std::string tmpl =
      "Parameters: {Action: {Type: String, Default: 'kms:ListKeys'}, Target: {Type: String, "
      "Default: ops}}\n"
      "Resources:\n"
      "  P:\n"
      "    Type: AWS::IAM::ManagedPolicy\n"
      "    Properties:\n"
      "      ManagedPolicyName: ListKeys\n"
      "      Roles: [!Ref Target]\n"
      "      PolicyDocument:\n"
      "        Version: '2012-10-17'\n"
      "        Statement: [{Effect: Allow, Action: !Ref Action, Resource: '*'}]\n"
      "Outputs: {Arn: {Value: !Ref P}, Version: {Value: !GetAtt P.DefaultVersionId}}\n";
  auth::QueryParams p = {{"StackName", "mp"}, {"TemplateBody", tmpl}};
  EXPECT_EQ(Call("CreateStack", p).status().code(), "InsufficientCapabilitiesException");
  p["Capabilities.member.1"] = "CAPABILITY_NAMED_IAM";
  Ok("CreateStack", p);
  EXPECT_EQ(Stack("mp")["StackStatus"], "CREATE_COMPLETE");
  EXPECT_EQ(invoker_.Names(),
            (std::vector<std::string>{"iam:CreatePolicy", "iam:AttachRolePolicy"}));
  const auto* create = invoker_.Find("iam:CreatePolicy");
  Json doc = Json::parse(create->input["PolicyDocument"].get<std::string>());
  EXPECT_EQ(doc["Statement"][0]["Action"], "kms:ListKeys");
  const auto* attach = invoker_.Find("iam:AttachRolePolicy");
  EXPECT_EQ(attach->input["RoleName"], "ops");
  EXPECT_EQ(attach->input["PolicyArn"], "arn:aws:iam::222222222222:policy/ListKeys");
  auto outputs = Outputs(Stack("mp"));
  EXPECT_EQ(outputs["Arn"], "arn:aws:iam::222222222222:policy/ListKeys");
  EXPECT_EQ(outputs["Version"], "v1");

  // A document change is a new default version, not a replacement; a new
  // target is attached and the old one detached.
  size_t before = invoker_.calls.size();
  auth::QueryParams u = p;
  u["UsePreviousTemplate"] = "true";
  u.erase("TemplateBody");
  u["Parameters.member.1.ParameterKey"] = "Action";
  u["Parameters.member.1.ParameterValue"] = "kms:DescribeKey";
  u["Parameters.member.2.ParameterKey"] = "Target";
  u["Parameters.member.2.ParameterValue"] = "audit";
  Ok("UpdateStack", u);
  EXPECT_EQ(Stack("mp")["StackStatus"], "UPDATE_COMPLETE");
  EXPECT_EQ(invoker_.Names(before),
            (std::vector<std::string>{"iam:CreatePolicyVersion", "iam:ListPolicyVersions",
                                      "iam:DeletePolicyVersion", "iam:AttachRolePolicy",
                                      "iam:DetachRolePolicy"}));
  EXPECT_EQ(invoker_.calls[before + 2].input["VersionId"], "v1");
  EXPECT_EQ(invoker_.calls[before + 3].input["RoleName"], "audit");
  EXPECT_EQ(invoker_.calls[before + 4].input["RoleName"], "ops");
  EXPECT_EQ(Outputs(Stack("mp"))["Version"], "v2");

  before = invoker_.calls.size();
  Ok("DeleteStack", {{"StackName", "mp"}});
  auto names = invoker_.Names(before);
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.front(), "iam:DetachRolePolicy");
  EXPECT_EQ(names.back(), "iam:DeletePolicy");
  EXPECT_EQ(invoker_.calls.back().input["PolicyArn"], "arn:aws:iam::222222222222:policy/ListKeys");
  // The attachment made outside the stack is detached too.
  bool outsider_detached = false;
  for (size_t i = before; i < invoker_.calls.size(); ++i)
    outsider_detached |= invoker_.calls[i].name == "iam:DetachRolePolicy" &&
                         invoker_.calls[i].input["RoleName"] == "outsider";
  EXPECT_TRUE(outsider_detached);
}

TEST_F(CfnServiceTest, ManagedPolicyAttachFailureLeavesNothingBehind) {
  invoker_.fail.insert("iam:AttachUserPolicy");
  auth::QueryParams p = {{"StackName", "mp"},
                         {"TemplateBody",
                          "Resources:\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n"
                          "      Users: [u]\n      PolicyDocument: {Version: '2012-10-17', "
                          "Statement: [{Effect: Allow, Action: 's3:*', Resource: '*'}]}\n"},
                         {"Capabilities.member.1", "CAPABILITY_IAM"}};
  Ok("CreateStack", p);
  EXPECT_EQ(Stack("mp")["StackStatus"], "ROLLBACK_COMPLETE");
  auto names = invoker_.Names();
  ASSERT_GE(names.size(), 3u);
  EXPECT_EQ(names[0], "iam:CreatePolicy");
  EXPECT_EQ(names[1], "iam:AttachUserPolicy");
  EXPECT_EQ(names.back(), "iam:DeletePolicy");
  // Without ManagedPolicyName the policy gets a generated name.
  std::string name = invoker_.calls[0].input["PolicyName"];
  EXPECT_EQ(name.rfind("mp-P-", 0), 0u) << name;
}

}  // namespace
}  // namespace orgtrail::cfn
