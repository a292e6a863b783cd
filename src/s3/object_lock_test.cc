// S3 Object Lock through S3Service: bucket lock configuration, lock headers
// on PutObject, retention and legal hold calls, the deletion guard (with
// the governance bypass) and the lifecycle guard. Identity policies are
// those of iam::Authorizer::Default() (roots may do anything, IAM users
// nothing), so permissions of users come from the bucket policy.
#include "s3/object_lock.h"

#include <gtest/gtest.h>

#include <pugixml.hpp>

#include "base/strings.h"
#include "objstore/memory_object_store.h"
#include "s3/s3_service.h"

namespace orgtrail::s3 {
namespace {

constexpr char kOwner[] = "111111111111";
constexpr char kBucket[] = "locked";
constexpr char kPlain[] = "plain";

// No object here is encrypted; any KMS use is a test failure.
class NoKms : public kms::DataKeyProvider {
 public:
  Result<kms::DataKey> GenerateDataKeyFor(const auth::RequestContext&, const std::string&,
                                          const kms::EncryptionContext&) override {
    return Status::Internal("no KMS in this test");
  }
  Result<kms::DataKey> DecryptFor(const auth::RequestContext&, const std::string&,
                                  const kms::EncryptionContext&) override {
    return Status::Internal("no KMS in this test");
  }
  Result<std::string> ResolveKeyArn(const auth::RequestContext&, const std::string&) override {
    return Status::Internal("no KMS in this test");
  }
};

std::string HeaderOf(const S3Response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (ToLower(k) == ToLower(name)) return v;
  }
  return "<none>";
}

std::string ErrorCode(const S3Response& r) {
  pugi::xml_document d;
  if (!d.load_string(r.body.c_str())) return "<no xml>";
  return d.child("Error").child("Code").text().get();
}

std::string Retention(const std::string& mode, const std::string& until) {
  return "<Retention><Mode>" + mode + "</Mode><RetainUntilDate>" + until +
         "</RetainUntilDate></Retention>";
}

std::string LegalHold(const std::string& status) {
  return "<LegalHold><Status>" + status + "</Status></LegalHold>";
}

class ObjectLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::move(catalog::Db::Open(":memory:")).value();
    svc_ = std::make_unique<S3Service>(*db_, store_, kms_, clock_);
    auto r = Call("PUT", kBucket, "", {}, {{"x-amz-bucket-object-lock-enabled", "true"}});
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_EQ(Call("PUT", kPlain, "").status, 200);
  }

  auth::RequestContext Root() const {
    auth::RequestContext c;
    c.principal.type = auth::PrincipalType::kRoot;
    c.principal.account_id = kOwner;
    c.principal.arn = std::string("arn:aws:iam::") + kOwner + ":root";
    c.region = "us-east-1";
    c.request_id = "REQ";
    return c;
  }
  auth::RequestContext User(const std::string& name) const {
    auth::RequestContext c = Root();
    c.principal.type = auth::PrincipalType::kIAMUser;
    c.principal.user_name = name;
    c.principal.arn = std::string("arn:aws:iam::") + kOwner + ":user/" + name;
    return c;
  }

  S3Response Call(const std::string& method, const std::string& bucket, const std::string& key,
                  std::vector<std::pair<std::string, std::string>> query = {},
                  std::map<std::string, std::string> headers = {}, std::string body = "") {
    return CallAs(Root(), method, bucket, key, std::move(query), std::move(headers),
                  std::move(body));
  }
  S3Response CallAs(const auth::RequestContext& ctx, const std::string& method,
                    const std::string& bucket, const std::string& key,
                    std::vector<std::pair<std::string, std::string>> query = {},
                    std::map<std::string, std::string> headers = {}, std::string body = "") {
    S3Request r{method, bucket, key, std::move(query), std::move(headers), std::move(body)};
    return svc_->Handle(ctx, r);
  }
  // Puts an object into the locked bucket; returns its version id.
  std::string Put(const std::string& key, std::map<std::string, std::string> headers = {}) {
    auto r = Call("PUT", kBucket, key, {}, std::move(headers), "data");
    EXPECT_EQ(r.status, 200) << r.body;
    return HeaderOf(r, "x-amz-version-id");
  }
  std::string In(Duration d) const { return FormatIso8601Millis(clock_.Now() + d); }
  S3Response DeleteVersion(const std::string& key, const std::string& vid, bool bypass = false) {
    std::map<std::string, std::string> h;
    if (bypass) h["x-amz-bypass-governance-retention"] = "true";
    return Call("DELETE", kBucket, key, {{"versionId", vid}}, h);
  }
  // Grants IAM user `name` the given actions on the locked bucket's objects.
  void GrantUser(const std::string& name, const std::string& actions_json) {
    std::string policy = std::string(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",)") +
                         R"("Principal":{"AWS":"arn:aws:iam::)" + kOwner + ":user/" + name +
                         R"("},"Action":)" + actions_json +
                         R"(,"Resource":"arn:aws:s3:::locked/*"}]})";
    auto r = Call("PUT", kBucket, "", {{"policy", ""}}, {}, policy);
    ASSERT_EQ(r.status / 100, 2) << r.body;
  }

  SimulatedClock clock_{FromUnixSeconds(1700000000)};
  objstore::MemoryObjectStore store_;
  NoKms kms_;
  std::unique_ptr<catalog::Db> db_;
  std::unique_ptr<S3Service> svc_;
};

constexpr auto kDay = std::chrono::hours(24);

TEST_F(ObjectLockTest, CreateBucketWithLockEnablesVersioningForGood) {
  auto v = Call("GET", kBucket, "", {{"versioning", ""}});
  EXPECT_NE(v.body.find("<Status>Enabled</Status>"), std::string::npos) << v.body;
  auto cfg = Call("GET", kBucket, "", {{"object-lock", ""}});
  ASSERT_EQ(cfg.status, 200) << cfg.body;
  EXPECT_NE(cfg.body.find("<ObjectLockEnabled>Enabled</ObjectLockEnabled>"), std::string::npos);
  auto suspend =
      Call("PUT", kBucket, "", {{"versioning", ""}}, {},
           "<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>");
  EXPECT_EQ(suspend.status, 409);
  EXPECT_EQ(ErrorCode(suspend), "InvalidBucketState");
  // Re-enabling is harmless.
  EXPECT_EQ(Call("PUT", kBucket, "", {{"versioning", ""}}, {},
                 "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>")
                .status,
            200);
  auto bad = Call("PUT", "other", "", {}, {{"x-amz-bucket-object-lock-enabled", "maybe"}});
  EXPECT_EQ(ErrorCode(bad), "InvalidArgument");
}

TEST_F(ObjectLockTest, LockConfigurationNeedsALockBucket) {
  auto get = Call("GET", kPlain, "", {{"object-lock", ""}});
  EXPECT_EQ(get.status, 404);
  EXPECT_EQ(ErrorCode(get), "ObjectLockConfigurationNotFoundError");
  auto put = Call("PUT", kPlain, "", {{"object-lock", ""}}, {},
                  "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled>"
                  "</ObjectLockConfiguration>");
  EXPECT_EQ(put.status, 409);
  EXPECT_EQ(ErrorCode(put), "InvalidBucketState");
  EXPECT_EQ(Call("DELETE", kBucket, "", {{"object-lock", ""}}).status, 405);
}

TEST_F(ObjectLockTest, DefaultRetentionRuleIsValidatedStoredAndApplied) {
  auto doc = [](const std::string& rule) {
    return "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled>" + rule +
           "</ObjectLockConfiguration>";
  };
  auto both = Call("PUT", kBucket, "", {{"object-lock", ""}}, {},
                   doc("<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days>"
                       "<Years>1</Years></DefaultRetention></Rule>"));
  EXPECT_EQ(ErrorCode(both), "MalformedXML");
  auto zero = Call("PUT", kBucket, "", {{"object-lock", ""}}, {},
                   doc("<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>0</Days>"
                       "</DefaultRetention></Rule>"));
  EXPECT_EQ(ErrorCode(zero), "InvalidArgument");
  auto mode = Call("PUT", kBucket, "", {{"object-lock", ""}}, {},
                   doc("<Rule><DefaultRetention><Mode>FOREVER</Mode><Days>1</Days>"
                       "</DefaultRetention></Rule>"));
  EXPECT_EQ(ErrorCode(mode), "InvalidArgument");
  auto disabled = Call("PUT", kBucket, "", {{"object-lock", ""}}, {},
                       "<ObjectLockConfiguration><ObjectLockEnabled>Disabled</ObjectLockEnabled>"
                       "</ObjectLockConfiguration>");
  EXPECT_EQ(ErrorCode(disabled), "MalformedXML");

  auto ok = Call("PUT", kBucket, "", {{"object-lock", ""}}, {},
                 doc("<Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Days>10</Days>"
                     "</DefaultRetention></Rule>"));
  ASSERT_EQ(ok.status, 200) << ok.body;
  auto get = Call("GET", kBucket, "", {{"object-lock", ""}});
  EXPECT_NE(get.body.find("<Mode>COMPLIANCE</Mode><Days>10</Days>"), std::string::npos) << get.body;

  std::string vid = Put("AWSLogs/a.json.gz");
  auto head = Call("HEAD", kBucket, "AWSLogs/a.json.gz");
  EXPECT_EQ(HeaderOf(head, "x-amz-object-lock-mode"), "COMPLIANCE");
  EXPECT_EQ(HeaderOf(head, "x-amz-object-lock-retain-until-date"), In(10 * kDay));
  EXPECT_EQ(DeleteVersion("AWSLogs/a.json.gz", vid, true).status, 403);

  // Explicit headers win over the default.
  Put("b", {{"x-amz-object-lock-mode", "GOVERNANCE"},
            {"x-amz-object-lock-retain-until-date", In(kDay)}});
  EXPECT_EQ(HeaderOf(Call("HEAD", kBucket, "b"), "x-amz-object-lock-mode"), "GOVERNANCE");

  // Years are calendar years.
  ASSERT_EQ(Call("PUT", kBucket, "", {{"object-lock", ""}}, {},
                 doc("<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Years>1</Years>"
                     "</DefaultRetention></Rule>"))
                .status,
            200);
  Put("c");
  EXPECT_EQ(HeaderOf(Call("GET", kBucket, "c"), "x-amz-object-lock-retain-until-date"),
            "2024-11-14T22:13:20.000Z");
}

TEST_F(ObjectLockTest, PutObjectLockHeaders) {
  auto plain = Call(
      "PUT", kPlain, "k", {},
      {{"x-amz-object-lock-mode", "GOVERNANCE"}, {"x-amz-object-lock-retain-until-date", In(kDay)}},
      "x");
  EXPECT_EQ(plain.status, 400);
  EXPECT_EQ(ErrorCode(plain), "InvalidRequest");
  EXPECT_EQ(ErrorCode(Call("PUT", kPlain, "k", {}, {{"x-amz-object-lock-legal-hold", "ON"}}, "x")),
            "InvalidRequest");

  EXPECT_EQ(
      ErrorCode(Call("PUT", kBucket, "k", {}, {{"x-amz-object-lock-mode", "GOVERNANCE"}}, "x")),
      "InvalidArgument");
  EXPECT_EQ(ErrorCode(Call("PUT", kBucket, "k", {},
                           {{"x-amz-object-lock-mode", "GOVERNANCE"},
                            {"x-amz-object-lock-retain-until-date", In(-kDay)}},
                           "x")),
            "InvalidArgument");
  EXPECT_EQ(ErrorCode(Call("PUT", kBucket, "k", {},
                           {{"x-amz-object-lock-mode", "GOVERNANCE"},
                            {"x-amz-object-lock-retain-until-date", "tomorrow"}},
                           "x")),
            "InvalidArgument");
  EXPECT_EQ(
      ErrorCode(Call("PUT", kBucket, "k", {}, {{"x-amz-object-lock-legal-hold", "YES"}}, "x")),
      "InvalidArgument");

  Put("k", {{"x-amz-object-lock-mode", "COMPLIANCE"},
            {"x-amz-object-lock-retain-until-date", In(2 * kDay)},
            {"x-amz-object-lock-legal-hold", "ON"}});
  for (const char* m : {"GET", "HEAD"}) {
    auto r = Call(m, kBucket, "k");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(HeaderOf(r, "x-amz-object-lock-mode"), "COMPLIANCE");
    EXPECT_EQ(HeaderOf(r, "x-amz-object-lock-retain-until-date"), In(2 * kDay));
    EXPECT_EQ(HeaderOf(r, "x-amz-object-lock-legal-hold"), "ON");
  }
  // A reader without s3:GetObjectRetention / s3:GetObjectLegalHold does not see them.
  GrantUser("reader", R"(["s3:GetObject"])");
  auto r = CallAs(User("reader"), "HEAD", kBucket, "k");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(HeaderOf(r, "x-amz-object-lock-mode"), "<none>");
  EXPECT_EQ(HeaderOf(r, "x-amz-object-lock-legal-hold"), "<none>");
  GrantUser("reader", R"(["s3:GetObject","s3:GetObjectLegalHold"])");
  r = CallAs(User("reader"), "HEAD", kBucket, "k");
  EXPECT_EQ(HeaderOf(r, "x-amz-object-lock-mode"), "<none>");
  EXPECT_EQ(HeaderOf(r, "x-amz-object-lock-legal-hold"), "ON");
  // Without headers and without a default rule a version carries no lock.
  Put("free");
  EXPECT_EQ(HeaderOf(Call("HEAD", kBucket, "free"), "x-amz-object-lock-mode"), "<none>");
}

TEST_F(ObjectLockTest, GovernanceDeleteNeedsBypassHeaderAndPermission) {
  std::string vid = Put("g", {{"x-amz-object-lock-mode", "GOVERNANCE"},
                              {"x-amz-object-lock-retain-until-date", In(kDay)}});
  auto denied = DeleteVersion("g", vid);
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(ErrorCode(denied), "AccessDenied");
  EXPECT_NE(denied.body.find("GOVERNANCE"), std::string::npos) << denied.body;

  // A user allowed to delete versions but not to bypass: header alone fails.
  GrantUser("ops", R"(["s3:DeleteObjectVersion"])");
  std::map<std::string, std::string> bypass = {{"x-amz-bypass-governance-retention", "true"}};
  EXPECT_EQ(CallAs(User("ops"), "DELETE", kBucket, "g", {{"versionId", vid}}, bypass).status, 403);
  // Permission without the header fails too.
  GrantUser("ops", R"(["s3:DeleteObjectVersion","s3:BypassGovernanceRetention"])");
  EXPECT_EQ(CallAs(User("ops"), "DELETE", kBucket, "g", {{"versionId", vid}}).status, 403);
  EXPECT_EQ(Call("HEAD", kBucket, "g", {{"versionId", vid}}).status, 200);
  // Both: the version goes.
  auto ok = CallAs(User("ops"), "DELETE", kBucket, "g", {{"versionId", vid}}, bypass);
  EXPECT_EQ(ok.status, 204) << ok.body;
  EXPECT_EQ(Call("HEAD", kBucket, "g", {{"versionId", vid}}).status, 404);
}

TEST_F(ObjectLockTest, GovernanceRetentionShortenedOnlyWithBypass) {
  std::string vid = Put("g", {{"x-amz-object-lock-mode", "GOVERNANCE"},
                              {"x-amz-object-lock-retain-until-date", In(10 * kDay)}});
  auto q = std::vector<std::pair<std::string, std::string>>{{"retention", ""}, {"versionId", vid}};
  // Extending is always allowed.
  EXPECT_EQ(Call("PUT", kBucket, "g", q, {}, Retention("GOVERNANCE", In(20 * kDay))).status, 200);
  auto shorter = Call("PUT", kBucket, "g", q, {}, Retention("GOVERNANCE", In(kDay)));
  EXPECT_EQ(shorter.status, 403);
  EXPECT_EQ(ErrorCode(shorter), "AccessDenied");
  EXPECT_EQ(Call("PUT", kBucket, "g", q, {}, "<Retention/>").status, 403);
  auto get = Call("GET", kBucket, "g", q);
  EXPECT_NE(get.body.find("<RetainUntilDate>" + In(20 * kDay) + "</RetainUntilDate>"),
            std::string::npos)
      << get.body;
  // With bypass (and the root's permission): shortened, then removed.
  std::map<std::string, std::string> bypass = {{"x-amz-bypass-governance-retention", "true"}};
  EXPECT_EQ(Call("PUT", kBucket, "g", q, bypass, Retention("GOVERNANCE", In(kDay))).status, 200);
  EXPECT_EQ(Call("PUT", kBucket, "g", q, bypass, "<Retention/>").status, 200);
  EXPECT_EQ(ErrorCode(Call("GET", kBucket, "g", q)), "NoSuchObjectLockConfiguration");
  EXPECT_EQ(DeleteVersion("g", vid).status, 204);
}

TEST_F(ObjectLockTest, ComplianceCannotBeShortenedChangedOrBypassed) {
  std::string vid = Put("c", {{"x-amz-object-lock-mode", "COMPLIANCE"},
                              {"x-amz-object-lock-retain-until-date", In(10 * kDay)}});
  auto q = std::vector<std::pair<std::string, std::string>>{{"retention", ""}, {"versionId", vid}};
  std::map<std::string, std::string> bypass = {{"x-amz-bypass-governance-retention", "true"}};
  EXPECT_EQ(Call("PUT", kBucket, "c", q, bypass, Retention("COMPLIANCE", In(kDay))).status, 403);
  EXPECT_EQ(Call("PUT", kBucket, "c", q, bypass, Retention("GOVERNANCE", In(30 * kDay))).status,
            403);
  EXPECT_EQ(Call("PUT", kBucket, "c", q, bypass, "<Retention/>").status, 403);
  EXPECT_EQ(DeleteVersion("c", vid, /*bypass=*/true).status, 403);
  EXPECT_EQ(Call("PUT", kBucket, "c", q, {}, Retention("COMPLIANCE", In(11 * kDay))).status, 200);
  // Raising GOVERNANCE to COMPLIANCE needs no bypass: it only adds protection.
  std::string g = Put("g", {{"x-amz-object-lock-mode", "GOVERNANCE"},
                            {"x-amz-object-lock-retain-until-date", In(kDay)}});
  EXPECT_EQ(Call("PUT", kBucket, "g", {{"retention", ""}, {"versionId", g}}, {},
                 Retention("COMPLIANCE", In(kDay)))
                .status,
            200);
  EXPECT_EQ(DeleteVersion("g", g, true).status, 403);

  // Overwrites and plain deletes are allowed: they only add versions.
  Put("c");
  auto marker = Call("DELETE", kBucket, "c");
  EXPECT_EQ(marker.status, 204);
  EXPECT_EQ(HeaderOf(marker, "x-amz-delete-marker"), "true");
  EXPECT_EQ(Call("HEAD", kBucket, "c", {{"versionId", vid}}).status, 200);

  // Once the period is over the version may go.
  clock_.Advance(11 * kDay + std::chrono::seconds(1));
  EXPECT_EQ(DeleteVersion("c", vid).status, 204);
}

