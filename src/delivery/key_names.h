// Key names: the ONE place where the object keys of log files are built and
// parsed (like leveldb's filename.h), so writers, validators and readers
// agree byte for byte. Layout (aws-compat.md §4.1):
//   [<prefix>/]AWSLogs/[<o-id>/]<acct>/CloudTrail/<region>/YYYY/MM/DD/
//       <acct>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz
// Digest keys (CloudTrail-Digest/) will be added here beside them.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/time.h"

namespace orgtrail::delivery {

inline constexpr size_t kLogFileUniqueLength = 16;

struct LogFileKeyParts {
  std::string prefix;  // S3KeyPrefix without surrounding '/'; empty if none
  std::string org_id;  // o-xxxxxxxxxx for organization trails; else empty
  std::string account_id;
  std::string region;
  TimePoint delivery_time{};  // minute precision
  std::string unique;         // 16 characters of [A-Za-z0-9]
};

// Builds the key. `prefix` is used verbatim (the trail service strips or
// rejects leading/trailing '/'); an empty prefix or org id is omitted.
// `delivery_time` is truncated to the minute (UTC).
std::string LogFileKey(std::string_view prefix, std::string_view org_id,
                       std::string_view account_id, std::string_view region,
                       TimePoint delivery_time, std::string_view unique);
std::string LogFileKey(const LogFileKeyParts& parts);

// The folder a trail's files for one account and region live under
// (`[<prefix>/]AWSLogs/[<o-id>/]<acct>/CloudTrail/<region>/`), for listings.
std::string LogFileFolder(std::string_view prefix, std::string_view org_id,
                          std::string_view account_id, std::string_view region);

// Parses a key built by LogFileKey; nullopt if it is not a log file key
// (digests, other objects, inconsistent dates or names).
std::optional<LogFileKeyParts> ParseLogFileKey(std::string_view key);

// 16 random characters of [A-Za-z0-9] for the <unique> part.
std::string NewLogFileUnique();

}  // namespace orgtrail::delivery
