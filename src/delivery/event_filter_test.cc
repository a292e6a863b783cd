#include "delivery/event_filter.h"

#include <gtest/gtest.h>

namespace orgtrail::delivery {
namespace {

ingest::Event Mgmt(std::string source, std::string name, bool read_only) {
  ingest::Event e;
  e.event_source = std::move(source);
  e.event_name = std::move(name);
  e.read_only = read_only;
  e.management_event = true;
  e.event_category = "Management";
  return e;
}

ingest::Event S3Data(std::string arn, bool read_only) {
  ingest::Event e;
  e.event_source = "s3.amazonaws.com";
  e.event_name = read_only ? "GetObject" : "PutObject";
  e.read_only = read_only;
  e.management_event = false;
  e.event_category = "Data";
  e.resource_types = {"AWS::S3::Object", "AWS::S3::Bucket"};
  e.resource_arns = {std::move(arn), "arn:aws:s3:::b"};
  return e;
}

EventFilter Parse(const char* basic, const char* advanced) {
  Json b = basic ? Json::parse(basic) : Json(nullptr);
  Json a = advanced ? Json::parse(advanced) : Json(nullptr);
  Result<EventFilter> f = EventFilter::FromJson(b, a);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return f.ok() ? *f : EventFilter();
}

const ingest::Event kKmsWrite = Mgmt("kms.amazonaws.com", "CreateKey", false);
const ingest::Event kKmsRead = Mgmt("kms.amazonaws.com", "DescribeKey", true);
const ingest::Event kIamWrite = Mgmt("iam.amazonaws.com", "CreateUser", false);
const ingest::Event kGetObj = S3Data("arn:aws:s3:::b/logs/x", true);
const ingest::Event kPutObj = S3Data("arn:aws:s3:::other/y", false);

struct Row {
  const char* name;
  const char* basic;
  const char* advanced;
  bool kms_write, kms_read, iam_write, get_obj, put_obj;
};

TEST(EventFilterTest, Table) {
  const Row rows[] = {
      {"default: all management", nullptr, nullptr, true, true, true, false, false},
      {"basic all", R"([{"ReadWriteType":"All"}])", nullptr, true, true, true, false, false},
      {"basic read only", R"([{"ReadWriteType":"ReadOnly"}])", nullptr, false, true, false, false,
       false},
      {"basic write only", R"([{"ReadWriteType":"WriteOnly","IncludeManagementEvents":true}])",
       nullptr, true, false, true, false, false},
      {"no management", R"([{"IncludeManagementEvents":false}])", nullptr, false, false, false,
       false, false},
      {"exclude kms", R"([{"ExcludeManagementEventSources":["kms.amazonaws.com"]}])", nullptr,
       false, false, true, false, false},
      {"s3 data for bucket b", R"([{"IncludeManagementEvents":false,"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3:::b/"]}]}])",
       nullptr, false, false, false, true, false},
      {"all s3 data + mgmt", R"([{"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3"]}]}])",
       nullptr, true, true, true, true, true},
      {"two selectors OR", R"([{"ReadWriteType":"ReadOnly"},{"ReadWriteType":"WriteOnly","ExcludeManagementEventSources":["kms.amazonaws.com"]}])",
       nullptr, false, true, true, false, false},
      {"empty list: nothing", "[]", nullptr, false, false, false, false, false},
      {"adv management", nullptr,
       R"([{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]}])", true, true,
       true, false, false},
      {"adv mgmt readOnly false", nullptr,
       R"([{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"readOnly","Equals":["false"]}]}])",
       true, false, true, false, false},
      {"adv mgmt not kms", nullptr,
       R"([{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"eventSource","NotEquals":["kms.amazonaws.com"]}]}])",
       false, false, true, false, false},
      {"adv data s3 object prefix", nullptr,
       R"([{"Name":"b only","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]},{"Field":"resources.ARN","StartsWith":["arn:aws:s3:::b/"]}]}])",
       false, false, false, true, false},
      {"adv eventName startsWith Create", nullptr,
       R"([{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"eventName","StartsWith":["Create"]}]}])",
       true, false, true, false, false},
      {"adv eventName endsWith Key or NotEndsWith", nullptr,
       R"([{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"eventName","EndsWith":["Key"],"NotStartsWith":["Describe"]}]}])",
       true, false, false, false, false},
      {"adv NotEndsWith", nullptr,
       R"([{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management","Data"]},{"Field":"eventName","NotEndsWith":["Object","User"]}]}])",
       true, true, false, false, false},
      {"adv two selectors OR", nullptr,
       R"([{"FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"readOnly","Equals":["false"]}]},{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"eventSource","Equals":["iam.amazonaws.com"]}]}])",
       false, false, true, false, true},
  };
  for (const Row& r : rows) {
    EventFilter f = Parse(r.basic, r.advanced);
    EXPECT_EQ(f.Matches(kKmsWrite), r.kms_write) << r.name;
    EXPECT_EQ(f.Matches(kKmsRead), r.kms_read) << r.name;
    EXPECT_EQ(f.Matches(kIamWrite), r.iam_write) << r.name;
    EXPECT_EQ(f.Matches(kGetObj), r.get_obj) << r.name;
    EXPECT_EQ(f.Matches(kPutObj), r.put_obj) << r.name;
  }
}

