#include "ingest/record_builder.h"

#include <gtest/gtest.h>

#include <array>
#include <random>

#include "ingest/record_parser.h"

namespace orgtrail::ingest {
namespace {

TimePoint At(const char* iso) { return *ParseIso8601(iso); }

ApiCall BaseCall() {
  ApiCall c;
  c.region = "us-east-1";
  c.source_ip = "203.0.113.5";
  c.user_agent = "aws-cli/1.0";
  c.request_id = "req-1";
  c.event_time = At("2026-11-26T15:01:31Z");
  c.event_source = "kms.amazonaws.com";
  c.event_name = "CreateKey";
  c.request_parameters = Json{{"description", "k"}};
  c.response_elements = Json{{"keyMetadata", Json{{"keyId", "k1"}}}};
  c.recipient_account_id = "111122223333";
  return c;
}

auth::Principal Root() {
  auth::Principal p;
  p.type = auth::PrincipalType::kRoot;
  p.account_id = "111122223333";
  p.arn = "arn:aws:iam::111122223333:root";
  p.principal_id = "111122223333";
  p.access_key_id = "AKIAEXAMPLEROOT00001";
  return p;
}

TEST(RecordBuilderTest, RootGolden) {
  ApiCall c = BaseCall();
  c.principal = Root();
  c.resources.push_back({"arn:aws:kms:us-east-1:111122223333:key/k1", "111122223333",
                         "AWS::KMS::Key"});
  Event e = BuildRecord(c, "ev-1");
  EXPECT_EQ(e.record_json,
            R"({"eventVersion":"1.11","userIdentity":{"type":"Root","principalId":"111122223333",)"
            R"("arn":"arn:aws:iam::111122223333:root","accountId":"111122223333",)"
            R"("accessKeyId":"AKIAEXAMPLEROOT00001"},"eventTime":"2026-11-26T15:01:31Z",)"
            R"("eventSource":"kms.amazonaws.com","eventName":"CreateKey","awsRegion":"us-east-1",)"
            R"("sourceIPAddress":"203.0.113.5","userAgent":"aws-cli/1.0",)"
            R"("requestParameters":{"description":"k"},"responseElements":{"keyMetadata":{"keyId":"k1"}},)"
            R"("requestID":"req-1","eventID":"ev-1","readOnly":false,"resources":[{"accountId":"111122223333",)"
            R"("type":"AWS::KMS::Key","ARN":"arn:aws:kms:us-east-1:111122223333:key/k1"}],)"
            R"("eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333",)"
            R"("eventCategory":"Management"})");
  EXPECT_EQ(e.event_id, "ev-1");
  EXPECT_EQ(e.account_id, "111122223333");
  EXPECT_EQ(e.region, "us-east-1");
  EXPECT_EQ(e.event_time, c.event_time);
  EXPECT_EQ(e.event_source, "kms.amazonaws.com");
  EXPECT_EQ(e.event_name, "CreateKey");
  EXPECT_EQ(e.read_only, std::optional<bool>(false));
  EXPECT_TRUE(e.management_event);
  ASSERT_EQ(e.resource_types.size(), 1u);
  EXPECT_EQ(e.resource_types[0], "AWS::KMS::Key");

  // What the builder writes, the parser reads back to the same routing fields.
  Result<Event> parsed = ParseRecord(e.record_json);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->record_json, e.record_json);
  EXPECT_EQ(parsed->event_id, e.event_id);
  EXPECT_EQ(parsed->account_id, e.account_id);
  EXPECT_EQ(parsed->event_time, e.event_time);
  EXPECT_EQ(parsed->read_only, e.read_only);
  EXPECT_EQ(parsed->resource_arns, e.resource_arns);
}

TEST(RecordBuilderTest, IAMUserGolden) {
  ApiCall c = BaseCall();
  auth::Principal p;
  p.type = auth::PrincipalType::kIAMUser;
  p.account_id = "111122223333";
  p.arn = "arn:aws:iam::111122223333:user/alice";
  p.principal_id = "AIDAEXAMPLEUSER000001";
  p.access_key_id = "AKIAEXAMPLEUSER00001";
  p.user_name = "alice";
  c.principal = p;
  Json ident = ParseJson(ParseJson(BuildRecord(c, "ev-2").record_json)->at("userIdentity").dump())
                   .value();
  std::string rec = BuildRecord(c, "ev-2").record_json;
  EXPECT_NE(rec.find(R"("userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLEUSER000001",)"
                     R"("arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333",)"
                     R"("accessKeyId":"AKIAEXAMPLEUSER00001","userName":"alice"},)"),
            std::string::npos)
      << rec;
  EXPECT_EQ(ident["userName"], "alice");
}

TEST(RecordBuilderTest, AssumedRoleGolden) {
  ApiCall c = BaseCall();
  auth::Principal p;
  p.type = auth::PrincipalType::kAssumedRole;
  p.account_id = "444455556666";
  p.arn = "arn:aws:sts::444455556666:assumed-role/Admin/sess";
  p.principal_id = "AROAEXAMPLEROLE000001:sess";
  p.access_key_id = "ASIAEXAMPLESESS00001";
  p.role_arn = "arn:aws:iam::444455556666:role/Admin";
  p.role_id = "AROAEXAMPLEROLE000001";
  p.role_name = "Admin";
  p.session_name = "sess";
  p.session_created = At("2026-11-26T14:00:00Z");
  c.principal = p;
  c.recipient_account_id.clear();  // defaults to the caller's account
  Event e = BuildRecord(c, "ev-3");
  EXPECT_NE(e.record_json.find(
                R"("userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLEROLE000001:sess",)"
                R"("arn":"arn:aws:sts::444455556666:assumed-role/Admin/sess","accountId":"444455556666",)"
                R"("accessKeyId":"ASIAEXAMPLESESS00001","sessionContext":{"sessionIssuer":{"type":"Role",)"
                R"("principalId":"AROAEXAMPLEROLE000001","arn":"arn:aws:iam::444455556666:role/Admin",)"
                R"("accountId":"444455556666","userName":"Admin"},"attributes":{)"
                R"("creationDate":"2026-11-26T14:00:00Z","mfaAuthenticated":"false"}}},)"),
            std::string::npos)
      << e.record_json;
  EXPECT_EQ(e.account_id, "444455556666");
  EXPECT_NE(e.record_json.find(R"("recipientAccountId":"444455556666")"), std::string::npos);
}

TEST(RecordBuilderTest, AWSServiceGolden) {
  ApiCall c = BaseCall();
  auth::Principal p;
  p.type = auth::PrincipalType::kAWSService;
  p.service = "cloudtrail.amazonaws.com";
  p.account_id = "111122223333";
  c.principal = p;
  c.event_source = "s3.amazonaws.com";
  c.event_name = "PutObject";
  c.source_ip.clear();
  c.user_agent.clear();
  c.management_event = false;
  c.shared_event_id = "shared-1";
  Event e = BuildRecord(c, "ev-4");
  EXPECT_NE(e.record_json.find(R"("userIdentity":{"type":"AWSService","invokedBy":"cloudtrail.amazonaws.com"},)"),
            std::string::npos)
      << e.record_json;
  EXPECT_NE(e.record_json.find(R"("sourceIPAddress":"cloudtrail.amazonaws.com","userAgent":"cloudtrail.amazonaws.com")"),
            std::string::npos);
  EXPECT_NE(e.record_json.find(
                R"("managementEvent":false,"recipientAccountId":"111122223333","sharedEventID":"shared-1","eventCategory":"Data"})"),
            std::string::npos)
      << e.record_json;
  EXPECT_FALSE(e.management_event);
  EXPECT_EQ(e.event_category, "Data");
}

TEST(RecordBuilderTest, InvokedByOnUserCall) {
  ApiCall c = BaseCall();
  c.principal = Root();
  c.invoked_by = "cloudtrail.amazonaws.com";
  c.source_ip.clear();
  std::string rec = BuildRecord(c, "ev").record_json;
  EXPECT_NE(rec.find(R"("accessKeyId":"AKIAEXAMPLEROOT00001","invokedBy":"cloudtrail.amazonaws.com"})"),
            std::string::npos)
      << rec;
  EXPECT_NE(rec.find(R"("sourceIPAddress":"cloudtrail.amazonaws.com","userAgent":"aws-cli/1.0")"),
            std::string::npos);
}

TEST(RecordBuilderTest, ErrorCallHasErrorFieldsAndNullResponse) {
  ApiCall c = BaseCall();
  c.principal = Root();
  c.error_code = "AccessDeniedException";
  c.error_message = "not authorized";
  Event e = BuildRecord(c, "ev-5");
  EXPECT_NE(e.record_json.find(
                R"("userAgent":"aws-cli/1.0","errorCode":"AccessDeniedException","errorMessage":"not authorized",)"
                R"("requestParameters":{"description":"k"},"responseElements":null,)"),
            std::string::npos)
      << e.record_json;
  // Success calls carry no error fields.
  EXPECT_EQ(BuildRecord(BaseCall(), "x").record_json.find("errorCode"), std::string::npos);
}

TEST(RecordBuilderTest, ReadOnlyCallHasNullResponse) {
  ApiCall c = BaseCall();
  c.principal = Root();
  c.event_name = "DescribeKey";
  c.read_only = true;
  Event e = BuildRecord(c, "ev");
  EXPECT_NE(e.record_json.find(R"("responseElements":null)"), std::string::npos);
  EXPECT_NE(e.record_json.find(R"("readOnly":true)"), std::string::npos);
  EXPECT_EQ(e.read_only, std::optional<bool>(true));
}

TEST(RecordBuilderTest, UnauthenticatedCaller) {
  ApiCall c = BaseCall();
  c.access_key_id = "AKIAUNKNOWN000000001";
  c.account_id = "111122223333";
  c.recipient_account_id.clear();
  c.error_code = "UnrecognizedClientException";
  c.error_message = "The security token included in the request is invalid.";
  Event e = BuildRecord(c, "ev");
  EXPECT_NE(e.record_json.find(
                R"("userIdentity":{"type":"Unknown","accountId":"111122223333","accessKeyId":"AKIAUNKNOWN000000001"})"),
            std::string::npos)
      << e.record_json;
  EXPECT_EQ(e.account_id, "111122223333");
}

TEST(RecordBuilderTest, AssumeRoleResponseScrubbed) {
  ApiCall c = BaseCall();
  c.principal = Root();
  c.event_source = "sts.amazonaws.com";
  c.event_name = "AssumeRole";
  c.read_only = true;  // as AWS marks it; its response is still recorded
  c.request_parameters = Json{{"roleArn", "arn:aws:iam::111122223333:role/R"},
                              {"roleSessionName", "s"}};
  c.response_elements = ParseJson(R"({"credentials":{"accessKeyId":"ASIAX","secretAccessKey":"S3CR3T",
      "sessionToken":"T0K3N","expiration":"Nov 26, 2026, 4:01:31 PM"},
      "assumedRoleUser":{"arn":"arn:aws:sts::111122223333:assumed-role/R/s","assumedRoleId":"AROAX:s"}})")
                            .value();
  Event e = BuildRecord(c, "ev");
  EXPECT_EQ(e.record_json.find("S3CR3T"), std::string::npos) << e.record_json;
  EXPECT_EQ(e.record_json.find("T0K3N"), std::string::npos) << e.record_json;
  EXPECT_EQ(e.record_json.find("secretAccessKey"), std::string::npos);
  EXPECT_NE(e.record_json.find(R"("accessKeyId":"ASIAX")"), std::string::npos);
  EXPECT_NE(e.record_json.find(R"("assumedRoleId":"AROAX:s")"), std::string::npos);
}

