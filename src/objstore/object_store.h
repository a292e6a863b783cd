// ObjectStore: raw object bytes plus metadata, grouped in bucket areas, with
// versions. The S3 service, trail delivery, lifecycle and validation read and
// write objects only through this interface, so the embedded local-directory
// store (LocalObjectStore), the in-memory store for tests (MemoryObjectStore)
// and a later S3-backed store are interchangeable. Nothing here assumes a
// local disk: keys are arbitrary byte strings (up to 1024 bytes, may contain
// "..", "//", any byte but NUL) and are never used as file names.
//
// Versions: every Put names a version id (S3 uses "null" for unversioned
// writes); a Put with an existing (key, version id) replaces that version. The
// newest write of a key is its "latest" version. Delete markers are versions
// flagged with meta.delete_marker and no bytes.
//
// Thread-safety: implementations are thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/time.h"

namespace orgtrail::objstore {

// Metadata stored with each version. The store keeps it verbatim; meaning is
// the caller's (S3 puts SSE envelope fields in `attributes`).
struct ObjectMeta {
  std::string etag;                               // unquoted
  int64_t size = 0;                               // logical (plaintext) size
  TimePoint last_modified{};
  std::string content_type;
  std::string storage_class = "STANDARD";
  bool delete_marker = false;
  std::map<std::string, std::string> user_meta;   // x-amz-meta-* (lower-case names)
  std::map<std::string, std::string> attributes;  // caller-defined (SSE, checksums, ...)
};

// One version as listed or headed.
struct ObjectInfo {
  std::string key;
  std::string version_id;
  bool is_latest = false;
  int64_t stored_size = 0;  // bytes actually stored (ciphertext size for SSE)
  ObjectMeta meta;
};

struct ObjectData {
  ObjectInfo info;
  std::string bytes;  // whole stored bytes, or the requested range of them
};

// A byte range [first, last] of the stored bytes, inclusive.
struct ByteRange {
  int64_t first = 0;
  int64_t last = 0;
};

// Names one version (for batch operations).
struct VersionRef {
  std::string key;
  std::string version_id;
};

// True for the archive classes whose bytes live in the store's cold area
// and which S3 serves only after a restore (GLACIER, DEEP_ARCHIVE).
bool IsColdStorageClass(const std::string& storage_class);

// One page of a version listing.
struct VersionPage {
  std::vector<ObjectInfo> versions;  // key ascending, then newest first
  bool truncated = false;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // Creates the bucket area; OK if it already exists.
  virtual Status CreateBucket(const std::string& bucket) = 0;
  // Removes an empty bucket area. Fails with BucketNotEmpty (409) if any
  // version remains, NoSuchBucket (404) if absent.
  virtual Status DeleteBucket(const std::string& bucket) = 0;
  virtual bool BucketExists(const std::string& bucket) = 0;

  // Stores `bytes` as (key, version_id), atomically and durably: on success
  // the version is readable and survives a crash; on failure the previous
  // state is unchanged. version_id must be non-empty. NoSuchBucket if the
  // bucket area does not exist. meta.size is kept as given.
  virtual Status Put(const std::string& bucket, const std::string& key,
                     const std::string& version_id, std::string_view bytes,
                     const ObjectMeta& meta) = 0;

  // Reads a version (empty version_id = latest, which may be a delete
  // marker). With `range`, returns only stored bytes [first, last] (clamped
  // to the end); the caller validates ranges. NoSuchKey / NoSuchVersion /
  // NoSuchBucket (404) when absent.
  virtual Result<ObjectData> Get(const std::string& bucket, const std::string& key,
                                 const std::string& version_id,
                                 std::optional<ByteRange> range = std::nullopt) = 0;
  virtual Result<ObjectInfo> Head(const std::string& bucket, const std::string& key,
                                  const std::string& version_id) = 0;
  // The latest version of `key` (a delete marker: no bytes), its stored
  // bytes in `*bytes`: the contents are replaced, the capacity is kept, so
  // a reader that passes one buffer for every object (a validator worker)
  // allocates nothing per object in stores that read into it directly.
  // NoSuchKey / NoSuchBucket as Get. The default goes through Get.
  virtual Status ReadLatest(const std::string& bucket, const std::string& key, ObjectInfo* info,
                            std::string* bytes) {
    auto d = Get(bucket, key, "");
    if (!d.ok()) return d.status();
    *info = std::move(d->info);
    bytes->assign(d->bytes);
    return Status::Ok();
  }

