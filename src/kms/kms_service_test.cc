#include "kms/kms_service.h"

#include "iam/authorizer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/strings.h"
#include "crypto/aead.h"
#include "kms/ciphertext.h"
#include "kms/key_policy.h"

namespace orgtrail::kms {
namespace {

constexpr char kA[] = "111122223333";  // key owner
constexpr char kB[] = "444455556666";  // another account
constexpr char kTrailArn[] = "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail";

// Decodes a base64 JSON string member ("" if absent or invalid).
std::string Unb64(const Json& v) {
  if (!v.is_string()) return "";
  return Base64Decode(v.get<std::string>()).value_or("");
}

auth::RequestContext RootCtx(const std::string& account, const std::string& region = "us-east-1") {
  auth::RequestContext c;
  c.principal.type = auth::PrincipalType::kRoot;
  c.principal.account_id = account;
  c.principal.arn = "arn:aws:iam::" + account + ":root";
  c.principal.principal_id = account;
  c.region = region;
  return c;
}

auth::RequestContext RoleCtx(const std::string& account, const std::string& role) {
  auth::RequestContext c = RootCtx(account);
  c.principal.type = auth::PrincipalType::kAssumedRole;
  c.principal.role_arn = "arn:aws:iam::" + account + ":role/" + role;
  c.principal.arn = "arn:aws:sts::" + account + ":assumed-role/" + role + "/session";
  return c;
}

auth::RequestContext CloudTrailCtx() {
  auth::RequestContext c;
  c.principal.type = auth::PrincipalType::kAWSService;
  c.principal.service = "cloudtrail.amazonaws.com";
  c.principal.account_id = kA;
  c.region = "us-east-1";
  return c;
}

class KmsServiceTest : public ::testing::Test {
 protected:
  KmsServiceTest()
      : clock_(FromUnixSeconds(1700000000)), sealer_(crypto::Sealer::ForTesting(std::string(32, 'k'))) {
    OpenDb(":memory:");
  }

  void OpenDb(const std::string& path) {
    service_.reset();
    db_.reset();
    auto db = catalog::Db::Open(path);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    service_ = std::make_unique<KmsService>(*db_, *sealer_, clock_);
    service_->SetAuthorizer(&authz_);
    ops_ = service_->Ops();
  }

