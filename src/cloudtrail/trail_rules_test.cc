#include "cloudtrail/trail_rules.h"

#include <gtest/gtest.h>

namespace orgtrail::cloudtrail {
namespace {

TEST(TrailRulesTest, TrailNames) {
  EXPECT_TRUE(ValidateTrailName("org-trail").ok());
  EXPECT_TRUE(ValidateTrailName("My_Trail.2").ok());
  EXPECT_TRUE(ValidateTrailName("abc").ok());
  EXPECT_TRUE(ValidateTrailName(std::string(128, 'a')).ok());
  for (const std::string& bad :
       std::vector<std::string>{"ab", "-abc", "abc-", "a--b", "a._b", "a b c", "tr@il",
                                "192.168.5.4", "", std::string(129, 'a')}) {
    Status s = ValidateTrailName(bad);
    EXPECT_EQ(s.code(), "InvalidTrailNameException") << bad;
  }
  EXPECT_TRUE(ValidateTrailName("192.168.5").ok());  // not an IPv4 address
}

TEST(TrailRulesTest, Arns) {
  auto a = ParseTrailArn("arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->region, "us-east-1");
  EXPECT_EQ(a->account, "111122223333");
  EXPECT_EQ(a->name, "org-trail");
  EXPECT_EQ(MakeTrailArn("us-east-1", "111122223333", "org-trail"),
            "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail");
  for (const char* bad : {"arn:aws:cloudtrail:us-east-1:1111:trail/x1x",
                          "arn:aws:s3:us-east-1:111122223333:trail/abc",
                          "arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/abc",
                          "arn:aws:cloudtrail:us-east-1:111122223333:trail/a", "arn:aws"}) {
    EXPECT_EQ(ParseTrailArn(bad).status().code(), "CloudTrailARNInvalidException") << bad;
  }
  EXPECT_TRUE(IsArnReference("arn:aws:cloudtrail:x"));
  EXPECT_FALSE(IsArnReference("trail"));
}

TEST(TrailRulesTest, S3Prefix) {
  EXPECT_TRUE(ValidateS3Prefix("").ok());
  EXPECT_TRUE(ValidateS3Prefix("org/logs").ok());
  EXPECT_TRUE(ValidateS3Prefix(std::string(200, 'p')).ok());
  EXPECT_EQ(ValidateS3Prefix(std::string(201, 'p')).code(), "InvalidS3PrefixException");
  EXPECT_EQ(ValidateS3Prefix("/logs").code(), "InvalidS3PrefixException");
  EXPECT_EQ(ValidateS3Prefix("logs/").code(), "InvalidS3PrefixException");
  EXPECT_EQ(ValidateS3Prefix("a//b").code(), "InvalidS3PrefixException");
  EXPECT_EQ(ValidateS3Prefix("\xff\xfe").code(), "InvalidS3PrefixException");
}

TEST(TrailRulesTest, TagsList) {
  auto ok = ParseTagsList(Json::parse(R"({"T":[{"Key":"team","Value":"sec"},{"Key":"x"}]})"), "T");
  ASSERT_TRUE(ok.ok());
  ASSERT_EQ(ok->size(), 2u);
  EXPECT_EQ((*ok)[0], Tag("team", "sec"));
  EXPECT_EQ((*ok)[1], Tag("x", ""));
  EXPECT_TRUE(ParseTagsList(Json::object(), "T")->empty());
  EXPECT_EQ(ParseTagsList(Json::parse(R"({"T":[{"Value":"v"}]})"), "T").status().code(),
            "InvalidTagParameterException");
  EXPECT_EQ(
      ParseTagsList(Json::parse(R"({"T":[{"Key":"aws:x","Value":"v"}]})"), "T").status().code(),
      "InvalidTagParameterException");
  Json many = {{"T", Json::array()}};
  for (int i = 0; i < 51; ++i) many["T"].push_back({{"Key", "k" + std::to_string(i)}});
  EXPECT_EQ(ParseTagsList(many, "T").status().code(), "TagsLimitExceededException");
}

}  // namespace
}  // namespace orgtrail::cloudtrail
