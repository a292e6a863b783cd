#include "cloudtrail/channel_events.h"

#include <gtest/gtest.h>

#include <cctype>
#include <functional>

#include "base/json.h"
#include "base/strings.h"
#include "crypto/hash.h"
#include "ingest/record_parser.h"
#include "ingest/sample_records_testutil.h"

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

// ConvertAuditEvent's one-pass path must give exactly the reference
// (nlohmann) path's answer: the same bytes for a good event, the same
// refusal for a bad one.
void ExpectSameAsReference(std::string_view data, const std::string& what) {
  AuditEventResult fast = ConvertAuditEvent(data, Origin(), {}, "evt-1");
  AuditEventResult ref = ConvertAuditEventReference(data, Origin(), {}, "evt-1");
  ASSERT_EQ(fast.ok, ref.ok) << what << ": " << ref.error.message << " / " << fast.error.message;
  if (!ref.ok) {
    EXPECT_EQ(fast.error.code, ref.error.code) << what;
    EXPECT_EQ(fast.error.message, ref.error.message) << what;
    return;
  }
  EXPECT_EQ(fast.event.record_json, ref.event.record_json) << what;
  EXPECT_EQ(fast.event.event_id, ref.event.event_id) << what;
  EXPECT_EQ(fast.event.account_id, ref.event.account_id) << what;
  EXPECT_EQ(fast.event.region, ref.event.region) << what;
  EXPECT_EQ(fast.event.event_source, ref.event.event_source) << what;
  EXPECT_EQ(fast.event.event_name, ref.event.event_name) << what;
  EXPECT_EQ(ToUnixSeconds(fast.event.event_time), ToUnixSeconds(ref.event.event_time)) << what;
  EXPECT_EQ(fast.event.event_category, ref.event.event_category) << what;
  EXPECT_EQ(fast.event.management_event, ref.event.management_event) << what;
  EXPECT_EQ(fast.event.read_only, ref.event.read_only) << what;
  EXPECT_EQ(fast.event.resource_arns, ref.event.resource_arns) << what;
}