  Result<Json> Call(const std::string& op, const auth::RequestContext& ctx, const Json& in) {
    auto it = ops_.find(op);
    if (it == ops_.end()) return Status::Internal("no op " + op);
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

  Json CreateKey(const auth::RequestContext& ctx, Json in = Json::object()) {
    return Ok("CreateKey", ctx, in)["KeyMetadata"];
  }

  std::string EncryptB64(const auth::RequestContext& ctx, const std::string& key,
                         const std::string& plaintext, const Json& context = nullptr) {
    Json in = {{"KeyId", key}, {"Plaintext", Base64Encode(plaintext)}};
    if (!context.is_null()) in["EncryptionContext"] = context;
    return Ok("Encrypt", ctx, in)["CiphertextBlob"].get<std::string>();
  }

  SimulatedClock clock_;
  std::unique_ptr<crypto::Sealer> sealer_;
  std::unique_ptr<catalog::Db> db_;
  // Roles (of any account) hold an identity policy allowing kms:*, so the
  // key policy decides cross-account use (as for an admin-granted role).
  iam::Authorizer authz_{[](const auth::Principal&) {
    return Result<std::vector<iam::IdentityPolicyText>>(std::vector<iam::IdentityPolicyText>{
        {"KmsUse",
         R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}})"}});
  }};
  std::unique_ptr<KmsService> service_;
  auth::JsonOps ops_;
};

TEST_F(KmsServiceTest, AccountWideActionsNeedAnIdentityPolicy) {
  Json key = CreateKey(RootCtx(kA));
  // A role whose only policy allows DescribeKey may not list or create keys.
  iam::Authorizer narrow{[](const auth::Principal&) {
    return Result<std::vector<iam::IdentityPolicyText>>(std::vector<iam::IdentityPolicyText>{
        {"DescribeOnly",
         R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:DescribeKey","Resource":"*"}})"}});
  }};
  service_->SetAuthorizer(&narrow);
  auto role = RoleCtx(kA, "Narrow");
  EXPECT_EQ(Err("ListKeys", role, Json::object()), "AccessDeniedException");
  EXPECT_EQ(Err("ListAliases", role, Json::object()), "AccessDeniedException");
  EXPECT_EQ(Err("CreateKey", role, Json::object()), "AccessDeniedException");
  // The account root needs no policy.
  EXPECT_EQ(Ok("ListKeys", RootCtx(kA), Json::object())["Keys"].size(), 1u);
  service_->SetAuthorizer(&authz_);
  EXPECT_EQ(Ok("ListKeys", role, Json::object())["Keys"].size(), 1u);
  (void)key;
}

TEST_F(KmsServiceTest, CreateKeyReturnsAwsKeyMetadata) {
  Json m = CreateKey(RootCtx(kA), {{"Description", "trail key"}});
  std::string id = m["KeyId"];
  EXPECT_EQ(id.size(), 36u);
  EXPECT_EQ(m["AWSAccountId"], kA);
  EXPECT_EQ(m["Arn"], "arn:aws:kms:us-east-1:111122223333:key/" + id);
  EXPECT_EQ(m["CreationDate"], 1700000000);
  EXPECT_EQ(m["Enabled"], true);
  EXPECT_EQ(m["Description"], "trail key");
  EXPECT_EQ(m["KeyUsage"], "ENCRYPT_DECRYPT");
  EXPECT_EQ(m["KeyState"], "Enabled");
  EXPECT_EQ(m["Origin"], "AWS_KMS");
  EXPECT_EQ(m["KeyManager"], "CUSTOMER");
  EXPECT_EQ(m["CustomerMasterKeySpec"], "SYMMETRIC_DEFAULT");
  EXPECT_EQ(m["KeySpec"], "SYMMETRIC_DEFAULT");
  EXPECT_EQ(m["EncryptionAlgorithms"], Json::array({"SYMMETRIC_DEFAULT"}));
  EXPECT_EQ(m["MultiRegion"], false);
  EXPECT_FALSE(m.contains("DeletionDate"));
}

TEST_F(KmsServiceTest, CreateKeyRejectsWhatItDoesNotSupport) {
  auto a = RootCtx(kA);
  EXPECT_EQ(Err("CreateKey", a, {{"KeyUsage", "SIGN_VERIFY"}}), "UnsupportedOperationException");
  EXPECT_EQ(Err("CreateKey", a, {{"KeyUsage", "BOGUS"}}), "ValidationException");
  EXPECT_EQ(Err("CreateKey", a, {{"KeySpec", "RSA_2048"}}), "UnsupportedOperationException");
  EXPECT_EQ(Err("CreateKey", a, {{"MultiRegion", true}}), "UnsupportedOperationException");
  EXPECT_EQ(Err("CreateKey", a, {{"Origin", "EXTERNAL"}}), "UnsupportedOperationException");
  EXPECT_EQ(Err("CreateKey", a, {{"Policy", "not json"}}), "MalformedPolicyDocumentException");
  EXPECT_EQ(Err("CreateKey", a, {{"Policy", R"({"Version":"2012-10-17"})"}}),
            "MalformedPolicyDocumentException");
  EXPECT_EQ(Err("CreateKey", a, {{"Description", 5}}), "SerializationException");
  EXPECT_EQ(Err("CreateKey", a, {{"Tags", {{{"TagKey", "aws:x"}, {"TagValue", "y"}}}}}),
            "TagException");
  EXPECT_EQ(Err("CreateKey", CloudTrailCtx(), Json::object()), "AccessDeniedException");
  // Nothing was created by the failures.
  EXPECT_TRUE(Ok("ListKeys", a, Json::object())["Keys"].empty());
  EXPECT_TRUE(Ok("CreateKey", a, {{"KeyUsage", "ENCRYPT_DECRYPT"}, {"KeySpec", "SYMMETRIC_DEFAULT"}})
                  .contains("KeyMetadata"));
}

TEST_F(KmsServiceTest, DescribeKeyByIdArnAliasAndAliasArn) {
  auto a = RootCtx(kA);
  Json m = CreateKey(a);
  std::string id = m["KeyId"], arn = m["Arn"];
  Ok("CreateAlias", a, {{"AliasName", "alias/trail"}, {"TargetKeyId", id}});
  for (const std::string& ref : {id, arn, std::string("alias/trail"),
                                 std::string("arn:aws:kms:us-east-1:111122223333:alias/trail")}) {
    Json d = Ok("DescribeKey", a, {{"KeyId", ref}});
    EXPECT_EQ(d["KeyMetadata"]["Arn"], arn) << ref;
  }
  EXPECT_EQ(Err("DescribeKey", a, {{"KeyId", "alias/nope"}}), "NotFoundException");
  EXPECT_EQ(Err("DescribeKey", a, {{"KeyId", "00000000-0000-4000-8000-000000000000"}}),
            "NotFoundException");
  EXPECT_EQ(Err("DescribeKey", a, {{"KeyId", "arn:aws:s3:::bucket"}}), "InvalidArnException");
  EXPECT_EQ(Err("DescribeKey", a, Json::object()), "ValidationException");
}

TEST_F(KmsServiceTest, KeysArePerRegion) {
  Json m = CreateKey(RootCtx(kA, "us-east-1"));
  std::string id = m["KeyId"];
  auto eu = RootCtx(kA, "eu-west-1");
  EXPECT_EQ(Err("DescribeKey", eu, {{"KeyId", id}}), "NotFoundException");
  EXPECT_TRUE(Ok("ListKeys", eu, Json::object())["Keys"].empty());
  // The ARN names its region.
  EXPECT_EQ(Ok("DescribeKey", eu, {{"KeyId", m["Arn"]}})["KeyMetadata"]["KeyId"], id);
  Json eu_key = CreateKey(eu);
  EXPECT_EQ(eu_key["Arn"], "arn:aws:kms:eu-west-1:111122223333:key/" + eu_key["KeyId"].get<std::string>());
}

TEST_F(KmsServiceTest, ListKeysPages) {
  auto a = RootCtx(kA);
  std::set<std::string> created;
  for (int i = 0; i < 5; ++i) created.insert(CreateKey(a)["KeyId"].get<std::string>());
  CreateKey(RootCtx(kB));  // never listed for A
  std::set<std::string> seen;
  Json in = {{"Limit", 2}};
  int pages = 0;
  while (true) {
    Json page = Ok("ListKeys", a, in);
    ++pages;
    EXPECT_LE(page["Keys"].size(), 2u);
    for (const auto& k : page["Keys"]) {
      EXPECT_TRUE(seen.insert(k["KeyId"].get<std::string>()).second);
      EXPECT_EQ(k["KeyArn"], "arn:aws:kms:us-east-1:111122223333:key/" + k["KeyId"].get<std::string>());
    }
    if (!page["Truncated"].get<bool>()) {
      EXPECT_FALSE(page.contains("NextMarker"));
      break;
    }
    in["Marker"] = page["NextMarker"];
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, created);
  EXPECT_EQ(Err("ListKeys", a, {{"Marker", "!!"}}), "InvalidMarkerException");
  EXPECT_EQ(Err("ListKeys", a, {{"Limit", 0}}), "ValidationException");
  EXPECT_EQ(Err("ListKeys", a, {{"Limit", 1001}}), "ValidationException");
}

TEST_F(KmsServiceTest, AliasRulesAndErrors) {
  auto a = RootCtx(kA);
  std::string k1 = CreateKey(a)["KeyId"], k2 = CreateKey(a)["KeyId"];
  EXPECT_EQ(Err("CreateAlias", a, {{"AliasName", "trail"}, {"TargetKeyId", k1}}),
            "InvalidAliasNameException");
  EXPECT_EQ(Err("CreateAlias", a, {{"AliasName", "alias/"}, {"TargetKeyId", k1}}),
            "InvalidAliasNameException");
  EXPECT_EQ(Err("CreateAlias", a, {{"AliasName", "alias/aws/s3"}, {"TargetKeyId", k1}}),
            "InvalidAliasNameException");
  EXPECT_EQ(Err("CreateAlias", a, {{"AliasName", "alias/sp ace"}, {"TargetKeyId", k1}}),
            "ValidationException");
  EXPECT_EQ(Err("CreateAlias", a, {{"AliasName", "alias/x"}, {"TargetKeyId", "nope"}}),
            "NotFoundException");
  Ok("CreateAlias", a, {{"AliasName", "alias/trail"}, {"TargetKeyId", k1}});
  EXPECT_EQ(Err("CreateAlias", a, {{"AliasName", "alias/trail"}, {"TargetKeyId", k2}}),
            "AlreadyExistsException");
  // The same name is free in another account and another region.
  std::string kb = CreateKey(RootCtx(kB))["KeyId"];
  Ok("CreateAlias", RootCtx(kB), {{"AliasName", "alias/trail"}, {"TargetKeyId", kb}});
  std::string keu = CreateKey(RootCtx(kA, "eu-west-1"))["KeyId"];
  Ok("CreateAlias", RootCtx(kA, "eu-west-1"), {{"AliasName", "alias/trail"}, {"TargetKeyId", keu}});
  // No alias of A's key from account B.
  EXPECT_NE(Err("CreateAlias", RootCtx(kB),
                {{"AliasName", "alias/steal"},
                 {"TargetKeyId", "arn:aws:kms:us-east-1:111122223333:key/" + k1}}),
            "");

  Ok("CreateAlias", a, {{"AliasName", "alias/other"}, {"TargetKeyId", k2}});
  Json all = Ok("ListAliases", a, Json::object());
  ASSERT_EQ(all["Aliases"].size(), 2u);
  EXPECT_EQ(all["Aliases"][0]["AliasName"], "alias/other");
  EXPECT_EQ(all["Aliases"][1]["AliasName"], "alias/trail");
  EXPECT_EQ(all["Aliases"][1]["AliasArn"], "arn:aws:kms:us-east-1:111122223333:alias/trail");
  EXPECT_EQ(all["Aliases"][1]["TargetKeyId"], k1);
  EXPECT_EQ(all["Truncated"], false);
  Json filtered = Ok("ListAliases", a, {{"KeyId", k2}});
  ASSERT_EQ(filtered["Aliases"].size(), 1u);
  EXPECT_EQ(filtered["Aliases"][0]["AliasName"], "alias/other");
  Json paged = Ok("ListAliases", a, {{"Limit", 1}});
  EXPECT_EQ(paged["Aliases"].size(), 1u);
  EXPECT_EQ(paged["Truncated"], true);
  Json rest = Ok("ListAliases", a, {{"Limit", 1}, {"Marker", paged["NextMarker"]}});
  EXPECT_EQ(rest["Aliases"][0]["AliasName"], "alias/trail");

  Ok("UpdateAlias", a, {{"AliasName", "alias/trail"}, {"TargetKeyId", k2}});
  EXPECT_EQ(Ok("DescribeKey", a, {{"KeyId", "alias/trail"}})["KeyMetadata"]["KeyId"], k2);
  EXPECT_EQ(Err("UpdateAlias", a, {{"AliasName", "alias/none"}, {"TargetKeyId", k2}}),
            "NotFoundException");
  Ok("DeleteAlias", a, {{"AliasName", "alias/trail"}});
  EXPECT_EQ(Err("DeleteAlias", a, {{"AliasName", "alias/trail"}}), "NotFoundException");
  EXPECT_EQ(Err("DescribeKey", a, {{"KeyId", "alias/trail"}}), "NotFoundException");
}

TEST_F(KmsServiceTest, EncryptDecryptRoundTrip) {
  auto a = RootCtx(kA);
  Json m = CreateKey(a);
  std::string arn = m["Arn"];
  Ok("CreateAlias", a, {{"AliasName", "alias/k"}, {"TargetKeyId", m["KeyId"]}});
  Json ctx = {{"purpose", "test"}, {"b", "2"}};
  std::string blob = EncryptB64(a, "alias/k", "attack at dawn", ctx);
  Json d = Ok("Decrypt", a, {{"CiphertextBlob", blob}, {"EncryptionContext", ctx}});
  EXPECT_EQ(Unb64(d["Plaintext"]), "attack at dawn");
  EXPECT_EQ(d["KeyId"], arn);
  EXPECT_EQ(d["EncryptionAlgorithm"], "SYMMETRIC_DEFAULT");
  // KeyId is optional on Decrypt but must name the blob's key when given.
  Ok("Decrypt", a, {{"CiphertextBlob", blob}, {"EncryptionContext", ctx}, {"KeyId", "alias/k"}});
  std::string other = CreateKey(a)["KeyId"];
  EXPECT_EQ(Err("Decrypt", a, {{"CiphertextBlob", blob}, {"EncryptionContext", ctx}, {"KeyId", other}}),
            "IncorrectKeyException");
  // Two encryptions of the same plaintext differ (fresh IV).
  EXPECT_NE(EncryptB64(a, arn, "same"), EncryptB64(a, arn, "same"));
  // Limits.
  EXPECT_EQ(Err("Encrypt", a, {{"KeyId", arn}, {"Plaintext", Base64Encode(std::string(4097, 'x'))}}),
            "ValidationException");
  Ok("Encrypt", a, {{"KeyId", arn}, {"Plaintext", Base64Encode(std::string(4096, 'x'))}});
  EXPECT_EQ(Err("Encrypt", a, {{"KeyId", arn}}), "ValidationException");
  EXPECT_EQ(Err("Encrypt", a, {{"KeyId", arn}, {"Plaintext", "%%%"}}), "SerializationException");
  EXPECT_EQ(Err("Encrypt", a, {{"KeyId", arn}, {"Plaintext", "eA=="}, {"EncryptionAlgorithm", "RSAES_OAEP_SHA_256"}}),
            "InvalidKeyUsageException");
  EXPECT_EQ(Err("Encrypt", a, {{"KeyId", arn}, {"Plaintext", "eA=="}, {"EncryptionContext", {{"k", 1}}}}),
            "SerializationException");
  EXPECT_EQ(Err("Encrypt", a, {{"KeyId", arn}, {"Plaintext", "eA=="}, {"DryRun", true}}),
            "DryRunOperationException");
}

TEST_F(KmsServiceTest, ContextMismatchFails) {
  auto a = RootCtx(kA);
  std::string arn = CreateKey(a)["Arn"];
  std::string blob = EncryptB64(a, arn, "secret", {{"k", "v"}});
  EXPECT_EQ(Err("Decrypt", a, {{"CiphertextBlob", blob}}), "InvalidCiphertextException");
  EXPECT_EQ(Err("Decrypt", a, {{"CiphertextBlob", blob}, {"EncryptionContext", {{"k", "w"}}}}),
            "InvalidCiphertextException");
  EXPECT_EQ(Err("Decrypt", a, {{"CiphertextBlob", blob}, {"EncryptionContext", {{"k", "v"}, {"x", "y"}}}}),
            "InvalidCiphertextException");
  Ok("Decrypt", a, {{"CiphertextBlob", blob}, {"EncryptionContext", {{"k", "v"}}}});
}

TEST_F(KmsServiceTest, TamperedBlobFails) {
  auto a = RootCtx(kA);
  std::string arn = CreateKey(a)["Arn"];
  std::string blob = *Base64Decode(EncryptB64(a, arn, "secret"));
  size_t header = 3 + arn.size();
  for (size_t i = 0; i < blob.size(); ++i) {
    std::string bad = blob;
    bad[i] = static_cast<char>(bad[i] ^ 0x40);
    auto r = Call("Decrypt", a, {{"CiphertextBlob", Base64Encode(bad)}});
    ASSERT_FALSE(r.ok()) << "byte " << i;
    if (i >= header || i == 0) {
      EXPECT_EQ(r.status().code(), "InvalidCiphertextException") << i;
    }
  }
  EXPECT_EQ(Err("Decrypt", a, {{"CiphertextBlob", Base64Encode(blob.substr(0, blob.size() - 20))}}),
            "InvalidCiphertextException");
  EXPECT_EQ(Err("Decrypt", a, {{"CiphertextBlob", Base64Encode("garbage")}}),
            "InvalidCiphertextException");
  // A valid blob re-labelled with another key's ARN (same length) does not open.
  std::string arn2 = CreateKey(a)["Arn"];
  std::string relabelled = CiphertextHeader(arn2) + blob.substr(header);
  EXPECT_EQ(Err("Decrypt", a, {{"CiphertextBlob", Base64Encode(relabelled)}}),
            "InvalidCiphertextException");
}

TEST_F(KmsServiceTest, DisabledAndPendingDeletionKeys) {
  auto a = RootCtx(kA);
  std::string arn = CreateKey(a)["Arn"];
  std::string blob = EncryptB64(a, arn, "secret");
  Ok("DisableKey", a, {{"KeyId", arn}});
  EXPECT_EQ(Ok("DescribeKey", a, {{"KeyId", arn}})["KeyMetadata"]["KeyState"], "Disabled");
  EXPECT_EQ(Err("Decrypt", a, {{"CiphertextBlob", blob}}), "DisabledException");
  EXPECT_EQ(Err("Encrypt", a, {{"KeyId", arn}, {"Plaintext", "eA=="}}), "DisabledException");
  EXPECT_EQ(Err("GenerateDataKey", a, {{"KeyId", arn}, {"KeySpec", "AES_256"}}), "DisabledException");
  EXPECT_EQ(service_->DecryptFor(a, *Base64Decode(blob), {}).status().code(), "DisabledException");
  Ok("EnableKey", a, {{"KeyId", arn}});
  Ok("Decrypt", a, {{"CiphertextBlob", blob}});

  EXPECT_EQ(Err("ScheduleKeyDeletion", a, {{"KeyId", arn}, {"PendingWindowInDays", 6}}),
            "ValidationException");
  Json s = Ok("ScheduleKeyDeletion", a, {{"KeyId", arn}, {"PendingWindowInDays", 7}});
  EXPECT_EQ(s["KeyId"], arn);
  EXPECT_EQ(s["KeyState"], "PendingDeletion");
  EXPECT_EQ(s["DeletionDate"], 1700000000 + 7 * 86400);
  EXPECT_EQ(s["PendingWindowInDays"], 7);
  Json m = Ok("DescribeKey", a, {{"KeyId", arn}})["KeyMetadata"];
  EXPECT_EQ(m["KeyState"], "PendingDeletion");
  EXPECT_EQ(m["Enabled"], false);
  EXPECT_EQ(m["DeletionDate"], 1700000000 + 7 * 86400);
  EXPECT_EQ(Err("Decrypt", a, {{"CiphertextBlob", blob}}), "KMSInvalidStateException");
  EXPECT_EQ(Err("EnableKey", a, {{"KeyId", arn}}), "KMSInvalidStateException");
  EXPECT_EQ(Err("ScheduleKeyDeletion", a, {{"KeyId", arn}}), "KMSInvalidStateException");
  EXPECT_EQ(Ok("CancelKeyDeletion", a, {{"KeyId", arn}})["KeyId"], arn);
  EXPECT_EQ(Ok("DescribeKey", a, {{"KeyId", arn}})["KeyMetadata"]["KeyState"], "Disabled");
  EXPECT_EQ(Err("CancelKeyDeletion", a, {{"KeyId", arn}}), "KMSInvalidStateException");

  // Once the window passes the key and its aliases are gone.
  Ok("CreateAlias", a, {{"AliasName", "alias/doomed"}, {"TargetKeyId", arn}});
  Ok("ScheduleKeyDeletion", a, {{"KeyId", arn}});  // default 30 days
  clock_.Advance(std::chrono::hours(24 * 30) - std::chrono::seconds(1));
  EXPECT_EQ(Ok("DescribeKey", a, {{"KeyId", arn}})["KeyMetadata"]["KeyState"], "PendingDeletion");
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(Err("DescribeKey", a, {{"KeyId", arn}}), "NotFoundException");
  EXPECT_TRUE(Ok("ListAliases", a, Json::object())["Aliases"].empty());
  EXPECT_TRUE(Ok("ListKeys", a, Json::object())["Keys"].empty());
  EXPECT_EQ(Err("Decrypt", a, {{"CiphertextBlob", blob}}), "NotFoundException");
}

TEST_F(KmsServiceTest, CrossAccountDeniedWithAwsMessage) {
  auto a = RootCtx(kA);
  Json m = CreateKey(a);
  std::string arn = m["Arn"], id = m["KeyId"];
  std::string blob = EncryptB64(a, arn, "secret");
  auto b = RoleCtx(kB, "Intruder");
  auto r = Call("Decrypt", b, {{"CiphertextBlob", blob}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "AccessDeniedException");
  // AWS's sentence, then why: the key policy names only the key's account.
  EXPECT_EQ(r.status().message().rfind(
                "User: arn:aws:sts::444455556666:assumed-role/Intruder/session is not authorized "
                "to perform: kms:Decrypt on resource: " + arn + " because the key policy",
                0),
            0u)
      << r.status().message();
  EXPECT_EQ(Err("Encrypt", b, {{"KeyId", arn}, {"Plaintext", "eA=="}}), "AccessDeniedException");
  EXPECT_EQ(Err("DescribeKey", b, {{"KeyId", arn}}), "AccessDeniedException");
  EXPECT_EQ(Err("DisableKey", b, {{"KeyId", arn}}), "AccessDeniedException");
  EXPECT_EQ(Err("PutKeyPolicy", b, {{"KeyId", arn}, {"Policy", DefaultKeyPolicy(kB)}}),
            "AccessDeniedException");
  // A bare key id resolves in the caller's own account.
  EXPECT_EQ(Err("DescribeKey", b, {{"KeyId", id}}), "NotFoundException");
  EXPECT_EQ(service_->GenerateDataKeyFor(b, arn, {}).status().code(), "AccessDeniedException");
  EXPECT_EQ(service_->DecryptFor(b, *Base64Decode(blob), {}).status().code(), "AccessDeniedException");
  // A service principal is not the owner either.
  EXPECT_EQ(service_->GenerateDataKeyFor(CloudTrailCtx(), arn, {}).status().code(),
            "AccessDeniedException");
}

TEST_F(KmsServiceTest, KeyPolicyGrantingAnotherAccountWorks) {
  auto a = RootCtx(kA);
  std::string arn = CreateKey(a)["Arn"];
  std::string policy = R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},
    {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},
     "Action":["kms:Encrypt","kms:Decrypt","kms:DescribeKey","kms:GenerateDataKey*","kms:DisableKey"],
     "Resource":"*"}]})";
  EXPECT_EQ(Err("PutKeyPolicy", a, {{"KeyId", arn}, {"Policy", "{"}}), "MalformedPolicyDocumentException");
  EXPECT_EQ(Err("PutKeyPolicy", a, {{"KeyId", arn}, {"Policy", policy}, {"PolicyName", "other"}}),
            "NotFoundException");
  Ok("PutKeyPolicy", a, {{"KeyId", arn}, {"Policy", policy}, {"PolicyName", "default"}});
  EXPECT_EQ(Ok("GetKeyPolicy", a, {{"KeyId", arn}})["Policy"], policy);

  auto b = RoleCtx(kB, "Reader");
  std::string blob = EncryptB64(b, arn, "from b");
  Json d = Ok("Decrypt", b, {{"CiphertextBlob", blob}});
  EXPECT_EQ(Unb64(d["Plaintext"]), "from b");
  EXPECT_EQ(Ok("DescribeKey", b, {{"KeyId", arn}})["KeyMetadata"]["Arn"], arn);
  auto dk = service_->GenerateDataKeyFor(b, arn, {{"c", "d"}});
  ASSERT_TRUE(dk.ok()) << dk.status().ToString();
  EXPECT_EQ(dk->plaintext.size(), 32u);
  auto back = service_->DecryptFor(b, dk->ciphertext_blob, {{"c", "d"}});
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->plaintext, dk->plaintext);
  // Key management never crosses accounts, whatever the policy says.
  EXPECT_EQ(Err("DisableKey", b, {{"KeyId", arn}}), "AccessDeniedException");
  // A third account is still denied.
  EXPECT_EQ(Err("Decrypt", RootCtx("777788889999"), {{"CiphertextBlob", blob}}),
            "AccessDeniedException");
}

