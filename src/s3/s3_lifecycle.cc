// S3Service support for the lifecycle worker (lifecycle/): the buckets that
// have rules, and expiry of a current version as S3 performs it.
#include "s3/s3_service.h"

namespace orgtrail::s3 {

Result<std::vector<std::pair<BucketInfo, std::string>>> S3Service::LifecycleConfigurations() {
  // Bound as a parameter: the catalog binds strings the same way on write.
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT bucket FROM s3_bucket_config"
                                           " WHERE what=?1 ORDER BY bucket",
                                           {catalog::Value(std::string("lifecycle"))}));
  std::vector<std::pair<BucketInfo, std::string>> out;
  for (const auto& r : rows) {
    std::string name = catalog::AsString(r[0]);
    auto b = buckets_->Get(name);
    if (!b.ok()) continue;  // deleted meanwhile
    OT_ASSIGN_OR_RETURN(std::optional<std::string> doc, buckets_->GetConfig(name, "lifecycle"));
    if (doc) out.emplace_back(std::move(b).value(), std::move(*doc));
  }
  return out;
}

Status S3Service::ExpireCurrentVersion(const std::string& bucket, const std::string& key,
                                       std::string* marker_version) {
  OT_ASSIGN_OR_RETURN(BucketInfo b, buckets_->Get(bucket));
  std::string version;
  bool marker = false;
  OT_RETURN_IF_ERROR(DeleteOne(b, key, "", &version, &marker));
  *marker_version = marker ? version : "";
  return Status::Ok();
}

}  // namespace orgtrail::s3