  // Removes one version (empty version_id = the latest). When the latest is
  // removed the next newest becomes latest. NoSuchKey if absent.
  virtual Status Delete(const std::string& bucket, const std::string& key,
                        const std::string& version_id) = 0;

  // The latest version of each key that is not a delete marker, keys in
  // ascending byte order, with key starting with `prefix` and key >
  // `start_after`; at most `limit` entries.
  virtual Result<std::vector<ObjectInfo>> List(const std::string& bucket,
                                               const std::string& prefix,
                                               const std::string& start_after,
                                               int limit) = 0;

  // The keys List would return, without their metadata (a listing that
  // only walks keys does not decode every version's record). The default
  // goes through List.
  virtual Result<std::vector<std::string>> ListKeys(const std::string& bucket,
                                                    const std::string& prefix,
                                                    const std::string& start_after, int limit) {
    auto infos = List(bucket, prefix, start_after, limit);
    if (!infos.ok()) return infos.status();
    std::vector<std::string> keys;
    keys.reserve(infos->size());
    for (auto& i : *infos) keys.push_back(std::move(i.key));
    return keys;
  }

  // All versions (delete markers included) of keys starting with `prefix`,
  // ordered by key ascending then newest first, starting strictly after
  // (key_marker, version_marker): with an empty version_marker every version
  // of key_marker is skipped. At most `limit` entries.
  virtual Result<VersionPage> ListVersions(const std::string& bucket, const std::string& prefix,
                                           const std::string& key_marker,
                                           const std::string& version_marker, int limit) = 0;

  // Lifecycle transitions: sets meta.storage_class of each named version to
  // `storage_class` in one atomic, durable step. The stored bytes are never
  // re-encoded: moving into or out of a cold class (IsColdStorageClass)
  // moves them, unchanged, into or out of the bucket's cold area (possibly
  // later, see MovePendingBytes). Versions that no longer exist are skipped
  // (a concurrent delete wins). Nothing else about a version changes (not
  // its seq, latest-ness or metadata).
  // NoSuchBucket if the bucket area does not exist.
  virtual Status SetStorageClass(const std::string& bucket, const std::vector<VersionRef>& versions,
                                 const std::string& storage_class) = 0;

  // Stores may commit a transition's new class first and move the bytes
  // between areas afterwards (LocalObjectStore does, so that a sweep over a
  // million versions is not a million file moves). This does up to about
  // `max_versions` of that pending work and returns how many versions it
  // looked at (0: nothing pending). Reads are correct whether or not it has
  // run; it only settles where the bytes live.
  virtual Result<int64_t> MovePendingBytes(int64_t max_versions) {
    (void)max_versions;
    return int64_t{0};
  }

  // Replaces the metadata of an existing version in place, bytes, order and
  // storage class unchanged (meta.storage_class and meta.delete_marker are
  // ignored; use SetStorageClass). Used for restore state. NoSuchKey /
  // NoSuchVersion when absent.
  virtual Status UpdateMeta(const std::string& bucket, const std::string& key,
                            const std::string& version_id, const ObjectMeta& meta) = 0;
};

// Smallest string greater than every string starting with `prefix`, or ""
// when there is none (prefix empty or all 0xff). Used for range scans.
std::string PrefixUpperBound(const std::string& prefix);

}  // namespace orgtrail::objstore
