// TrailView: what delivery needs to know about trails, and the interface
// through which it asks and reports. The CloudTrail service (cloudtrail/)
// implements TrailDirectory over its catalog; tests use fakes. Delivery
// never depends on cloudtrail/, org/ or s3/ directly.
// TrailTarget is a value type. TrailDirectory implementations must be
// thread-safe: the delivery worker calls them from its own thread.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "delivery/event_filter.h"

namespace orgtrail::delivery {

struct TrailTarget {
  std::string trail_arn;      // arn:aws:cloudtrail:<home>:<owner>:trail/<name>
  std::string name;
  std::string home_region;
  std::string owner_account;  // the management account for org trails
  std::string org_id;         // o-... for organization trails; else empty
  std::string bucket;
  std::string s3_key_prefix;  // without leading/trailing '/'; may be empty
  std::string kms_key_arn;    // empty: SSE-S3
  bool is_org = false;
  bool multi_region = false;
  bool include_global_events = true;
  bool logging = false;
  bool log_file_validation = false;  // digests are written for its log files
  EventFilter filter;
};

class TrailDirectory {
 public:
  virtual ~TrailDirectory() = default;
  // Snapshot of the trails that are logging now (every region's view).
  virtual std::vector<TrailTarget> LoggingTrails() = 0;
  // Whether `account` (the management account included) belonged to
  // organization `org_id` at time `at`.
  virtual bool IsOrgMember(const std::string& org_id, const std::string& account,
                           TimePoint at) = 0;
  // Called after every delivery attempt (GetTrailStatus LatestDelivery*).
  virtual void ReportDelivery(const std::string& trail_arn, TimePoint attempt,
                              const Status& result, const std::string& object_key) = 0;
};

}  // namespace orgtrail::delivery