TEST_F(ObjectLockTest, LegalHoldBlocksUntilOff) {
  std::string vid = Put("h");
  auto q = std::vector<std::pair<std::string, std::string>>{{"legal-hold", ""}, {"versionId", vid}};
  EXPECT_EQ(ErrorCode(Call("GET", kBucket, "h", q)), "NoSuchObjectLockConfiguration");
  EXPECT_EQ(ErrorCode(Call("PUT", kBucket, "h", q, {}, LegalHold("MAYBE"))), "MalformedXML");
  ASSERT_EQ(Call("PUT", kBucket, "h", q, {}, LegalHold("ON")).status, 200);
  EXPECT_NE(Call("GET", kBucket, "h", q).body.find("<Status>ON</Status>"), std::string::npos);
  auto denied = DeleteVersion("h", vid, /*bypass=*/true);
  EXPECT_EQ(denied.status, 403);
  EXPECT_NE(denied.body.find("legal hold"), std::string::npos) << denied.body;
  ASSERT_EQ(Call("PUT", kBucket, "h", q, {}, LegalHold("OFF")).status, 200);
  EXPECT_EQ(HeaderOf(Call("HEAD", kBucket, "h"), "x-amz-object-lock-legal-hold"), "OFF");
  EXPECT_EQ(DeleteVersion("h", vid).status, 204);
}

