#include "objstore/memory_object_store.h"

#include <algorithm>

namespace orgtrail::objstore {

namespace {

Status NoSuchBucket(const std::string& bucket) {
  return Status::Error("NoSuchBucket", "The specified bucket does not exist: " + bucket, 404);
}
Status NoSuchKey() { return Status::Error("NoSuchKey", "The specified key does not exist.", 404); }
Status NoSuchVersion() {
  return Status::Error("NoSuchVersion", "The specified version does not exist.", 404);
}

}  // namespace

std::string PrefixUpperBound(const std::string& prefix) {
  std::string up = prefix;
  while (!up.empty()) {
    unsigned char c = static_cast<unsigned char>(up.back());
    if (c != 0xff) {
      up.back() = static_cast<char>(c + 1);
      return up;
    }
    up.pop_back();
  }
  return "";
}

bool IsColdStorageClass(const std::string& storage_class) {
  return storage_class == "GLACIER" || storage_class == "DEEP_ARCHIVE";
}

Status MemoryObjectStore::CreateBucket(const std::string& bucket) {
  std::lock_guard<std::mutex> l(mu_);
  buckets_.try_emplace(bucket);
  return Status::Ok();
}

Status MemoryObjectStore::DeleteBucket(const std::string& bucket) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = buckets_.find(bucket);
  if (it == buckets_.end()) return NoSuchBucket(bucket);
  if (!it->second.empty()) {
    return Status::Error("BucketNotEmpty", "The bucket you tried to delete is not empty", 409);
  }
  buckets_.erase(it);
  return Status::Ok();
}

bool MemoryObjectStore::BucketExists(const std::string& bucket) {
  std::lock_guard<std::mutex> l(mu_);
  return buckets_.count(bucket) > 0;
}

Result<MemoryObjectStore::Bucket*> MemoryObjectStore::FindBucket(const std::string& bucket) {
  auto it = buckets_.find(bucket);
  if (it == buckets_.end()) return NoSuchBucket(bucket);
  return &it->second;
}

ObjectInfo MemoryObjectStore::InfoOf(const std::string& key, const Version& v, bool latest) {
  ObjectInfo info;
  info.key = key;
  info.version_id = v.version_id;
  info.is_latest = latest;
  info.stored_size = static_cast<int64_t>(v.bytes.size());
  info.meta = v.meta;
  return info;
}

Status MemoryObjectStore::Put(const std::string& bucket, const std::string& key,
                              const std::string& version_id, std::string_view bytes,
                              const ObjectMeta& meta) {
  if (version_id.empty()) return Status::Internal("ObjectStore::Put without a version id");
  std::lock_guard<std::mutex> l(mu_);
  OT_ASSIGN_OR_RETURN(Bucket * b, FindBucket(bucket));
  Versions& vs = (*b)[key];
  vs.erase(std::remove_if(vs.begin(), vs.end(),
                          [&](const Version& v) { return v.version_id == version_id; }),
           vs.end());
  vs.insert(vs.begin(), Version{version_id, meta, std::string(bytes)});
  return Status::Ok();
}

Result<ObjectData> MemoryObjectStore::Get(const std::string& bucket, const std::string& key,
                                          const std::string& version_id,
                                          std::optional<ByteRange> range) {
  std::lock_guard<std::mutex> l(mu_);
  OT_ASSIGN_OR_RETURN(Bucket * b, FindBucket(bucket));
  auto it = b->find(key);
  if (it == b->end() || it->second.empty()) return NoSuchKey();
  const Versions& vs = it->second;
  for (size_t i = 0; i < vs.size(); ++i) {
    if (!version_id.empty() && vs[i].version_id != version_id) continue;
    ObjectData d;
    d.info = InfoOf(key, vs[i], i == 0);
    if (range) {
      int64_t n = static_cast<int64_t>(vs[i].bytes.size());
      int64_t first = std::clamp<int64_t>(range->first, 0, n);
      int64_t last = std::min<int64_t>(range->last, n - 1);
      if (last >= first) d.bytes = vs[i].bytes.substr(first, last - first + 1);
    } else {
      d.bytes = vs[i].bytes;
    }
    return d;
  }
  return NoSuchVersion();
}