// kms:ViaService: a key policy can let another account's principal use the
// key only through S3 (SSE-KMS), not by calling KMS directly.
TEST_F(KmsServiceTest, ViaServiceLimitsUseToCallsThroughS3) {
  auto a = RootCtx(kA);
  std::string arn = CreateKey(a)["Arn"];
  std::string policy = R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},
    {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},
     "Action":["kms:Decrypt","kms:GenerateDataKey*"],"Resource":"*",
     "Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}}]})";
  Ok("PutKeyPolicy", a, {{"KeyId", arn}, {"Policy", policy}, {"PolicyName", "default"}});
  auto b = RoleCtx(kB, "Reader");
  b.region = "us-east-1";
  // Through S3 (the DataKeyProvider interface): allowed.
  auto dk = service_->GenerateDataKeyFor(b, arn, {{"aws:s3:arn", "arn:aws:s3:::bkt/k"}});
  ASSERT_TRUE(dk.ok()) << dk.status().ToString();
  auto back = service_->DecryptFor(b, dk->ciphertext_blob, {{"aws:s3:arn", "arn:aws:s3:::bkt/k"}});
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->plaintext, dk->plaintext);
  // Directly: the same principal is refused.
  EXPECT_EQ(Err("GenerateDataKey", b, {{"KeyId", arn}, {"KeySpec", "AES_256"}}),
            "AccessDeniedException");
  EXPECT_EQ(Err("Decrypt", b, {{"CiphertextBlob", Base64Encode(dk->ciphertext_blob)},
                               {"EncryptionContext", {{"aws:s3:arn", "arn:aws:s3:::bkt/k"}}}}),
            "AccessDeniedException");
  // Through S3 in another region: the condition names us-east-1 only.
  b.region = "eu-west-1";
  EXPECT_EQ(service_->GenerateDataKeyFor(b, arn, {}).status().code(), "AccessDeniedException");
}

