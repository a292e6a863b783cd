#include "cloudtrail/cloudtrail_service.h"

#include <gtest/gtest.h>

#include <map>
#include <thread>

namespace orgtrail::cloudtrail {
namespace {

constexpr char kMgmt[] = "111111111111";
constexpr char kMember[] = "222222222222";
constexpr char kOutsider[] = "333333333333";
constexpr char kAudit[] = "444444444444";
constexpr char kOrgId[] = "o-abcdef1234";
constexpr char kHome[] = "us-east-1";
constexpr char kOther[] = "eu-west-1";

class FakeOrgs : public OrgDirectory {
 public:
  std::optional<OrgInfo> OrganizationOf(const std::string& account) override {
    std::lock_guard<std::mutex> l(mu);
    if (!accounts.count(account)) return std::nullopt;
    return org;
  }
  std::mutex mu;
  OrgInfo org{kOrgId, kMgmt, true, true};
  std::set<std::string> accounts{kMgmt, kMember, kAudit};
};

// A bucket policy that lets CloudTrail deliver for any trail (no aws:SourceArn
// condition), as the fakes' default: tests of the pre-flight replace it.
std::string OpenBucketPolicy(const std::string& bucket) {
  return R"({"Version":"2012-10-17","Statement":[
    {"Sid":"AclCheck","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
     "Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::)" +
         bucket + R"("},
    {"Sid":"Write","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
     "Action":"s3:PutObject","Resource":"arn:aws:s3:::)" +
         bucket + R"(/*",
     "Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}]})";
}

// A key policy that lets CloudTrail encrypt for any trail.
constexpr char kOpenKeyPolicy[] = R"({"Version":"2012-10-17","Statement":[
    {"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444444444444:root"},
     "Action":"kms:*","Resource":"*"},
    {"Sid":"Encrypt","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
     "Action":"kms:GenerateDataKey*","Resource":"*",
     "Condition":{"StringLike":{"kms:EncryptionContext:aws:cloudtrail:arn":"arn:aws:cloudtrail:*:*:trail/*"}}},
    {"Sid":"Describe","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
     "Action":"kms:DescribeKey","Resource":"*"}]})";

class FakeBuckets : public BucketDirectory {
 public:
  std::optional<BucketInfo> FindBucket(const std::string& name) override {
    auto it = buckets.find(name);
    if (it == buckets.end()) return std::nullopt;
    return it->second;
  }
  std::map<std::string, BucketInfo> buckets{
      {"audit-cloudtrail",
       {"audit-cloudtrail", kAudit, kHome, OpenBucketPolicy("audit-cloudtrail")}},
      {"eu-bucket", {"eu-bucket", kAudit, kOther, OpenBucketPolicy("eu-bucket")}}};
};

class FakeKeys : public KeyDirectory {
 public:
  std::optional<KeyInfo> FindKey(const std::string& ref, const std::string&,
                                 const std::string&) override {
    auto it = keys.find(ref);
    if (it == keys.end()) return std::nullopt;
    return it->second;
  }
  std::map<std::string, KeyInfo> keys{
      {"arn:aws:kms:us-east-1:444444444444:key/k1",
       {"arn:aws:kms:us-east-1:444444444444:key/k1", kAudit, kHome, true, kOpenKeyPolicy}},
      {"arn:aws:kms:eu-west-1:444444444444:key/k2",
       {"arn:aws:kms:eu-west-1:444444444444:key/k2", kAudit, kOther, true, kOpenKeyPolicy}},
      {"arn:aws:kms:us-east-1:444444444444:key/off",
       {"arn:aws:kms:us-east-1:444444444444:key/off", kAudit, kHome, false, kOpenKeyPolicy}}};
};