Result<ObjectInfo> MemoryObjectStore::Head(const std::string& bucket, const std::string& key,
                                           const std::string& version_id) {
  std::lock_guard<std::mutex> l(mu_);
  OT_ASSIGN_OR_RETURN(Bucket * b, FindBucket(bucket));
  auto it = b->find(key);
  if (it == b->end() || it->second.empty()) return NoSuchKey();
  const Versions& vs = it->second;
  for (size_t i = 0; i < vs.size(); ++i) {
    if (version_id.empty() || vs[i].version_id == version_id) return InfoOf(key, vs[i], i == 0);
  }
  return NoSuchVersion();
}

Status MemoryObjectStore::Delete(const std::string& bucket, const std::string& key,
                                 const std::string& version_id) {
  std::lock_guard<std::mutex> l(mu_);
  OT_ASSIGN_OR_RETURN(Bucket * b, FindBucket(bucket));
  auto it = b->find(key);
  if (it == b->end() || it->second.empty()) return NoSuchKey();
  Versions& vs = it->second;
  if (version_id.empty()) {
    vs.erase(vs.begin());
  } else {
    auto v = std::find_if(vs.begin(), vs.end(),
                          [&](const Version& x) { return x.version_id == version_id; });
    if (v == vs.end()) return NoSuchVersion();
    vs.erase(v);
  }
  if (vs.empty()) b->erase(it);
  return Status::Ok();
}

Result<std::vector<ObjectInfo>> MemoryObjectStore::List(const std::string& bucket,
                                                        const std::string& prefix,
                                                        const std::string& start_after,
                                                        int limit) {
  std::lock_guard<std::mutex> l(mu_);
  OT_ASSIGN_OR_RETURN(Bucket * b, FindBucket(bucket));
  std::vector<ObjectInfo> out;
  auto it = start_after < prefix ? b->lower_bound(prefix) : b->upper_bound(start_after);
  for (; it != b->end() && static_cast<int>(out.size()) < limit; ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    if (it->second.empty() || it->second.front().meta.delete_marker) continue;
    out.push_back(InfoOf(it->first, it->second.front(), true));
  }
  return out;
}

Result<VersionPage> MemoryObjectStore::ListVersions(const std::string& bucket,
                                                    const std::string& prefix,
                                                    const std::string& key_marker,
                                                    const std::string& version_marker,
                                                    int limit) {
  std::lock_guard<std::mutex> l(mu_);
  OT_ASSIGN_OR_RETURN(Bucket * b, FindBucket(bucket));
  VersionPage page;
  auto it = b->lower_bound(std::max(prefix, key_marker));
  bool first = true;
  for (; it != b->end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    const Versions& vs = it->second;
    size_t start = 0;
    if (first && !key_marker.empty() && it->first == key_marker) {
      if (version_marker.empty()) {
        start = vs.size();
      } else {
        start = vs.size();
        for (size_t i = 0; i < vs.size(); ++i) {
          if (vs[i].version_id == version_marker) start = i + 1;
        }
      }
    }
    first = false;
    for (size_t i = start; i < vs.size(); ++i) {
      if (static_cast<int>(page.versions.size()) >= limit) {
        page.truncated = true;
        return page;
      }
      page.versions.push_back(InfoOf(it->first, vs[i], i == 0));
    }
  }
  return page;
}

Status MemoryObjectStore::SetStorageClass(const std::string& bucket,
                                          const std::vector<VersionRef>& versions,
                                          const std::string& storage_class) {
  std::lock_guard<std::mutex> l(mu_);
  OT_ASSIGN_OR_RETURN(Bucket * b, FindBucket(bucket));
  for (const auto& ref : versions) {
    auto it = b->find(ref.key);
    if (it == b->end()) continue;
    for (auto& v : it->second) {
      if (v.version_id == ref.version_id && !v.meta.delete_marker) {
        v.meta.storage_class = storage_class;
      }
    }
  }
  return Status::Ok();
}

Status MemoryObjectStore::UpdateMeta(const std::string& bucket, const std::string& key,
                                     const std::string& version_id, const ObjectMeta& meta) {
  std::lock_guard<std::mutex> l(mu_);
  OT_ASSIGN_OR_RETURN(Bucket * b, FindBucket(bucket));
  auto it = b->find(key);
  if (it == b->end() || it->second.empty()) return NoSuchKey();
  for (auto& v : it->second) {
    if (v.version_id != version_id) continue;
    ObjectMeta m = meta;
    m.storage_class = v.meta.storage_class;
    m.delete_marker = v.meta.delete_marker;
    v.meta = std::move(m);
    return Status::Ok();
  }
  return NoSuchVersion();
}

}  // namespace orgtrail::objstore
