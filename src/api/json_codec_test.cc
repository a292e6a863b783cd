#include "api/json_codec.h"

#include <gtest/gtest.h>

namespace orgtrail::api {
namespace {

TEST(JsonCodecTest, ErrorShapeUsesTypeAndMessageKey) {
  auto r = JsonError(Status::Error("NotFoundException", "Key 'x' does not exist"), "rid");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Header("X-Amzn-ErrorType"), "NotFoundException");
  EXPECT_EQ(r.Header("Content-Type"), "application/x-amz-json-1.1");
  EXPECT_EQ(r.Header("x-amzn-RequestId"), "rid");
  Json body = Json::parse(r.body);
  EXPECT_EQ(body["__type"], "NotFoundException");
  EXPECT_EQ(body["message"], "Key 'x' does not exist");

  auto org = JsonError(Status::Error("AWSOrganizationsNotInUseException", "no org"), "rid",
                       "Message");
  Json ob = Json::parse(org.body);
  EXPECT_EQ(ob["Message"], "no org");
  EXPECT_FALSE(ob.contains("message"));
}

TEST(JsonCodecTest, RestJsonErrorCarriesAllThreeCodes) {
  auto r = RestJsonError(Status::Error("ChannelNotFound", "no channel"), "rid");
  Json b = Json::parse(r.body);
  EXPECT_EQ(b["__type"], "ChannelNotFound");
  EXPECT_EQ(b["code"], "ChannelNotFound");
  EXPECT_EQ(b["message"], "no channel");
  EXPECT_EQ(r.Header("X-Amzn-ErrorType"), "ChannelNotFound");
}

TEST(JsonCodecTest, ParsesBodies) {
  EXPECT_TRUE(ParseJsonBody("").ok());
  EXPECT_TRUE(ParseJsonBody(" {\"a\":1} ").ok());
  auto bad = ParseJsonBody("{\"a\":");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), "SerializationException");
  auto arr = ParseJsonBody("[1]");
  ASSERT_FALSE(arr.ok());
  EXPECT_EQ(arr.status().code(), "SerializationException");
}

TEST(JsonCodecTest, DumpNeverThrowsOnBadUtf8) {
  Json j = {{"k", std::string("\xff\xfe")}};
  EXPECT_NO_THROW(DumpJson(j));
  auto r = JsonSuccess(j, "x");
  EXPECT_EQ(r.status, 200);
}

TEST(JsonCodecTest, SplitsTargets) {
  std::string p, op;
  ASSERT_TRUE(SplitTarget("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.ListTrails", &p, &op));
  EXPECT_EQ(p, "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101");
  EXPECT_EQ(op, "ListTrails");
  EXPECT_FALSE(SplitTarget("NoDot", &p, &op));
}

}  // namespace
}  // namespace orgtrail::api