TEST(RecordBuilderTest, WireCasingScrubbedToo) {
  Json params = Json{{"UserName", "bob"}, {"Password", "hunter2"}};
  Json response = ParseJson(R"({"AccessKey":{"AccessKeyId":"AKIA1","SecretAccessKey":"x"}})").value();
  ScrubSecrets("iam.amazonaws.com", "CreateAccessKey", params, response);
  EXPECT_EQ(params, (Json{{"UserName", "bob"}}));
  EXPECT_EQ(response, ParseJson(R"({"AccessKey":{"AccessKeyId":"AKIA1"}})").value());
}

TEST(RecordBuilderTest, KmsPlaintextScrubbedCiphertextKept) {
  Json params = ParseJson(R"({"KeyId":"k","Plaintext":"c2VjcmV0","EncryptionContext":{"a":"b"}})").value();
  Json response = ParseJson(R"({"CiphertextBlob":"AQID","Plaintext":"c2VjcmV0","KeyId":"k"})").value();
  ScrubSecrets("kms.amazonaws.com", "GenerateDataKey", params, response);
  EXPECT_FALSE(params.contains("Plaintext"));
  EXPECT_TRUE(params.contains("EncryptionContext"));
  EXPECT_FALSE(response.contains("Plaintext"));
  EXPECT_TRUE(response.contains("CiphertextBlob"));

  // Through the builder, for a write-style GenerateDataKey record.
  ApiCall c = BaseCall();
  c.principal = Root();
  c.event_name = "GenerateDataKey";
  c.request_parameters = ParseJson(R"({"keyId":"k","keySpec":"AES_256"})").value();
  c.response_elements = ParseJson(R"({"plaintext":"c2VjcmV0","ciphertextBlob":"AQID"})").value();
  std::string rec = BuildRecord(c, "ev").record_json;
  EXPECT_EQ(rec.find("c2VjcmV0"), std::string::npos) << rec;
  EXPECT_NE(rec.find("AQID"), std::string::npos);
}

