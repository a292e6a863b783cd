#include "api/s3_front.h"

#include "base/strings.h"

namespace orgtrail::api {

Result<S3Address> ParseS3Address(std::string_view host, std::string_view raw_path,
                                 std::string_view base_domain) {
  S3Address out;
  std::string h = ToLower(host);
  if (!h.empty() && h.front() != '[') {
    size_t colon = h.rfind(':');
    if (colon != std::string::npos) h.resize(colon);
  }
  if (raw_path.empty() || raw_path.front() != '/')
    return Status::Error("InvalidURI", "Couldn't parse the specified URI.");
  std::string_view path = raw_path.substr(1);
  const Status bad = Status::Error("InvalidURI", "Couldn't parse the specified URI.");
  if (!base_domain.empty() && h.size() > base_domain.size() + 1 &&
      EndsWith(h, base_domain) && h[h.size() - base_domain.size() - 1] == '.') {
    out.virtual_host = true;
    out.bucket = h.substr(0, h.size() - base_domain.size() - 1);
    auto key = UriDecode(path);
    if (!key) return bad;
    out.key = std::move(*key);
    return out;
  }
  size_t slash = path.find('/');
  auto bucket = UriDecode(path.substr(0, slash));
  if (!bucket) return bad;
  out.bucket = std::move(*bucket);
  if (slash != std::string_view::npos) {
    auto key = UriDecode(path.substr(slash + 1));
    if (!key) return bad;
    out.key = std::move(*key);
  }
  return out;
}

std::map<std::string, std::string> LowerCaseHeaders(const HeaderList& headers) {
  std::map<std::string, std::string> out;
  for (const auto& [n, v] : headers) {
    auto [it, inserted] = out.emplace(ToLower(n), v);
    if (!inserted) it->second += "," + v;
  }
  return out;
}

std::string S3OperationName(std::string_view method, const S3Address& a,
                            const std::vector<std::pair<std::string, std::string>>& query,
                            const std::map<std::string, std::string>& headers) {
  auto has = [&](std::string_view name) {
    for (const auto& q : query)
      if (q.first == name) return true;
    return false;
  };
  std::string m(method);
  if (a.bucket.empty()) return m == "GET" ? "ListBuckets" : "Unknown";
  if (a.key.empty()) {
    static const char* kSubs[][2] = {{"policy", "BucketPolicy"},
                                     {"versioning", "BucketVersioning"},
                                     {"encryption", "BucketEncryption"},
                                     {"lifecycle", "BucketLifecycleConfiguration"},
                                     {"acl", "BucketAcl"},
                                     {"tagging", "BucketTagging"},
                                     {"publicAccessBlock", "PublicAccessBlock"},
                                     {"object-lock", "ObjectLockConfiguration"},
                                     {"ownershipControls", "BucketOwnershipControls"}};
    for (const auto& s : kSubs) {
      if (has(s[0])) {
        if (m == "GET") return std::string("Get") + s[1];
        if (m == "PUT") return std::string("Put") + s[1];
        if (m == "DELETE") return std::string("Delete") + s[1];
      }
    }
    if (m == "GET" && has("location")) return "GetBucketLocation";
    if (m == "GET" && has("versions")) return "ListObjectVersions";
    if (m == "GET" && has("uploads")) return "ListMultipartUploads";
    if (m == "GET") {
      for (const auto& q : query)
        if (q.first == "list-type" && q.second == "2") return "ListObjectsV2";
      return "ListObjects";
    }
    if (m == "PUT") return "CreateBucket";
    if (m == "DELETE") return "DeleteBucket";
    if (m == "HEAD") return "HeadBucket";
    if (m == "POST" && has("delete")) return "DeleteObjects";
    return "Unknown";
  }
  // Object Lock calls on a version (S3's CloudTrail event names).
  if ((m == "GET" || m == "PUT") && (has("retention") || has("legal-hold"))) {
    return std::string(m == "GET" ? "Get" : "Put") +
           (has("retention") ? "ObjectRetention" : "ObjectLegalHold");
  }
  if (m == "GET") return has("tagging") ? "GetObjectTagging" : has("acl") ? "GetObjectAcl"
                         : has("uploadId")                  ? "ListParts"
                                                            : "GetObject";
  if (m == "HEAD") return "HeadObject";
  if (m == "PUT") {
    if (has("uploadId")) return headers.count("x-amz-copy-source") ? "UploadPartCopy" : "UploadPart";
    if (has("tagging")) return "PutObjectTagging";
    if (has("acl")) return "PutObjectAcl";
    return headers.count("x-amz-copy-source") ? "CopyObject" : "PutObject";
  }
  if (m == "DELETE") return has("uploadId") ? "AbortMultipartUpload" : has("tagging") ? "DeleteObjectTagging" : "DeleteObject";
  if (m == "POST") {
    if (has("restore")) return "RestoreObject";
    if (has("uploads")) return "CreateMultipartUpload";
    if (has("uploadId")) return "CompleteMultipartUpload";
  }
  return "Unknown";
}

HttpResponse S3Error(const Status& status, std::string_view resource, std::string_view request_id,
                     std::string_view host_id) {
  HttpResponse r;
  r.status = status.http_status();
  r.headers.emplace_back("Content-Type", "application/xml");
  r.headers.emplace_back("x-amz-request-id", std::string(request_id));
  r.headers.emplace_back("x-amz-id-2", std::string(host_id));
  std::string b = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>";
  b += XmlEscape(status.code());
  b += "</Code><Message>";
  b += XmlEscape(status.message());
  b += "</Message>";
  if (!resource.empty()) {
    b += "<Resource>";
    b += XmlEscape(resource);
    b += "</Resource>";
  }
  b += "<RequestId>";
  b += XmlEscape(request_id);
  b += "</RequestId><HostId>";
  b += XmlEscape(host_id);
  b += "</HostId></Error>";
  r.body = std::move(b);
  return r;
}

}  // namespace orgtrail::api
