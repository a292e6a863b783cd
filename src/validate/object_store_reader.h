// ObjectStoreBucketReader: a BucketReader over an objstore::ObjectStore, for
// `orgtrail validate-logs --data-dir` (reading a LocalObjectStore directly,
// no server) and for tests (MemoryObjectStore). Objects are returned as
// stored: server-side-encrypted objects cannot be validated this way.
// Thread-safe if the store is.
#pragma once

#include "objstore/object_store.h"
#include "validate/bucket_reader.h"

namespace orgtrail::validate {

class ObjectStoreBucketReader final : public BucketReader {
 public:
  // `store` must outlive the reader. `page_size` bounds each List page.
  explicit ObjectStoreBucketReader(objstore::ObjectStore& store, int page_size = 1000)
      : store_(store), page_size_(page_size) {}

  Result<ListPage> List(const std::string& bucket, const std::string& prefix,
                        const std::string& marker, const std::string& delimiter) override;
  Status Get(const std::string& bucket, const std::string& key,
             std::map<std::string, std::string>* metadata,
             const std::function<void(std::string_view)>& on_bytes) override;

 private:
  objstore::ObjectStore& store_;
  const int page_size_;
};

}  // namespace orgtrail::validate
