#include "server/trail_plumbing.h"

#include <gtest/gtest.h>

#include <map>

namespace orgtrail::server {
namespace {

class FakeSink final : public ingest::EventSink {
 public:
  Status Append(std::vector<ingest::Event> events) override {
    for (auto& e : events) got.push_back(std::move(e));
    return Status::Ok();
  }
  std::vector<ingest::Event> got;
};

class FakeCredentials final : public auth::CredentialLookup {
 public:
  std::optional<auth::Credential> FindCredential(const std::string& id) override {
    auto it = keys.find(id);
    if (it == keys.end()) return std::nullopt;
    return it->second;
  }
  std::map<std::string, auth::Credential> keys;
};

api::CallRecord KmsCall(const std::string& op) {
  api::CallRecord r;
  r.context.principal.type = auth::PrincipalType::kRoot;
  r.context.principal.account_id = "111122223333";
  r.context.principal.arn = "arn:aws:iam::111122223333:root";
  r.context.region = "eu-west-1";
  r.context.request_id = "req-1";
  r.event_source = "kms.amazonaws.com";
  r.operation = op;
  r.request_parameters = {{"KeyId", "alias/x"}, {"EncryptionContext", {{"A", "b"}}}};
  r.response = {{"KeyId", "k"}, {"Plaintext", "c2VjcmV0"}};
  return r;
}

TEST(TrailPlumbingTest, LowerCamelKeysLowersOnlyTheFirstLetterAtEveryDepth) {
  Json in = {{"KeyId", "x"}, {"Tags", {{{"TagKey", "a"}}}}, {"lower", 1}};
  Json out = LowerCamelKeys(in);
  EXPECT_EQ(out, Json({{"keyId", "x"}, {"tags", {{{"tagKey", "a"}}}}, {"lower", 1}}));
}

TEST(TrailPlumbingTest, ObjectLevelS3CallsAndPutAuditEventsAreDataEvents) {
  EXPECT_TRUE(IsDataEvent("s3.amazonaws.com", "GetObject"));
  EXPECT_TRUE(IsDataEvent("s3.amazonaws.com", "PutObject"));
  EXPECT_TRUE(IsDataEvent("s3.amazonaws.com", "ListObjectsV2"));
  EXPECT_FALSE(IsDataEvent("s3.amazonaws.com", "PutBucketPolicy"));
  EXPECT_FALSE(IsDataEvent("s3.amazonaws.com", "CreateBucket"));
  EXPECT_FALSE(IsDataEvent("kms.amazonaws.com", "Decrypt"));
  EXPECT_TRUE(IsDataEvent("cloudtrail-data.amazonaws.com", "PutAuditEvents"));

  FakeSink sink;
  FakeCredentials creds;
  CallRecorder recorder(sink, creds);
  api::CallRecord r = KmsCall("GetObject");
  r.event_source = "s3.amazonaws.com";
  r.request_parameters = {{"bucketName", "audit"}, {"key", "AWSLogs/x.json.gz"}};
  auto call = recorder.ToApiCall(r);
  ASSERT_TRUE(call.has_value());
  EXPECT_FALSE(call->management_event);
  ASSERT_EQ(call->resources.size(), 2u);
  EXPECT_EQ(call->resources[0].arn, "arn:aws:s3:::audit/AWSLogs/x.json.gz");
  EXPECT_EQ(call->resources[0].type, "AWS::S3::Object");
  EXPECT_EQ(call->resources[1].arn, "arn:aws:s3:::audit");
  r.operation = "PutBucketPolicy";
  call = recorder.ToApiCall(r);
  ASSERT_TRUE(call.has_value());
  EXPECT_TRUE(call->management_event);
  EXPECT_TRUE(call->resources.empty());
}

TEST(TrailPlumbingTest, ReadOnlyClassification) {
  EXPECT_TRUE(IsReadOnlyOperation("kms.amazonaws.com", "ListKeys"));
  EXPECT_TRUE(IsReadOnlyOperation("cloudtrail.amazonaws.com", "DescribeTrails"));
  EXPECT_TRUE(IsReadOnlyOperation("kms.amazonaws.com", "Decrypt"));
  EXPECT_FALSE(IsReadOnlyOperation("kms.amazonaws.com", "CreateKey"));
  EXPECT_FALSE(IsReadOnlyOperation("cloudtrail.amazonaws.com", "StopLogging"));
  EXPECT_FALSE(IsReadOnlyOperation("s3.amazonaws.com", "PutObject"));
}

TEST(TrailPlumbingTest, RecordsCallerAccountRegionAndScrubsPlaintext) {
  FakeSink sink;
  FakeCredentials creds;
  CallRecorder rec(sink, creds);
  rec.OnCall(KmsCall("GenerateDataKey"));
  ASSERT_EQ(sink.got.size(), 1u);
  const ingest::Event& e = sink.got[0];
  EXPECT_EQ(e.account_id, "111122223333");
  EXPECT_EQ(e.region, "eu-west-1");
  EXPECT_EQ(e.event_name, "GenerateDataKey");
  Json j = Json::parse(e.record_json);
  EXPECT_EQ(j["recipientAccountId"], "111122223333");
  EXPECT_EQ(j["requestParameters"]["keyId"], "alias/x");
  EXPECT_EQ(e.record_json.find("c2VjcmV0"), std::string::npos) << e.record_json;
}

TEST(TrailPlumbingTest, GlobalServicesRecordInUsEast1) {
  FakeSink sink;
  FakeCredentials creds;
  CallRecorder rec(sink, creds);
  api::CallRecord r = KmsCall("CreateRole");
  r.event_source = "iam.amazonaws.com";
  rec.OnCall(r);
  ASSERT_EQ(sink.got.size(), 1u);
  EXPECT_EQ(sink.got[0].region, "us-east-1");
}

TEST(TrailPlumbingTest, FailedAuthIsRecordedForTheKeysAccountOrNotAtAll) {
  FakeSink sink;
  FakeCredentials creds;
  auth::Credential c;
  c.principal.account_id = "444455556666";
  creds.keys["AKIAKNOWN"] = c;
  CallRecorder rec(sink, creds);
  api::CallRecord r = KmsCall("ListKeys");
  r.context.principal = {};
  r.auth_failed = true;
  r.error_code = "InvalidSignatureException";
  r.error_message = "bad";
  r.access_key_id = "AKIAKNOWN";
  rec.OnCall(r);
  ASSERT_EQ(sink.got.size(), 1u);
  Json j = Json::parse(sink.got[0].record_json);
  EXPECT_EQ(j["recipientAccountId"], "444455556666");
  EXPECT_EQ(j["errorCode"], "InvalidSignatureException");
  EXPECT_TRUE(j["responseElements"].is_null());

  r.access_key_id = "AKIAUNKNOWN";
  rec.OnCall(r);
  EXPECT_EQ(sink.got.size(), 1u) << "an unknown key has no account to deliver to";
}

}  // namespace
}  // namespace orgtrail::server
