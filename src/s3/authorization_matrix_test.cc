// Authorization matrix: every principal kind of the trail's threat model ×
// the trail-relevant bucket and key operations, through the real S3Service,
// KmsService and an IdentityStore-backed iam::Authorizer. Every cell states
// the expected decision; the test fails on any unexpected allow (and on any
// unexpected deny). Badly signed requests never reach the services (the
// SigV4 verifier rejects them: auth/sigv4_test.cc).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/strings.h"
#include "base/time.h"
#include "catalog/db.h"
#include "crypto/sealer.h"
#include "iam/authorizer.h"
#include "iam/identity_store.h"
#include "kms/kms_service.h"
#include "objstore/memory_object_store.h"
#include "s3/s3_service.h"

namespace orgtrail::s3 {
namespace {

constexpr char kMgmt[] = "111111111111";
constexpr char kAudit[] = "222222222222";
constexpr char kMember[] = "333333333333";
constexpr char kBucket[] = "org-audit-logs";
constexpr char kTrailArn[] = "arn:aws:cloudtrail:us-east-1:111111111111:trail/org";

constexpr char kAdmin[] =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})";

class AuthorizationMatrixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_ = std::make_unique<SimulatedClock>(FromUnixSeconds(1795697791));
    db_ = std::move(catalog::Db::Open(":memory:")).value();
    sealer_ = crypto::Sealer::ForTesting(std::string(32, 'k'));
    ids_ = std::make_unique<iam::IdentityStore>(*db_, *sealer_, *clock_);
    authz_ = std::make_unique<iam::Authorizer>(*ids_);
    kms_ = std::make_unique<kms::KmsService>(*db_, *sealer_, *clock_);
    kms_->SetAuthorizer(authz_.get());
    s3_ = std::make_unique<S3Service>(*db_, store_, *kms_, *clock_, std::string(32, 'K'));
    s3_->SetAuthorizer(authz_.get());
    kms_ops_ = kms_->Ops();
    for (const char* a : {kMgmt, kAudit, kMember})
      ASSERT_TRUE(ids_->CreateAccount(a, std::string("acct-") + a, std::string(a) + "@x.example").ok());

    // Principals.
    p_["mgmt-root"] = Root(kMgmt);
    p_["member-root"] = Root(kMember);
    p_["member-role"] = Role(kMember, "OrganizationAccountAccessRole", kAdmin);
    p_["audit-admin"] = Role(kAudit, "AuditAdmin", kAdmin);
    // Decrypt on the audit key only (as the reference template's read role).
    p_["audit-read-role"] = Role(
        kAudit, "TrailReader",
        R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]})");
    p_["narrow-user"] = User(kAudit, "lister",
                             R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",
                                "Action":"s3:ListBucket","Resource":"arn:aws:s3:::org-audit-logs"}]})");
    auth::RequestContext anon;
    anon.region = "us-east-1";
    p_["anonymous"] = anon;
    auth::RequestContext ct;
    ct.region = "us-east-1";
    ct.principal.type = auth::PrincipalType::kAWSService;
    ct.principal.service = "cloudtrail.amazonaws.com";
    ct.source_arn = kTrailArn;
    ct.source_account = kMgmt;
    p_["cloudtrail"] = ct;
    auth::RequestContext ct_other = ct;
    ct_other.source_arn = "arn:aws:cloudtrail:us-east-1:999999999999:trail/x";
    ct_other.source_account = "999999999999";
    p_["cloudtrail-other-source"] = ct_other;

    // The audit bucket with a trail bucket policy, created by the audit root.
    auth::RequestContext audit_root = Root(kAudit);
    ASSERT_EQ(S3(audit_root, "PUT", "", {}).status, 200);
    const std::string policy = std::string(R"({"Version":"2012-10-17","Statement":[
      {"Sid":"AWSCloudTrailAclCheck","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
       "Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::org-audit-logs",
       "Condition":{"StringEquals":{"aws:SourceArn":")") + kTrailArn + R"("}}},
      {"Sid":"AWSCloudTrailWrite","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
       "Action":"s3:PutObject","Resource":"arn:aws:s3:::org-audit-logs/AWSLogs/*",
       "Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control","aws:SourceArn":")" +
                              kTrailArn + R"("}}}]})";
    auto put = S3(audit_root, "PUT", "", {{"policy", ""}}, {}, policy);
    ASSERT_EQ(put.status / 100, 2) << put.body;
    ASSERT_EQ(S3(audit_root, "PUT", "AWSLogs/o-1/x.json.gz", {}, {}, "log").status, 200);

    // The audit key: the account's root (delegation to IAM) and CloudTrail.
    const std::string key_policy = std::string(R"({"Version":"2012-10-17","Statement":[
      {"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::)") +
                                   kAudit + R"(:root"},"Action":"kms:*","Resource":"*"},
      {"Sid":"AllowCloudTrailEncrypt","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
       "Action":"kms:GenerateDataKey*","Resource":"*",
       "Condition":{"StringEquals":{"aws:SourceArn":")" + kTrailArn + R"("}}}]})";
    auto key = kms_ops_.at("CreateKey")(audit_root, Json{{"Policy", key_policy}});
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    key_arn_ = (*key)["KeyMetadata"]["Arn"];
    auto blob = kms_->GenerateDataKeyFor(audit_root, key_arn_, {});
    ASSERT_TRUE(blob.ok());
    blob_ = Base64Encode(blob->ciphertext_blob);
  }

  auth::RequestContext Context(const auth::Principal& p) {
    auth::RequestContext c;
    c.principal = p;
    c.region = "us-east-1";
    c.now = clock_->Now();
    return c;
  }
  auth::RequestContext Root(const std::string& account) {
    auth::Principal p;
    p.type = auth::PrincipalType::kRoot;
    p.account_id = account;
    p.arn = "arn:aws:iam::" + account + ":root";
    p.principal_id = account;
    return Context(p);
  }
  auth::RequestContext Role(const std::string& account, const std::string& name,
                            const std::string& policy) {
    iam::RoleSpec spec;
    spec.account_id = account;
    spec.name = name;
    spec.assume_role_policy_document =
        R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":")" +
        std::string(kMgmt) + R"("},"Action":"sts:AssumeRole"}]})";
    auto role = ids_->CreateRole(spec);
    EXPECT_TRUE(role.ok());
    EXPECT_TRUE(ids_->PutRolePolicy(account, name, "Policy", policy).ok());
    auto session = ids_->CreateSession(*role, "s", std::chrono::seconds(900));
    EXPECT_TRUE(session.ok());
    return Context(session->principal);
  }
  auth::RequestContext User(const std::string& account, const std::string& name,
                            const std::string& policy) {
    auto u = ids_->CreateUser(account, name);
    EXPECT_TRUE(u.ok());
    EXPECT_TRUE(ids_->PutUserPolicy(account, name, "Policy", policy).ok());
    auth::Principal p;
    p.type = auth::PrincipalType::kIAMUser;
    p.account_id = account;
    p.user_name = name;
    p.arn = u->arn;
    p.principal_id = u->user_id;
    return Context(p);
  }

  S3Response S3(const auth::RequestContext& ctx, const std::string& method, const std::string& key,
                std::vector<std::pair<std::string, std::string>> query,
                std::map<std::string, std::string> headers = {}, std::string body = "") {
    S3Request r{method, kBucket, key, std::move(query), std::move(headers), std::move(body)};
    return s3_->Handle(ctx, r);
  }
  // true = allowed; a denial must be AccessDenied(Exception), anything else fails.
  bool S3Allowed(const S3Response& r, const std::string& cell) {
    if (r.status / 100 == 2) return true;
    EXPECT_EQ(r.status, 403) << cell << ": " << r.body;
    return false;
  }
  bool KmsAllowed(const Result<Json>& r, const std::string& cell) {
    if (r.ok()) return true;
    EXPECT_EQ(r.status().code(), "AccessDeniedException") << cell << ": " << r.status().ToString();
    return false;
  }

  // Runs operation `op` as `who`; returns whether it was allowed.
  bool Run(const std::string& who, const std::string& op) {
    const auth::RequestContext& c = p_.at(who);
    const std::string cell = who + " × " + op;
    if (op == "bucket-list") return S3Allowed(S3(c, "GET", "", {}), cell);
    if (op == "object-get") return S3Allowed(S3(c, "GET", "AWSLogs/o-1/x.json.gz", {}), cell);
    if (op == "object-put")
      return S3Allowed(S3(c, "PUT", "AWSLogs/o-1/new.json.gz", {},
                          {{"x-amz-acl", "bucket-owner-full-control"}}, "x"),
                       cell);
    if (op == "object-delete") return S3Allowed(S3(c, "DELETE", "AWSLogs/o-1/x.json.gz", {}), cell);
    if (op == "bucket-policy-put")
      return S3Allowed(
          S3(c, "PUT", "", {{"policy", ""}}, {},
             R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",)"
             R"("Action":"s3:GetObject","Resource":"arn:aws:s3:::org-audit-logs/*"}]})"),
          cell);
    if (op == "bucket-policy-delete") return S3Allowed(S3(c, "DELETE", "", {{"policy", ""}}), cell);
    if (op == "key-encrypt")
      return KmsAllowed(kms_ops_.at("GenerateDataKey")(c, Json{{"KeyId", key_arn_}, {"KeySpec", "AES_256"}}),
                        cell);
    if (op == "key-decrypt")
      return KmsAllowed(kms_ops_.at("Decrypt")(c, Json{{"CiphertextBlob", blob_}}), cell);
    if (op == "key-policy-put")
      return KmsAllowed(kms_ops_.at("PutKeyPolicy")(
                            c, Json{{"KeyId", key_arn_}, {"PolicyName", "default"},
                                    {"Policy", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",)"
                                               R"("Principal":"*","Action":"kms:*","Resource":"*"}]})"}}),
                        cell);
    if (op == "key-disable") return KmsAllowed(kms_ops_.at("DisableKey")(c, Json{{"KeyId", key_arn_}}), cell);
    if (op == "key-schedule-deletion")
      return KmsAllowed(kms_ops_.at("ScheduleKeyDeletion")(
                            c, Json{{"KeyId", key_arn_}, {"PendingWindowInDays", 7}}),
                        cell);
    ADD_FAILURE() << "unknown op " << op;
    return true;
  }

  std::unique_ptr<SimulatedClock> clock_;
  std::unique_ptr<catalog::Db> db_;
  std::unique_ptr<crypto::Sealer> sealer_;
  std::unique_ptr<iam::IdentityStore> ids_;
  std::unique_ptr<iam::Authorizer> authz_;
  std::unique_ptr<kms::KmsService> kms_;
  objstore::MemoryObjectStore store_;
  std::unique_ptr<S3Service> s3_;
  auth::JsonOps kms_ops_;
  std::map<std::string, auth::RequestContext> p_;
  std::string key_arn_;
  std::string blob_;
};

// The operations in the order of the matrix columns. The destructive ones
// come last so that earlier cells see the original bucket and key.
const std::vector<std::string> kOps = {
    "bucket-list",       "object-get",      "object-put",     "key-encrypt",
    "key-decrypt",       "object-delete",   "bucket-policy-put", "bucket-policy-delete",
    "key-policy-put",    "key-disable",     "key-schedule-deletion"};

TEST_F(AuthorizationMatrixTest, EveryPrincipalKindTimesEveryTrailOperation) {
  // Expected allows; every other (principal, op) pair must be denied.
  const std::map<std::string, std::vector<std::string>> allowed = {
      {"mgmt-root", {}},
      {"member-root", {}},
      {"member-role", {}},
      {"anonymous", {}},
      {"audit-read-role", {"key-decrypt"}},
      {"narrow-user", {"bucket-list"}},
      {"cloudtrail", {"object-put", "key-encrypt"}},
      {"cloudtrail-other-source", {}},
  };
  int unexpected_allows = 0, unexpected_denies = 0;
  for (const auto& [who, allows] : allowed) {
    for (const auto& op : kOps) {
      bool expect = std::find(allows.begin(), allows.end(), op) != allows.end();
      bool got = Run(who, op);
      if (got && !expect) ++unexpected_allows;
      if (!got && expect) ++unexpected_denies;
      EXPECT_EQ(got, expect) << who << " × " << op;
    }
  }
  EXPECT_EQ(unexpected_allows, 0);
  EXPECT_EQ(unexpected_denies, 0);
}

TEST_F(AuthorizationMatrixTest, AuditAdminMayDoEverything) {
  // Run last-to-first destructive order is irrelevant here: every cell must allow.
  for (const auto& op : kOps) EXPECT_TRUE(Run("audit-admin", op)) << "audit-admin × " << op;
}

TEST_F(AuthorizationMatrixTest, DenialsExplainThemselves) {
  auto r = S3(p_.at("member-role"), "GET", "AWSLogs/o-1/x.json.gz", {});
  ASSERT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("cross-account"), std::string::npos) << r.body;
  auto k = kms_ops_.at("Decrypt")(p_.at("narrow-user"), Json{{"CiphertextBlob", blob_}});
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.status().message().find("inline policy 'Policy' of user lister"), std::string::npos)
      << k.status().message();
}

// Object Lock on a write-once audit bucket (created with Object Lock by the
// audit account's root): who may change its lock configuration, the
// retention and legal hold of its versions, and that nobody — the audit
// admin and the audit root included — can shorten a COMPLIANCE retention or
// delete a version under it.
TEST_F(AuthorizationMatrixTest, ObjectLockChangesOnTheAuditBucket) {
  constexpr char kLocked[] = "org-audit-locked";
  auto call = [&](const auth::RequestContext& c, const std::string& method, const std::string& key,
                  std::vector<std::pair<std::string, std::string>> query,
                  std::map<std::string, std::string> headers = {}, std::string body = "") {
    S3Request r{method, kLocked, key, std::move(query), std::move(headers), std::move(body)};
    return s3_->Handle(c, r);
  };
  p_["audit-root"] = Root(kAudit);
  const auth::RequestContext& audit_root = p_.at("audit-root");
  ASSERT_EQ(call(audit_root, "PUT", "", {}, {{"x-amz-bucket-object-lock-enabled", "true"}}).status,
            200);
  auto until = [&](int days) {
    return FormatIso8601Millis(clock_->Now() + std::chrono::hours(24 * days));
  };
  auto put = [&](const std::string& key, const std::string& mode) {
    auto r =
        call(audit_root, "PUT", key, {},
             {{"x-amz-object-lock-mode", mode}, {"x-amz-object-lock-retain-until-date", until(30)}},
             "log");
    EXPECT_EQ(r.status, 200) << r.body;
    for (const auto& [k, v] : r.headers) {
      if (k == "x-amz-version-id") return v;
    }
    return std::string();
  };
  const std::string gov = put("AWSLogs/gov.json.gz", "GOVERNANCE");
  const std::string comp = put("AWSLogs/comp.json.gz", "COMPLIANCE");
  ASSERT_FALSE(gov.empty());
  ASSERT_FALSE(comp.empty());
  const std::map<std::string, std::string> bypass = {{"x-amz-bypass-governance-retention", "true"}};

  auto run = [&](const std::string& who, const std::string& op) {
    const auth::RequestContext& c = p_.at(who);
    const std::string cell = who + " × " + op;
    if (op == "lock-config-put")
      return S3Allowed(
          call(c, "PUT", "", {{"object-lock", ""}}, {},
               "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled>"
               "<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days>"
               "</DefaultRetention></Rule></ObjectLockConfiguration>"),
          cell);
    if (op == "lock-config-get") return S3Allowed(call(c, "GET", "", {{"object-lock", ""}}), cell);
    if (op == "retention-get")
      return S3Allowed(call(c, "GET", "AWSLogs/gov.json.gz", {{"retention", ""}}), cell);
    if (op == "retention-extend")
      return S3Allowed(
          call(c, "PUT", "AWSLogs/gov.json.gz", {{"retention", ""}, {"versionId", gov}}, {},
               "<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>" + until(60) +
                   "</RetainUntilDate></Retention>"),
          cell);
    if (op == "legal-hold-put")
      return S3Allowed(call(c, "PUT", "AWSLogs/gov.json.gz", {{"legal-hold", ""}}, {},
                            "<LegalHold><Status>OFF</Status></LegalHold>"),
                       cell);
    if (op == "compliance-shorten")
      return S3Allowed(
          call(c, "PUT", "AWSLogs/comp.json.gz", {{"retention", ""}, {"versionId", comp}}, bypass,
               "<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>" + until(1) +
                   "</RetainUntilDate></Retention>"),
          cell);
    if (op == "compliance-version-delete")
      return S3Allowed(call(c, "DELETE", "AWSLogs/comp.json.gz", {{"versionId", comp}}, bypass),
                       cell);
    ADD_FAILURE() << "unknown op " << op;
    return true;
  };
  const std::vector<std::string> ops = {
      "lock-config-get", "retention-get",      "retention-extend",         "legal-hold-put",
      "lock-config-put", "compliance-shorten", "compliance-version-delete"};
  const std::vector<std::string> admin_ops = {
      "lock-config-get", "retention-get", "retention-extend", "legal-hold-put", "lock-config-put"};
  const std::map<std::string, std::vector<std::string>> allowed = {
      {"mgmt-root", {}},          {"member-root", {}},
      {"member-role", {}},        {"anonymous", {}},
      {"audit-read-role", {}},    {"narrow-user", {}},
      {"cloudtrail", {}},         {"cloudtrail-other-source", {}},
      {"audit-admin", admin_ops}, {"audit-root", admin_ops},
  };
  int unexpected_allows = 0;
  for (const auto& [who, allows] : allowed) {
    for (const auto& op : ops) {
      bool expect = std::find(allows.begin(), allows.end(), op) != allows.end();
      bool got = run(who, op);
      if (got && !expect) ++unexpected_allows;
      EXPECT_EQ(got, expect) << who << " × " << op;
    }
  }
  EXPECT_EQ(unexpected_allows, 0);
  // The COMPLIANCE version is still there, with its original retention.
  auto head = call(audit_root, "HEAD", "AWSLogs/comp.json.gz", {{"versionId", comp}});
  ASSERT_EQ(head.status, 200);
  bool found = false;
  for (const auto& [k, v] : head.headers) {
    if (k == "x-amz-object-lock-retain-until-date") found = v == until(30);
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace orgtrail::s3