TEST_F(KmsServiceTest, CloudTrailServicePrincipalWithContextCondition) {
  auto a = RootCtx(kA);
  std::string policy = R"({"Version":"2012-10-17","Statement":[
    {"Sid":"Enable IAM User Permissions","Effect":"Allow",
     "Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},
    {"Sid":"Allow CloudTrail to encrypt logs","Effect":"Allow",
     "Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"kms:GenerateDataKey*","Resource":"*",
     "Condition":{"StringLike":{"kms:EncryptionContext:aws:cloudtrail:arn":["arn:aws:cloudtrail:*:111122223333:trail/*"]}}},
    {"Sid":"Allow CloudTrail to describe key","Effect":"Allow",
     "Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"kms:DescribeKey","Resource":"*"},
    {"Sid":"Allow log decryption","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/Auditor"},
     "Action":"kms:Decrypt","Resource":"*",
     "Condition":{"Null":{"kms:EncryptionContext:aws:cloudtrail:arn":"false"}}}]})";
  Json m = CreateKey(a, {{"Policy", policy}});
  std::string arn = m["Arn"];
  Ok("CreateAlias", a, {{"AliasName", "alias/cloudtrail"}, {"TargetKeyId", m["KeyId"]}});
  auto ct = CloudTrailCtx();
  EncryptionContext good = {{"aws:cloudtrail:arn", kTrailArn}};
  auto dk = service_->GenerateDataKeyFor(ct, "alias/cloudtrail", good);
  ASSERT_TRUE(dk.ok()) << dk.status().ToString();
  EXPECT_EQ(dk->key_arn, arn);
  EXPECT_EQ(dk->plaintext.size(), 32u);
  auto resolved = service_->ResolveKeyArn(ct, "alias/cloudtrail");
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(*resolved, arn);

  EncryptionContext foreign = {{"aws:cloudtrail:arn", "arn:aws:cloudtrail:us-east-1:999999999999:trail/x"}};
  EXPECT_EQ(service_->GenerateDataKeyFor(ct, arn, foreign).status().code(), "AccessDeniedException");
  EXPECT_EQ(service_->GenerateDataKeyFor(ct, arn, {}).status().code(), "AccessDeniedException");
  // The service may not decrypt under this policy; the auditor role from B may, with the context.
  EXPECT_EQ(service_->DecryptFor(ct, dk->ciphertext_blob, good).status().code(), "AccessDeniedException");
  auto auditor = RoleCtx(kB, "Auditor");
  auto opened = service_->DecryptFor(auditor, dk->ciphertext_blob, good);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->plaintext, dk->plaintext);
  EXPECT_EQ(opened->key_arn, arn);
  // Blobs without the trail context are not readable by the auditor.
  std::string plain_blob = EncryptB64(a, arn, "not a log");
  EXPECT_EQ(Err("Decrypt", auditor, {{"CiphertextBlob", plain_blob}}), "AccessDeniedException");
  EXPECT_EQ(service_->DecryptFor(RoleCtx(kB, "Other"), dk->ciphertext_blob, good).status().code(),
            "AccessDeniedException");
}