TEST(EventFilterTest, InsightEventsNeverMatch) {
  ingest::Event e = kKmsWrite;
  e.event_category = "Insight";
  EXPECT_FALSE(EventFilter().Matches(e));
}

TEST(EventFilterTest, RejectsMalformedSelectors) {
  struct Bad {
    const char* basic;
    const char* advanced;
    const char* code;
  } bad[] = {
      {R"({"ReadWriteType":"All"})", nullptr, "InvalidEventSelectorsException"},
      {R"([{"ReadWriteType":"Sometimes"}])", nullptr, "InvalidEventSelectorsException"},
      {R"([{"IncludeManagementEvents":"yes"}])", nullptr, "InvalidEventSelectorsException"},
      {R"([{"DataResources":[{"Values":["x"]}]}])", nullptr, "InvalidEventSelectorsException"},
      {R"([{},{},{},{},{},{}])", nullptr, "InvalidEventSelectorsException"},
      {R"([{"ExcludeManagementEventSources":[1]}])", nullptr, "InvalidEventSelectorsException"},
      {nullptr, R"([{"FieldSelectors":[]}])", "InvalidEventSelectorsException"},
      {nullptr, R"([{"FieldSelectors":[{"Field":"eventName","Equals":["A"]}]}])",
       "InvalidEventSelectorsException"},  // no eventCategory
      {nullptr, R"([{"FieldSelectors":[{"Field":"eventCategory"}]}])",
       "InvalidEventSelectorsException"},  // no operator
      {nullptr, R"([{"FieldSelectors":[{"Field":"eventCategory","Equals":[]}]}])",
       "InvalidEventSelectorsException"},
      {nullptr, R"([{"FieldSelectors":[{"Field":"color","Equals":["red"]},{"Field":"eventCategory","Equals":["Data"]}]}])",
       "InvalidEventSelectorsException"},
      {nullptr, R"([{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"readOnly","Equals":["yes"]}]}])",
       "InvalidEventSelectorsException"},
      {"[]", "[]", "InvalidParameterCombinationException"},
  };
  for (const Bad& b : bad) {
    Json basic = b.basic ? Json::parse(b.basic) : Json(nullptr);
    Json adv = b.advanced ? Json::parse(b.advanced) : Json(nullptr);
    Result<EventFilter> f = EventFilter::FromJson(basic, adv);
    ASSERT_FALSE(f.ok()) << (b.basic ? b.basic : "") << (b.advanced ? b.advanced : "");
    EXPECT_EQ(f.status().code(), b.code);
  }
}

TEST(EventFilterTest, ToJsonRoundTrips) {
  EXPECT_EQ(EventFilter().ToJson(), Json::parse(R"({"EventSelectors":[{"ReadWriteType":"All",
      "IncludeManagementEvents":true,"DataResources":[],"ExcludeManagementEventSources":[]}]})"));
  const char* adv =
      R"([{"Name":"n","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.ARN","StartsWith":["arn:aws:s3:::b/"],"NotEndsWith":[".tmp"]}]}])";
  EventFilter f = Parse(nullptr, adv);
  EXPECT_TRUE(f.is_advanced());
  EXPECT_EQ(f.ToJson()["AdvancedEventSelectors"], Json::parse(adv));
  EventFilter g = Parse(R"([{"ReadWriteType":"ReadOnly","DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3:::b/"]}]}])",
                        nullptr);
  Result<EventFilter> again = EventFilter::FromJson(g.ToJson()["EventSelectors"], nullptr);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ToJson(), g.ToJson());
}

}  // namespace
}  // namespace orgtrail::delivery
