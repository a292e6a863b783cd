#include "cloudtrail/event_selectors.h"

#include <gtest/gtest.h>

namespace orgtrail::cloudtrail {
namespace {

std::string Code(const char* json) { return ParseSelectors(Json::parse(json)).status().code(); }

TEST(EventSelectorsTest, DefaultIsAllManagementEvents) {
  SelectorSet s = DefaultSelectors();
  EXPECT_FALSE(s.advanced);
  ASSERT_EQ(s.selectors.size(), 1u);
  EXPECT_EQ(s.selectors[0]["ReadWriteType"], "All");
  EXPECT_EQ(s.selectors[0]["IncludeManagementEvents"], true);
}

TEST(EventSelectorsTest, BasicIsNormalised) {
  auto s = ParseSelectors(Json::parse(R"({"EventSelectors":[{"ReadWriteType":"WriteOnly",
      "DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3:::bucket/"]}]}]})"));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_FALSE(s->advanced);
  EXPECT_EQ(s->selectors[0]["ReadWriteType"], "WriteOnly");
  EXPECT_EQ(s->selectors[0]["IncludeManagementEvents"], true);
  EXPECT_EQ(s->selectors[0]["DataResources"][0]["Values"][0], "arn:aws:s3:::bucket/");
  EXPECT_TRUE(s->selectors[0]["ExcludeManagementEventSources"].empty());
}

TEST(EventSelectorsTest, AdvancedIsKept) {
  auto s = ParseSelectors(Json::parse(R"({"AdvancedEventSelectors":[{"Name":"mgmt",
      "FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},
                        {"Field":"readOnly","Equals":["false"]}]}]})"));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(s->advanced);
  EXPECT_EQ(s->selectors[0]["Name"], "mgmt");
  EXPECT_EQ(s->selectors[0]["FieldSelectors"][1]["Equals"][0], "false");
}

TEST(EventSelectorsTest, Invalid) {
  const std::string k = "InvalidEventSelectorsException";
  EXPECT_EQ(Code(R"({})"), k);
  EXPECT_EQ(
      Code(
          R"({"EventSelectors":[{}],"AdvancedEventSelectors":[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]}]})"),
      k);
  EXPECT_EQ(Code(R"({"EventSelectors":[]})"), k);
  EXPECT_EQ(Code(R"({"EventSelectors":[{"ReadWriteType":"Sometimes"}]})"), k);
  EXPECT_EQ(Code(R"({"EventSelectors":[{},{},{},{},{},{}]})"), k);
  EXPECT_EQ(
      Code(R"({"EventSelectors":[{"DataResources":[{"Type":"AWS::EC2::Instance","Values":[]}]}]})"),
      k);
  EXPECT_EQ(
      Code(
          R"({"EventSelectors":[{"DataResources":[{"Type":"AWS::S3::Object","Values":["bucket"]}]}]})"),
      k);
  EXPECT_EQ(Code(R"({"EventSelectors":[{"ExcludeManagementEventSources":["s3.amazonaws.com"]}]})"),
            k);
  EXPECT_EQ(Code(R"({"AdvancedEventSelectors":[{"FieldSelectors":[]}]})"), k);
  EXPECT_EQ(
      Code(
          R"({"AdvancedEventSelectors":[{"FieldSelectors":[{"Field":"eventName","Equals":["X"]}]}]})"),
      k);
  EXPECT_EQ(Code(R"({"AdvancedEventSelectors":[{"FieldSelectors":[{"Field":"eventCategory"}]}]})"),
            k);
  EXPECT_EQ(
      Code(R"({"AdvancedEventSelectors":[{"FieldSelectors":[{"Field":"bogus","Equals":["x"]}]}]})"),
      k);
  EXPECT_EQ(
      Code(
          R"({"AdvancedEventSelectors":[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"readOnly","Equals":["maybe"]}]}]})"),
      k);
}

}  // namespace
}  // namespace orgtrail::cloudtrail