class CloudTrailServiceTest : public ::testing::Test {
 protected:
  CloudTrailServiceTest() : clock_(FromUnixSeconds(1'800'000'000)) {
    db_ = std::move(catalog::Db::Open(":memory:")).value();
    svc_ = std::make_unique<CloudTrailService>(*db_, orgs_, buckets_, keys_, clock_);
  }

  static auth::RequestContext Ctx(const std::string& account, const std::string& region = kHome) {
    auth::RequestContext c;
    c.principal.account_id = account;
    c.principal.arn = "arn:aws:iam::" + account + ":root";
    c.region = region;
    return c;
  }

  Result<Json> Call(const std::string& op, const auth::RequestContext& ctx, const Json& in) {
    auto ops = svc_->Ops();
    auto it = ops.find(op);
    if (it == ops.end()) return Status::Internal("no op " + op);
    return it->second(ctx, in);
  }
  Json Ok(const std::string& op, const auth::RequestContext& ctx, const Json& in) {
    auto r = Call(op, ctx, in);
    EXPECT_TRUE(r.ok()) << op << ": " << r.status().ToString();
    return r.ok() ? *r : Json();
  }
  std::string Err(const std::string& op, const auth::RequestContext& ctx, const Json& in) {
    auto r = Call(op, ctx, in);
    EXPECT_FALSE(r.ok()) << op << " unexpectedly succeeded: " << (r.ok() ? r->dump() : "");
    return r.ok() ? "" : r.status().code();
  }

  Json CreateOrgTrail() {
    return Ok("CreateTrail", Ctx(kMgmt),
              {{"Name", "org-trail"},
               {"S3BucketName", "audit-cloudtrail"},
               {"IsMultiRegionTrail", true},
               {"EnableLogFileValidation", true},
               {"IsOrganizationTrail", true},
               {"KmsKeyId", "arn:aws:kms:us-east-1:444444444444:key/k1"}});
  }

  static constexpr char kOrgArn[] = "arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail";

  SimulatedClock clock_;
  std::unique_ptr<catalog::Db> db_;
  FakeOrgs orgs_;
  FakeBuckets buckets_;
  FakeKeys keys_;
  std::unique_ptr<CloudTrailService> svc_;
};

TEST_F(CloudTrailServiceTest, CreateDescribeGetListDelete) {
  Json created =
      Ok("CreateTrail", Ctx(kOutsider),
         {{"Name", "tr1"}, {"S3BucketName", "audit-cloudtrail"}, {"S3KeyPrefix", "p/q"}});
  EXPECT_EQ(created["TrailARN"], "arn:aws:cloudtrail:us-east-1:333333333333:trail/tr1");
  EXPECT_EQ(created["IncludeGlobalServiceEvents"], true);
  EXPECT_EQ(created["IsMultiRegionTrail"], false);
  EXPECT_EQ(created["IsOrganizationTrail"], false);
  EXPECT_EQ(created["S3KeyPrefix"], "p/q");
  EXPECT_FALSE(created.contains("KmsKeyId"));

  Json d = Ok("DescribeTrails", Ctx(kOutsider), Json::object());
  ASSERT_EQ(d["trailList"].size(), 1u);
  EXPECT_EQ(d["trailList"][0]["HomeRegion"], kHome);
  EXPECT_EQ(d["trailList"][0]["HasCustomEventSelectors"], false);

  Json g = Ok("GetTrail", Ctx(kOutsider), {{"Name", "tr1"}});
  EXPECT_EQ(g["Trail"]["Name"], "tr1");
  EXPECT_EQ(g["Trail"]["S3BucketName"], "audit-cloudtrail");

  Json l = Ok("ListTrails", Ctx(kOutsider), Json::object());
  ASSERT_EQ(l["Trails"].size(), 1u);
  EXPECT_EQ(l["Trails"][0]["Name"], "tr1");
  EXPECT_EQ(l["Trails"][0]["HomeRegion"], kHome);

  // Logging is off until StartLogging, as on AWS.
  EXPECT_EQ(Ok("GetTrailStatus", Ctx(kOutsider), {{"Name", "tr1"}})["IsLogging"], false);

  EXPECT_EQ(
      Err("CreateTrail", Ctx(kOutsider), {{"Name", "tr1"}, {"S3BucketName", "audit-cloudtrail"}}),
      "TrailAlreadyExistsException");
  Ok("DeleteTrail", Ctx(kOutsider), {{"Name", "tr1"}});
  EXPECT_EQ(Err("GetTrail", Ctx(kOutsider), {{"Name", "tr1"}}), "TrailNotFoundException");
  EXPECT_TRUE(Ok("DescribeTrails", Ctx(kOutsider), Json::object())["trailList"].empty());
  EXPECT_EQ(Err("DeleteTrail", Ctx(kOutsider), {{"Name", "tr1"}}), "TrailNotFoundException");
}

TEST_F(CloudTrailServiceTest, CreateValidation) {
  auto c = Ctx(kOutsider);
  EXPECT_EQ(Err("CreateTrail", c, {{"Name", "a"}, {"S3BucketName", "audit-cloudtrail"}}),
            "InvalidTrailNameException");
  EXPECT_EQ(Err("CreateTrail", c, {{"Name", "abc"}, {"S3BucketName", "nope"}}),
            "S3BucketDoesNotExistException");
  EXPECT_EQ(Err("CreateTrail", c,
                {{"Name", "abc"}, {"S3BucketName", "audit-cloudtrail"}, {"S3KeyPrefix", "logs/"}}),
            "InvalidS3PrefixException");
  EXPECT_EQ(Err("CreateTrail", c,
                {{"Name", "abc"},
                 {"S3BucketName", "audit-cloudtrail"},
                 {"S3KeyPrefix", std::string(201, 'x')}}),
            "InvalidS3PrefixException");
  EXPECT_EQ(
      Err("CreateTrail", c,
          {{"Name", "abc"}, {"S3BucketName", "audit-cloudtrail"}, {"KmsKeyId", "alias/missing"}}),
      "KmsKeyNotFoundException");
  // Key in another region than the bucket.
  EXPECT_EQ(Err("CreateTrail", c,
                {{"Name", "abc"},
                 {"S3BucketName", "audit-cloudtrail"},
                 {"KmsKeyId", "arn:aws:kms:eu-west-1:444444444444:key/k2"}}),
            "KmsKeyNotFoundException");
  EXPECT_EQ(Err("CreateTrail", c,
                {{"Name", "abc"},
                 {"S3BucketName", "audit-cloudtrail"},
                 {"KmsKeyId", "arn:aws:kms:us-east-1:444444444444:key/off"}}),
            "KmsException");
  EXPECT_EQ(Err("CreateTrail", c,
                {{"Name", "abc"},
                 {"S3BucketName", "audit-cloudtrail"},
                 {"IsMultiRegionTrail", true},
                 {"IncludeGlobalServiceEvents", false}}),
            "InvalidParameterCombinationException");
  EXPECT_EQ(
      Err("CreateTrail", c,
          {{"Name", "abc"}, {"S3BucketName", "audit-cloudtrail"}, {"IsMultiRegionTrail", "yes"}}),
      "SerializationException");
  EXPECT_EQ(Err("CreateTrail", c, {{"S3BucketName", "audit-cloudtrail"}}), "ValidationException");
  EXPECT_TRUE(Ok("ListTrails", c, Json::object())["Trails"].empty());
  // A key in the bucket's region works; KmsKeyId is returned as the key ARN.
  Json ok = Ok("CreateTrail", c,
               {{"Name", "abc"},
                {"S3BucketName", "eu-bucket"},
                {"KmsKeyId", "arn:aws:kms:eu-west-1:444444444444:key/k2"}});
  EXPECT_EQ(ok["KmsKeyId"], "arn:aws:kms:eu-west-1:444444444444:key/k2");
}

TEST_F(CloudTrailServiceTest, FiveTrailsPerRegion) {
  auto c = Ctx(kOutsider);
  for (int i = 0; i < 5; ++i)
    Ok("CreateTrail", c,
       {{"Name", "trail" + std::to_string(i)}, {"S3BucketName", "audit-cloudtrail"}});
  EXPECT_EQ(Err("CreateTrail", c, {{"Name", "trail5"}, {"S3BucketName", "audit-cloudtrail"}}),
            "MaximumNumberOfTrailsExceededException");
  // Another region still has room, but not for a multi-region trail.
  Ok("CreateTrail", Ctx(kOutsider, kOther),
     {{"Name", "trail5"}, {"S3BucketName", "audit-cloudtrail"}});
  EXPECT_EQ(
      Err("CreateTrail", Ctx(kOutsider, "ap-south-1"),
          {{"Name", "trail6"}, {"S3BucketName", "audit-cloudtrail"}, {"IsMultiRegionTrail", true}}),
      "MaximumNumberOfTrailsExceededException");
}

TEST_F(CloudTrailServiceTest, OrganizationTrailRules) {
  auto body = Json{
      {"Name", "org-trail"}, {"S3BucketName", "audit-cloudtrail"}, {"IsOrganizationTrail", true}};
  EXPECT_EQ(Err("CreateTrail", Ctx(kOutsider), body), "OrganizationsNotInUseException");
  EXPECT_EQ(Err("CreateTrail", Ctx(kMember), body), "NotOrganizationMasterAccountException");
  orgs_.org.cloudtrail_access_enabled = false;
  EXPECT_EQ(Err("CreateTrail", Ctx(kMgmt), body), "CloudTrailAccessNotEnabledException");
  orgs_.org.all_features = false;
  EXPECT_EQ(Err("CreateTrail", Ctx(kMgmt), body), "OrganizationNotInAllFeaturesModeException");
  orgs_.org.all_features = true;
  orgs_.org.cloudtrail_access_enabled = true;
  Json t = CreateOrgTrail();
  EXPECT_EQ(t["TrailARN"], kOrgArn);
  EXPECT_EQ(t["IsOrganizationTrail"], true);
  EXPECT_EQ(t["LogFileValidationEnabled"], true);
}

TEST_F(CloudTrailServiceTest, MemberSeesOrgTrailReadOnly) {
  CreateOrgTrail();
  Ok("StartLogging", Ctx(kMgmt), {{"Name", "org-trail"}});
  for (const std::string& region : std::vector<std::string>{kHome, kOther}) {
    auto m = Ctx(kMember, region);
    Json d = Ok("DescribeTrails", m, Json::object());
    ASSERT_EQ(d["trailList"].size(), 1u) << region;
    EXPECT_EQ(d["trailList"][0]["TrailARN"], kOrgArn);
    EXPECT_EQ(d["trailList"][0]["IsOrganizationTrail"], true);
    EXPECT_EQ(d["trailList"][0]["HomeRegion"], kHome);
    // Shadows hidden on request.
    EXPECT_TRUE(Ok("DescribeTrails", m, {{"includeShadowTrails", false}})["trailList"].empty());
    for (const std::string& ref : std::vector<std::string>{"org-trail", kOrgArn}) {
      EXPECT_EQ(Ok("GetTrail", m, {{"Name", ref}})["Trail"]["TrailARN"], kOrgArn);
      EXPECT_EQ(Ok("GetTrailStatus", m, {{"Name", ref}})["IsLogging"], true);
      EXPECT_EQ(Ok("GetEventSelectors", m, {{"TrailName", ref}})["TrailARN"], kOrgArn);
      EXPECT_EQ(Ok("DescribeTrails", m, {{"trailNameList", {ref}}})["trailList"].size(), 1u);
    }
    Json l = Ok("ListTrails", m, Json::object());
    ASSERT_EQ(l["Trails"].size(), 1u);
    EXPECT_EQ(l["Trails"][0]["TrailARN"], kOrgArn);
  }
}

TEST_F(CloudTrailServiceTest, MemberCannotModifyOrgTrail) {
  CreateOrgTrail();
  Ok("StartLogging", Ctx(kMgmt), {{"Name", "org-trail"}});
  const std::string kDenied = "NotOrganizationMasterAccountException";
  for (const std::string& ref : std::vector<std::string>{"org-trail", kOrgArn}) {
    auto m = Ctx(kMember);
    EXPECT_EQ(Err("StopLogging", m, {{"Name", ref}}), kDenied);
    EXPECT_EQ(Err("StartLogging", m, {{"Name", ref}}), kDenied);
    EXPECT_EQ(Err("DeleteTrail", m, {{"Name", ref}}), kDenied);
    EXPECT_EQ(Err("UpdateTrail", m, {{"Name", ref}, {"S3BucketName", "audit-cloudtrail"}}),
              kDenied);
    EXPECT_EQ(Err("PutEventSelectors", m,
                  {{"TrailName", ref}, {"EventSelectors", {{{"ReadWriteType", "ReadOnly"}}}}}),
              kDenied);
    EXPECT_EQ(Err("AddTags", m, {{"ResourceId", ref}, {"TagsList", {{{"Key", "k"}}}}}), kDenied);
    EXPECT_EQ(Err("RemoveTags", m, {{"ResourceId", ref}, {"TagsList", {{{"Key", "k"}}}}}), kDenied);
  }
  // The message names the trail and the management account.
  auto r = svc_->StopLogging(Ctx(kMember), {{"Name", "org-trail"}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(kOrgArn), std::string::npos);
  EXPECT_NE(r.status().message().find(kMgmt), std::string::npos);
  // Still logging, still there.
  EXPECT_EQ(Ok("GetTrailStatus", Ctx(kMgmt), {{"Name", "org-trail"}})["IsLogging"], true);
  // Outsiders do not see it at all.
  EXPECT_EQ(Err("StopLogging", Ctx(kOutsider), {{"Name", kOrgArn}}), "TrailNotFoundException");
  EXPECT_EQ(Err("GetTrail", Ctx(kOutsider), {{"Name", "org-trail"}}), "TrailNotFoundException");
  EXPECT_TRUE(Ok("ListTrails", Ctx(kOutsider), Json::object())["Trails"].empty());
}

TEST_F(CloudTrailServiceTest, OtherAccountsTrailsAreNotFound) {
  Ok("CreateTrail", Ctx(kMgmt), {{"Name", "private"}, {"S3BucketName", "audit-cloudtrail"}});
  auto r = svc_->GetTrail(Ctx(kMember), {{"Name", "private"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "TrailNotFoundException");
  EXPECT_EQ(r.status().message(), "Unknown trail: private for the user: 222222222222");
  EXPECT_EQ(Err("GetTrail", Ctx(kMember),
                {{"Name", "arn:aws:cloudtrail:us-east-1:111111111111:trail/private"}}),
            "TrailNotFoundException");
  EXPECT_TRUE(Ok("DescribeTrails", Ctx(kMember), Json::object())["trailList"].empty());
  EXPECT_EQ(Err("GetTrail", Ctx(kMember), {{"Name", "arn:aws:cloudtrail:bad"}}),
            "CloudTrailARNInvalidException");
  EXPECT_EQ(Err("GetTrail", Ctx(kMember), {{"Name", "a"}}), "InvalidTrailNameException");
  EXPECT_EQ(Err("GetTrail", Ctx(kMember), Json::object()), "TrailNotProvidedException");
}

TEST_F(CloudTrailServiceTest, ShadowTrailsInOtherRegions) {
  Ok("CreateTrail", Ctx(kOutsider),
     {{"Name", "multi"}, {"S3BucketName", "audit-cloudtrail"}, {"IsMultiRegionTrail", true}});
  Ok("CreateTrail", Ctx(kOutsider), {{"Name", "single"}, {"S3BucketName", "audit-cloudtrail"}});
  auto eu = Ctx(kOutsider, kOther);
  Json d = Ok("DescribeTrails", eu, Json::object());
  ASSERT_EQ(d["trailList"].size(), 1u);
  EXPECT_EQ(d["trailList"][0]["Name"], "multi");
  EXPECT_EQ(d["trailList"][0]["HomeRegion"], kHome);
  EXPECT_TRUE(Ok("DescribeTrails", eu, {{"includeShadowTrails", false}})["trailList"].empty());
  EXPECT_EQ(Ok("GetTrail", eu, {{"Name", "multi"}})["Trail"]["HomeRegion"], kHome);
  EXPECT_EQ(Err("GetTrail", eu, {{"Name", "single"}}), "TrailNotFoundException");
  // Mutations outside the home region.
  EXPECT_EQ(Err("StartLogging", eu, {{"Name", "multi"}}), "InvalidHomeRegionException");
  EXPECT_EQ(Err("StopLogging", eu, {{"Name", "multi"}}), "InvalidHomeRegionException");
  EXPECT_EQ(Err("UpdateTrail", eu, {{"Name", "multi"}, {"EnableLogFileValidation", true}}),
            "InvalidHomeRegionException");
  EXPECT_EQ(Err("DeleteTrail", eu, {{"Name", "multi"}}), "InvalidHomeRegionException");
  EXPECT_EQ(Err("PutEventSelectors", eu,
                {{"TrailName", "multi"}, {"EventSelectors", {{{"ReadWriteType", "All"}}}}}),
            "InvalidHomeRegionException");
  // ListTrails lists the account's trails of every region.
  EXPECT_EQ(Ok("ListTrails", eu, Json::object())["Trails"].size(), 2u);
  // The same name in another region conflicts with the multi-region trail.
  EXPECT_EQ(Err("CreateTrail", eu, {{"Name", "multi"}, {"S3BucketName", "audit-cloudtrail"}}),
            "TrailAlreadyExistsException");
  Ok("CreateTrail", eu, {{"Name", "single"}, {"S3BucketName", "audit-cloudtrail"}});
}

TEST_F(CloudTrailServiceTest, NameAndArnAreEquivalent) {
  Ok("CreateTrail", Ctx(kOutsider), {{"Name", "tr1"}, {"S3BucketName", "audit-cloudtrail"}});
  const std::string arn = "arn:aws:cloudtrail:us-east-1:333333333333:trail/tr1";
  Ok("StartLogging", Ctx(kOutsider), {{"Name", arn}});
  EXPECT_EQ(Ok("GetTrailStatus", Ctx(kOutsider), {{"Name", "tr1"}})["IsLogging"], true);
  Ok("StopLogging", Ctx(kOutsider), {{"Name", "tr1"}});
  EXPECT_EQ(Ok("GetTrailStatus", Ctx(kOutsider), {{"Name", arn}})["IsLogging"], false);
  Json d = Ok("DescribeTrails", Ctx(kOutsider), {{"trailNameList", {arn, "tr1", "unknown"}}});
  EXPECT_EQ(d["trailList"].size(), 1u);
  Ok("AddTags", Ctx(kOutsider),
     {{"ResourceId", "tr1"}, {"TagsList", {{{"Key", "a"}, {"Value", "1"}}}}});
  Json tags = Ok("ListTags", Ctx(kOutsider), {{"ResourceIdList", {arn}}});
  EXPECT_EQ(tags["ResourceTagList"][0]["ResourceId"], arn);
  Ok("DeleteTrail", Ctx(kOutsider), {{"Name", arn}});
  EXPECT_EQ(Err("GetTrail", Ctx(kOutsider), {{"Name", "tr1"}}), "TrailNotFoundException");
}

TEST_F(CloudTrailServiceTest, StatusTimesAndDeliveryReports) {
  Ok("CreateTrail", Ctx(kOutsider), {{"Name", "tr1"}, {"S3BucketName", "audit-cloudtrail"}});
  Json s = Ok("GetTrailStatus", Ctx(kOutsider), {{"Name", "tr1"}});
  EXPECT_EQ(s["TimeLoggingStarted"], "");
  EXPECT_EQ(s["LatestDeliveryAttemptTime"], "");
  EXPECT_FALSE(s.contains("StartLoggingTime"));
  EXPECT_FALSE(s.contains("LatestDeliveryTime"));

  Ok("StartLogging", Ctx(kOutsider), {{"Name", "tr1"}});
  const std::string arn = "arn:aws:cloudtrail:us-east-1:333333333333:trail/tr1";
  clock_.Advance(std::chrono::seconds(300));
  ASSERT_TRUE(svc_->ReportDelivery({arn, false, clock_.Now(), true, ""}).ok());
  s = Ok("GetTrailStatus", Ctx(kOutsider), {{"Name", "tr1"}});
  EXPECT_EQ(s["StartLoggingTime"], 1'800'000'000);
  EXPECT_EQ(s["TimeLoggingStarted"], FormatIso8601(FromUnixSeconds(1'800'000'000)));
  EXPECT_EQ(s["LatestDeliveryTime"], 1'800'000'300);
  EXPECT_EQ(s["LatestDeliveryAttemptSucceeded"], FormatIso8601(FromUnixSeconds(1'800'000'300)));
  EXPECT_FALSE(s.contains("LatestDeliveryError"));

  clock_.Advance(std::chrono::seconds(300));
  ASSERT_TRUE(svc_->ReportDelivery({arn, false, clock_.Now(), false, "AccessDenied"}).ok());
  ASSERT_TRUE(svc_->ReportDelivery({arn, true, clock_.Now(), true, ""}).ok());
  s = Ok("GetTrailStatus", Ctx(kOutsider), {{"Name", "tr1"}});
  EXPECT_EQ(s["LatestDeliveryError"], "AccessDenied");
  EXPECT_EQ(s["LatestDeliveryTime"], 1'800'000'300);
  EXPECT_EQ(s["LatestDeliveryAttemptTime"], FormatIso8601(FromUnixSeconds(1'800'000'600)));
  EXPECT_EQ(s["LatestDigestDeliveryTime"], 1'800'000'600);
  // Unknown trails are ignored.
  EXPECT_TRUE(svc_->ReportDelivery({"arn:aws:cloudtrail:us-east-1:333333333333:trail/gone", false,
                                    clock_.Now(), true, ""})
                  .ok());

  Ok("StopLogging", Ctx(kOutsider), {{"Name", "tr1"}});
  s = Ok("GetTrailStatus", Ctx(kOutsider), {{"Name", "tr1"}});
  EXPECT_EQ(s["IsLogging"], false);
  EXPECT_EQ(s["StopLoggingTime"], 1'800'000'600);
}

TEST_F(CloudTrailServiceTest, LoggingTrailsForDelivery) {
  CreateOrgTrail();
  Ok("CreateTrail", Ctx(kOutsider),
     {{"Name", "tr1"}, {"S3BucketName", "audit-cloudtrail"}, {"S3KeyPrefix", "pre"}});
  EXPECT_TRUE(svc_->LoggingTrails()->empty());
  Ok("StartLogging", Ctx(kMgmt), {{"Name", "org-trail"}});
  Ok("StartLogging", Ctx(kOutsider), {{"Name", "tr1"}});
  auto trails = svc_->LoggingTrails();
  ASSERT_TRUE(trails.ok());
  ASSERT_EQ(trails->size(), 2u);
  std::map<std::string, LoggingTrail> by_name;
  for (auto& t : *trails) by_name[t.name] = t;
  EXPECT_EQ(by_name["org-trail"].org_id, kOrgId);
  EXPECT_EQ(by_name["org-trail"].kms_key_arn, "arn:aws:kms:us-east-1:444444444444:key/k1");
  EXPECT_TRUE(by_name["org-trail"].multi_region);
  EXPECT_TRUE(by_name["org-trail"].log_file_validation);
  EXPECT_EQ(by_name["org-trail"].selectors[0]["ReadWriteType"], "All");
  EXPECT_EQ(by_name["tr1"].org_id, "");
  EXPECT_EQ(by_name["tr1"].prefix, "pre");

  EXPECT_TRUE(svc_->IsOrgMember(kOrgId, kMember));
  EXPECT_TRUE(svc_->IsOrgMember(kOrgId, kMgmt));
  EXPECT_FALSE(svc_->IsOrgMember(kOrgId, kOutsider));
  orgs_.accounts.insert("555555555555");  // joins later: covered automatically
  EXPECT_TRUE(svc_->IsOrgMember(kOrgId, "555555555555"));

  Ok("StopLogging", Ctx(kMgmt), {{"Name", kOrgArn}});
  trails = svc_->LoggingTrails();
  ASSERT_EQ(trails->size(), 1u);
  EXPECT_EQ((*trails)[0].name, "tr1");
}

TEST_F(CloudTrailServiceTest, EventSelectorsRoundTrip) {
  Ok("CreateTrail", Ctx(kOutsider), {{"Name", "tr1"}, {"S3BucketName", "audit-cloudtrail"}});
  Json g = Ok("GetEventSelectors", Ctx(kOutsider), {{"TrailName", "tr1"}});
  EXPECT_EQ(g["EventSelectors"][0]["ReadWriteType"], "All");
  EXPECT_FALSE(g.contains("AdvancedEventSelectors"));

  Json basic = Json::parse(R"([{"ReadWriteType":"WriteOnly","IncludeManagementEvents":true,
      "DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3:::audit-cloudtrail/"]}],
      "ExcludeManagementEventSources":["kms.amazonaws.com"]}])");
  Json p =
      Ok("PutEventSelectors", Ctx(kOutsider), {{"TrailName", "tr1"}, {"EventSelectors", basic}});
  EXPECT_EQ(p["EventSelectors"], basic);
  EXPECT_EQ(Ok("GetEventSelectors", Ctx(kOutsider), {{"TrailName", "tr1"}})["EventSelectors"],
            basic);
  EXPECT_EQ(Ok("GetTrail", Ctx(kOutsider), {{"Name", "tr1"}})["Trail"]["HasCustomEventSelectors"],
            true);

  Json adv = Json::parse(R"([{"Name":"writes","FieldSelectors":[
      {"Field":"eventCategory","Equals":["Management"]},{"Field":"readOnly","Equals":["false"]}]}])");
  Ok("PutEventSelectors", Ctx(kOutsider), {{"TrailName", "tr1"}, {"AdvancedEventSelectors", adv}});
  g = Ok("GetEventSelectors", Ctx(kOutsider), {{"TrailName", "tr1"}});
  EXPECT_EQ(g["AdvancedEventSelectors"], adv);
  EXPECT_FALSE(g.contains("EventSelectors"));

  EXPECT_EQ(Err("PutEventSelectors", Ctx(kOutsider),
                {{"TrailName", "tr1"}, {"EventSelectors", basic}, {"AdvancedEventSelectors", adv}}),
            "InvalidEventSelectorsException");
  EXPECT_EQ(Err("PutEventSelectors", Ctx(kOutsider), {{"TrailName", "tr1"}}),
            "InvalidEventSelectorsException");
  // A failed put leaves the previous selectors.
  EXPECT_EQ(
      Ok("GetEventSelectors", Ctx(kOutsider), {{"TrailName", "tr1"}})["AdvancedEventSelectors"],
      adv);
  EXPECT_EQ(
      Err("PutEventSelectors", Ctx(kOutsider), {{"TrailName", "nope"}, {"EventSelectors", basic}}),
      "TrailNotFoundException");
}

TEST_F(CloudTrailServiceTest, UpdateTrail) {
  Ok("CreateTrail", Ctx(kMgmt), {{"Name", "tr1"}, {"S3BucketName", "audit-cloudtrail"}});
  Json u = Ok("UpdateTrail", Ctx(kMgmt),
              {{"Name", "tr1"},
               {"S3KeyPrefix", "org"},
               {"IsMultiRegionTrail", true},
               {"EnableLogFileValidation", true},
               {"KmsKeyId", "arn:aws:kms:us-east-1:444444444444:key/k1"}});
  EXPECT_EQ(u["S3KeyPrefix"], "org");
  EXPECT_EQ(u["IsMultiRegionTrail"], true);
  EXPECT_EQ(u["KmsKeyId"], "arn:aws:kms:us-east-1:444444444444:key/k1");
  EXPECT_EQ(Err("UpdateTrail", Ctx(kMgmt), {{"Name", "tr1"}, {"S3KeyPrefix", "/x"}}),
            "InvalidS3PrefixException");
  EXPECT_EQ(Err("UpdateTrail", Ctx(kMgmt), {{"Name", "tr1"}, {"S3BucketName", "nope"}}),
            "S3BucketDoesNotExistException");
  // Moving to a bucket in another region than the key.
  EXPECT_EQ(Err("UpdateTrail", Ctx(kMgmt), {{"Name", "tr1"}, {"S3BucketName", "eu-bucket"}}),
            "KmsKeyNotFoundException");
  EXPECT_EQ(
      Err("UpdateTrail", Ctx(kMgmt), {{"Name", "tr1"}, {"IncludeGlobalServiceEvents", false}}),
      "InvalidParameterCombinationException");
  EXPECT_EQ(Err("UpdateTrail", Ctx(kOutsider), {{"Name", "tr1"}}), "TrailNotFoundException");
  // Converting to an organization trail follows the organization rules.
  orgs_.org.cloudtrail_access_enabled = false;
  EXPECT_EQ(Err("UpdateTrail", Ctx(kMgmt), {{"Name", "tr1"}, {"IsOrganizationTrail", true}}),
            "CloudTrailAccessNotEnabledException");
  orgs_.org.cloudtrail_access_enabled = true;
  EXPECT_EQ(Ok("UpdateTrail", Ctx(kMgmt),
               {{"Name", "tr1"}, {"IsOrganizationTrail", true}})["IsOrganizationTrail"],
            true);
  EXPECT_EQ(Ok("GetTrail", Ctx(kMember), {{"Name", "tr1"}})["Trail"]["IsOrganizationTrail"], true);
  // Removing the prefix and the key.
  u = Ok("UpdateTrail", Ctx(kMgmt), {{"Name", "tr1"}, {"S3KeyPrefix", ""}, {"KmsKeyId", ""}});
  EXPECT_FALSE(u.contains("S3KeyPrefix"));
  EXPECT_FALSE(u.contains("KmsKeyId"));
}

// ---- Delivery pre-flight: CreateTrail/UpdateTrail test the bucket and key
// policies as delivery will use them, and the message names what is missing.

class PreflightTest : public CloudTrailServiceTest {
 protected:
  // CreateTrail tr1 in kMgmt into audit-cloudtrail (with key k1 when `kms`);
  // returns the error status (OK when created).
  Status Create(bool kms, const std::string& name = "tr1") {
    Json in = {{"Name", name}, {"S3BucketName", "audit-cloudtrail"}};
    if (kms) in["KmsKeyId"] = kK1;
    auto r = Call("CreateTrail", Ctx(kMgmt), in);
    return r.ok() ? Status::Ok() : r.status();
  }
  void SetBucketPolicy(std::optional<std::string> p) {
    buckets_.buckets["audit-cloudtrail"].policy = std::move(p);
  }
  void SetKeyPolicy(const std::string& p) { keys_.keys[kK1].policy = p; }

  static constexpr char kK1[] = "arn:aws:kms:us-east-1:444444444444:key/k1";
  static constexpr char kTr1[] = "arn:aws:cloudtrail:us-east-1:111111111111:trail/tr1";
};

TEST_F(PreflightTest, NoBucketPolicyIsRefusedNamingActionPrincipalResource) {
  SetBucketPolicy(std::nullopt);
  Status s = Create(false);
  EXPECT_EQ(s.code(), "InsufficientS3BucketPolicyException");
  EXPECT_EQ(s.http_status(), 400);
  const std::string& m = s.message();
  EXPECT_NE(m.find("s3:GetBucketAcl"), std::string::npos) << m;
  EXPECT_NE(m.find("s3:PutObject"), std::string::npos) << m;
  EXPECT_NE(m.find("cloudtrail.amazonaws.com"), std::string::npos) << m;
  EXPECT_NE(m.find("arn:aws:s3:::audit-cloudtrail/AWSLogs/111111111111/*"), std::string::npos) << m;
  EXPECT_NE(m.find("there is no bucket policy of audit-cloudtrail"), std::string::npos) << m;
  // Nothing was created.
  EXPECT_EQ(Ok("ListTrails", Ctx(kMgmt), Json::object())["Trails"].size(), 0u);
}

TEST_F(PreflightTest, PolicyWithoutWriteStatementIsRefusedNamingPutObject) {
  SetBucketPolicy(R"({"Version":"2012-10-17","Statement":[
    {"Sid":"AWSCloudTrailAclCheck","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
     "Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::audit-cloudtrail"}]})");
  Status s = Create(false);
  EXPECT_EQ(s.code(), "InsufficientS3BucketPolicyException");
  const std::string& m = s.message();
  EXPECT_EQ(m.find("s3:GetBucketAcl on"), std::string::npos) << m;  // that one is granted
  EXPECT_NE(m.find("cloudtrail.amazonaws.com needs s3:PutObject on "
                   "arn:aws:s3:::audit-cloudtrail/AWSLogs/111111111111/*"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("no statement in the bucket policy of audit-cloudtrail allows s3:PutObject"),
            std::string::npos)
      << m;
}

TEST_F(PreflightTest, WrongSourceArnConditionIsNamed) {
  const std::string wrong = "arn:aws:cloudtrail:us-east-1:111111111111:trail/other";
  SetBucketPolicy(R"({"Version":"2012-10-17","Statement":[
    {"Sid":"AclCheck","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
     "Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::audit-cloudtrail"},
    {"Sid":"WriteForOther","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
     "Action":"s3:PutObject","Resource":"arn:aws:s3:::audit-cloudtrail/AWSLogs/*",
     "Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control",
                                  "aws:SourceArn":")" + wrong + R"("}}}]})");
  Status s = Create(false);
  EXPECT_EQ(s.code(), "InsufficientS3BucketPolicyException");
  const std::string& m = s.message();
  EXPECT_NE(m.find("'WriteForOther'"), std::string::npos) << m;
  EXPECT_NE(m.find("aws:SourceArn = " + wrong + " failed"), std::string::npos) << m;
  EXPECT_NE(m.find(std::string("the request has aws:SourceArn = ") + kTr1), std::string::npos) << m;

  // The right ARN passes.
  SetBucketPolicy(R"({"Version":"2012-10-17","Statement":[
    {"Sid":"AclCheck","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
     "Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::audit-cloudtrail"},
    {"Sid":"Write","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
     "Action":"s3:PutObject","Resource":"arn:aws:s3:::audit-cloudtrail/AWSLogs/*",
     "Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control",
                                  "aws:SourceArn":")" + std::string(kTr1) + R"("}}}]})");
  EXPECT_TRUE(Create(false).ok());
}

TEST_F(PreflightTest, ExplicitDenyIsNamed) {
  SetBucketPolicy(R"({"Version":"2012-10-17","Statement":[
    {"Sid":"Write","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
     "Action":["s3:GetBucketAcl","s3:PutObject"],"Resource":["arn:aws:s3:::audit-cloudtrail","arn:aws:s3:::audit-cloudtrail/*"]},
    {"Sid":"NoCloudTrail","Effect":"Deny","Principal":"*","Action":"s3:PutObject",
     "Resource":"arn:aws:s3:::audit-cloudtrail/*"}]})");
  Status s = Create(false);
  EXPECT_EQ(s.code(), "InsufficientS3BucketPolicyException");
  EXPECT_NE(s.message().find("'NoCloudTrail'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("explicitly denies s3:PutObject"), std::string::npos) << s.message();
}

TEST_F(PreflightTest, KeyPolicyWithoutGenerateDataKeyIsRefused) {
  SetKeyPolicy(R"({"Version":"2012-10-17","Statement":[
    {"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444444444444:root"},
     "Action":"kms:*","Resource":"*"},
    {"Sid":"Describe","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
     "Action":"kms:DescribeKey","Resource":"*"}]})");
  Status s = Create(true);
  EXPECT_EQ(s.code(), "InsufficientEncryptionPolicyException");
  EXPECT_EQ(s.http_status(), 400);
  const std::string& m = s.message();
  EXPECT_NE(m.find(std::string("cloudtrail.amazonaws.com needs kms:GenerateDataKey on ") + kK1),
            std::string::npos)
      << m;
  EXPECT_NE(m.find(std::string("no statement in the key policy of ") + kK1 +
                   " allows kms:GenerateDataKey"),
            std::string::npos)
      << m;
  EXPECT_EQ(m.find("kms:DescribeKey on"), std::string::npos) << m;  // that one is granted
  EXPECT_EQ(Ok("ListTrails", Ctx(kMgmt), Json::object())["Trails"].size(), 0u);
  // Without a key there is nothing to check on the key side.
  EXPECT_TRUE(Create(false).ok());
}

