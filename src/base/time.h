// Time: the Clock interface every module takes time from, and the time
// formats AWS uses on the wire. A SimulatedClock lets tests and the
// --simulated-clock mode move time forward instead of sleeping.
// Clock implementations are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace orgtrail {

using TimePoint = std::chrono::system_clock::time_point;
using Duration = std::chrono::nanoseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class RealClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
  static RealClock* Default();
};

// Starts at `start` and moves only when Advance() is called.
class SimulatedClock final : public Clock {
 public:
  explicit SimulatedClock(TimePoint start)
      : ns_(std::chrono::duration_cast<std::chrono::nanoseconds>(start.time_since_epoch()).count()) {}
  TimePoint Now() const override {
    return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::nanoseconds(ns_.load())));
  }
  void Advance(Duration d) { ns_ += d.count(); }

 private:
  std::atomic<int64_t> ns_;
};

int64_t ToUnixSeconds(TimePoint t);
double ToUnixSecondsFractional(TimePoint t);
TimePoint FromUnixSeconds(double seconds);

// 2026-11-26T15:01:31Z (CloudTrail eventTime, Query timestamps).
std::string FormatIso8601(TimePoint t);
// 2026-11-26T15:01:31.000Z (S3 listings).
std::string FormatIso8601Millis(TimePoint t);
// 20261126T150131Z (X-Amz-Date, digest names).
std::string FormatAmzDate(TimePoint t);
// Thu, 26 Nov 2026 15:01:31 GMT (Last-Modified, Date).
std::string FormatRfc1123(TimePoint t);

// Parses 20261126T150131Z.
std::optional<TimePoint> ParseAmzDate(std::string_view s);
// Parses ISO-8601 with optional fraction and Z or +hh:mm offset.
std::optional<TimePoint> ParseIso8601(std::string_view s);
// Parses "Thu, 26 Nov 2026 15:01:31 GMT".
std::optional<TimePoint> ParseRfc1123(std::string_view s);

// Parses a flag duration: "500ms", "2s", "5m", "1h", "30d".
std::optional<Duration> ParseDuration(std::string_view s);

}  // namespace orgtrail
