#include "delivery/digest_file.h"

#include <gtest/gtest.h>

#include "base/json.h"
#include "crypto/hash.h"

namespace orgtrail::delivery {
namespace {

TimePoint At(const char* iso) { return *ParseIso8601(iso); }

constexpr const char* kKey =
    "pfx/AWSLogs/o-abcdefghij/444455556666/CloudTrail-Digest/us-east-1/2026/11/26/"
    "444455556666_CloudTrail-Digest_us-east-1_org-trail_us-east-1_20261126T150131Z.json.gz";
constexpr const char* kPrevKey =
    "pfx/AWSLogs/o-abcdefghij/444455556666/CloudTrail-Digest/us-east-1/2026/11/26/"
    "444455556666_CloudTrail-Digest_us-east-1_org-trail_us-east-1_20261126T140131Z.json.gz";
constexpr const char* kLogKey =
    "pfx/AWSLogs/o-abcdefghij/444455556666/CloudTrail/us-east-1/2026/11/26/"
    "444455556666_CloudTrail_us-east-1_20261126T1411Z_BZE4jmVx4bY7P485.json.gz";

DigestInput ExampleInput() {
  DigestInput in;
  in.account_id = "444455556666";
  in.start_time = At("2026-11-26T14:01:31Z");
  in.end_time = At("2026-11-26T15:01:31.900Z");  // sub-second part is not written
  in.bucket = "audit-cloudtrail";
  in.key = kKey;
  in.public_key_fingerprint = "7f3f401420072e50a65a141430817ab3";
  in.previous = PreviousDigest{"audit-cloudtrail", kPrevKey, std::string(64, 'a'), "00ff"};
  in.log_files.push_back({"audit-cloudtrail", kLogKey, std::string(64, 'b'),
                          At("2026-11-26T14:10:00Z"), At("2026-11-26T14:05:00Z")});
  in.log_files.push_back({"audit-cloudtrail", "k2", std::string(64, 'c'),
                          At("2026-11-26T14:20:00Z"), At("2026-11-26T13:59:00Z")});
  return in;
}

TEST(DigestFileTest, GoldenBytes) {
  BuiltDigest d = BuildDigest(ExampleInput());
  // Hand-checked against AWS "CloudTrail digest file structure": field order,
  // SHA-256 hash algorithm names, times with seconds, compact JSON.
  std::string expected =
      std::string("{\"awsAccountId\":\"444455556666\",") +
      "\"digestStartTime\":\"2026-11-26T14:01:31Z\"," +
      "\"digestEndTime\":\"2026-11-26T15:01:31Z\"," +
      "\"digestS3Bucket\":\"audit-cloudtrail\"," + "\"digestS3Object\":\"" + kKey + "\"," +
      "\"digestPublicKeyFingerprint\":\"7f3f401420072e50a65a141430817ab3\"," +
      "\"digestSignatureAlgorithm\":\"SHA256withRSA\"," +
      "\"newestEventTime\":\"2026-11-26T14:20:00Z\"," +
      "\"oldestEventTime\":\"2026-11-26T13:59:00Z\"," +
      "\"previousDigestS3Bucket\":\"audit-cloudtrail\"," + "\"previousDigestS3Object\":\"" +
      kPrevKey + "\"," + "\"previousDigestHashValue\":\"" + std::string(64, 'a') + "\"," +
      "\"previousDigestHashAlgorithm\":\"SHA-256\"," + "\"previousDigestSignature\":\"00ff\"," +
      "\"logFiles\":[{\"s3Bucket\":\"audit-cloudtrail\",\"s3Object\":\"" + kLogKey + "\"," +
      "\"hashValue\":\"" + std::string(64, 'b') + "\",\"hashAlgorithm\":\"SHA-256\"," +
      "\"newestEventTime\":\"2026-11-26T14:10:00Z\",\"oldestEventTime\":\"2026-11-26T14:05:00Z\"}," +
      "{\"s3Bucket\":\"audit-cloudtrail\",\"s3Object\":\"k2\",\"hashValue\":\"" +
      std::string(64, 'c') + "\",\"hashAlgorithm\":\"SHA-256\"," +
      "\"newestEventTime\":\"2026-11-26T14:20:00Z\",\"oldestEventTime\":\"2026-11-26T13:59:00Z\"}]}";
  EXPECT_EQ(d.json, expected);
  EXPECT_EQ(d.sha256_hex, crypto::Sha256Hex(expected));
  EXPECT_EQ(d.string_to_sign, "2026-11-26T15:01:31Z\naudit-cloudtrail/" + std::string(kKey) +
                                  "\n" + crypto::Sha256Hex(expected) + "\n00ff");
}

TEST(DigestFileTest, StartingEmptyDigestHasNulls) {
  DigestInput in = ExampleInput();
  in.previous.reset();
  in.log_files.clear();
  BuiltDigest d = BuildDigest(in);
  Json j = Json::parse(d.json);
  for (const char* f : {"newestEventTime", "oldestEventTime", "previousDigestS3Bucket",
                        "previousDigestS3Object", "previousDigestHashValue",
                        "previousDigestHashAlgorithm", "previousDigestSignature"}) {
    ASSERT_TRUE(j.contains(f)) << f;
    EXPECT_TRUE(j[f].is_null()) << f;
  }
  EXPECT_TRUE(j["logFiles"].is_array());
  EXPECT_TRUE(j["logFiles"].empty());
  EXPECT_TRUE(d.string_to_sign.ends_with("\n" + d.sha256_hex + "\nnull"));
}

TEST(DigestFileTest, ParseRoundTrip) {
  BuiltDigest d = BuildDigest(ExampleInput());
  auto p = ParseDigest(d.json);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->account_id, "444455556666");
  EXPECT_EQ(p->end_time, "2026-11-26T15:01:31Z");
  EXPECT_EQ(p->start_time, "2026-11-26T14:01:31Z");
  EXPECT_EQ(p->key, kKey);
  EXPECT_EQ(p->previous_key.value_or(""), kPrevKey);
  EXPECT_EQ(p->previous_signature.value_or(""), "00ff");
  ASSERT_EQ(p->log_files.size(), 2u);
  EXPECT_EQ(p->log_files[0].key, kLogKey);
  EXPECT_EQ(p->log_files[1].hash_value, std::string(64, 'c'));
  EXPECT_EQ(SigningString(p->end_time, p->bucket, p->key, crypto::Sha256Hex(d.json),
                          p->previous_signature),
            d.string_to_sign);
}

TEST(DigestFileTest, ParseRejectsBadFormat) {
  EXPECT_FALSE(ParseDigest("").ok());
  EXPECT_FALSE(ParseDigest("[1]").ok());
  EXPECT_FALSE(ParseDigest("{\"x\":").ok());
  Json j = Json::parse(BuildDigest(ExampleInput()).json);
  for (const char* f : {"digestPublicKeyFingerprint", "digestS3Bucket", "digestS3Object",
                        "previousDigestSignature", "digestEndTime", "digestStartTime",
                        "logFiles"}) {
    Json k = j;
    k.erase(f);
    auto p = ParseDigest(k.dump());
    ASSERT_FALSE(p.ok()) << f;
    EXPECT_EQ(p.status().code(), "InvalidDigestFormat");
  }
  Json bad = j;
  bad["digestEndTime"] = "yesterday";
  EXPECT_FALSE(ParseDigest(bad.dump()).ok());
  bad = j;
  bad["logFiles"][0].erase("hashValue");
  EXPECT_FALSE(ParseDigest(bad.dump()).ok());
  bad = j;
  bad["previousDigestSignature"] = nullptr;  // null is allowed (starting digest)
  EXPECT_TRUE(ParseDigest(bad.dump()).ok());
}

TEST(DigestFileTest, KeyMatchesAwsExample) {
  std::string k = DigestKey("pfx", "o-abcdefghij", "444455556666", "us-east-1", "org-trail",
                            "us-east-1", At("2026-11-26T15:01:31Z"));
  EXPECT_EQ(k, kKey);
  // The CLI slices the timestamp at key[-24:-8].
  EXPECT_EQ(k.substr(k.size() - 24, 16), "20261126T150131Z");
  EXPECT_EQ(DigestKey("", "", "111122223333", "eu-west-1", "t", "us-east-1",
                      At("2026-01-02T03:04:05Z")),
            "AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2026/01/02/"
            "111122223333_CloudTrail-Digest_eu-west-1_t_us-east-1_20260102T030405Z.json.gz");
  EXPECT_EQ(DigestFolder("", "o-abcdefghij", "111122223333", "eu-west-1"),
            "AWSLogs/o-abcdefghij/111122223333/CloudTrail-Digest/eu-west-1/");
}

TEST(DigestFileTest, KeyParseRoundTrip) {
  struct Case {
    std::string prefix, org, name;
  } cases[] = {{"", "", "t"}, {"a/b", "", "my_trail_1"}, {"", "o-abcdefghij", "org-trail"},
               {"x", "o-0123456789", "a_b"}};
  for (const Case& c : cases) {
    std::string k = DigestKey(c.prefix, c.org, "111122223333", "ap-south-1", c.name, "us-east-2",
                              At("2026-12-31T23:59:59Z"));
    auto p = ParseDigestKey(k);
    ASSERT_TRUE(p.has_value()) << k;
    EXPECT_EQ(p->prefix, c.prefix);
    EXPECT_EQ(p->org_id, c.org);
    EXPECT_EQ(p->account_id, "111122223333");
    EXPECT_EQ(p->region, "ap-south-1");
    EXPECT_EQ(p->trail_name, c.name);
    EXPECT_EQ(p->home_region, "us-east-2");
    EXPECT_EQ(p->end_time, At("2026-12-31T23:59:59Z"));
    EXPECT_FALSE(p->backfill);
  }
  std::string bf = std::string(kKey);
  bf.replace(bf.size() - 8, 8, "_backfill.json.gz");
  auto p = ParseDigestKey(bf);
  ASSERT_TRUE(p.has_value());
  EXPECT_TRUE(p->backfill);
  EXPECT_FALSE(ParseDigestKey(kLogKey).has_value());
  EXPECT_FALSE(ParseDigestKey("AWSLogs/111122223333/CloudTrail-Digest/x.json.gz").has_value());
  // Folder date disagreeing with the name.
  std::string wrong = kKey;
  wrong.replace(wrong.find("/26/"), 4, "/25/");
  EXPECT_FALSE(ParseDigestKey(wrong).has_value());
}

}  // namespace
}  // namespace orgtrail::delivery
