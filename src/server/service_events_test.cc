#include "server/service_events.h"

#include <gtest/gtest.h>

#include "base/json.h"

namespace orgtrail::server {
namespace {

delivery::TrailTarget OrgTrail(bool with_key) {
  delivery::TrailTarget t;
  t.trail_arn = "arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail";
  t.name = "org-trail";
  t.home_region = "us-east-1";
  t.owner_account = "111111111111";
  t.org_id = "o-abcdefghij";
  t.bucket = "audit-bucket";
  if (with_key) t.kms_key_arn = "arn:aws:kms:eu-west-1:222222222222:key/1234abcd";
  t.is_org = true;
  return t;
}

TEST(ServiceEventsTest, KeyUseIsAManagementEventOfTheKeyOwnerAsTheService) {
  const std::string obj = "AWSLogs/o-abcdefghij/333333333333/CloudTrail/us-east-1/x.json.gz";
  auto events = TrailDeliveryEvents(OrgTrail(true), obj, "222222222222", "us-east-1",
                                    TimePoint(std::chrono::seconds(1700000000)));
  ASSERT_EQ(events.size(), 2u);
  const ingest::Event& kms = events[0];
  EXPECT_EQ(kms.account_id, "222222222222");
  EXPECT_EQ(kms.region, "eu-west-1");
  EXPECT_TRUE(kms.management_event);
  Json r = Json::parse(kms.record_json);
  EXPECT_EQ(r["userIdentity"]["type"], "AWSService");
  EXPECT_EQ(r["userIdentity"]["invokedBy"], "cloudtrail.amazonaws.com");
  EXPECT_EQ(r["sourceIPAddress"], "cloudtrail.amazonaws.com");
  EXPECT_EQ(r["userAgent"], "cloudtrail.amazonaws.com");
  EXPECT_EQ(r["eventSource"], "kms.amazonaws.com");
  EXPECT_EQ(r["eventName"], "GenerateDataKey");
  EXPECT_EQ(r["readOnly"], true);
  EXPECT_EQ(r["requestParameters"]["encryptionContext"]["aws:cloudtrail:arn"],
            "arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail");
  EXPECT_EQ(r["requestParameters"]["encryptionContext"]["aws:s3:arn"],
            "arn:aws:s3:::audit-bucket/" + obj);
  EXPECT_EQ(r["resources"][0]["ARN"], "arn:aws:kms:eu-west-1:222222222222:key/1234abcd");
  EXPECT_EQ(r["recipientAccountId"], "222222222222");
  EXPECT_EQ(r["eventCategory"], "Management");
}

TEST(ServiceEventsTest, PutObjectIsADataEventOfTheBucketOwner) {
  auto events = TrailDeliveryEvents(OrgTrail(false), "AWSLogs/k.json.gz", "222222222222",
                                    "us-west-2", TimePoint(std::chrono::seconds(1700000000)));
  ASSERT_EQ(events.size(), 1u);  // no key, no key use
  const ingest::Event& put = events[0];
  EXPECT_FALSE(put.management_event);
  EXPECT_EQ(put.event_category, "Data");
  EXPECT_EQ(put.account_id, "222222222222");
  EXPECT_EQ(put.region, "us-west-2");
  Json r = Json::parse(put.record_json);
  EXPECT_EQ(r["eventName"], "PutObject");
  EXPECT_EQ(r["userIdentity"]["invokedBy"], "cloudtrail.amazonaws.com");
  EXPECT_EQ(r["requestParameters"]["key"], "AWSLogs/k.json.gz");
  EXPECT_EQ(r["resources"][0]["type"], "AWS::S3::Object");
  EXPECT_EQ(r["resources"][0]["ARN"], "arn:aws:s3:::audit-bucket/AWSLogs/k.json.gz");
}

}  // namespace
}  // namespace orgtrail::server
