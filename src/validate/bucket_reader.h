// BucketReader: how the validator reads a trail bucket. Two implementations:
// ObjectStoreBucketReader (an objstore::ObjectStore: a data directory's
// LocalObjectStore, or a MemoryObjectStore in tests) and S3BucketReader (the
// S3 API over HTTP with SigV4). A missing object is reported with the code
// "NoSuchKey" so it can be told apart from every other failure, which aborts
// the run as in the AWS CLI.
// Implementations must be thread-safe: the validator calls them from all its
// worker threads.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace orgtrail::validate {

struct ListPage {
  std::vector<std::string> keys;             // ascending
  std::vector<std::string> common_prefixes;  // with a delimiter
  bool truncated = false;
  std::string next_marker;  // where the next page starts (exclusive)
};

class BucketReader {
 public:
  virtual ~BucketReader() = default;
  // One page of keys under `prefix` strictly after `marker`, rolled up at
  // `delimiter` when it is non-empty.
  virtual Result<ListPage> List(const std::string& bucket, const std::string& prefix,
                                const std::string& marker, const std::string& delimiter) = 0;
  // Streams the latest version's bytes to `on_bytes` (possibly in several
  // chunks) and fills `metadata` with its user metadata (lower-case names
  // without x-amz-meta-). NoSuchKey when absent.
  virtual Status Get(const std::string& bucket, const std::string& key,
                     std::map<std::string, std::string>* metadata,
                     const std::function<void(std::string_view)>& on_bytes) = 0;
  // The latest version whole in `*bytes` (contents replaced, capacity kept:
  // a worker passes one buffer for every object). Same NoSuchKey and
  // metadata as Get. The default collects Get's chunks; a reader that holds
  // objects whole anyway (a data directory) reads straight into `*bytes`
  // and says so with HoldsWhole.
  virtual Status GetWhole(const std::string& bucket, const std::string& key,
                          std::map<std::string, std::string>* metadata, std::string* bytes) {
    bytes->clear();
    return Get(bucket, key, metadata, [&](std::string_view c) { bytes->append(c); });
  }
  // True when GetWhole costs no more memory than the object itself takes
  // anyway; false for a streaming reader, whose callers bound memory by
  // streaming large objects through Get instead.
  virtual bool HoldsWhole() const { return false; }
  // The bucket's lifecycle configuration (S3 XML), or "" when it has none
  // or the reader cannot read it. With it, a file the bucket's own
  // expiration rule has removed is told apart from a deleted one.
  virtual Result<std::string> LifecycleXml(const std::string& /*bucket*/) { return std::string(); }
};

inline bool IsNotFound(const Status& s) { return s.code() == "NoSuchKey"; }
// A GLACIER / DEEP_ARCHIVE object without a completed restore.
inline bool IsArchived(const Status& s) { return s.code() == "InvalidObjectState"; }

}  // namespace orgtrail::validate