TEST_F(ObjectLockTest, RetentionAndLegalHoldCallsNeedALockBucketAndAVersion) {
  Call("PUT", kPlain, "k", {}, {}, "x");
  EXPECT_EQ(ErrorCode(Call("GET", kPlain, "k", {{"retention", ""}})), "InvalidRequest");
  EXPECT_EQ(ErrorCode(Call("PUT", kPlain, "k", {{"legal-hold", ""}}, {}, LegalHold("ON"))),
            "InvalidRequest");
  EXPECT_EQ(ErrorCode(Call("GET", kBucket, "missing", {{"retention", ""}})), "NoSuchKey");
  Put("k");
  EXPECT_EQ(ErrorCode(Call("PUT", kBucket, "k", {{"retention", ""}}, {},
                           Retention("GOVERNANCE", In(-kDay)))),
            "InvalidArgument");
  EXPECT_EQ(ErrorCode(Call("PUT", kBucket, "k", {{"retention", ""}}, {},
                           "<Retention><Mode>GOVERNANCE</Mode></Retention>")),
            "MalformedXML");
  // Without versionId the latest version is meant.
  ASSERT_EQ(
      Call("PUT", kBucket, "k", {{"retention", ""}}, {}, Retention("GOVERNANCE", In(kDay))).status,
      200);
  EXPECT_EQ(HeaderOf(Call("HEAD", kBucket, "k"), "x-amz-object-lock-mode"), "GOVERNANCE");
}

