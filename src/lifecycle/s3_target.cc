#include "lifecycle/s3_target.h"

namespace orgtrail::lifecycle {

Result<std::vector<LifecycleBucket>> S3LifecycleTarget::ListLifecycleBuckets() {
  OT_ASSIGN_OR_RETURN(auto configs, s3_.LifecycleConfigurations());
  std::vector<LifecycleBucket> out;
  out.reserve(configs.size());
  for (auto& [info, doc] : configs) out.push_back({info.name, info.versioning, std::move(doc)});
  return out;
}

Status S3LifecycleTarget::ExpireCurrent(const std::string& bucket, const std::string& key,
                                        std::string* marker_version) {
  return s3_.ExpireCurrentVersion(bucket, key, marker_version);
}

// Object Lock retention wins over expiry: a locked version stays until its
// retention ends and its legal hold is off.
bool S3LifecycleTarget::RetentionBlocksExpiry(const std::string& bucket,
                                              const objstore::ObjectInfo& v) {
  return s3_.LockBlocksLifecycleRemoval(bucket, v);
}

}  // namespace orgtrail::lifecycle
