// ObjectStoreBucketReader: a BucketReader over an objstore::ObjectStore, for
// `orgtrail validate-logs --data-dir` (reading a LocalObjectStore directly,
// no server) and for tests (MemoryObjectStore). SSE-S3 objects are
// decrypted when the reader has the server's SSE-S3 key (the data
// directory's keys/sse-s3.key unsealed with its master key; the envelope is
// specified in docs/formats/objects.md), SSE-KMS objects when it has the
// material of the KMS key their data key names (the data directory's
// kms_keys, unsealed the same way); an object whose key the reader lacks
// fails the run with code "EncryptedObject" (validate through the API
// instead). Thread-safe if the store is.
#pragma once

#include <map>
#include <string>

#include "objstore/object_store.h"
#include "validate/bucket_reader.h"

namespace orgtrail::validate {

class ObjectStoreBucketReader final : public BucketReader {
 public:
  // KMS key ARN -> its 32-byte key material.
  using KmsMaterials = std::map<std::string, std::string>;
  // `store` must outlive the reader. `page_size` bounds each List page.
  explicit ObjectStoreBucketReader(objstore::ObjectStore& store, int page_size = 1000,
                                   std::string sse_s3_key = "", KmsMaterials kms = {})
      : store_(store),
        page_size_(page_size),
        sse_s3_key_(std::move(sse_s3_key)),
        kms_(std::move(kms)) {}

  Result<ListPage> List(const std::string& bucket, const std::string& prefix,
                        const std::string& marker, const std::string& delimiter) override;
  Status Get(const std::string& bucket, const std::string& key,
             std::map<std::string, std::string>* metadata,
             const std::function<void(std::string_view)>& on_bytes) override;
  // Reads the object file straight into `bytes` (ObjectStore::ReadLatest)
  // and decrypts it (SSE-S3 or SSE-KMS) in place.
  Status GetWhole(const std::string& bucket, const std::string& key,
                  std::map<std::string, std::string>* metadata, std::string* bytes) override;
  bool HoldsWhole() const override { return true; }

 private:
  objstore::ObjectStore& store_;
  const int page_size_;
  const std::string sse_s3_key_;  // 32 bytes, or "" (SSE-S3 objects fail)
  const KmsMaterials kms_;        // SSE-KMS objects of other keys fail
};

}  // namespace orgtrail::validate
