// The records of calls the trail service makes on its own behalf, as AWS
// writes them: when CloudTrail delivers a log file it calls KMS
// GenerateDataKey on the trail's key (a management event in the key owner's
// account) and S3 PutObject into the bucket (a data event in the bucket
// owner's account, delivered only to trails that select S3 data events).
// Both show userIdentity {type: AWSService, invokedBy: cloudtrail.amazonaws.com}
// and the service as source address and user agent.
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "base/time.h"
#include "delivery/trail_view.h"
#include "ingest/record_builder.h"

namespace orgtrail::server {

// The GenerateDataKey call that encrypted the log file `object_key` of
// `trail` (which has a KMS key). Recorded in the key's account and region.
ingest::ApiCall TrailKeyUseCall(const delivery::TrailTarget& trail, const std::string& object_key,
                                TimePoint when);

// The PutObject of `object_key` into the trail's bucket, owned by
// `bucket_owner` in `bucket_region`.
ingest::ApiCall TrailPutObjectCall(const delivery::TrailTarget& trail, const std::string& object_key,
                                   const std::string& bucket_owner,
                                   const std::string& bucket_region, TimePoint when);

// Both records for one delivered object (the key use only when the trail
// has a KMS key).
std::vector<ingest::Event> TrailDeliveryEvents(const delivery::TrailTarget& trail,
                                               const std::string& object_key,
                                               const std::string& bucket_owner,
                                               const std::string& bucket_region, TimePoint when);

}  // namespace orgtrail::server
