#include "ingest/record_parser.h"

#include <gtest/gtest.h>

#include "ingest/sample_records_testutil.h"

namespace orgtrail::ingest {
namespace {

constexpr char kMinimal[] =
    R"({"eventVersion":"1.08","eventTime":"2024-08-02T08:30:00Z","eventSource":"sts.amazonaws.com",)"
    R"("eventName":"AssumeRole","awsRegion":"eu-west-1","eventID":"e1","readOnly":true,)"
    R"("userIdentity":{"type":"IAMUser","accountId":"111122223333"},"n":1.688560107857E9})";

TEST(RecordParserTest, ExtractsRoutingFieldsKeepsBytes) {
  std::string text = std::string("  \n") + kMinimal + "\n ";
  Result<Event> e = ParseRecord(text);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->record_json, kMinimal);
  EXPECT_EQ(e->event_id, "e1");
  EXPECT_EQ(e->account_id, "111122223333");  // from userIdentity: no recipientAccountId
  EXPECT_EQ(e->region, "eu-west-1");
  EXPECT_EQ(e->event_source, "sts.amazonaws.com");
  EXPECT_EQ(e->event_name, "AssumeRole");
  EXPECT_EQ(e->read_only, std::optional<bool>(true));
  EXPECT_TRUE(e->management_event);  // no managementEvent field: a management event
  EXPECT_EQ(e->event_category, "Management");
  EXPECT_EQ(ToUnixSeconds(e->event_time), 1722587400);
}

TEST(RecordParserTest, RecipientWinsOverIdentityAccount) {
  std::string text = std::string(kMinimal);
  text.insert(1, R"("recipientAccountId":"999988887777",)");
  Result<Event> e = ParseRecord(text);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->account_id, "999988887777");
}

TEST(RecordParserTest, DataEventWithResources) {
  Result<Event> e = ParseRecord(
      R"({"eventTime":"2024-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject",)"
      R"("awsRegion":"us-east-1","eventID":"x","recipientAccountId":"111122223333",)"
      R"("managementEvent":false,"eventCategory":"Data","readOnly":true,)"
      R"("resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::b/k"},{"accountId":"1","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::b"}]})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_FALSE(e->management_event);
  EXPECT_EQ(e->event_category, "Data");
  EXPECT_EQ(e->resource_types, (std::vector<std::string>{"AWS::S3::Object", "AWS::S3::Bucket"}));
  EXPECT_EQ(e->resource_arns, (std::vector<std::string>{"arn:aws:s3:::b/k", "arn:aws:s3:::b"}));
}

TEST(RecordParserTest, RejectsBadRecords) {
  const char* bad[] = {
      "",
      "[]",
      "{",
      R"({"eventTime":"2024-01-01T00:00:00Z"})",  // missing fields
      R"({"eventTime":"yesterday","eventSource":"a","eventName":"b","awsRegion":"r","eventID":"i","recipientAccountId":"1"})",
      R"({"eventTime":"2024-01-01T00:00:00Z","eventSource":"a","eventName":"b","awsRegion":"r","eventID":"i"})",  // no account
      R"({"eventTime":"2024-01-01T00:00:00Z","eventSource":"a","eventName":"b","awsRegion":"r","eventID":"i","recipientAccountId":"1"} x)",
      R"({"eventTime":"2024-01-01T00:00:00Z","eventSource":"a","eventName":"b","awsRegion":"r","eventID":"i","recipientAccountId":"1","z":[1,2,}]})",
      R"({"eventTime":"2024-01-01T00:00:00Z","eventSource":"a","eventName":"b","awsRegion":"r","eventID":"i","recipientAccountId":"1","z":tru})",
      R"({"eventTime":"2024-01-01T00:00:00Z","eventSource":"a","eventName":"b","awsRegion":"r","eventID":"i","recipientAccountId":"1","z":01})",
      R"({"eventTime":"2024-01-01T00:00:00Z","eventSource":5,"eventName":"b","awsRegion":"r","eventID":"i","recipientAccountId":"1"})",
      R"({"eventTime":"2024-01-01T00:00:00Z","eventSource":"a","eventName":"b","awsRegion":"r","eventID":"i","recipientAccountId":"1","readOnly":"maybe"})",
      "{\"eventTime\":\"2024-01-01T00:00:00Z\",\"eventSource\":\"a\xff\",\"eventName\":\"b\",\"awsRegion\":\"r\",\"eventID\":\"i\",\"recipientAccountId\":\"1\"}",
  };
  for (const char* text : bad) {
    Result<Event> e = ParseRecord(text);
    EXPECT_FALSE(e.ok()) << text;
    if (!e.ok()) {
      EXPECT_EQ(e.status().code(), "ValidationException");
    }
  }
}

TEST(RecordParserTest, EveryRealSampleParses) {
  size_t records = 0;
  auto files = testutil::LoadSampleFiles();
  ASSERT_GT(files.size(), 600u) << "samples not found under " << testutil::SamplesDir();
  for (const auto& f : files) {
    auto spans = testutil::RecordSpans(f.text);
    ASSERT_TRUE(spans.has_value()) << f.path;
    for (std::string_view span : *spans) {
      Result<Event> e = ParseRecord(span);
      ASSERT_TRUE(e.ok()) << f.path << ": " << e.status().ToString();
      EXPECT_EQ(e->record_json, span);
      EXPECT_FALSE(e->event_id.empty());
      EXPECT_FALSE(e->account_id.empty());
      ++records;
    }
  }
  EXPECT_GT(records, 800u);
}

}  // namespace
}  // namespace orgtrail::ingest