TEST(ChannelEventsTest, FastPathMatchesReferenceOnEdgeCases) {
  const std::string base =
      R"("version":"1.0","userIdentity":{"type":"T","principalId":"p"},"eventSource":"s",)"
      R"("eventName":"n","eventTime":"2026-01-02T03:04:05Z","UID":"u")";
  const std::vector<std::string> tails = {
      "",
      R"(,"requestParameters":{"a":"\/\u00e9\u0001\u001F\"\\\b\f\n\r\t\u007f\ud83d\ude00"})",
      R"(,"requestParameters":{"n":[0,-0,1,-1,18446744073709551615,18446744073709551616]})",
      R"(,"requestParameters":{"n":-9223372036854775808,"m":-9223372036854775809})",
      R"(,"requestParameters":{"z":0,"l":[0,0],"o":{"z":0 },"m":-0})",
      R"(,"requestParameters":{"z":0})",
      R"(,"requestParameters":{"z":00})",
      R"(,"requestParameters":{"f":1.5,"e":1e3,"E":2E-2,"z":0.0})",
      R"(,"requestParameters":{"a":1,"a":2})",
      R"(,"requestParameters":{"a":{"b":[{"c":null,"d":true,"e":false}],"b":[]}})",
      R"(,"requestParameters":{ "x" : [ 1 , 2 ] ,
           "y" : { } })",
      R"(,"requestParameters":{"k\u0065y":1,"key":2})",
      R"(,"requestParameters":{"s":"\ud800"})",
      R"(,"requestParameters":{"s":"\udc00x"})",
      R"(,"requestParameters":null,"responseElements":null,"additionalEventData":null)",
      R"(,"additionalEventData":{"x":01})",
      R"(,"errorCode":"E","errorMessage":"m\u2028","userAgent":"ua","sourceIPAddress":"1.2.3.4")",
      // Raw control characters in a string or key are not JSON (the fast
      // path copies unescaped strings as they stand: it must not take them);
      // a raw DEL and a raw tab between tokens are.
      ",\"requestParameters\":{\"a\":\"x\ty\"}",
      ",\"requestParameters\":{\"a\x01\":1}",
      ",\"errorMessage\":\"line\nbreak\"",
      ",\"requestParameters\":{\"a\":\"x\x7fy\"},\t\"userAgent\":\"u\"",
      R"(,"recipientAccountId":"111111111111")",
      R"(,"recipientAccountId":"222222222222")",
      R"(,"recipientAccountId":null)",
      R"(,"userAgent":null)",
      R"(,"UID":"again")",
      R"(,"extra":1)",
      R"(,"requestParameters":[])",
      R"(,"requestParameters":{"a":1}} trailing)",
      R"(,"requestParameters":{"a":1}}})",
  };
  for (const std::string& t : tails) ExpectSameAsReference("{" + base + t + "}", t);
  for (int n : {62, 63}) {  // 64 levels are allowed, 65 are not
    std::string t = R"(,"requestParameters":{"a":)" + std::string(n, '[') + std::string(n, ']') + "}";
    ExpectSameAsReference("{" + base + t + "}", "depth " + std::to_string(n + 2));
  }
  for (const char* who :
       {R"({"type":"T","principalId":"p","details":null})",
        R"({"type":"T","principalId":"p","details":{"z":1,"a":[2]}})",
        R"({"principalId":"p","type":"T"})", R"({"type":"","principalId":"p"})",
        R"({"type":"T","principalId":"p","other":1})", R"({"type":"T","type":"U","principalId":"p"})",
        R"({"type":"T"})", R"("T")"}) {
    std::string data = R"({"version":"1.0","userIdentity":)" + std::string(who) +
                       R"(,"eventSource":"s","eventName":"n","eventTime":"2026-01-02T03:04:05.5+02:00","UID":"u"})";
    ExpectSameAsReference(data, who);
  }
  for (const char* rec :
       {R"({"eventVersion":"1.08","eventTime":"2026-01-02T03:04:05Z","eventSource":"s","eventName":"n","userIdentity":{"accountId":"9"},"x":1.25})",
        R"({ "eventVersion" : "1.08", "eventTime":"2026-01-02T03:04:05Z","eventSource":"s","eventName":"n","awsRegion":"eu-west-1","eventID":"own","recipientAccountId":"111111111111","resources":[{"ARN":"a","type":"t"}],"readOnly":true })",
        R"({"eventVersion":"1.08","eventTime":"2026-01-02T03:04:05Z","eventSource":"s","eventName":"n","recipientAccountId":"2"})",
        R"({"eventVersion":"1.08","eventTime":"bad","eventSource":"s","eventName":"n"})",
        R"({"eventVersion":"1.08","eventSource":"s","eventName":"n","eventSource":"t","eventTime":"2026-01-02T03:04:05Z"})",
        R"([1,2])", R"({"eventVersion":1} x)", "nul", R"({"a":"b")"}) {
    ExpectSameAsReference(rec, rec);
  }
}