TEST_F(KmsServiceTest, GenerateDataKeyShapesAndSizes) {
  auto a = RootCtx(kA);
  std::string arn = CreateKey(a)["Arn"];
  Json d = Ok("GenerateDataKey", a, {{"KeyId", arn}, {"KeySpec", "AES_256"}});
  EXPECT_EQ(Unb64(d["Plaintext"]).size(), 32u);
  EXPECT_EQ(d["KeyId"], arn);
  Json back = Ok("Decrypt", a, {{"CiphertextBlob", d["CiphertextBlob"]}});
  EXPECT_EQ(back["Plaintext"], d["Plaintext"]);
  EXPECT_EQ(Unb64(Ok("GenerateDataKey", a, {{"KeyId", arn}, {"KeySpec", "AES_128"}})["Plaintext"]).size(), 16u);
  EXPECT_EQ(Unb64(Ok("GenerateDataKey", a, {{"KeyId", arn}, {"NumberOfBytes", 1024}})["Plaintext"]).size(), 1024u);
  Json wp = Ok("GenerateDataKeyWithoutPlaintext", a, {{"KeyId", arn}, {"KeySpec", "AES_256"}});
  EXPECT_FALSE(wp.contains("Plaintext"));
  EXPECT_EQ(Unb64(Ok("Decrypt", a, {{"CiphertextBlob", wp["CiphertextBlob"]}})["Plaintext"]).size(), 32u);
  EXPECT_EQ(Err("GenerateDataKey", a, {{"KeyId", arn}}), "ValidationException");
  EXPECT_EQ(Err("GenerateDataKey", a, {{"KeyId", arn}, {"NumberOfBytes", 0}}), "ValidationException");
  EXPECT_EQ(Err("GenerateDataKey", a, {{"KeyId", arn}, {"NumberOfBytes", 1025}}), "ValidationException");
  EXPECT_EQ(Err("GenerateDataKey", a, {{"KeyId", arn}, {"KeySpec", "AES_512"}}), "ValidationException");
  EXPECT_EQ(Err("GenerateDataKey", a, {{"KeyId", arn}, {"KeySpec", "AES_256"}, {"NumberOfBytes", 32}}),
            "ValidationException");
}

