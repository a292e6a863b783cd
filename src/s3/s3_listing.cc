// S3Service listings: ListObjects (v1), ListObjectsV2, ListObjectVersions.
// Keys come from the store in byte order; delimiter roll-ups skip past a
// common prefix with one seek, so pages never loop or skip (§3.2).
#include "base/strings.h"
#include "s3/s3_codec.h"
#include "s3/s3_service.h"

namespace orgtrail::s3 {

namespace {

constexpr int kMaxKeys = 1000;
constexpr int kBatch = 256;

// Keys are at most 1024 bytes, so this sorts after every key starting with p.
std::string PastPrefix(const std::string& p) { return p + std::string(1025, '\xff'); }

struct ListParams {
  std::string prefix, delimiter, encoding;
  int max_keys = kMaxKeys;
};

Result<ListParams> ReadParams(const S3Request& req) {
  ListParams p;
  if (const std::string* v = QueryParam(req, "prefix")) p.prefix = *v;
  if (const std::string* v = QueryParam(req, "delimiter")) p.delimiter = *v;
  if (const std::string* v = QueryParam(req, "encoding-type")) {
    if (*v != "url") {
      return Status::Error("InvalidArgument", "Invalid Encoding Method specified in Request");
    }
    p.encoding = *v;
  }
  if (const std::string* v = QueryParam(req, "max-keys")) {
    auto n = ParseNonNegative(*v);
    if (!n) {
      return Status::Error("InvalidArgument", "Provided max-keys not an integer or within "
                                              "integer range");
    }
    p.max_keys = static_cast<int>(std::min<int64_t>(*n, kMaxKeys));
  }
  return p;
}

// Common prefix of `key` under (prefix, delimiter), or "" if none.
std::string RollUp(const std::string& key, const ListParams& p) {
  if (p.delimiter.empty()) return "";
  size_t pos = key.find(p.delimiter, p.prefix.size());
  if (pos == std::string::npos) return "";
  return key.substr(0, pos + p.delimiter.size());
}

}  // namespace

Result<S3Response> S3Service::ListObjects(const auth::RequestContext& ctx, const S3Request& req,
                                          bool v2) {
  OT_ASSIGN_OR_RETURN(BucketInfo b, Access(ctx, req, "s3:ListBucket"));
  OT_ASSIGN_OR_RETURN(ListParams p, ReadParams(req));
  std::string marker, start_after, token;
  if (v2) {
    if (const std::string* v = QueryParam(req, "start-after")) start_after = *v;
    if (const std::string* v = QueryParam(req, "continuation-token")) {
      token = *v;
      auto d = Base64Decode(token);
      if (!d || !StartsWith(*d, "ot1:")) {
        return Status::Error("InvalidArgument", "The continuation token provided is incorrect");
      }
      marker = d->substr(4);
    } else {
      marker = start_after;
    }
  } else if (const std::string* v = QueryParam(req, "marker")) {
    marker = *v;
  }

  struct Entry {
    bool is_prefix;
    objstore::ObjectInfo info;
    std::string prefix;
  };
  std::vector<Entry> entries;
  bool truncated = false;
  std::string after = marker;
  bool done = p.max_keys == 0;
  while (!done) {
    OT_ASSIGN_OR_RETURN(auto page, store_.List(b.name, p.prefix, after, kBatch));
    if (page.empty()) break;
    bool reseek = false;
    for (auto& o : page) {
      std::string cp = RollUp(o.key, p);
      if (!cp.empty() && cp <= marker) {  // already reported on an earlier page
        after = PastPrefix(cp);
        reseek = true;
        break;
      }
      if (static_cast<int>(entries.size()) == p.max_keys) {
        truncated = true;
        done = true;
        break;
      }
      if (!cp.empty()) {
        entries.push_back({true, {}, cp});
        after = PastPrefix(cp);
        reseek = true;
        break;
      }
      after = o.key;
      entries.push_back({false, std::move(o), ""});
    }
    if (!reseek && !done && static_cast<int>(page.size()) < kBatch) break;
  }

  auto enc = [&](const std::string& s) {
    return p.encoding.empty() ? s : UriEncode(s, /*keep_slash=*/true);
  };
  std::string last;
  if (!entries.empty()) last = entries.back().is_prefix ? entries.back().prefix : entries.back().info.key;
  bool fetch_owner = !v2;
  if (v2) {
    const std::string* fo = QueryParam(req, "fetch-owner");
    fetch_owner = fo && *fo == "true";
  }
  XmlWriter w;
  w.Open("ListBucketResult", true).Leaf("Name", b.name).Leaf("Prefix", enc(p.prefix));
  if (v2) {
    if (!token.empty()) w.Leaf("ContinuationToken", token);
    if (!start_after.empty()) w.Leaf("StartAfter", enc(start_after));
    w.Leaf("KeyCount", std::to_string(entries.size()));
  } else {
    w.Leaf("Marker", enc(marker));
  }
  w.Leaf("MaxKeys", std::to_string(p.max_keys));
  if (!p.delimiter.empty()) w.Leaf("Delimiter", enc(p.delimiter));
  if (!p.encoding.empty()) w.Leaf("EncodingType", p.encoding);
  w.Leaf("IsTruncated", truncated ? "true" : "false");
  if (truncated) {
    if (v2) {
      w.Leaf("NextContinuationToken", Base64Encode("ot1:" + last));
    } else {
      w.Leaf("NextMarker", enc(last));
    }
  }
  std::string owner_id = CanonicalUserId(b.owner_account);
  for (const auto& e : entries) {
    if (e.is_prefix) continue;
    const auto& m = e.info.meta;
    w.Open("Contents")
        .Leaf("Key", enc(e.info.key))
        .Leaf("LastModified", FormatIso8601Millis(m.last_modified))
        .Leaf("ETag", "\"" + m.etag + "\"")
        .Leaf("Size", std::to_string(m.size));
    if (fetch_owner) {
      w.Open("Owner").Leaf("ID", owner_id).Leaf("DisplayName", b.owner_account).Close("Owner");
    }
    w.Leaf("StorageClass", m.storage_class).Close("Contents");
  }
  for (const auto& e : entries) {
    if (e.is_prefix) w.Open("CommonPrefixes").Leaf("Prefix", enc(e.prefix)).Close("CommonPrefixes");
  }
  S3Response r;
  r.headers.emplace_back("Content-Type", "application/xml");
  r.body = w.Close("ListBucketResult").Take();
  return r;
}

Result<S3Response> S3Service::ListObjectVersions(const auth::RequestContext& ctx,
                                                 const S3Request& req) {
  OT_ASSIGN_OR_RETURN(BucketInfo b, Access(ctx, req, "s3:ListBucketVersions"));
  OT_ASSIGN_OR_RETURN(ListParams p, ReadParams(req));
  std::string key_marker, version_marker;
  if (const std::string* v = QueryParam(req, "key-marker")) key_marker = *v;
  if (const std::string* v = QueryParam(req, "version-id-marker")) version_marker = *v;
  if (!version_marker.empty() && key_marker.empty()) {
    return Status::Error("InvalidArgument",
                         "A version-id marker cannot be specified without a key marker.");
  }
  struct Entry {
    bool is_prefix;
    objstore::ObjectInfo info;
    std::string prefix;
  };
  std::vector<Entry> entries;
  bool truncated = false;
  std::string km = key_marker, vm = version_marker;
  bool done = p.max_keys == 0;
  while (!done) {
    OT_ASSIGN_OR_RETURN(auto page, store_.ListVersions(b.name, p.prefix, km, vm, kBatch));
    if (page.versions.empty()) break;
    bool reseek = false;
    for (auto& o : page.versions) {
      std::string cp = RollUp(o.key, p);
      if (!cp.empty() && cp <= key_marker) {
        km = PastPrefix(cp);
        vm.clear();
        reseek = true;
        break;
      }
      if (static_cast<int>(entries.size()) == p.max_keys) {
        truncated = true;
        done = true;
        break;
      }
      if (!cp.empty()) {
        entries.push_back({true, {}, cp});
        km = PastPrefix(cp);
        vm.clear();
        reseek = true;
        break;
      }
      km = o.key;
      vm = o.version_id;
      entries.push_back({false, std::move(o), ""});
    }
    if (!reseek && !done && !page.truncated) break;
  }
  auto enc = [&](const std::string& s) {
    return p.encoding.empty() ? s : UriEncode(s, /*keep_slash=*/true);
  };
  std::string owner_id = CanonicalUserId(b.owner_account);
  XmlWriter w;
  w.Open("ListVersionsResult", true)
      .Leaf("Name", b.name)
      .Leaf("Prefix", enc(p.prefix))
      .Leaf("KeyMarker", enc(key_marker))
      .Leaf("VersionIdMarker", version_marker)
      .Leaf("MaxKeys", std::to_string(p.max_keys));
  if (!p.delimiter.empty()) w.Leaf("Delimiter", enc(p.delimiter));
  if (!p.encoding.empty()) w.Leaf("EncodingType", p.encoding);
  w.Leaf("IsTruncated", truncated ? "true" : "false");
  if (truncated && !entries.empty()) {
    const Entry& last = entries.back();
    w.Leaf("NextKeyMarker", enc(last.is_prefix ? last.prefix : last.info.key));
    if (!last.is_prefix) w.Leaf("NextVersionIdMarker", last.info.version_id);
  }
  for (const auto& e : entries) {
    if (e.is_prefix) continue;
    const auto& m = e.info.meta;
    const char* tag = m.delete_marker ? "DeleteMarker" : "Version";
    w.Open(tag)
        .Leaf("Key", enc(e.info.key))
        .Leaf("VersionId", e.info.version_id)
        .Leaf("IsLatest", e.info.is_latest ? "true" : "false")
        .Leaf("LastModified", FormatIso8601Millis(m.last_modified));
    if (!m.delete_marker) {
      w.Leaf("ETag", "\"" + m.etag + "\"").Leaf("Size", std::to_string(m.size));
      w.Leaf("StorageClass", m.storage_class);
    }
    w.Open("Owner").Leaf("ID", owner_id).Leaf("DisplayName", b.owner_account).Close("Owner");
    w.Close(tag);
  }
  for (const auto& e : entries) {
    if (e.is_prefix) w.Open("CommonPrefixes").Leaf("Prefix", enc(e.prefix)).Close("CommonPrefixes");
  }
  S3Response r;
  r.headers.emplace_back("Content-Type", "application/xml");
  r.body = w.Close("ListVersionsResult").Take();
  return r;
}

}  // namespace orgtrail::s3