TEST_F(PreflightTest, KeyPolicyWithWrongEncryptionContextIsNamed) {
  SetKeyPolicy(R"({"Version":"2012-10-17","Statement":[
    {"Sid":"EncryptForAnotherAccount","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
     "Action":"kms:GenerateDataKey*","Resource":"*",
     "Condition":{"StringLike":{"kms:EncryptionContext:aws:cloudtrail:arn":"arn:aws:cloudtrail:*:999999999999:trail/*"}}},
    {"Sid":"Describe","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
     "Action":"kms:DescribeKey","Resource":"*"}]})");
  Status s = Create(true);
  EXPECT_EQ(s.code(), "InsufficientEncryptionPolicyException");
  const std::string& m = s.message();
  EXPECT_NE(m.find("'EncryptForAnotherAccount'"), std::string::npos) << m;
  EXPECT_NE(m.find("StringLike kms:EncryptionContext:aws:cloudtrail:arn = "
                   "arn:aws:cloudtrail:*:999999999999:trail/* failed"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find(std::string("the request has kms:EncryptionContext:aws:cloudtrail:arn = ") +
                   kTr1),
            std::string::npos)
      << m;
}

TEST_F(PreflightTest, BucketGapsComeBeforeKeyGaps) {
  SetBucketPolicy(std::nullopt);
  SetKeyPolicy(R"({"Version":"2012-10-17","Statement":[
    {"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444444444444:root"},
     "Action":"kms:*","Resource":"*"}]})");
  EXPECT_EQ(Create(true).code(), "InsufficientS3BucketPolicyException");
}

