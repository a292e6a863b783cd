// S3LifecycleTarget: the LifecycleTarget the server gives LifecycleWorker,
// backed by S3Service (bucket configurations from its catalog, current
// version expiry through its DeleteObject logic). Thread-safe as S3Service.
#pragma once

#include "lifecycle/worker.h"
#include "s3/s3_service.h"

namespace orgtrail::lifecycle {

class S3LifecycleTarget : public LifecycleTarget {
 public:
  // `s3` must outlive the target.
  explicit S3LifecycleTarget(s3::S3Service& s3) : s3_(s3) {}

  Result<std::vector<LifecycleBucket>> ListLifecycleBuckets() override;
  Status ExpireCurrent(const std::string& bucket, const std::string& key,
                       std::string* marker_version) override;
  bool RetentionBlocksExpiry(const std::string& bucket, const objstore::ObjectInfo& v) override;

 private:
  s3::S3Service& s3_;
};

}  // namespace orgtrail::lifecycle
