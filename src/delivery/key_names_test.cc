#include "delivery/key_names.h"

#include <gtest/gtest.h>

namespace orgtrail::delivery {
namespace {

TimePoint At(const char* iso) { return *ParseIso8601(iso); }

TEST(KeyNamesTest, AwsExampleLayout) {
  // aws-compat.md §4.1 example.
  EXPECT_EQ(LogFileKey("", "", "111122223333", "us-east-2", At("2015-08-01T02:10:59Z"),
                       "Mu0KsOhtH1ar15ZZ"),
            "AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/01/"
            "111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz");
}

TEST(KeyNamesTest, OrgTrailWithPrefix) {
  EXPECT_EQ(LogFileKey("audit/logs", "o-abcdefghij", "444455556666", "eu-west-1",
                       At("2026-01-09T23:05:00Z"), "ABCDEFGHabcdefgh"),
            "audit/logs/AWSLogs/o-abcdefghij/444455556666/CloudTrail/eu-west-1/2026/01/09/"
            "444455556666_CloudTrail_eu-west-1_20260109T2305Z_ABCDEFGHabcdefgh.json.gz");
  EXPECT_EQ(LogFileFolder("p", "o-abcdefghij", "444455556666", "eu-west-1"),
            "p/AWSLogs/o-abcdefghij/444455556666/CloudTrail/eu-west-1/");
}

TEST(KeyNamesTest, RoundTrip) {
  struct Case {
    std::string prefix, org;
  } cases[] = {{"", ""}, {"p", ""}, {"", "o-abcdefghij"}, {"a/b/c", "o-0123456789"}};
  for (const Case& c : cases) {
    std::string unique = NewLogFileUnique();
    TimePoint t = At("2026-11-26T15:01:31Z");
    std::string key = LogFileKey(c.prefix, c.org, "111122223333", "ap-southeast-2", t, unique);
    auto parts = ParseLogFileKey(key);
    ASSERT_TRUE(parts.has_value()) << key;
    EXPECT_EQ(parts->prefix, c.prefix);
    EXPECT_EQ(parts->org_id, c.org);
    EXPECT_EQ(parts->account_id, "111122223333");
    EXPECT_EQ(parts->region, "ap-southeast-2");
    EXPECT_EQ(parts->unique, unique);
    EXPECT_EQ(parts->delivery_time, At("2026-11-26T15:01:00Z"));  // minute precision
    EXPECT_EQ(LogFileKey(*parts), key);
  }
}

TEST(KeyNamesTest, UniqueIsSixteenAlphanumerics) {
  std::string u = NewLogFileUnique();
  ASSERT_EQ(u.size(), 16u);
  for (char c : u) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << u;
  EXPECT_NE(NewLogFileUnique(), u);
}

TEST(KeyNamesTest, RejectsOtherKeys) {
  const char* bad[] = {
      "",
      "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/01/"
      "111122223333_CloudTrail-Digest_us-east-2_t_us-east-2_20150801T021000Z.json.gz",
      // date folders disagree with the name
      "AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/02/"
      "111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz",
      // account of the folder differs from the name's
      "AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/01/"
      "999922223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz",
      // unique too short
      "AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/01/"
      "111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOh.json.gz",
      // not gzip
      "AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/01/"
      "111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json",
      // invalid date
      "AWSLogs/111122223333/CloudTrail/us-east-2/2015/02/30/"
      "111122223333_CloudTrail_us-east-2_20150230T0210Z_Mu0KsOhtH1ar15ZZ.json.gz",
      // hour 24
      "AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/01/"
      "111122223333_CloudTrail_us-east-2_20150801T2410Z_Mu0KsOhtH1ar15ZZ.json.gz",
      // bad account
      "AWSLogs/11112222333/CloudTrail/us-east-2/2015/08/01/"
      "11112222333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz",
      // empty prefix segment
      "/AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/01/"
      "111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz",
      // something between AWSLogs and the account that is not an org id
      "AWSLogs/x/111122223333/CloudTrail/us-east-2/2015/08/01/"
      "111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz",
  };
  for (const char* key : bad) EXPECT_FALSE(ParseLogFileKey(key).has_value()) << key;
}

}  // namespace
}  // namespace orgtrail::delivery