TEST_F(ObjectLockTest, DeleteObjectsReportsLockedEntries) {
  std::string locked = Put("a", {{"x-amz-object-lock-mode", "GOVERNANCE"},
                                 {"x-amz-object-lock-retain-until-date", In(kDay)}});
  std::string free = Put("b");
  std::string body = "<Delete><Object><Key>a</Key><VersionId>" + locked +
                     "</VersionId></Object><Object><Key>b</Key><VersionId>" + free +
                     "</VersionId></Object></Delete>";
  auto r = Call("POST", kBucket, "", {{"delete", ""}}, {}, body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(
      r.body.find("<Key>a</Key><VersionId>" + locked + "</VersionId><Code>AccessDenied</Code>"),
      std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("<Deleted><Key>b</Key>"), std::string::npos) << r.body;
  EXPECT_EQ(Call("HEAD", kBucket, "a", {{"versionId", locked}}).status, 200);
  // The bypass header applies to the whole request.
  auto again = Call("POST", kBucket, "", {{"delete", ""}},
                    {{"x-amz-bypass-governance-retention", "true"}}, body);
  EXPECT_NE(again.body.find("<Deleted><Key>a</Key>"), std::string::npos) << again.body;
}

TEST_F(ObjectLockTest, LifecycleSkipsLockedVersionsUntilRetentionEnds) {
  std::string old = Put("k", {{"x-amz-object-lock-mode", "COMPLIANCE"},
                              {"x-amz-object-lock-retain-until-date", In(5 * kDay)}});
  Put("k", {{"x-amz-object-lock-mode", "GOVERNANCE"},
            {"x-amz-object-lock-retain-until-date", In(5 * kDay)}});
  auto versions = store_.ListVersions(kBucket, "k", "", "", 10);
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->versions.size(), 2u);
  const objstore::ObjectInfo& current = versions->versions[0];
  const objstore::ObjectInfo& noncurrent = versions->versions[1];
  ASSERT_EQ(noncurrent.version_id, old);
  // Noncurrent expiry would remove the version: blocked while locked.
  EXPECT_TRUE(svc_->LockBlocksLifecycleRemoval(kBucket, noncurrent));
  // Current expiry only adds a delete marker: never blocked.
  EXPECT_FALSE(svc_->LockBlocksLifecycleRemoval(kBucket, current));
  clock_.Advance(5 * kDay + std::chrono::seconds(1));
  EXPECT_FALSE(svc_->LockBlocksLifecycleRemoval(kBucket, noncurrent));
  // A legal hold blocks with no retention.
  ASSERT_EQ(Call("PUT", kBucket, "k", {{"legal-hold", ""}, {"versionId", old}}, {}, LegalHold("ON"))
                .status,
            200);
  auto held = store_.Head(kBucket, "k", old);
  ASSERT_TRUE(held.ok());
  EXPECT_TRUE(svc_->LockBlocksLifecycleRemoval(kBucket, *held));
}