TEST(RecordBuilderTest, InvalidUtf8IsReplacedNotThrown) {
  ApiCall c = BaseCall();
  c.principal = Root();
  c.user_agent = std::string("bad\xff\xfe");
  Event e = BuildRecord(c, "ev");
  EXPECT_TRUE(ParseRecord(e.record_json).ok());
}


// The ordered_json builder BuildRecord used before it wrote the text directly,
// kept as the reference: the new output must be byte-identical to it.
namespace reference {

bool KeepsReadOnlyResponse(std::string_view source, std::string_view name) {
  return source == "sts.amazonaws.com" &&
         (name == "AssumeRole" || name == "AssumeRoleWithSAML" ||
          name == "AssumeRoleWithWebIdentity" || name == "GetSessionToken" ||
          name == "GetFederationToken");
}

OrderedJson UserIdentity(const ApiCall& call) {
  OrderedJson u = OrderedJson::object();
  if (!call.principal) {
    u["type"] = "Unknown";
    if (!call.account_id.empty()) u["accountId"] = call.account_id;
    if (!call.access_key_id.empty()) u["accessKeyId"] = call.access_key_id;
  } else {
    const auth::Principal& p = *call.principal;
    switch (p.type) {
      case auth::PrincipalType::kRoot:
        u["type"] = "Root";
        u["principalId"] = p.principal_id.empty() ? p.account_id : p.principal_id;
        u["arn"] = p.arn;
        u["accountId"] = p.account_id;
        u["accessKeyId"] = p.access_key_id;
        break;
      case auth::PrincipalType::kIAMUser:
        u["type"] = "IAMUser";
        u["principalId"] = p.principal_id;
        u["arn"] = p.arn;
        u["accountId"] = p.account_id;
        u["accessKeyId"] = p.access_key_id;
        u["userName"] = p.user_name;
        break;
      case auth::PrincipalType::kAssumedRole: {
        u["type"] = "AssumedRole";
        u["principalId"] = p.principal_id;
        u["arn"] = p.arn;
        u["accountId"] = p.account_id;
        u["accessKeyId"] = p.access_key_id;
        OrderedJson issuer = OrderedJson::object();
        issuer["type"] = "Role";
        issuer["principalId"] = p.role_id;
        issuer["arn"] = p.role_arn;
        issuer["accountId"] = p.account_id;
        issuer["userName"] = p.role_name;
        OrderedJson attributes = OrderedJson::object();
        attributes["creationDate"] = FormatIso8601(p.session_created);
        attributes["mfaAuthenticated"] = "false";
        u["sessionContext"]["sessionIssuer"] = std::move(issuer);
        u["sessionContext"]["attributes"] = std::move(attributes);
        break;
      }
      case auth::PrincipalType::kAWSService:
        u["type"] = "AWSService";
        u["invokedBy"] = p.service;
        return u;
    }
  }
  if (!call.invoked_by.empty()) u["invokedBy"] = call.invoked_by;
  return u;
}

OrderedJson ToOrdered(const Json& j) {
  if (j.is_discarded()) return nullptr;
  return OrderedJson(j);
}

std::string BuildRecordJson(const ApiCall& call, const std::string& event_id) {
  Json params = call.request_parameters.is_object() ? call.request_parameters : Json(nullptr);
  const bool failed = call.error_code.has_value() && !call.error_code->empty();
  Json response = nullptr;
  if (!failed && call.response_elements.is_object() &&
      (!call.read_only || KeepsReadOnlyResponse(call.event_source, call.event_name))) {
    response = call.response_elements;
  }
  ScrubSecrets(call.event_source, call.event_name, params, response);
  const bool service_caller =
      call.principal && call.principal->type == auth::PrincipalType::kAWSService;
  std::string source_ip = call.source_ip;
  std::string user_agent = call.user_agent;
  std::string acting_service = service_caller ? call.principal->service : call.invoked_by;
  if (!acting_service.empty()) {
    if (source_ip.empty() || service_caller) source_ip = acting_service;
    if (user_agent.empty() || service_caller) user_agent = acting_service;
  }
  const std::string recipient = !call.recipient_account_id.empty() ? call.recipient_account_id
                                : call.principal            ? call.principal->account_id
                                                            : call.account_id;
  OrderedJson r = OrderedJson::object();
  r["eventVersion"] = "1.11";
  r["userIdentity"] = UserIdentity(call);
  r["eventTime"] = FormatIso8601(call.event_time);
  r["eventSource"] = call.event_source;
  r["eventName"] = call.event_name;
  r["awsRegion"] = call.region;
  r["sourceIPAddress"] = source_ip;
  if (!user_agent.empty()) r["userAgent"] = user_agent;
  if (failed) {
    r["errorCode"] = *call.error_code;
    r["errorMessage"] = call.error_message.value_or("");
  }
  r["requestParameters"] = ToOrdered(params);
  r["responseElements"] = ToOrdered(response);
  r["requestID"] = call.request_id;
  r["eventID"] = event_id;
  r["readOnly"] = call.read_only;
  if (!call.resources.empty()) {
    OrderedJson resources = OrderedJson::array();
    for (const ResourceRef& res : call.resources) {
      OrderedJson o = OrderedJson::object();
      o["accountId"] = res.account_id;
      o["type"] = res.type;
      o["ARN"] = res.arn;
      resources.push_back(std::move(o));
    }
    r["resources"] = std::move(resources);
  }
  r["eventType"] = "AwsApiCall";
  r["managementEvent"] = call.management_event;
  r["recipientAccountId"] = recipient;
  if (!call.shared_event_id.empty()) r["sharedEventID"] = call.shared_event_id;
  r["eventCategory"] = call.management_event ? "Management" : "Data";
  return r.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

}  // namespace reference

// Strings that exercise escaping: quotes, backslashes, every control
// character, DEL, valid multi-byte UTF-8 and invalid bytes.
std::string RandomText(std::mt19937& rng) {
  static const std::vector<std::string> kPieces = {
      "a", "Z", "0", " ", "\"", "\\", "/", "\x7f", "\xc3\xa9", "\xe2\x82\xac",
      "\xf0\x9f\x98\x80", "\xff", "\xc3", "\xe2\x82", "\xed\xa0\x80", "\xc0\xaf",
      "arn:aws:kms:us-east-1:111122223333:key/", "<script>", "\u2028"};
  std::string s;
  const int n = static_cast<int>(rng() % 12);
  for (int i = 0; i < n; ++i) {
    if (rng() % 4 == 0) {
      s.push_back(static_cast<char>(rng() % 0x20));  // a control character
    } else {
      s += kPieces[rng() % kPieces.size()];
    }
  }
  return s;
}

Json RandomValue(std::mt19937& rng, int depth) {
  switch (rng() % (depth > 2 ? 5 : 7)) {
    case 0: return RandomText(rng);
    case 1: return static_cast<int64_t>(rng()) - (1 << 30);
    case 2: return rng() % 2 == 0;
    case 3: return nullptr;
    case 4: return static_cast<double>(rng() % 100000) / 7.0;
    case 5: {
      Json a = Json::array();
      for (int i = static_cast<int>(rng() % 4); i > 0; --i)
        a.push_back(RandomValue(rng, depth + 1));
      return a;
    }
    default: {
      static const std::vector<std::string> kKeys = {
          "keyId", "Plaintext", "plaintext", "secretAccessKey", "SessionToken", "password",
          "bucketName", "policy", "x"};
      Json o = Json::object();
      for (int i = static_cast<int>(rng() % 5); i > 0; --i) {
        std::string key = rng() % 3 == 0 ? RandomText(rng) : kKeys[rng() % kKeys.size()];
        o[key] = RandomValue(rng, depth + 1);
      }
      return o;
    }
  }
}

TEST(RecordBuilderTest, TextMatchesTheOrderedJsonBuilderByteForByte) {
  std::mt19937 rng(20261126);
  const char* kSources[] = {"kms.amazonaws.com", "sts.amazonaws.com", "s3.amazonaws.com",
                            "iam.amazonaws.com"};
  const char* kNames[] = {"ListKeys", "AssumeRole", "GenerateDataKey", "PutObject",
                          "CreateUser"};
  for (int i = 0; i < 5000; ++i) {
    ApiCall c;
    switch (rng() % 5) {
      case 0: break;  // unauthenticated
      case 1: c.principal = Root(); break;
      default: {
        auth::Principal p;
        p.type = std::array{auth::PrincipalType::kIAMUser, auth::PrincipalType::kAssumedRole,
                            auth::PrincipalType::kAWSService}[rng() % 3];
        p.account_id = RandomText(rng);
        p.arn = RandomText(rng);
        p.principal_id = RandomText(rng);
        p.access_key_id = RandomText(rng);
        p.user_name = RandomText(rng);
        p.role_id = RandomText(rng);
        p.role_arn = RandomText(rng);
        p.role_name = RandomText(rng);
        p.service = RandomText(rng);
        p.session_created = At("2026-11-26T15:01:31Z") + std::chrono::seconds(rng() % 100000);
        c.principal = p;
      }
    }
    if (c.principal && c.principal->type == auth::PrincipalType::kRoot && rng() % 2)
      c.principal->principal_id.clear();
    c.access_key_id = rng() % 2 ? RandomText(rng) : "";
    c.account_id = rng() % 2 ? RandomText(rng) : "";
    c.region = RandomText(rng);
    c.source_ip = rng() % 3 ? RandomText(rng) : "";
    c.user_agent = rng() % 3 ? RandomText(rng) : "";
    c.request_id = RandomText(rng);
    c.event_time = At("2026-11-26T15:01:31Z") + std::chrono::milliseconds(rng() % 100000000);
    c.event_source = kSources[rng() % 4];
    c.event_name = kNames[rng() % 5];
    c.request_parameters = RandomValue(rng, 0);
    c.response_elements = RandomValue(rng, 0);
    if (rng() % 3 == 0) {
      c.error_code = rng() % 5 ? RandomText(rng) : "";
      if (rng() % 2) c.error_message = RandomText(rng);
    }
    c.read_only = rng() % 2;
    for (int n = static_cast<int>(rng() % 3); n > 0; --n)
      c.resources.push_back({RandomText(rng), RandomText(rng), RandomText(rng)});
    c.recipient_account_id = rng() % 2 ? RandomText(rng) : "";
    c.management_event = rng() % 2;
    c.invoked_by = rng() % 3 == 0 ? RandomText(rng) : "";
    c.shared_event_id = rng() % 3 == 0 ? RandomText(rng) : "";
    const std::string id = RandomText(rng);
    ASSERT_EQ(BuildRecord(c, id).record_json, reference::BuildRecordJson(c, id)) << "case " << i;
  }
}

}  // namespace
}  // namespace orgtrail::ingest