TEST_F(PreflightTest, OrganizationTrailNeedsTheOrgPath) {
  const std::string mgmt_only = R"({"Version":"2012-10-17","Statement":[
    {"Sid":"AclCheck","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
     "Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::audit-cloudtrail"},
    {"Sid":"ManagementWrite","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
     "Action":"s3:PutObject","Resource":"arn:aws:s3:::audit-cloudtrail/AWSLogs/111111111111/*",
     "Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}]})";
  SetBucketPolicy(mgmt_only);
  auto r = Call("CreateTrail", Ctx(kMgmt),
                {{"Name", "org-trail"}, {"S3BucketName", "audit-cloudtrail"},
                 {"IsOrganizationTrail", true}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "InsufficientS3BucketPolicyException");
  EXPECT_NE(r.status().message().find("arn:aws:s3:::audit-cloudtrail/AWSLogs/o-abcdef1234/*"),
            std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("'ManagementWrite'"), std::string::npos)
      << r.status().message();
  // The same policy is enough for the account's own trail...
  EXPECT_TRUE(Create(false).ok());
  // ...but turning it into an organization trail is refused and changes nothing.
  EXPECT_EQ(Err("UpdateTrail", Ctx(kMgmt), {{"Name", "tr1"}, {"IsOrganizationTrail", true}}),
            "InsufficientS3BucketPolicyException");
  EXPECT_EQ(Ok("GetTrail", Ctx(kMgmt), {{"Name", "tr1"}})["Trail"]["IsOrganizationTrail"], false);
}

TEST_F(PreflightTest, UpdateTrailChecksNewBucketKeyAndPrefix) {
  ASSERT_TRUE(Create(true).ok());
  // A prefix the write statement does not cover.
  SetBucketPolicy(R"({"Version":"2012-10-17","Statement":[
    {"Sid":"AclCheck","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
     "Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::audit-cloudtrail"},
    {"Sid":"Write","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
     "Action":"s3:PutObject","Resource":"arn:aws:s3:::audit-cloudtrail/AWSLogs/*"}]})");
  auto r = Call("UpdateTrail", Ctx(kMgmt), {{"Name", "tr1"}, {"S3KeyPrefix", "team"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "InsufficientS3BucketPolicyException");
  EXPECT_NE(r.status().message().find("arn:aws:s3:::audit-cloudtrail/team/AWSLogs/111111111111/*"),
            std::string::npos)
      << r.status().message();
  EXPECT_FALSE(Ok("GetTrail", Ctx(kMgmt), {{"Name", "tr1"}})["Trail"].contains("S3KeyPrefix"));
  // Unrelated updates do not re-check (the policy is judged at delivery then).
  Ok("UpdateTrail", Ctx(kMgmt), {{"Name", "tr1"}, {"EnableLogFileValidation", true}});
  // A new key whose policy lacks GenerateDataKey.
  keys_.keys["arn:aws:kms:us-east-1:444444444444:key/k3"] = {
      "arn:aws:kms:us-east-1:444444444444:key/k3", kAudit, kHome, true,
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",
          "Principal":{"AWS":"arn:aws:iam::444444444444:root"},"Action":"kms:*","Resource":"*"}]})"};
  EXPECT_EQ(Err("UpdateTrail", Ctx(kMgmt),
                {{"Name", "tr1"}, {"KmsKeyId", "arn:aws:kms:us-east-1:444444444444:key/k3"}}),
            "InsufficientEncryptionPolicyException");
  EXPECT_EQ(Ok("GetTrail", Ctx(kMgmt), {{"Name", "tr1"}})["Trail"]["KmsKeyId"], kK1);
}