TEST(ObjectLockRules, ClassifyRetentionChange) {
  const TimePoint now = FromUnixSeconds(1000);
  VersionLock gov{"GOVERNANCE", FromUnixSeconds(2000), false, false};
  VersionLock comp{"COMPLIANCE", FromUnixSeconds(2000), false, false};
  VersionLock longer{"GOVERNANCE", FromUnixSeconds(3000), false, false};
  VersionLock shorter{"COMPLIANCE", FromUnixSeconds(1500), false, false};
  VersionLock none;
  EXPECT_EQ(ClassifyRetentionChange(gov, longer, now), RetentionChange::kAllowed);
  EXPECT_EQ(ClassifyRetentionChange(gov, none, now), RetentionChange::kNeedsBypass);
  EXPECT_EQ(ClassifyRetentionChange(gov, shorter, now), RetentionChange::kNeedsBypass);
  EXPECT_EQ(ClassifyRetentionChange(comp, longer, now), RetentionChange::kForbidden);
  EXPECT_EQ(ClassifyRetentionChange(comp, shorter, now), RetentionChange::kForbidden);
  EXPECT_EQ(ClassifyRetentionChange(comp, none, now), RetentionChange::kForbidden);
  // An expired retention no longer protects anything.
  EXPECT_EQ(ClassifyRetentionChange(comp, none, FromUnixSeconds(2000)), RetentionChange::kAllowed);
  EXPECT_EQ(DeletionBlocker(comp, FromUnixSeconds(2000)), "");
  EXPECT_EQ(DeletionBlocker(gov, now), "governance");
}

