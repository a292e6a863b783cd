// BucketStore: S3 bucket records and their configuration documents
// (policy, encryption, lifecycle, versioning, ACL, tagging, ...) in the
// shared catalog (tables s3_buckets, s3_bucket_config). Owned by S3Service;
// lifecycle/ may read configurations through it. Thread-safe (the Db
// serialises statements).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "catalog/db.h"

namespace orgtrail::s3 {

struct BucketInfo {
  std::string name;
  std::string owner_account;
  std::string region;
  TimePoint created{};
  std::string versioning;  // "" (never enabled), "Enabled", "Suspended"
};

class BucketStore {
 public:
  // Creates the tables if needed; fails if the catalog cannot.
  static Result<std::unique_ptr<BucketStore>> Open(catalog::Db& db);

  // BucketAlreadyExists / BucketAlreadyOwnedByYou (409) when taken.
  Status Create(const BucketInfo& info);
  Result<BucketInfo> Get(const std::string& name);  // NoSuchBucket (404)
  Status Delete(const std::string& name);
  Result<std::vector<BucketInfo>> ListOwnedBy(const std::string& account);
  Status SetVersioning(const std::string& name, const std::string& status);

  // Configuration documents by name ("policy", "encryption", "lifecycle",
  // "public-access-block", "acl", "accelerate", "tagging", "object-lock").
  Result<std::optional<std::string>> GetConfig(const std::string& bucket, const std::string& what);
  Status PutConfig(const std::string& bucket, const std::string& what, const std::string& doc);
  Status DeleteConfig(const std::string& bucket, const std::string& what);

 private:
  explicit BucketStore(catalog::Db& db) : db_(db) {}
  catalog::Db& db_;
};

}  // namespace orgtrail::s3
