// LogWriter: where the Deliverer writes finished log files. The lead
// implements it over the S3 service, writing as the cloudtrail.amazonaws.com
// service principal with SSE-KMS (the trail's key, encryption context
// aws:cloudtrail:arn), authorized against the bucket and key policies.
// Thread-safe implementations required.
#pragma once

#include <string>

#include "base/status.h"
#include "delivery/trail_view.h"

namespace orgtrail::delivery {

class LogWriter {
 public:
  virtual ~LogWriter() = default;
  // Stores `gzip_bytes` under `key` in trail.bucket. Must be idempotent: the
  // Deliverer retries a failed write with the same key and the same bytes.
  // A failure Status (AccessDenied, NoSuchBucket, KMS errors...) is reported
  // to the trail and the write is retried later.
  virtual Status PutLogObject(const TrailTarget& trail, const std::string& key,
                              std::string gzip_bytes) = 0;
};

}  // namespace orgtrail::delivery