TEST_F(CloudTrailServiceTest, Tags) {
  Ok("CreateTrail", Ctx(kOutsider),
     {{"Name", "tr1"},
      {"S3BucketName", "audit-cloudtrail"},
      {"TagsList", {{{"Key", "team"}, {"Value", "sec"}}}}});
  const std::string arn = "arn:aws:cloudtrail:us-east-1:333333333333:trail/tr1";
  Ok("AddTags", Ctx(kOutsider),
     {{"ResourceId", arn},
      {"TagsList", {{{"Key", "env"}, {"Value", "prod"}}, {{"Key", "team"}, {"Value", "audit"}}}}});
  Json l = Ok("ListTags", Ctx(kOutsider), {{"ResourceIdList", {arn}}});
  Json expect = Json::parse(R"([{"Key":"env","Value":"prod"},{"Key":"team","Value":"audit"}])");
  EXPECT_EQ(l["ResourceTagList"][0]["TagsList"], expect);
  Ok("RemoveTags", Ctx(kOutsider), {{"ResourceId", arn}, {"TagsList", {{{"Key", "env"}}}}});
  l = Ok("ListTags", Ctx(kOutsider), {{"ResourceIdList", {arn}}});
  EXPECT_EQ(l["ResourceTagList"][0]["TagsList"].size(), 1u);
  EXPECT_EQ(Err("AddTags", Ctx(kOutsider),
                {{"ResourceId", arn}, {"TagsList", {{{"Key", "aws:x"}, {"Value", "1"}}}}}),
            "InvalidTagParameterException");
  EXPECT_EQ(Err("ListTags", Ctx(kOutsider),
                {{"ResourceIdList", {"arn:aws:cloudtrail:us-east-1:333333333333:trail/zz9"}}}),
            "ResourceNotFoundException");
  // 50 tags at most, counting those already there.
  Json many = Json::array();
  for (int i = 0; i < 50; ++i) many.push_back({{"Key", "k" + std::to_string(i)}, {"Value", "v"}});
  EXPECT_EQ(Err("AddTags", Ctx(kOutsider), {{"ResourceId", arn}, {"TagsList", many}}),
            "TagsLimitExceededException");
  l = Ok("ListTags", Ctx(kOutsider), {{"ResourceIdList", {arn}}});
  EXPECT_EQ(l["ResourceTagList"][0]["TagsList"].size(), 1u);  // unchanged
  // Deleting the trail drops its tags.
  Ok("DeleteTrail", Ctx(kOutsider), {{"Name", "tr1"}});
  Ok("CreateTrail", Ctx(kOutsider), {{"Name", "tr1"}, {"S3BucketName", "audit-cloudtrail"}});
  EXPECT_TRUE(
      Ok("ListTags", Ctx(kOutsider), {{"ResourceIdList", {arn}}})["ResourceTagList"][0]["TagsList"]
          .empty());
}

