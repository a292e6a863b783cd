// The clock of `orgtraild --simulated-clock` and the route that moves it.
//
//   AdvanceableClock          real time plus an offset that only grows: it
//                             starts at real now, keeps ticking (so delivery
//                             intervals, event times and restores still pass
//                             on their own) and jumps forward on Advance().
//   MakeClockAdvanceHandler   POST /_orgtrail/clock/advance?days=N|seconds=N:
//                             advances the clock, runs the callback (the
//                             server runs the lifecycle worker there, so a
//                             test sees the rules applied when the call
//                             returns) and answers the new time as JSON.
//
// Everything that ages data (services, delivery, lifecycle, restores) reads
// this clock; SigV4 skew keeps using the real clock, so stock clients work.
// Owned by server::Server (only under --simulated-clock); both are
// thread-safe (the handler serialises advances).
#pragma once

#include <atomic>
#include <functional>

#include "api/http_types.h"
#include "base/json.h"
#include "base/status.h"
#include "base/time.h"

namespace orgtrail::server {

class AdvanceableClock final : public Clock {
 public:
  // `base` (real time by default) must outlive the clock.
  explicit AdvanceableClock(const Clock& base = *RealClock::Default()) : base_(base) {}
  TimePoint Now() const override { return base_.Now() + offset(); }
  // Moves the clock forward by `d`; negative durations are ignored.
  void Advance(Duration d) {
    if (d.count() > 0) offset_ns_ += d.count();
  }
  Duration offset() const { return Duration(offset_ns_.load()); }

 private:
  const Clock& base_;
  std::atomic<int64_t> offset_ns_{0};
};

// Longest single advance accepted (days=36500, about 100 years).
inline constexpr int64_t kMaxAdvanceSeconds = 36500LL * 86400;

// Parses the query of an advance request: exactly one of days=N or
// seconds=N, N a non-negative integer up to kMaxAdvanceSeconds in total.
// InvalidParameterValue otherwise.
Result<Duration> ParseAdvanceQuery(std::string_view query);

// Called after each advance with the new time; returns extra JSON fields for
// the answer (e.g. {"lifecycle": {...}}), or null.
using AfterAdvance = std::function<Json(TimePoint now)>;

// The handler of /_orgtrail/clock/advance. Answers 405 for methods other
// than POST, 400 {"__type":"InvalidParameterValue",...} for a bad query,
// else 200 {"now": ISO-8601, "unixSeconds": n, "offsetSeconds": n, ...}.
// `clock` must outlive the handler.
api::HttpHandler MakeClockAdvanceHandler(AdvanceableClock& clock, AfterAdvance after);

}  // namespace orgtrail::server