TEST_F(KmsServiceTest, MaterialIsSealedInTheTable) {
  auto a = RootCtx(kA);
  std::string arn = CreateKey(a)["Arn"];
  std::string blob = *Base64Decode(EncryptB64(a, arn, "plaintext", {{"k", "v"}}));
  auto rows = db_->Query("SELECT * FROM kms_keys WHERE arn = ?1", {arn});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  auto sealed = db_->Query("SELECT material FROM kms_keys WHERE arn = ?1", {arn});
  ASSERT_TRUE(sealed.ok());
  std::string stored = catalog::AsString((*sealed)[0][0]);
  // The stored value opens with the master key (context = ARN) to 32 bytes...
  auto material = sealer_->Unseal(stored, arn);
  ASSERT_TRUE(material.ok());
  ASSERT_EQ(material->size(), 32u);
  EXPECT_FALSE(sealer_->Unseal(stored, arn + "x").ok());
  // ...that really are the key's material...
  std::string aad = CiphertextHeader(arn) + CanonicalEncryptionContext({{"k", "v"}});
  auto opened = crypto::AesGcmOpen(*material, blob.substr(3 + arn.size()), aad);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, "plaintext");
  // ...and appear nowhere in the row in the clear.
  for (const auto& v : (*rows)[0]) {
    EXPECT_EQ(catalog::AsString(v).find(*material), std::string::npos);
  }
  // Nor in any response.
  Json d = Ok("DescribeKey", a, {{"KeyId", arn}});
  EXPECT_EQ(d.dump().find(Base64Encode(*material)), std::string::npos);
}