TEST_F(CloudTrailServiceTest, ConcurrentCreatesRespectQuota) {
  std::vector<std::thread> threads;
  std::atomic<int> created{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto r = svc_->CreateTrail(Ctx(kOutsider), {{"Name", "par" + std::to_string(i)},
                                                  {"S3BucketName", "audit-cloudtrail"}});
      if (r.ok()) ++created;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 5);
  EXPECT_EQ(Ok("ListTrails", Ctx(kOutsider), Json::object())["Trails"].size(), 5u);
}

TEST_F(CloudTrailServiceTest, StatePersistsInCatalog) {
  CreateOrgTrail();
  Ok("StartLogging", Ctx(kMgmt), {{"Name", "org-trail"}});
  // A second service over the same catalog sees everything.
  CloudTrailService again(*db_, orgs_, buckets_, keys_, clock_);
  auto r = again.GetTrailStatus(Ctx(kMember), {{"Name", kOrgArn}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["IsLogging"], true);
}

}  // namespace
}  // namespace orgtrail::cloudtrail

namespace orgtrail::cloudtrail {
namespace {

// Records hook calls; checks they run without the service mutex held by
// calling back into the service (which would deadlock otherwise).
class RecordingHooks : public IntegrityHooks {
 public:
  explicit RecordingHooks(CloudTrailService*& svc) : svc_(svc) {}
  void LoggingStarted(const std::string& arn) override { Note("started " + arn); }
  void LoggingStopped(const std::string& arn) override { Note("stopped " + arn); }
  void ValidationDisabled(const std::string& arn) override { Note("disabled " + arn); }
  Result<OrderedJson> ListPublicKeys(const std::string& region, std::optional<TimePoint> start,
                                     std::optional<TimePoint> end) override {
    Note("keys " + region + " " + (start ? std::to_string(ToUnixSeconds(*start)) : "-") + " " +
         (end ? std::to_string(ToUnixSeconds(*end)) : "-"));
    OrderedJson out = {{"PublicKeyList", OrderedJson::array({{{"Fingerprint", "f"}}})}};
    return out;
  }
  void Note(const std::string& what) {
    calls.push_back(what);
    (void)svc_->LoggingTrails();  // re-entrancy: must not deadlock
  }
  std::vector<std::string> calls;

