#include "base/time.h"

#include <gtest/gtest.h>

#include <ctime>
#include <vector>

namespace orgtrail {
namespace {

TEST(TimeTest, FormatsMatchAwsShapes) {
  TimePoint t = FromUnixSeconds(1795705291);  // 2026-11-26T15:01:31Z
  EXPECT_EQ(FormatIso8601(t), "2026-11-26T15:01:31Z");
  EXPECT_EQ(FormatIso8601Millis(t), "2026-11-26T15:01:31.000Z");
  EXPECT_EQ(FormatAmzDate(t), "20261126T150131Z");
  EXPECT_EQ(FormatRfc1123(t), "Thu, 26 Nov 2026 15:01:31 GMT");
}

// FormatIso8601 computes its digits by hand; gmtime_r + strftime (what it
// replaced) is the reference over TimePoint's whole range: its ends, both
// sides of the epoch (seconds truncated toward zero, as to_time_t does),
// leap days and century years, and random points.
TEST(TimeTest, FormatIso8601MatchesStrftime) {
  auto reference = [](TimePoint t) {
    std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[64];
    return std::string(buf, std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm));
  };
  using std::chrono::nanoseconds;
  std::vector<TimePoint> points = {TimePoint::min(), TimePoint::max(), TimePoint()};
  for (int64_t ns : {int64_t{-1}, int64_t{1}, int64_t{-999'999'999}, int64_t{-1'000'000'000},
                     int64_t{-1'000'000'001}, int64_t{86'399'999'999'999}})
    points.push_back(TimePoint(nanoseconds(ns)));
  for (const char* day : {"2000-02-29T23:59:59Z", "2000-03-01T00:00:00Z", "2100-02-28T12:00:00Z",
                          "2100-03-01T00:00:00Z", "1970-01-01T00:00:00Z", "2024-12-31T23:59:59Z",
                          "2261-12-31T23:59:59Z"})
    points.push_back(*ParseIso8601(day));
  uint64_t x = 0x9E3779B97F4A7C15ULL;
  for (int i = 0; i < 200000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    points.push_back(TimePoint(nanoseconds(static_cast<int64_t>(x))));
  }
  for (TimePoint t : points)
    ASSERT_EQ(FormatIso8601(t), reference(t)) << t.time_since_epoch().count();
}

TEST(TimeTest, ParsersRoundTripAndReject) {
  TimePoint t = FromUnixSeconds(1795705291);
  EXPECT_EQ(ParseAmzDate("20261126T150131Z").value(), t);
  EXPECT_EQ(ParseIso8601("2026-11-26T15:01:31Z").value(), t);
  EXPECT_EQ(ParseIso8601("2026-11-26T16:01:31+01:00").value(), t);
  EXPECT_EQ(ParseRfc1123("Thu, 26 Nov 2026 15:01:31 GMT").value(), t);
  EXPECT_FALSE(ParseAmzDate("20261126T150131").has_value());
  EXPECT_FALSE(ParseAmzDate("20261326T150131Z").has_value());
  EXPECT_FALSE(ParseIso8601("2026-11-26T15:01").has_value());
  EXPECT_FALSE(ParseIso8601("garbage").has_value());
  // Beyond TimePoint's range (April 2262): refused, not overflowed.
  EXPECT_TRUE(ParseAmzDate("22611231T235959Z").has_value());
  EXPECT_FALSE(ParseAmzDate("26261126T163453Z").has_value());
  EXPECT_FALSE(ParseIso8601("9999-12-31T23:59:59Z").has_value());
}

TEST(TimeTest, Durations) {
  EXPECT_EQ(ParseDuration("500ms").value(), std::chrono::milliseconds(500));
  EXPECT_EQ(ParseDuration("2s").value(), std::chrono::seconds(2));
  EXPECT_EQ(ParseDuration("5m").value(), std::chrono::minutes(5));
  EXPECT_EQ(ParseDuration("1h").value(), std::chrono::hours(1));
  EXPECT_FALSE(ParseDuration("5").has_value());
  EXPECT_FALSE(ParseDuration("m").has_value());
  EXPECT_FALSE(ParseDuration("3w").has_value());
}

TEST(TimeTest, SimulatedClockMovesOnlyWhenAdvanced) {
  SimulatedClock c(FromUnixSeconds(100));
  EXPECT_EQ(ToUnixSeconds(c.Now()), 100);
  c.Advance(std::chrono::hours(24));
  EXPECT_EQ(ToUnixSeconds(c.Now()), 100 + 86400);
}

}  // namespace
}  // namespace orgtrail