// The s3:object-lock-* condition keys: a bucket policy can cap the retention
// a writer may set, require a mode, and keep legal holds from being lifted.
TEST_F(ObjectLockTest, ObjectLockConditionKeysInBucketPolicy) {
  const std::string policy = std::string(R"({"Version":"2012-10-17","Statement":[)") +
      R"({"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::)" + kOwner + R"(:user/ops"},)" +
      R"("Action":["s3:PutObject","s3:PutObjectRetention","s3:PutObjectLegalHold"],)" +
      R"("Resource":"arn:aws:s3:::locked/*"},)" +
      R"({"Sid":"AtMost30Days","Effect":"Deny","Principal":"*","Action":["s3:PutObject","s3:PutObjectRetention"],)" +
      R"("Resource":"arn:aws:s3:::locked/*","Condition":{"NumericGreaterThan":)" +
      R"({"s3:object-lock-remaining-retention-days":"30"}}},)" +
      R"({"Sid":"ComplianceOnly","Effect":"Deny","Principal":"*","Action":"s3:PutObject",)" +
      R"("Resource":"arn:aws:s3:::locked/*","Condition":{"StringEquals":)" +
      R"({"s3:object-lock-mode":"GOVERNANCE"}}},)" +
      R"({"Sid":"HoldsStay","Effect":"Deny","Principal":"*","Action":"s3:PutObjectLegalHold",)" +
      R"("Resource":"arn:aws:s3:::locked/*","Condition":{"StringEquals":)" +
      R"({"s3:object-lock-legal-hold":"OFF"}}}]})";
  ASSERT_EQ(Call("PUT", kBucket, "", {{"policy", ""}}, {}, policy).status / 100, 2);
  auto put = [&](const std::string& key, std::map<std::string, std::string> h) {
    return CallAs(User("ops"), "PUT", kBucket, key, {}, std::move(h), "data");
  };
  // Mode and retention within the caps: allowed; GOVERNANCE or 31 days: denied.
  auto ok = put("a", {{"x-amz-object-lock-mode", "COMPLIANCE"},
                      {"x-amz-object-lock-retain-until-date", In(10 * kDay)}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(put("b", {{"x-amz-object-lock-mode", "GOVERNANCE"},
                      {"x-amz-object-lock-retain-until-date", In(10 * kDay)}}).status, 403);
  EXPECT_EQ(put("c", {{"x-amz-object-lock-mode", "COMPLIANCE"},
                      {"x-amz-object-lock-retain-until-date", In(31 * kDay)}}).status, 403);
  // A part day counts as a whole one: 30 days and an hour is over the cap.
  EXPECT_EQ(put("c", {{"x-amz-object-lock-mode", "COMPLIANCE"},
                      {"x-amz-object-lock-retain-until-date",
                       In(30 * kDay + std::chrono::hours(1))}}).status, 403);
  // No lock headers: the conditions' keys are absent, the writes go through.
  EXPECT_EQ(put("plain", {}).status, 200);
  EXPECT_EQ(Call("HEAD", kBucket, "b").status, 404);

  const std::string vid = HeaderOf(ok, "x-amz-version-id");
  std::vector<std::pair<std::string, std::string>> rq = {{"retention", ""}, {"versionId", vid}};
  EXPECT_EQ(CallAs(User("ops"), "PUT", kBucket, "a", rq, {}, Retention("COMPLIANCE", In(40 * kDay)))
                .status, 403);
  auto extended =
      CallAs(User("ops"), "PUT", kBucket, "a", rq, {}, Retention("COMPLIANCE", In(20 * kDay)));
  EXPECT_EQ(extended.status, 200) << extended.body;

  std::vector<std::pair<std::string, std::string>> hq = {{"legal-hold", ""}, {"versionId", vid}};
  EXPECT_EQ(CallAs(User("ops"), "PUT", kBucket, "a", hq, {}, LegalHold("ON")).status, 200);
  auto lift = CallAs(User("ops"), "PUT", kBucket, "a", hq, {}, LegalHold("OFF"));
  EXPECT_EQ(lift.status, 403);
  EXPECT_EQ(ErrorCode(lift), "AccessDenied");
  EXPECT_NE(Call("GET", kBucket, "a", hq).body.find("<Status>ON</Status>"), std::string::npos);
}

}  // namespace
}  // namespace orgtrail::s3
