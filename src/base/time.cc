#include "base/time.h"

#include <cstdio>
#include <cstring>
#include <ctime>

namespace orgtrail {
namespace {
std::tm ToTm(TimePoint t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return tm;
}

std::string Format(TimePoint t, const char* fmt) {
  std::tm tm = ToTm(t);
  char buf[64];
  size_t n = std::strftime(buf, sizeof(buf), fmt, &tm);
  return std::string(buf, n);
}

std::optional<TimePoint> FromFields(int y, int mo, int d, int h, int mi, int s) {
  // TimePoint counts nanoseconds in 64 bits: it ends in April 2262, so later
  // years (X-Amz-Date 26261126T..., found by sigv4_fuzz) would overflow.
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 ||
      s > 60 || y < 1970 || y > 2261)
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  std::time_t tt = timegm(&tm);
  if (tt == static_cast<std::time_t>(-1)) return std::nullopt;
  return std::chrono::system_clock::from_time_t(tt);
}

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}
}  // namespace

RealClock* RealClock::Default() {
  static RealClock clock;
  return &clock;
}

int64_t ToUnixSeconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
double ToUnixSecondsFractional(TimePoint t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}
TimePoint FromUnixSeconds(double seconds) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(
      std::chrono::duration<double>(seconds)));
}

std::string FormatIso8601(TimePoint t) {
  // By hand rather than gmtime_r + strftime (twice per PutAuditEvents event):
  // the same digits, from the days-to-civil-date arithmetic. Seconds are
  // truncated toward zero, as to_time_t does. TimePoint's 64-bit nanoseconds
  // only reach years 1677-2262, so every year has four digits; anything else
  // is left to strftime.
  const int64_t secs =
      std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  int64_t days = secs / 86400, rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  // Civil date of `days` since 1970-01-01 (proleptic Gregorian; eras of 400
  // years start on March 1st so that the leap day ends each one).
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;  // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);  // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;  // [0, 11]
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;  // [1, 31]
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;  // [1, 12]
  const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  if (y < 0 || y > 9999) return Format(t, "%Y-%m-%dT%H:%M:%SZ");
  char buf[20];
  auto two = [&](size_t at, int64_t v) {
    buf[at] = static_cast<char>('0' + v / 10);
    buf[at + 1] = static_cast<char>('0' + v % 10);
  };
  two(0, y / 100);
  two(2, y % 100);
  buf[4] = '-';
  two(5, m);
  buf[7] = '-';
  two(8, d);
  buf[10] = 'T';
  two(11, rem / 3600);
  buf[13] = ':';
  two(14, rem / 60 % 60);
  buf[16] = ':';
  two(17, rem % 60);
  buf[19] = 'Z';
  return std::string(buf, 20);
}
std::string FormatIso8601Millis(TimePoint t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  char buf[8];
  std::snprintf(buf, sizeof(buf), ".%03d", static_cast<int>(ms < 0 ? 0 : ms));
  return Format(t, "%Y-%m-%dT%H:%M:%S") + buf + "Z";
}
std::string FormatAmzDate(TimePoint t) { return Format(t, "%Y%m%dT%H%M%SZ"); }
std::string FormatRfc1123(TimePoint t) { return Format(t, "%a, %d %b %Y %H:%M:%S GMT"); }

std::optional<TimePoint> ParseAmzDate(std::string_view s) {
  int y, mo, d, h, mi, se;
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  if (!Digits(s, 0, 4, &y) || !Digits(s, 4, 2, &mo) || !Digits(s, 6, 2, &d) ||
      !Digits(s, 9, 2, &h) || !Digits(s, 11, 2, &mi) || !Digits(s, 13, 2, &se))
    return std::nullopt;
  return FromFields(y, mo, d, h, mi, se);
}

std::optional<TimePoint> ParseIso8601(std::string_view s) {
  int y, mo, d, h = 0, mi = 0, se = 0;
  if (!Digits(s, 0, 4, &y) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, &mo) ||
      s[7] != '-' || !Digits(s, 8, 2, &d))
    return std::nullopt;
  size_t pos = 10;
  double frac = 0;
  int offset_s = 0;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return std::nullopt;
    if (!Digits(s, pos + 1, 2, &h) || s.size() < pos + 9 || s[pos + 3] != ':' ||
        !Digits(s, pos + 4, 2, &mi) || s[pos + 6] != ':' || !Digits(s, pos + 7, 2, &se))
      return std::nullopt;
    pos += 9;
    if (pos < s.size() && s[pos] == '.') {
      double scale = 0.1;
      ++pos;
      size_t start = pos;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        frac += (s[pos] - '0') * scale;
        scale /= 10;
        ++pos;
      }
      if (pos == start) return std::nullopt;
    }
    if (pos < s.size()) {
      if ((s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) {
        ++pos;
      } else if ((s[pos] == '+' || s[pos] == '-') && s.size() == pos + 6 && s[pos + 3] == ':') {
        int oh, om;
        if (!Digits(s, pos + 1, 2, &oh) || !Digits(s, pos + 4, 2, &om)) return std::nullopt;
        offset_s = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
        pos += 6;
      } else {
        return std::nullopt;
      }
    }
  }
  if (pos != s.size()) return std::nullopt;
  auto base = FromFields(y, mo, d, h, mi, se);
  if (!base) return std::nullopt;
  return *base - std::chrono::seconds(offset_s) +
         std::chrono::duration_cast<TimePoint::duration>(std::chrono::duration<double>(frac));
}

std::optional<TimePoint> ParseRfc1123(std::string_view s) {
  std::tm tm{};
  std::string str(s);
  const char* end = strptime(str.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  return FromFields(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                    tm.tm_sec);
}

std::optional<Duration> ParseDuration(std::string_view s) {
  size_t i = 0;
  uint64_t v = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    v = v * 10 + (s[i] - '0');
    if (v > 1'000'000'000ULL) return std::nullopt;
    ++i;
  }
  if (i == 0) return std::nullopt;
  std::string_view unit = s.substr(i);
  using namespace std::chrono;
  if (unit == "ms") return duration_cast<Duration>(milliseconds(v));
  if (unit == "s") return duration_cast<Duration>(seconds(v));
  if (unit == "m") return duration_cast<Duration>(minutes(v));
  if (unit == "h") return duration_cast<Duration>(hours(v));
  if (unit == "d") return duration_cast<Duration>(hours(24 * v));
  return std::nullopt;
}

}  // namespace orgtrail
