// S3Service object operations: PutObject, GetObject/HeadObject,
// DeleteObject, DeleteObjects, and the SSE envelope.
#include <set>

#include "base/ids.h"
#include "base/json.h"
#include "base/strings.h"
#include "crypto/aead.h"
#include "crypto/hash.h"
#include "s3/bucket_config.h"
#include "s3/object_lock.h"
#include "s3/restore_state.h"
#include "s3/s3_codec.h"
#include "s3/s3_service.h"
#include "s3/sse_s3.h"

namespace orgtrail::s3 {

namespace {

// Object metadata attribute names (docs/formats/objects.md).
// (sse, sse-data-key, sse-encrypted: s3/sse_s3.h)
constexpr char kAttrKmsArn[] = "sse-kms-key-arn";
constexpr char kAttrAcl[] = "acl";
// Decodes x-amz-server-side-encryption-context (base64 of a JSON object of
// strings) into canonical JSON; InvalidArgument when malformed.
Result<std::string> ParseSseContextHeader(const std::string& b64) {
  auto raw = Base64Decode(std::string(Trim(b64)));
  if (!raw) return Status::Error("InvalidArgument", "x-amz-server-side-encryption-context must be base64");
  Json j = Json::parse(*raw, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Status::Error("InvalidArgument", "x-amz-server-side-encryption-context must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it->is_string()) return Status::Error("InvalidArgument", "encryption context values must be strings");
  }
  return j.dump();
}

const std::set<std::string>& StorageClasses() {
  static const std::set<std::string> k = {
      "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
      "GLACIER", "DEEP_ARCHIVE", "GLACIER_IR", "OUTPOSTS", "SNOW", "EXPRESS_ONEZONE"};
  return k;
}

std::string Quote(const std::string& etag) { return "\"" + etag + "\""; }

std::string Unquote(std::string_view s) {
  s = Trim(s);
  if (StartsWith(s, "W/")) s.remove_prefix(2);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return std::string(s);
}

bool EtagListMatches(const std::string& header, const std::string& etag) {
  for (const auto& part : Split(header, ',')) {
    std::string t = Unquote(part);
    if (t == "*" || t == etag) return true;
  }
  return false;
}

int64_t Seconds(TimePoint t) { return ToUnixSeconds(t); }

Status CheckDigests(const S3Request& req, std::string_view body) {
  if (const std::string* md5 = Header(req, "content-md5")) {
    auto raw = Base64Decode(Trim(*md5));
    if (!raw || raw->size() != 16) {
      return Status::Error("InvalidDigest", "The Content-MD5 you specified was invalid.");
    }
    if (*raw != crypto::Md5(body)) {
      return Status::Error("BadDigest",
                           "The Content-MD5 you specified did not match what we received.");
    }
  }
  struct Algo {
    const char* header;
    const char* name;
    size_t raw_size;
  };
  for (const Algo& a : {Algo{"x-amz-checksum-crc32", "crc32", 4},
                        Algo{"x-amz-checksum-crc32c", "crc32c", 4},
                        Algo{"x-amz-checksum-sha256", "sha256", 32}}) {
    const std::string* v = Header(req, a.header);
    if (!v) continue;
    auto raw = Base64Decode(Trim(*v));
    if (!raw || raw->size() != a.raw_size) {
      return Status::Error("InvalidRequest",
                           std::string("Value for ") + a.header + " header is invalid.");
    }
    std::string want;
    if (a.raw_size == 32) {
      want = Base64Encode(crypto::Sha256(body));
    } else {
      want = ChecksumHeaderValue(std::string_view(a.name) == "crc32" ? Crc32(body) : Crc32c(body));
    }
    if (want != Trim(*v)) {
      return Status::Error("BadDigest", std::string("The ") + a.name +
                                            " you specified did not match the calculated "
                                            "checksum.");
    }
  }
  return Status::Ok();
}

void AddSseHeaders(S3Response& r, const objstore::ObjectMeta& m) {
  auto it = m.attributes.find(kAttrSse);
  if (it == m.attributes.end()) return;
  r.headers.emplace_back("x-amz-server-side-encryption", it->second);
  if (auto k = m.attributes.find(kAttrKmsArn); k != m.attributes.end()) {
    r.headers.emplace_back("x-amz-server-side-encryption-aws-kms-key-id", k->second);
  }
}

// `see_retention` / `see_legal_hold`: whether the caller may read them
// (S3 leaves the headers out otherwise).
void AddLockHeaders(S3Response& r, const objstore::ObjectMeta& m, bool see_retention,
                    bool see_legal_hold) {
  const VersionLock l = LockOf(m);
  if (see_retention && !l.mode.empty() && l.retain_until) {
    r.headers.emplace_back("x-amz-object-lock-mode", l.mode);
    r.headers.emplace_back("x-amz-object-lock-retain-until-date",
                           FormatIso8601Millis(*l.retain_until));
  }
  if (see_legal_hold && l.legal_hold_set) {
    r.headers.emplace_back("x-amz-object-lock-legal-hold", l.legal_hold ? "ON" : "OFF");
  }
}

bool BypassGovernance(const S3Request& req) {
  const std::string* h = Header(req, "x-amz-bypass-governance-retention");
  return h && ToLower(std::string(Trim(*h))) == "true";
}

}  // namespace

Result<S3Response> S3Service::PutObject(const auth::RequestContext& ctx, const S3Request& req) {
  OT_ASSIGN_OR_RETURN(BucketInfo b, Access(ctx, req, "s3:PutObject"));
  objstore::ObjectMeta meta;
  if (const std::string* sc = Header(req, "x-amz-storage-class")) {
    if (!StorageClasses().count(*sc)) {
      return Status::Error("InvalidStorageClass", "The storage class you specified is not valid");
    }
    meta.storage_class = *sc;
  }
  if (const std::string* acl = Header(req, "x-amz-acl")) {
    static const std::set<std::string> kAcls = {
        "private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read",
        "bucket-owner-read", "bucket-owner-full-control"};
    if (!kAcls.count(*acl)) return Status::Error("InvalidArgument", "Invalid canned ACL");
    meta.attributes[kAttrAcl] = *acl;
  }
  if (const std::string* tagging = Header(req, "x-amz-tagging")) {
    // Object tags (lifecycle filters match on them), kept URL-encoded.
    auto tags = ParseQueryString(*tagging, true);
    if (!tags || tags->size() > 10) {
      return Status::Error("InvalidArgument", "The header 'x-amz-tagging' shall be encoded as "
                                              "UTF-8 then URLEncoded URL query parameters "
                                              "without tag name duplicates.");
    }
    if (!tags->empty()) meta.attributes["tagging"] = *tagging;
  }
  OT_RETURN_IF_ERROR(CheckDigests(req, req.body));
  OT_RETURN_IF_ERROR(ApplyPutObjectLock(ctx, req, b, meta));

  // Encryption: request headers, else the bucket default.
  std::string sse, kms_key;
  if (const std::string* h = Header(req, "x-amz-server-side-encryption")) {
    if (*h != "AES256" && *h != "aws:kms" && *h != "aws:kms:dsse") {
      return Status::Error("InvalidArgument",
                           "Server Side Encryption with unknown algorithm: " + *h);
    }
    sse = *h;
  }
  if (const std::string* k = Header(req, "x-amz-server-side-encryption-aws-kms-key-id")) {
    if (sse.empty() || sse == "AES256") {
      return Status::Error("InvalidArgument",
                           "Specifying a KMS key id requires x-amz-server-side-encryption: "
                           "aws:kms");
    }
    kms_key = *k;
  }
  if (sse.empty()) {
    OT_ASSIGN_OR_RETURN(auto enc, buckets_->GetConfig(b.name, "encryption"));
    if (enc) {
      OT_ASSIGN_OR_RETURN(EncryptionConfig e, ParseEncryptionConfig(*enc));
      sse = e.algorithm;
      kms_key = e.kms_key_id;
    }
  }
  if (sse == "aws:kms:dsse") sse = "aws:kms";
  if (sse == "aws:kms" && kms_key.empty()) kms_key = "alias/aws/s3";

  std::string version = b.versioning == "Enabled" ? NewVersionId() : "null";
  meta.etag = crypto::Md5Hex(req.body);
  meta.size = static_cast<int64_t>(req.body.size());
  meta.last_modified = clock_.Now();
  const std::string* ct = Header(req, "content-type");
  meta.content_type = ct ? *ct : "binary/octet-stream";
  for (const auto& [name, value] : req.headers) {
    if (StartsWith(name, "x-amz-meta-")) meta.user_meta[ToLower(name.substr(11))] = value;
  }
  for (const char* c : {"crc32", "crc32c", "sha256"}) {
    if (const std::string* v = Header(req, std::string("x-amz-checksum-") + c)) {
      meta.attributes[std::string("checksum-") + c] = std::string(Trim(*v));
    }
  }

  std::string sealed;
  std::string_view to_store = req.body;
  std::string aad = ObjectAad(b.name, req.key, version);
  if (sse == "aws:kms") {
    std::string extra;
    if (const std::string* h = Header(req, "x-amz-server-side-encryption-context")) {
      OT_ASSIGN_OR_RETURN(extra, ParseSseContextHeader(*h));
      meta.attributes[kAttrSseContext] = extra;
    }
    kms::EncryptionContext ec = ObjectKmsContext(b.name, req.key, extra);
    OT_ASSIGN_OR_RETURN(kms::DataKey dk, kms_.GenerateDataKeyFor(ctx, kms_key, ec));
    OT_ASSIGN_OR_RETURN(sealed, crypto::AesGcmSeal(dk.plaintext, req.body, aad));
    meta.attributes[kAttrSse] = "aws:kms";
    meta.attributes[kAttrKmsArn] = dk.key_arn;
    meta.attributes[kAttrDataKey] = dk.ciphertext_blob;
    meta.attributes[kAttrEncrypted] = "1";
    to_store = sealed;
  } else if (sse == "AES256") {
    meta.attributes[kAttrSse] = "AES256";
    if (!sse_s3_key_.empty()) {
      std::string object_key = RandomBytes(32);
      OT_ASSIGN_OR_RETURN(std::string wrapped,
                          WrapSseS3DataKey(sse_s3_key_, object_key, aad));
      OT_ASSIGN_OR_RETURN(sealed, crypto::AesGcmSeal(object_key, req.body, aad));
      meta.attributes[kAttrDataKey] = wrapped;
      meta.attributes[kAttrEncrypted] = "1";
      to_store = sealed;
    }
  }
  OT_RETURN_IF_ERROR(store_.Put(b.name, req.key, version, to_store, meta));

  S3Response r;
  r.headers.emplace_back("ETag", Quote(meta.etag));
  if (b.versioning == "Enabled") r.headers.emplace_back("x-amz-version-id", version);
  AddSseHeaders(r, meta);
  for (const char* c : {"crc32", "crc32c", "sha256"}) {
    auto it = meta.attributes.find(std::string("checksum-") + c);
    if (it != meta.attributes.end()) {
      r.headers.emplace_back(std::string("x-amz-checksum-") + c, it->second);
    }
  }
  return r;
}

Status S3Service::OpenEnvelope(const auth::RequestContext& ctx, const std::string& bucket,
                               const objstore::ObjectInfo& info, std::string& bytes) {
  const auto& a = info.meta.attributes;
  auto enc = a.find(kAttrEncrypted);
  if (enc == a.end() || enc->second != "1") return Status::Ok();
  auto blob = a.find(kAttrDataKey);
  auto sse = a.find(kAttrSse);
  if (blob == a.end() || sse == a.end()) return Status::Internal("object envelope is incomplete");
  std::string aad = ObjectAad(bucket, info.key, info.version_id);
  std::string data_key;
  if (sse->second == "aws:kms") {
    auto extra = a.find(kAttrSseContext);
    kms::EncryptionContext ec =
        ObjectKmsContext(bucket, info.key, extra == a.end() ? std::string() : extra->second);
    OT_ASSIGN_OR_RETURN(kms::DataKey dk, kms_.DecryptFor(ctx, blob->second, ec));
    data_key = std::move(dk.plaintext);
  } else {
    if (sse_s3_key_.empty()) return Status::Internal("SSE-S3 object but no server key configured");
    OT_ASSIGN_OR_RETURN(data_key, UnwrapSseS3DataKey(sse_s3_key_, blob->second, aad));
  }
  if (!crypto::AesGcmOpenInPlace(data_key, &bytes, aad).ok()) {
    return Status::Internal("object ciphertext failed authentication");
  }
  return Status::Ok();
}

Result<S3Response> S3Service::GetObject(const auth::RequestContext& ctx, const S3Request& req,
                                        bool head) {
  const std::string* vid = QueryParam(req, "versionId");
  std::string version = vid ? *vid : "";
  if (vid && vid->empty()) {
    return Status::Error("InvalidArgument", "Version id cannot be the empty string");
  }
  OT_ASSIGN_OR_RETURN(BucketInfo b,
                      Access(ctx, req, vid ? "s3:GetObjectVersion" : "s3:GetObject"));
  OT_ASSIGN_OR_RETURN(objstore::ObjectInfo info, store_.Head(b.name, req.key, version));
  const objstore::ObjectMeta& m = info.meta;
  if (m.delete_marker) {
    Status st = vid ? Status::Error("MethodNotAllowed",
                                    "The specified method is not allowed against this resource.",
                                    405)
                    : Status::Error("NoSuchKey", "The specified key does not exist.", 404);
    S3Response e = ErrorResponse(st, req, ctx.request_id);
    e.headers.emplace_back("x-amz-delete-marker", "true");
    e.headers.emplace_back("x-amz-version-id", info.version_id);
    return e;
  }
  // Archived objects are readable only while a restored copy exists.
  const RestoreState restore = RestoreStateOf(m, clock_.Now());
  if (!head && objstore::IsColdStorageClass(m.storage_class) &&
      restore.kind != RestoreState::Kind::kAvailable) {
    return Status::Error("InvalidObjectState",
                         "The operation is not valid for the object's storage class", 403);
  }

  S3Response r;
  auto common_headers = [&](S3Response& out) {
    out.headers.emplace_back("ETag", Quote(m.etag));
    out.headers.emplace_back("Last-Modified", FormatRfc1123(m.last_modified));
    if (info.version_id != "null") out.headers.emplace_back("x-amz-version-id", info.version_id);
  };
  // Conditionals (RFC 7232 order, as S3 applies them).
  const std::string* if_match = Header(req, "if-match");
  const std::string* if_none = Header(req, "if-none-match");
  int64_t lm = Seconds(m.last_modified);
  if (if_match && !EtagListMatches(*if_match, m.etag)) {
    return Status::Error("PreconditionFailed",
                         "At least one of the pre-conditions you specified did not hold", 412);
  }
  if (!if_match) {
    if (const std::string* ius = Header(req, "if-unmodified-since")) {
      auto t = ParseRfc1123(*ius);
      if (t && lm > Seconds(*t)) {
        return Status::Error("PreconditionFailed",
                             "At least one of the pre-conditions you specified did not hold", 412);
      }
    }
  }
  bool not_modified = false;
  if (if_none) {
    not_modified = EtagListMatches(*if_none, m.etag);
  } else if (const std::string* ims = Header(req, "if-modified-since")) {
    auto t = ParseRfc1123(*ims);
    not_modified = t && lm <= Seconds(*t);
  }
  if (not_modified) {
    r.status = 304;
    common_headers(r);
    return r;
  }

  OT_ASSIGN_OR_RETURN(std::optional<ResolvedRange> range,
                      ResolveRange(Header(req, "range"), m.size));
  int64_t length = range ? range->last - range->first + 1 : m.size;
  r.status = range ? 206 : 200;
  common_headers(r);
  r.headers.emplace_back("Accept-Ranges", "bytes");
  r.headers.emplace_back("Content-Type", m.content_type.empty() ? "binary/octet-stream"
                                                                 : m.content_type);
  if (range) {
    r.headers.emplace_back("Content-Range", "bytes " + std::to_string(range->first) + "-" +
                                                std::to_string(range->last) + "/" +
                                                std::to_string(m.size));
  }
  if (m.storage_class != "STANDARD") r.headers.emplace_back("x-amz-storage-class", m.storage_class);
  if (objstore::IsColdStorageClass(m.storage_class) && restore.kind != RestoreState::Kind::kNone) {
    r.headers.emplace_back("x-amz-restore", RestoreHeader(restore));
  }
  AddSseHeaders(r, m);
  if (m.attributes.count(kAttrLockMode) || m.attributes.count(kAttrLockLegalHold)) {
    AddLockHeaders(r, m, Authorize(ctx, b.name, "s3:GetObjectRetention", req.key).ok(),
                   Authorize(ctx, b.name, "s3:GetObjectLegalHold", req.key).ok());
  }
  for (const auto& [k, v] : m.user_meta) r.headers.emplace_back("x-amz-meta-" + k, v);
  const std::string* mode = Header(req, "x-amz-checksum-mode");
  if (!range && mode && ToLower(*mode) == "enabled") {
    for (const char* c : {"crc32", "crc32c", "sha256"}) {
      auto it = m.attributes.find(std::string("checksum-") + c);
      if (it != m.attributes.end()) {
        r.headers.emplace_back(std::string("x-amz-checksum-") + c, it->second);
      }
    }
  }
  if (head) {
    r.headers.emplace_back("Content-Length", std::to_string(length));
    return r;
  }
  bool encrypted = m.attributes.count(kAttrEncrypted) > 0;
  std::optional<objstore::ByteRange> store_range;
  if (range && !encrypted) store_range = objstore::ByteRange{range->first, range->last};
  OT_ASSIGN_OR_RETURN(objstore::ObjectData data,
                      store_.Get(b.name, req.key, info.version_id, store_range));
  if (encrypted) {
    OT_RETURN_IF_ERROR(OpenEnvelope(ctx, b.name, data.info, data.bytes));
    if (range) {
      if (range->first == 0) {
        data.bytes.resize(static_cast<size_t>(length));
      } else {
        data.bytes = data.bytes.substr(static_cast<size_t>(range->first), static_cast<size_t>(length));
      }
    }
  }
  r.body = std::move(data.bytes);
  return r;
}

Status S3Service::DeleteOne(const BucketInfo& b, const std::string& key,
                            const std::string& version_id, std::string* out_version,
                            bool* out_marker) {
  *out_marker = false;
  out_version->clear();
  if (!version_id.empty()) {
    auto info = store_.Head(b.name, key, version_id);
    if (!info.ok()) {
      const std::string& c = info.status().code();
      if (c == "NoSuchKey" || c == "NoSuchVersion") {
        *out_version = version_id;
        return Status::Ok();
      }
      return info.status();
    }
    *out_marker = info->meta.delete_marker;
    *out_version = version_id;
    Status st = store_.Delete(b.name, key, version_id);
    return st.code() == "NoSuchKey" || st.code() == "NoSuchVersion" ? Status::Ok() : st;
  }
  if (b.versioning.empty()) {
    Status st = store_.Delete(b.name, key, "null");
    return st.code() == "NoSuchKey" || st.code() == "NoSuchVersion" ? Status::Ok() : st;
  }
  objstore::ObjectMeta marker;
  marker.delete_marker = true;
  marker.last_modified = clock_.Now();
  std::string vid = b.versioning == "Enabled" ? NewVersionId() : "null";
  OT_RETURN_IF_ERROR(store_.Put(b.name, key, vid, "", marker));
  *out_marker = true;
  *out_version = vid;
  return Status::Ok();
}

Result<S3Response> S3Service::DeleteObject(const auth::RequestContext& ctx, const S3Request& req) {
  const std::string* vid = QueryParam(req, "versionId");
  OT_ASSIGN_OR_RETURN(BucketInfo b,
                      Access(ctx, req, vid ? "s3:DeleteObjectVersion" : "s3:DeleteObject"));
  std::string version;
  bool marker = false;
  {
    std::lock_guard<std::mutex> guard(lock_mu_);
    OT_RETURN_IF_ERROR(
        CheckVersionDeletable(ctx, b, req.key, vid ? *vid : "", BypassGovernance(req)));
    OT_RETURN_IF_ERROR(DeleteOne(b, req.key, vid ? *vid : "", &version, &marker));
  }
  S3Response r;
  r.status = 204;
  if (marker) r.headers.emplace_back("x-amz-delete-marker", "true");
  if (!version.empty() && (vid || !b.versioning.empty())) {
    r.headers.emplace_back("x-amz-version-id", version);
  }
  return r;
}

Result<S3Response> S3Service::DeleteObjects(const auth::RequestContext& ctx,
                                            const S3Request& req) {
  OT_ASSIGN_OR_RETURN(BucketInfo b, buckets_->Get(req.bucket));
  OT_RETURN_IF_ERROR(CheckDigests(req, req.body));
  OT_ASSIGN_OR_RETURN(auto doc, ParseXmlBody(req.body, "Delete"));
  auto root = doc->document_element();
  bool quiet = false;
  if (auto q = ChildText(root, "Quiet")) {
    auto v = ParseXmlBool(*q);
    if (!v) return Status::Error("MalformedXML", "The XML you provided was not well-formed");
    quiet = *v;
  }
  struct Item {
    std::string key, version;
  };
  std::vector<Item> items;
  for (auto o = root.child("Object"); o; o = o.next_sibling("Object")) {
    auto k = ChildText(o, "Key");
    if (!k) return Status::Error("MalformedXML", "The XML you provided was not well-formed");
    // Keys are not trimmed: take the raw text.
    items.push_back({o.child("Key").text().get(), ChildText(o, "VersionId").value_or("")});
  }
  if (items.empty() || items.size() > 1000) {
    return Status::Error("MalformedXML",
                         "The XML you provided was not well-formed or did not validate against "
                         "our published schema");
  }
  const bool bypass = BypassGovernance(req);
  XmlWriter w;
  w.Open("DeleteResult", true);
  for (const auto& it : items) {
    Status st;
    std::string version;
    bool marker = false;
    if (it.key.empty() || it.key.size() > 1024) {
      st = Status::Error(it.key.empty() ? "InvalidArgument" : "KeyTooLongError",
                         it.key.empty() ? "Key cannot be empty" : "Your key is too long");
    } else {
      ConditionValues cv;
      st = Authorize(ctx, b.name, it.version.empty() ? "s3:DeleteObject" : "s3:DeleteObjectVersion",
                     it.key, cv);
      if (st.ok()) {
        std::lock_guard<std::mutex> guard(lock_mu_);
        st = CheckVersionDeletable(ctx, b, it.key, it.version, bypass);
        if (st.ok()) st = DeleteOne(b, it.key, it.version, &version, &marker);
      }
    }
    if (!st.ok()) {
      w.Open("Error").Leaf("Key", it.key);
      if (!it.version.empty()) w.Leaf("VersionId", it.version);
      w.Leaf("Code", st.code()).Leaf("Message", st.message()).Close("Error");
      continue;
    }
    if (quiet) continue;
    w.Open("Deleted").Leaf("Key", it.key);
    if (!it.version.empty()) w.Leaf("VersionId", it.version);
    if (marker) {
      w.Leaf("DeleteMarker", "true");
      if (!version.empty()) w.Leaf("DeleteMarkerVersionId", version);
    }
    w.Close("Deleted");
  }
  S3Response r;
  r.headers.emplace_back("Content-Type", "application/xml");
  r.body = w.Close("DeleteResult").Take();
  return r;
}

}  // namespace orgtrail::s3
