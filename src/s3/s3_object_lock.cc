// S3Service Object Lock: Put/GetObjectLockConfiguration, Put/GetObjectRetention,
// Put/GetObjectLegalHold, the lock headers of PutObject, and the guard that
// keeps locked versions from being deleted (by callers and by lifecycle).
#include "base/strings.h"
#include "crypto/hash.h"
#include "s3/object_lock.h"
#include "s3/s3_codec.h"
#include "s3/s3_service.h"

namespace orgtrail::s3 {

namespace {

Status MissingLockConfig() {
  return Status::Error("InvalidRequest", "Bucket is missing Object Lock Configuration");
}

Status NoLockOnVersion() {
  return Status::Error("NoSuchObjectLockConfiguration",
                       "The specified object does not have a ObjectLock configuration", 404);
}

Status MethodNotAllowed() {
  return Status::Error("MethodNotAllowed",
                       "The specified method is not allowed against this resource.", 405);
}

bool BypassRequested(const S3Request& req) {
  const std::string* h = Header(req, "x-amz-bypass-governance-retention");
  return h && ToLower(std::string(Trim(*h))) == "true";
}

S3Response Xml(std::string body) {
  S3Response r;
  r.headers.emplace_back("Content-Type", "application/xml");
  r.body = std::move(body);
  return r;
}

// The lock calls carry Content-MD5 (or a checksum the SDK adds); a digest
// that is present must match.
Status CheckContentMd5(const S3Request& req) {
  const std::string* md5 = Header(req, "content-md5");
  if (!md5) return Status::Ok();
  auto raw = Base64Decode(Trim(*md5));
  if (!raw || raw->size() != 16) {
    return Status::Error("InvalidDigest", "The Content-MD5 you specified was invalid.");
  }
  if (*raw != crypto::Md5(req.body)) {
    return Status::Error("BadDigest",
                         "The Content-MD5 you specified did not match what we received.");
  }
  return Status::Ok();
}

std::string Until(const VersionLock& l) {
  return l.retain_until ? FormatIso8601Millis(*l.retain_until) : std::string();
}

}  // namespace

Result<std::optional<ObjectLockConfig>> S3Service::LockConfigOf(const std::string& bucket) {
  OT_ASSIGN_OR_RETURN(std::optional<std::string> doc,
                      buckets_->GetConfig(bucket, kObjectLockConfigName));
  if (!doc) return std::optional<ObjectLockConfig>();
  OT_ASSIGN_OR_RETURN(ObjectLockConfig c, ParseObjectLockConfig(*doc));
  return std::optional<ObjectLockConfig>(c);
}

Result<S3Response> S3Service::ObjectLockConfiguration(const auth::RequestContext& ctx,
                                                      const S3Request& req) {
  const std::string& m = req.method;
  if (m != "GET" && m != "PUT") return MethodNotAllowed();
  OT_ASSIGN_OR_RETURN(BucketInfo b, Access(ctx, req,
                                           m == "GET" ? "s3:GetBucketObjectLockConfiguration"
                                                      : "s3:PutBucketObjectLockConfiguration"));
  OT_ASSIGN_OR_RETURN(std::optional<ObjectLockConfig> current, LockConfigOf(b.name));
  if (m == "GET") {
    if (!current) {
      return Status::Error("ObjectLockConfigurationNotFoundError",
                           "Object Lock configuration does not exist for this bucket", 404);
    }
    return Xml(RenderObjectLockConfig(*current));
  }
  // Object Lock is switched on only at CreateBucket
  // (x-amz-bucket-object-lock-enabled), so that every version the bucket
  // holds was written under it.
  if (!current) {
    return Status::Error("InvalidBucketState",
                         "Object Lock configuration cannot be enabled on existing buckets", 409);
  }
  OT_RETURN_IF_ERROR(CheckContentMd5(req));
  OT_ASSIGN_OR_RETURN(ObjectLockConfig c, ParseObjectLockConfig(req.body));
  OT_RETURN_IF_ERROR(buckets_->PutConfig(b.name, kObjectLockConfigName, RenderObjectLockConfig(c)));
  return S3Response{};
}

Status S3Service::ApplyPutObjectLock(const auth::RequestContext& ctx, const S3Request& req,
                                     const BucketInfo& b, objstore::ObjectMeta& meta) {
  const TimePoint now = clock_.Now();
  OT_ASSIGN_OR_RETURN(std::optional<VersionLock> asked, ParseLockHeaders(req.headers, now));
  OT_ASSIGN_OR_RETURN(std::optional<ObjectLockConfig> cfg, LockConfigOf(b.name));
  if (asked && !cfg) return MissingLockConfig();
  if (!cfg) return Status::Ok();
  VersionLock l = asked.value_or(VersionLock{});
  // Setting lock state with the write needs the permissions of the separate
  // calls, as on S3.
  // They carry the same s3:object-lock-* condition keys as the PutObject.
  ConditionValues cv;
  if (asked) AddObjectLockConditions(*asked, now, cv);
  if (!l.mode.empty()) {
    OT_RETURN_IF_ERROR(Authorize(ctx, b.name, "s3:PutObjectRetention", req.key, cv));
  }
  if (l.legal_hold_set) {
    OT_RETURN_IF_ERROR(Authorize(ctx, b.name, "s3:PutObjectLegalHold", req.key, cv));
  }
  if (l.mode.empty()) {
    if (auto until = DefaultRetainUntil(*cfg, now)) {
      l.mode = cfg->default_mode;
      l.retain_until = until;
    }
  }
  StoreLock(l, meta);
  return Status::Ok();
}

Result<S3Response> S3Service::ObjectRetention(const auth::RequestContext& ctx,
                                              const S3Request& req) {
  OT_ASSIGN_OR_RETURN(LockCall call,
                      BeginLockCall(ctx, req, "s3:GetObjectRetention", "s3:PutObjectRetention"));
  const BucketInfo& b = call.bucket;
  VersionLock cur = LockOf(call.version.meta);
  if (req.method == "GET") {
    if (cur.mode.empty()) {
      return NoLockOnVersion();
    }
    return Xml(RenderRetention(cur));
  }
  OT_RETURN_IF_ERROR(CheckContentMd5(req));
  const TimePoint now = clock_.Now();
  OT_ASSIGN_OR_RETURN(VersionLock wanted, ParseRetention(req.body, now));
  switch (ClassifyRetentionChange(cur, wanted, now)) {
    case RetentionChange::kAllowed:
      break;
    case RetentionChange::kForbidden:
      return Status::AccessDenied(
          "Access Denied because object protected by object lock: COMPLIANCE retention until " +
          Until(cur) + " cannot be shortened, removed or changed to GOVERNANCE");
    case RetentionChange::kNeedsBypass:
      if (!BypassRequested(req)) {
        return Status::AccessDenied(
            "Access Denied because object protected by object lock: shortening or removing the "
            "GOVERNANCE retention until " +
            Until(cur) +
            " needs x-amz-bypass-governance-retention: true and s3:BypassGovernanceRetention");
      }
      OT_RETURN_IF_ERROR(Authorize(ctx, b.name, "s3:BypassGovernanceRetention", req.key));
      break;
  }
  wanted.legal_hold = cur.legal_hold;
  wanted.legal_hold_set = cur.legal_hold_set;
  OT_RETURN_IF_ERROR(SaveLock(call, req.key, wanted));
  return S3Response{};
}

Result<S3Response> S3Service::ObjectLegalHold(const auth::RequestContext& ctx,
                                              const S3Request& req) {
  OT_ASSIGN_OR_RETURN(LockCall call,
                      BeginLockCall(ctx, req, "s3:GetObjectLegalHold", "s3:PutObjectLegalHold"));
  VersionLock cur = LockOf(call.version.meta);
  if (req.method == "GET") {
    if (!cur.legal_hold_set) {
      return NoLockOnVersion();
    }
    return Xml(RenderLegalHold(cur.legal_hold));
  }
  OT_RETURN_IF_ERROR(CheckContentMd5(req));
  OT_ASSIGN_OR_RETURN(bool on, ParseLegalHold(req.body));
  cur.legal_hold = on;
  cur.legal_hold_set = true;
  OT_RETURN_IF_ERROR(SaveLock(call, req.key, cur));
  return S3Response{};
}

Status S3Service::SaveLock(const LockCall& call, const std::string& key,
                           const VersionLock& lock) {
  objstore::ObjectMeta meta = call.version.meta;
  StoreLock(lock, meta);
  return store_.UpdateMeta(call.bucket.name, key, call.version.version_id, meta);
}

Result<S3Service::LockCall> S3Service::BeginLockCall(const auth::RequestContext& ctx,
                                                      const S3Request& req, const char* get_action,
                                                      const char* put_action) {
  const std::string& m = req.method;
  if (m != "GET" && m != "PUT") return MethodNotAllowed();
  const std::string* vid = QueryParam(req, "versionId");
  if (vid && vid->empty()) {
    return Status::Error("InvalidArgument", "Version id cannot be the empty string");
  }
  LockCall call;
  OT_ASSIGN_OR_RETURN(call.bucket, Access(ctx, req, m == "GET" ? get_action : put_action));
  OT_ASSIGN_OR_RETURN(std::optional<ObjectLockConfig> cfg, LockConfigOf(call.bucket.name));
  if (!cfg) return MissingLockConfig();
  call.guard = std::unique_lock<std::mutex>(lock_mu_);
  OT_ASSIGN_OR_RETURN(call.version, store_.Head(call.bucket.name, req.key, vid ? *vid : ""));
  if (call.version.meta.delete_marker) {
    if (vid) return MethodNotAllowed();
    return Status::Error("NoSuchKey", "The specified key does not exist.", 404);
  }
  return call;
}

Status S3Service::CheckVersionDeletable(const auth::RequestContext& ctx, const BucketInfo& b,
                                        const std::string& key, const std::string& version_id,
                                        bool bypass) {
  if (version_id.empty()) return Status::Ok();
  auto info = store_.Head(b.name, key, version_id);
  if (!info.ok()) return Status::Ok();  // DeleteOne answers for absent versions
  const VersionLock l = LockOf(info->meta);
  const std::string why = DeletionBlocker(l, clock_.Now());
  if (why.empty()) return Status::Ok();
  if (why == "legal-hold") {
    return Status::AccessDenied(
        "Access Denied because object protected by object lock: a legal hold is ON");
  }
  if (why == "compliance") {
    return Status::AccessDenied(
        "Access Denied because object protected by object lock: COMPLIANCE retention until " +
        Until(l));
  }
  if (!bypass) {
    return Status::AccessDenied(
        "Access Denied because object protected by object lock: GOVERNANCE retention until " +
        Until(l) +
        " (x-amz-bypass-governance-retention: true and s3:BypassGovernanceRetention "
        "are required)");
  }
  return Authorize(ctx, b.name, "s3:BypassGovernanceRetention", key);
}

bool S3Service::LockBlocksLifecycleRemoval(const std::string& bucket,
                                           const objstore::ObjectInfo& v) {
  if (v.meta.delete_marker) return false;
  if (v.is_latest) {
    auto b = buckets_->Get(bucket);
    // Expiring the current version of a versioning-enabled bucket adds a
    // delete marker and removes nothing.
    if (b.ok() && b->versioning == "Enabled") return false;
  }
  return !DeletionBlocker(LockOf(v.meta), clock_.Now()).empty();
}

}  // namespace orgtrail::s3