 private:
  CloudTrailService*& svc_;
};

class IntegrityHooksTest : public CloudTrailServiceTest {
 protected:
  IntegrityHooksTest() : raw_(svc_.get()), hooks_(raw_) {}
  CloudTrailService* raw_;
  RecordingHooks hooks_;
};

TEST_F(IntegrityHooksTest, ListPublicKeysWithoutHooksIsUnsupported) {
  EXPECT_EQ(Err("ListPublicKeys", Ctx(kMember), Json::object()), "UnsupportedOperationException");
}

TEST_F(IntegrityHooksTest, ListPublicKeysDelegatesWithRegionAndTimes) {
  svc_->SetIntegrityHooks(&hooks_);
  Json out = Ok("ListPublicKeys", Ctx(kMember, kOther), {{"StartTime", 1700000000}, {"EndTime", 1700003600.5}});
  EXPECT_EQ(out["PublicKeyList"][0]["Fingerprint"], "f");
  Ok("ListPublicKeys", Ctx(kMember), Json::object());
  Ok("ListPublicKeys", Ctx(kMember), {{"StartTime", "2023-11-14T22:13:20Z"}});
  EXPECT_EQ(Err("ListPublicKeys", Ctx(kMember), {{"StartTime", true}}), "SerializationException");
  EXPECT_EQ(hooks_.calls, (std::vector<std::string>{"keys eu-west-1 1700000000 1700003600",
                                                    "keys us-east-1 - -",
                                                    "keys us-east-1 1700000000 -"}));
}

TEST_F(IntegrityHooksTest, LifecycleHooks) {
  svc_->SetIntegrityHooks(&hooks_);
  CreateOrgTrail();
  EXPECT_TRUE(hooks_.calls.empty());  // CreateTrail does not start logging
  Ok("StartLogging", Ctx(kMgmt), {{"Name", "org-trail"}});
  Ok("StartLogging", Ctx(kMgmt), {{"Name", "org-trail"}});  // already logging: no call
  Ok("UpdateTrail", Ctx(kMgmt), {{"Name", "org-trail"}, {"EnableLogFileValidation", false}});
  Ok("UpdateTrail", Ctx(kMgmt), {{"Name", "org-trail"}, {"EnableLogFileValidation", true}});
  Ok("StopLogging", Ctx(kMgmt), {{"Name", "org-trail"}});
  Ok("StopLogging", Ctx(kMgmt), {{"Name", "org-trail"}});  // already stopped: no call
  Err("StopLogging", Ctx(kMember), {{"Name", kOrgArn}});   // refused: no call
  Ok("DeleteTrail", Ctx(kMgmt), {{"Name", "org-trail"}});
  std::string a = kOrgArn;
  EXPECT_EQ(hooks_.calls, (std::vector<std::string>{"started " + a, "disabled " + a,
                                                    "started " + a, "stopped " + a,
                                                    "stopped " + a}));
}

}  // namespace
}  // namespace orgtrail::cloudtrail
