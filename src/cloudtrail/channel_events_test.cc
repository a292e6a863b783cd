#include "cloudtrail/channel_events.h"

#include <gtest/gtest.h>

#include <cctype>
#include <functional>

#include "base/json.h"
#include "base/strings.h"
#include "crypto/hash.h"
#include "ingest/record_parser.h"

namespace orgtrail::cloudtrail {
namespace {

constexpr char kOwner[] = "111111111111";
constexpr char kChannel[] =
    "arn:aws:cloudtrail:us-east-1:111111111111:channel/01234567-89ab-cdef-0123-456789abcdef";

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

AuditEventOrigin Origin() {
  return {kChannel, kOwner, "us-east-1", *ParseIso8601("2026-03-04T05:06:07Z")};
}

Json CustomEvent() {
  return Json::parse(R"({
    "version": "1.0",
    "userIdentity": {"type": "ApplicationUser", "principalId": "alice", "details": {"k": 1}},
    "userAgent": "app/1", "eventSource": "app.example.com", "eventName": "Login",
    "eventTime": "2026-01-02T03:04:05.250+01:00", "UID": "u-1",
    "requestParameters": {"b": 1, "a": 2}, "responseElements": null,
    "errorCode": "Denied", "errorMessage": "no", "sourceIPAddress": "203.0.113.7",
    "recipientAccountId": "111111111111", "additionalEventData": {"x": [1, 2]}})");
}

AuditEventResult Convert(const Json& j, AuditEventLimits limits = {}) {
  return ConvertAuditEvent(j.dump(), Origin(), limits, "evt-1");
}

TEST(ChannelEventsTest, CustomEventBecomesARecordDeliveryCanRoute) {
  AuditEventResult r = Convert(CustomEvent());
  ASSERT_TRUE(r.ok) << r.error.code << ": " << r.error.message;
  const ingest::Event& e = r.event;
  EXPECT_EQ(e.event_id, "evt-1");
  EXPECT_EQ(e.account_id, kOwner);
  EXPECT_EQ(e.region, "us-east-1");
  EXPECT_EQ(e.event_source, "app.example.com");
  EXPECT_EQ(e.event_name, "Login");
  EXPECT_TRUE(e.management_event);
  EXPECT_EQ(e.event_category, "ActivityAuditLog");
  EXPECT_EQ(e.event_type, "ActivityLog");
  EXPECT_EQ(ToUnixSeconds(e.event_time), ToUnixSeconds(*ParseIso8601("2026-01-02T02:04:05Z")));

  Json rec = Json::parse(e.record_json);
  EXPECT_EQ(rec["eventVersion"], "1.11");
  EXPECT_EQ(rec["eventTime"], "2026-01-02T02:04:05Z");
  EXPECT_EQ(rec["userIdentity"],
            Json::parse(R"({"type":"ApplicationUser","principalId":"alice","details":{"k":1}})"));
  EXPECT_EQ(rec["requestParameters"], Json::parse(R"({"b":1,"a":2})"));
  EXPECT_TRUE(rec["responseElements"].is_null());
  EXPECT_EQ(rec["errorCode"], "Denied");
  EXPECT_EQ(rec["recipientAccountId"], kOwner);
  EXPECT_EQ(rec["metadata"]["channelARN"], kChannel);
  EXPECT_EQ(rec["metadata"]["ingestionTime"], "2026-03-04T05:06:07Z");
  EXPECT_EQ(rec["metadata"]["UID"], "u-1");
  EXPECT_EQ(rec["metadata"]["version"], "1.0");
  // The user's key order inside requestParameters is kept (Json sorts keys,
  // so this input is written by hand).
  std::string text = CustomEvent().dump();
  text.replace(text.find(R"({"a":2,"b":1})"), 13, R"({"b":1,"a":2})");
  AuditEventResult ordered = ConvertAuditEvent(text, Origin(), {}, "evt-2");
  ASSERT_TRUE(ordered.ok);
  EXPECT_NE(ordered.event.record_json.find(R"("requestParameters":{"b":1,"a":2})"),
            std::string::npos);

  // The record parser (WAL replay, delivery) reads the same routing fields.
  auto parsed = ingest::ParseRecord(e.record_json);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->event_id, e.event_id);
  EXPECT_EQ(parsed->account_id, e.account_id);
  EXPECT_EQ(parsed->event_category, e.event_category);
  EXPECT_EQ(parsed->management_event, e.management_event);
}

TEST(ChannelEventsTest, OptionalFieldsMayBeAbsent) {
  Json j = Json::parse(R"({"version":"1","userIdentity":{"type":"T","principalId":"p"},
    "eventSource":"s","eventName":"n","eventTime":"2026-01-02T03:04:05Z","UID":"u"})");
  AuditEventResult r = Convert(j);
  ASSERT_TRUE(r.ok) << r.error.message;
  Json rec = Json::parse(r.event.record_json);
  EXPECT_FALSE(rec.contains("userAgent"));
  EXPECT_FALSE(rec["userIdentity"].contains("details"));
  EXPECT_TRUE(rec["requestParameters"].is_null());
}