TEST_F(KmsServiceTest, RestartKeepsKeysUsable) {
  std::string dir = std::filesystem::temp_directory_path() /
                    ("kms_test_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string path = dir + "/catalog.db";
  OpenDb(path);
  auto a = RootCtx(kA);
  Json m = CreateKey(a, {{"Description", "durable"}, {"Tags", {{{"TagKey", "team"}, {"TagValue", "sec"}}}}});
  std::string arn = m["Arn"];
  Ok("CreateAlias", a, {{"AliasName", "alias/durable"}, {"TargetKeyId", arn}});
  Ok("EnableKeyRotation", a, {{"KeyId", arn}});
  std::string blob = EncryptB64(a, "alias/durable", "survives", {{"x", "y"}});

  OpenDb(path);  // new Db and KmsService over the same file, same master key
  Json d = Ok("Decrypt", a, {{"CiphertextBlob", blob}, {"EncryptionContext", {{"x", "y"}}}});
  EXPECT_EQ(Unb64(d["Plaintext"]), "survives");
  Json meta = Ok("DescribeKey", a, {{"KeyId", "alias/durable"}})["KeyMetadata"];
  EXPECT_EQ(meta["Arn"], arn);
  EXPECT_EQ(meta["Description"], "durable");
  EXPECT_EQ(Ok("GetKeyRotationStatus", a, {{"KeyId", arn}})["KeyRotationEnabled"], true);
  EXPECT_EQ(Ok("ListResourceTags", a, {{"KeyId", arn}})["Tags"][0]["TagValue"], "sec");

  // Another master key cannot use the stored material.
  auto other = crypto::Sealer::ForTesting(std::string(32, 'z'));
  KmsService wrong(*db_, *other, clock_);
  auto ops = wrong.Ops();
  auto r = ops["Decrypt"](a, {{"CiphertextBlob", blob}, {"EncryptionContext", {{"x", "y"}}}});
  EXPECT_FALSE(r.ok());
  service_.reset();
  db_.reset();
  std::filesystem::remove_all(dir);
}

TEST_F(KmsServiceTest, RotationPoliciesAndTags) {
  auto a = RootCtx(kA);
  Json m = CreateKey(a, {{"Tags", {{{"TagKey", "b"}, {"TagValue", "2"}}, {{"TagKey", "a"}, {"TagValue", "1"}}}}});
  std::string arn = m["Arn"], id = m["KeyId"];
  EXPECT_EQ(Ok("GetKeyRotationStatus", a, {{"KeyId", id}})["KeyRotationEnabled"], false);
  EXPECT_EQ(Err("EnableKeyRotation", a, {{"KeyId", id}, {"RotationPeriodInDays", 30}}), "ValidationException");
  Ok("EnableKeyRotation", a, {{"KeyId", id}, {"RotationPeriodInDays", 90}});
  Json st = Ok("GetKeyRotationStatus", a, {{"KeyId", id}});
  EXPECT_EQ(st["KeyRotationEnabled"], true);
  EXPECT_EQ(st["RotationPeriodInDays"], 90);
  EXPECT_EQ(st["NextRotationDate"], 1700000000 + 90 * 86400);
  Ok("DisableKeyRotation", a, {{"KeyId", id}});
  EXPECT_EQ(Ok("GetKeyRotationStatus", a, {{"KeyId", id}})["KeyRotationEnabled"], false);
  Ok("DisableKey", a, {{"KeyId", id}});
  EXPECT_EQ(Err("EnableKeyRotation", a, {{"KeyId", id}}), "DisabledException");
  Ok("EnableKey", a, {{"KeyId", id}});

  Json pol = Ok("GetKeyPolicy", a, {{"KeyId", id}, {"PolicyName", "default"}});
  EXPECT_EQ(pol["PolicyName"], "default");
  EXPECT_NE(pol["Policy"].get<std::string>().find("arn:aws:iam::111122223333:root"), std::string::npos);
  EXPECT_NE(pol["Policy"].get<std::string>().find("kms:*"), std::string::npos);
  Json names = Ok("ListKeyPolicies", a, {{"KeyId", id}});
  EXPECT_EQ(names["PolicyNames"], Json::array({"default"}));

  Json tags = Ok("ListResourceTags", a, {{"KeyId", id}});
  ASSERT_EQ(tags["Tags"].size(), 2u);
  EXPECT_EQ(tags["Tags"][0]["TagKey"], "a");
  Ok("TagResource", a, {{"KeyId", arn}, {"Tags", {{{"TagKey", "a"}, {"TagValue", "one"}}, {{"TagKey", "c"}, {"TagValue", ""}}}}});
  Ok("UntagResource", a, {{"KeyId", id}, {"TagKeys", {"b"}}});
  tags = Ok("ListResourceTags", a, {{"KeyId", id}, {"Limit", 1}});
  ASSERT_EQ(tags["Tags"].size(), 1u);
  EXPECT_EQ(tags["Tags"][0]["TagValue"], "one");
  EXPECT_EQ(tags["Truncated"], true);
  tags = Ok("ListResourceTags", a, {{"KeyId", id}, {"Marker", tags["NextMarker"]}});
  ASSERT_EQ(tags["Tags"].size(), 1u);
  EXPECT_EQ(tags["Tags"][0]["TagKey"], "c");
  EXPECT_EQ(Err("TagResource", a, {{"KeyId", id}, {"Tags", {{{"TagKey", ""}, {"TagValue", "x"}}}}}), "TagException");
  EXPECT_EQ(Err("TagResource", a, {{"KeyId", id}}), "ValidationException");
}

TEST_F(KmsServiceTest, ConcurrentCallsAreSafe) {
  auto a = RootCtx(kA);
  std::string arn = CreateKey(a)["Arn"];
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        std::string pt = "t" + std::to_string(t) + "-" + std::to_string(i);
        auto e = Call("Encrypt", a, {{"KeyId", arn}, {"Plaintext", Base64Encode(pt)}});
        if (!e.ok()) { ++failures; continue; }
        auto d = Call("Decrypt", a, {{"CiphertextBlob", (*e)["CiphertextBlob"]}});
        if (!d.ok() || Unb64((*d)["Plaintext"]) != pt) ++failures;
        auto c = Call("CreateAlias", a, {{"AliasName", "alias/a" + std::to_string(i)}, {"TargetKeyId", arn}});
        (void)c;  // exactly one thread wins each name
        if (i % 5 == 0 && !Call("CreateKey", a, Json::object()).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Ok("ListAliases", a, {{"Limit", 100}})["Aliases"].size(), 20u);
  EXPECT_EQ(Ok("ListKeys", a, Json::object())["Keys"].size(), 1u + 4 * 4);
}

}  // namespace
}  // namespace orgtrail::kms
