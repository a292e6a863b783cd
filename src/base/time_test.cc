#include "base/time.h"

#include <gtest/gtest.h>

namespace orgtrail {
namespace {

TEST(TimeTest, FormatsMatchAwsShapes) {
  TimePoint t = FromUnixSeconds(1795705291);  // 2026-11-26T15:01:31Z
  EXPECT_EQ(FormatIso8601(t), "2026-11-26T15:01:31Z");
  EXPECT_EQ(FormatIso8601Millis(t), "2026-11-26T15:01:31.000Z");
  EXPECT_EQ(FormatAmzDate(t), "20261126T150131Z");
  EXPECT_EQ(FormatRfc1123(t), "Thu, 26 Nov 2026 15:01:31 GMT");
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