// Every real sample, as a whole record (owned by the channel's account) and
// rewritten in the custom schema, converts to the same bytes both ways.
TEST(ChannelEventsTest, FastPathMatchesReferenceOnSamples) {
  size_t n = 0;
  for (const auto& f : ingest::testutil::LoadSampleFiles()) {
    auto spans = ingest::testutil::RecordSpans(f.text);
    if (!spans) continue;
    for (std::string_view span : *spans) {
      OrderedJson r = OrderedJson::parse(span, nullptr, false);
      if (!r.is_object()) continue;
      ++n;
      std::string as_record = std::string(span);
      if (r.contains("recipientAccountId")) {
        r["recipientAccountId"] = kOwner;
        as_record = r.dump();
      }
      ExpectSameAsReference(as_record, f.path + " (record)");
      OrderedJson who = r.value("userIdentity", OrderedJson::object());
      OrderedJson c = {{"version", "1.0"},
                       {"userIdentity",
                        {{"type", who.value("type", "Unknown")},
                         {"principalId", who.value("principalId", "anonymous")},
                         {"details", who}}},
                       {"eventSource", r.value("eventSource", "app.example.com")},
                       {"eventName", r.value("eventName", "Event")},
                       {"eventTime", r.value("eventTime", "2026-01-01T00:00:00Z")},
                       {"UID", "u"}};
      for (const char* k : {"userAgent", "sourceIPAddress", "errorCode", "errorMessage"})
        if (r.contains(k) && r[k].is_string()) c[k] = r[k];
      for (const char* k : {"requestParameters", "responseElements", "additionalEventData"})
        if (r.contains(k) && (r[k].is_object() || r[k].is_null())) c[k] = r[k];
      ExpectSameAsReference(c.dump(), f.path + " (custom)");
      ExpectSameAsReference(c.dump(2), f.path + " (custom, indented)");
    }
  }
  EXPECT_GT(n, 100u);
}


// The one-pass body reader and the nlohmann reader agree on every shape.
TEST(ChannelEventsTest, BodyReaderMatchesReference) {
  const std::vector<std::string> bodies = {
      R"({"auditEvents":[{"id":"a","eventData":"{\"x\":\"\\u00e9\"}","eventDataChecksum":"ab"}]})",
      R"({"auditEvents":[{"id":"a","eventData":"d","eventDataChecksum":null},{"id":1},"s",null]})",
      R"({"auditEvents":[{"id":"a","id":"b","eventData":5,"eventDataChecksum":7}]})",
      R"({"other":{"n":[1.5e400,-0,1E+2]},"auditEvents":[],"auditEvents":[{"id":"x"}]})",
      R"({"auditEvents":null})", R"({"auditEvents":{}})", R"({})", R"([])", R"("x")",
      R"({"auditEvents":[{"id":"a","eventData":"\ud800"}]})",
      R"({"auditEvents":[{"id":"a","eventData":"x"}]} x)", R"({"auditEvents":[{"id":"a",}]})",
      R"({"auditEvents":[{"id":"a","eventData":"x","n":01}]})",
      " { \"auditEvents\" : [ { \"eventData\" : \"\\\"q\\\"\" , \"id\" : \"z\" } ] } ",
      R"({"x":[[[[[[[1]]]]]]],"auditEvents":[{"id":"a","n":[[[[[{}]]]]]}]})",
      R"({"x":[[[[[[[[1]]]]]]]],"auditEvents":[]})",
      R"({"auditEvents":[{"id":"a","n":[[[[[[{}]]]]]]}]})",
  };
  for (const std::string& b : bodies) {
    auto fast = ParseAuditEventsBody(b);
    auto ref = ParseAuditEventsBodyReference(b);
    ASSERT_EQ(fast.ok(), ref.ok()) << b;
    if (!ref.ok()) {
      EXPECT_EQ(fast.status().message(), ref.status().message()) << b;
      continue;
    }
    EXPECT_EQ(fast->list, ref->list) << b;
    ASSERT_EQ(fast->events.size(), ref->events.size()) << b;
    for (size_t i = 0; i < ref->events.size(); ++i) {
      const AuditEventEntry &f = fast->events[i], &r = ref->events[i];
      EXPECT_EQ(f.is_object, r.is_object) << b;
      EXPECT_EQ(f.id, r.id) << b;
      EXPECT_EQ(f.data, r.data) << b;
      EXPECT_EQ(f.checksum_given, r.checksum_given) << b;
      EXPECT_EQ(f.checksum, r.checksum) << b;
    }
  }
  auto one = ParseAuditEventsBody(bodies[0]);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->events.size(), 1u);
  EXPECT_EQ(*one->events[0].data, "{\"x\":\"\\u00e9\"}");
}

}  // namespace orgtrail::cloudtrail