TEST(ChannelEventsTest, EachSchemaViolationIsInvalidEventData) {
  struct Case {
    const char* what;
    std::function<void(Json&)> edit;
  };
  std::vector<Case> cases = {
      {"missing version", [](Json& j) { j.erase("version"); }},
      {"missing UID", [](Json& j) { j.erase("UID"); }},
      {"missing eventTime", [](Json& j) { j.erase("eventTime"); }},
      {"missing userIdentity", [](Json& j) { j.erase("userIdentity"); }},
      {"missing principalId", [](Json& j) { j["userIdentity"].erase("principalId"); }},
      {"missing type", [](Json& j) { j["userIdentity"].erase("type"); }},
      {"unknown identity field", [](Json& j) { j["userIdentity"]["arn"] = "x"; }},
      {"details not object", [](Json& j) { j["userIdentity"]["details"] = "x"; }},
      {"eventName number", [](Json& j) { j["eventName"] = 3; }},
      {"empty eventSource", [](Json& j) { j["eventSource"] = ""; }},
      {"unknown field", [](Json& j) { j["color"] = "red"; }},
      {"bad time", [](Json& j) { j["eventTime"] = "2026-13-45T00:00:00Z"; }},
      {"params not object", [](Json& j) { j["requestParameters"] = "a=b"; }},
      {"other account", [](Json& j) { j["recipientAccountId"] = "222222222222"; }},
      {"long errorCode", [](Json& j) { j["errorCode"] = std::string(257, 'e'); }},
      {"long userAgent", [](Json& j) { j["userAgent"] = std::string(1025, 'a'); }},
      {"big requestParameters",
       [](Json& j) {
         j["requestParameters"] = {{"b", std::string(101 * 1024, 'b')}};
       }},
      {"big additionalEventData",
       [](Json& j) {
         j["additionalEventData"] = {{"b", std::string(29 * 1024, 'b')}};
       }},
  };
  for (const Case& c : cases) {
    Json j = CustomEvent();
    c.edit(j);
    AuditEventResult r = Convert(j);
    EXPECT_FALSE(r.ok) << c.what;
    EXPECT_EQ(r.error.code, "InvalidEventData") << c.what;
    EXPECT_FALSE(r.error.message.empty()) << c.what;
    EXPECT_LE(r.error.message.size(), 1024u) << c.what;
  }
}

TEST(ChannelEventsTest, MalformedTooDeepAndBadUtf8) {
  auto conv = [](std::string_view data) { return ConvertAuditEvent(data, Origin(), {}, "evt"); };
  EXPECT_EQ(conv("{not json").error.code, "InvalidEventData");
  EXPECT_EQ(conv("[1,2]").error.code, "InvalidEventData");
  EXPECT_EQ(conv("").error.code, "InvalidEventData");
  EXPECT_EQ(conv("{\"version\":\"\xff\"}").error.code, "InvalidEventData");
  std::string deep = "{\"version\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  AuditEventResult r = conv(deep);
  EXPECT_EQ(r.error.code, "InvalidEventData");
  EXPECT_NE(r.error.message.find("nested"), std::string::npos);
}

TEST(ChannelEventsTest, SizeLimitIsPerEventAndConfigurable) {
  Json j = CustomEvent();
  j["requestParameters"] = {{"a", std::string(90 * 1024, 'a')}};
  j["responseElements"] = {{"a", std::string(90 * 1024, 'a')}};
  j["additionalEventData"] = {{"a", std::string(27 * 1024, 'a')}};
  j["userIdentity"]["details"] = {{"a", std::string(60 * 1024, 'a')}};
  ASSERT_GT(j.dump().size(), 256u * 1024);
  EXPECT_EQ(Convert(j).error.code, "EventTooLarge");
  AuditEventLimits big;
  big.max_event_bytes = 1 << 20;
  EXPECT_TRUE(Convert(j, big).ok);
}

TEST(ChannelEventsTest, WholeRecordIsKeptAndCompleted) {
  Json rec = Json::parse(R"({"eventVersion":"1.09","userIdentity":{"type":"IAMUser",
    "accountId":"999999999999"},"eventTime":"2026-01-02T03:04:05Z","eventSource":"x.example.com",
    "eventName":"Op","eventType":"AwsApiCall","managementEvent":true,"eventCategory":"Management"})");
  AuditEventResult r = Convert(rec);
  ASSERT_TRUE(r.ok) << r.error.message;
  EXPECT_EQ(r.event.event_id, "evt-1");
  EXPECT_EQ(r.event.account_id, kOwner);
  EXPECT_EQ(r.event.region, "us-east-1");
  Json out = Json::parse(r.event.record_json);
  EXPECT_EQ(out["eventVersion"], "1.09");
  EXPECT_EQ(out["userIdentity"]["accountId"], "999999999999");

  rec["eventID"] = "own-id";
  rec["awsRegion"] = "eu-west-1";
  r = Convert(rec);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.event.event_id, "own-id");
  EXPECT_EQ(r.event.region, "eu-west-1");

  rec["recipientAccountId"] = "222222222222";
  EXPECT_EQ(Convert(rec).error.code, "InvalidEventData");
  rec["recipientAccountId"] = kOwner;
  rec.erase("eventName");
  EXPECT_EQ(Convert(rec).error.code, "InvalidEventData");
}

TEST(ChannelEventsTest, ChecksumHexOrBase64) {
  const std::string data = R"({"a":1})";
  EXPECT_TRUE(ChecksumMatches(data, crypto::Sha256Hex(data)));
  EXPECT_TRUE(ChecksumMatches(data, Upper(crypto::Sha256Hex(data))));
  EXPECT_TRUE(ChecksumMatches(data, Base64Encode(crypto::Sha256(data))));
  EXPECT_FALSE(ChecksumMatches(data, crypto::Sha256Hex("other")));
  EXPECT_FALSE(ChecksumMatches(data, ""));
  EXPECT_FALSE(ChecksumMatches(data, "zz"));
}

TEST(ChannelEventsTest, NestingDepthSkipsStrings) {
  EXPECT_EQ(JsonNestingDepth(R"({"a":[{"b":"[[[[{{{"}]})", 10), 3);
  EXPECT_EQ(JsonNestingDepth(R"({"a":"\"[[["})", 10), 1);
  EXPECT_EQ(JsonNestingDepth(std::string(50, '['), 10), 11);
}

}  // namespace
}  // namespace orgtrail::cloudtrail
