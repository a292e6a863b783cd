#include "delivery/key_names.h"

#include <cctype>
#include <chrono>
#include <ctime>
#include <vector>

#include "base/ids.h"
#include "base/strings.h"

namespace orgtrail::delivery {
namespace {

constexpr std::string_view kAlnum =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

struct Civil {
  int year, month, day, hour, minute;
};

Civil ToCivil(TimePoint t) {
  using namespace std::chrono;
  auto secs = floor<seconds>(t);
  auto days = floor<std::chrono::days>(secs);
  year_month_day ymd{days};
  auto tod = secs - days;
  return Civil{int(ymd.year()), int(unsigned(ymd.month())), int(unsigned(ymd.day())),
               int(duration_cast<hours>(tod).count()),
               int(duration_cast<minutes>(tod).count() % 60)};
}

std::string Pad(int v, int width) {
  std::string s = std::to_string(v);
  while (static_cast<int>(s.size()) < width) s.insert(s.begin(), '0');
  return s;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool IsAccountId(std::string_view s) { return s.size() == 12 && AllDigits(s); }

bool IsOrgId(std::string_view s) {
  if (s.size() < 12 || s.size() > 34 || s.substr(0, 2) != "o-") return false;
  for (char c : s.substr(2)) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)))) {
      return false;
    }
  }
  return true;
}

bool IsRegion(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  for (char c : s) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
          c == '-')) {
      return false;
    }
  }
  return true;
}

bool IsUnique(std::string_view s) {
  if (s.size() != kLogFileUniqueLength) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::optional<int> ParseInt(std::string_view s, size_t width) {
  if (s.size() != width || !AllDigits(s)) return std::nullopt;
  return std::stoi(std::string(s));
}

}  // namespace

std::string LogFileFolder(std::string_view prefix, std::string_view org_id,
                          std::string_view account_id, std::string_view region) {
  std::string key;
  if (!prefix.empty()) {
    key.append(prefix);
    key.push_back('/');
  }
  key.append("AWSLogs/");
  if (!org_id.empty()) {
    key.append(org_id);
    key.push_back('/');
  }
  key.append(account_id);
  key.append("/CloudTrail/");
  key.append(region);
  key.push_back('/');
  return key;
}

std::string LogFileKey(std::string_view prefix, std::string_view org_id,
                       std::string_view account_id, std::string_view region,
                       TimePoint delivery_time, std::string_view unique) {
  Civil c = ToCivil(delivery_time);
  std::string key = LogFileFolder(prefix, org_id, account_id, region);
  key += Pad(c.year, 4) + "/" + Pad(c.month, 2) + "/" + Pad(c.day, 2) + "/";
  key.append(account_id);
  key.append("_CloudTrail_");
  key.append(region);
  // Appended piece by piece: GCC 12 at -O3 misreports a chain of temporary
  // concatenations starting with a literal as overlapping (-Wrestrict).
  key.append("_");
  key.append(Pad(c.year, 4));
  key.append(Pad(c.month, 2));
  key.append(Pad(c.day, 2));
  key.append("T");
  key.append(Pad(c.hour, 2));
  key.append(Pad(c.minute, 2));
  key.append("Z_");
  key.append(unique);
  key.append(".json.gz");
  return key;
}

std::string LogFileKey(const LogFileKeyParts& p) {
  return LogFileKey(p.prefix, p.org_id, p.account_id, p.region, p.delivery_time, p.unique);
}

std::optional<LogFileKeyParts> ParseLogFileKey(std::string_view key) {
  std::vector<std::string> seg = Split(key, '/');
  // AWSLogs, acct, CloudTrail, region, YYYY, MM, DD, name (+ o-id, prefix).
  if (seg.size() < 8) return std::nullopt;
  size_t n = seg.size();
  const std::string& name = seg[n - 1];
  auto day = ParseInt(seg[n - 2], 2);
  auto month = ParseInt(seg[n - 3], 2);
  auto year = ParseInt(seg[n - 4], 4);
  LogFileKeyParts parts;
  parts.region = seg[n - 5];
  if (seg[n - 6] != "CloudTrail") return std::nullopt;
  parts.account_id = seg[n - 7];
  if (!day || !month || !year || !IsRegion(parts.region) || !IsAccountId(parts.account_id)) {
    return std::nullopt;
  }
  size_t awslogs = n - 8;
  if (seg[awslogs] != "AWSLogs") {
    if (awslogs == 0 || !IsOrgId(seg[awslogs]) || seg[awslogs - 1] != "AWSLogs") return std::nullopt;
    parts.org_id = seg[awslogs];
    --awslogs;
  }
  for (size_t i = 0; i < awslogs; ++i) {
    if (i > 0) parts.prefix.push_back('/');
    parts.prefix += seg[i];
  }
  if (awslogs > 0 && parts.prefix.empty()) return std::nullopt;  // "/AWSLogs/..."

  // <acct>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz
  std::string expect_head = parts.account_id + "_CloudTrail_" + parts.region + "_";
  constexpr std::string_view kSuffix = ".json.gz";
  if (!StartsWith(name, expect_head) || !EndsWith(name, kSuffix)) return std::nullopt;
  std::string_view rest(name);
  rest.remove_prefix(expect_head.size());
  rest.remove_suffix(kSuffix.size());
  // YYYYMMDDTHHmmZ_ + 16
  if (rest.size() != 14 + 1 + kLogFileUniqueLength || rest[8] != 'T' || rest[13] != 'Z' ||
      rest[14] != '_') {
    return std::nullopt;
  }
  auto fy = ParseInt(rest.substr(0, 4), 4);
  auto fm = ParseInt(rest.substr(4, 2), 2);
  auto fd = ParseInt(rest.substr(6, 2), 2);
  auto hh = ParseInt(rest.substr(9, 2), 2);
  auto mm = ParseInt(rest.substr(11, 2), 2);
  if (!fy || !fm || !fd || !hh || !mm || *fy != *year || *fm != *month || *fd != *day ||
      *hh > 23 || *mm > 59) {
    return std::nullopt;
  }
  std::chrono::year_month_day ymd{std::chrono::year(*year), std::chrono::month(*month),
                                  std::chrono::day(*day)};
  if (!ymd.ok()) return std::nullopt;
  parts.unique = std::string(rest.substr(15));
  if (!IsUnique(parts.unique)) return std::nullopt;
  parts.delivery_time = TimePoint(std::chrono::sys_days(ymd)) + std::chrono::hours(*hh) +
                        std::chrono::minutes(*mm);
  return parts;
}

std::string NewLogFileUnique() { return RandomString(kLogFileUniqueLength, kAlnum); }

}  // namespace orgtrail::delivery
