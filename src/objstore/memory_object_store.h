// MemoryObjectStore: an ObjectStore held in memory, for unit tests and for
// services that need a scratch store. Nothing survives destruction.
// Thread-safe: every call takes mu_.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "objstore/object_store.h"

namespace orgtrail::objstore {

class MemoryObjectStore final : public ObjectStore {
 public:
  MemoryObjectStore() = default;
  MemoryObjectStore(const MemoryObjectStore&) = delete;
  MemoryObjectStore& operator=(const MemoryObjectStore&) = delete;

  Status CreateBucket(const std::string& bucket) override;
  Status DeleteBucket(const std::string& bucket) override;
  bool BucketExists(const std::string& bucket) override;
  Status Put(const std::string& bucket, const std::string& key, const std::string& version_id,
             std::string_view bytes, const ObjectMeta& meta) override;
  Result<ObjectData> Get(const std::string& bucket, const std::string& key,
                         const std::string& version_id,
                         std::optional<ByteRange> range) override;
  Result<ObjectInfo> Head(const std::string& bucket, const std::string& key,
                          const std::string& version_id) override;
  Status Delete(const std::string& bucket, const std::string& key,
                const std::string& version_id) override;
  Result<std::vector<ObjectInfo>> List(const std::string& bucket, const std::string& prefix,
                                       const std::string& start_after, int limit) override;
  Result<VersionPage> ListVersions(const std::string& bucket, const std::string& prefix,
                                   const std::string& key_marker,
                                   const std::string& version_marker, int limit) override;
  Status SetStorageClass(const std::string& bucket, const std::vector<VersionRef>& versions,
                         const std::string& storage_class) override;
  Status UpdateMeta(const std::string& bucket, const std::string& key,
                    const std::string& version_id, const ObjectMeta& meta) override;

 private:
  struct Version {
    std::string version_id;
    ObjectMeta meta;
    std::string bytes;
  };
  // Versions of one key, newest first.
  using Versions = std::vector<Version>;
  using Bucket = std::map<std::string, Versions>;

  Result<Bucket*> FindBucket(const std::string& bucket);
  static ObjectInfo InfoOf(const std::string& key, const Version& v, bool latest);

  std::mutex mu_;
  std::map<std::string, Bucket> buckets_;  // guarded by mu_
};

}  // namespace orgtrail::objstore
