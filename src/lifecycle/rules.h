// Lifecycle rule evaluation: pure functions over a bucket's parsed
// LifecycleConfiguration (s3/lifecycle_config.h) that decide which rules
// apply to an object version and which action, if any, is due at a given
// time, following S3's documented semantics:
//  - Days are counted from the object's creation (noncurrent days from when
//    the version became noncurrent) and the result is rounded up to the
//    next midnight UTC: created 2014-01-15T10:30Z + 3 days -> due
//    2014-01-19T00:00Z. Date actions fall due at midnight UTC of the date.
//  - Filters: prefix, tags (all must match), ObjectSizeGreaterThan /
//    ObjectSizeLessThan (strict), and their `And`; disabled rules never apply.
//  - Overlapping rules: expiration (permanent delete or delete marker) wins
//    over transition; among transitions the colder (cheaper) class wins; a
//    transition never moves an object to a warmer class or its own class.
// Called by LifecycleWorker; thread-safe (no state).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "base/time.h"
#include "s3/lifecycle_config.h"

namespace orgtrail::lifecycle {

// What the rules see of one object version.
struct VersionFacts {
  std::string key;
  int64_t size = 0;
  std::map<std::string, std::string> tags;
  TimePoint created{};                 // Last-Modified of this version
  std::string storage_class = "STANDARD";
  bool delete_marker = false;
  bool is_latest = true;
  // Noncurrent versions only: when the next newer version was created, and
  // how many noncurrent (non-marker) versions are newer than this one.
  TimePoint noncurrent_since{};
  int64_t newer_noncurrent_versions = 0;
  // Delete markers only: true when the marker is the key's only version.
  bool sole_version = false;
};

enum class ActionKind {
  kNone,
  kTransition,            // current version -> storage_class
  kExpireCurrent,         // versioned: add a delete marker; else delete
  kTransitionNoncurrent,  // noncurrent version -> storage_class
  kExpireNoncurrent,      // permanently delete the noncurrent version
  kRemoveDeleteMarker,    // expired object delete marker
};

struct Decision {
  ActionKind action = ActionKind::kNone;
  std::string storage_class;  // transitions
  std::string rule_id;        // the rule that chose the action
  // The earliest time after `now` at which some matching rule's action
  // becomes due for this version as it is now (nullopt: never).
  std::optional<TimePoint> next_due;
};

// Midnight UTC at or before `t`.
TimePoint FloorToDay(TimePoint t);
// S3's due time for "`days` days after `t`": t + days, rounded up to the
// next midnight UTC (a result exactly at midnight stays there).
TimePoint DueAfterDays(TimePoint t, int64_t days);
// Rank of a storage class from warmest (STANDARD = 0) to coldest
// (DEEP_ARCHIVE); unknown classes rank as STANDARD.
int StorageClassRank(const std::string& storage_class);

// Parses x-amz-tagging / stored "k=v&k2=v2" (URL-encoded); malformed
// input gives no tags.
std::map<std::string, std::string> ParseTagSet(const std::string& encoded);

// True when `rule` is enabled and its filter matches the version.
bool RuleMatches(const s3::LifecycleRule& rule, const VersionFacts& v);

// The action due at `now` for `v` under `cfg`, resolving overlaps, plus the
// next due time of whatever is not due yet.
Decision Evaluate(const s3::LifecycleConfiguration& cfg, const VersionFacts& v, TimePoint now);

// The S3 server-access-log operation name AWS uses for an action (e.g.
// S3.TRANSITION_GLACIER.OBJECT, S3.EXPIRE.OBJECT, S3.CREATE.DELETEMARKER).
std::string AccessLogOperation(ActionKind action, const std::string& storage_class,
                               bool versioned);

}  // namespace orgtrail::lifecycle
