// IntegrityHooks: how the CloudTrail control plane tells log-file integrity
// (digest chains, signing keys; implemented by server/digest_plumbing) about
// trail lifecycle changes, and how it answers ListPublicKeys. The service
// calls these after its own change is committed and *without* holding its
// mutex, so implementations may call back into the service (e.g. to report a
// digest delivery). A hook's failure never fails the API call that caused it.
// Implementations must be thread-safe (HTTP threads call them concurrently).
#pragma once

#include <optional>
#include <string>

#include "base/json.h"
#include "base/status.h"
#include "base/time.h"

namespace orgtrail::cloudtrail {

struct TrailRecord;

class IntegrityHooks {
 public:
  virtual ~IntegrityHooks() = default;
  // StartLogging turned logging on for a trail with validation enabled, or
  // UpdateTrail enabled validation on a logging trail.
  virtual void LoggingStarted(const std::string& trail_arn) = 0;
  // StopLogging on a logging trail, or DeleteTrail: final digests now.
  virtual void LoggingStopped(const std::string& trail_arn) = 0;
  // UpdateTrail turned EnableLogFileValidation off.
  virtual void ValidationDisabled(const std::string& trail_arn) = 0;
  // The ListPublicKeys response for the caller's region.
  virtual Result<OrderedJson> ListPublicKeys(const std::string& region,
                                             std::optional<TimePoint> start,
                                             std::optional<TimePoint> end) = 0;
};

}  // namespace orgtrail::cloudtrail
