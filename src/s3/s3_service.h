// S3Service: the S3 operations orgtrail serves (buckets, their
// configuration, objects, listings, SSE-KMS/SSE-S3 envelopes), on top of the
// catalog (bucket records), an ObjectStore (bytes) and KMS (data keys). The
// API layer hands it decoded S3Requests; it answers S3Responses with S3's
// XML bodies and headers, errors included, and never throws.
//
// Files: s3_service.cc (dispatch, bucket operations), s3_objects.cc (object
// operations, SSE), s3_listing.cc (ListObjects v1/v2, ListObjectVersions),
// s3_object_lock.cc (Object Lock: bucket configuration, retention, legal
// hold, deletion guard).
//
// Thread-safety: thread-safe; all state lives in the catalog and the store.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "auth/principal.h"
#include "base/status.h"
#include "base/time.h"
#include "catalog/db.h"
#include "kms/data_key_provider.h"
#include "objstore/object_store.h"
#include "iam/authorizer.h"
#include "s3/bucket_policy.h"
#include "s3/bucket_store.h"
#include "s3/object_lock.h"
#include "s3/s3_types.h"

namespace orgtrail::s3 {

// How long a RestoreObject takes, by tier and archive class (AWS documents
// Expedited 1-5 min, Standard 3-5 h, Bulk 5-12 h for GLACIER; Standard
// within 12 h and Bulk within 48 h for DEEP_ARCHIVE). Tests make them short.
struct RestoreTimes {
  Duration expedited = std::chrono::minutes(5);
  Duration standard = std::chrono::hours(4);
  Duration bulk = std::chrono::hours(12);
  Duration deep_standard = std::chrono::hours(12);
  Duration deep_bulk = std::chrono::hours(48);
};

class S3Service {
 public:
  // `sse_s3_key`: 32-byte server key sealing per-object SSE-S3 (AES256)
  // data keys; when empty, AES256 objects are stored in the clear and only
  // the header is echoed. All references must outlive the service. Aborts
  // if the catalog tables cannot be created (startup invariant).
  S3Service(catalog::Db& db, objstore::ObjectStore& store, kms::DataKeyProvider& kms,
            const Clock& clock, std::string sse_s3_key = "");
  S3Service(const S3Service&) = delete;
  S3Service& operator=(const S3Service&) = delete;

  S3Response Handle(const auth::RequestContext& ctx, const S3Request& req);

  // The authorizer to use (iam::Authorizer::Default() when unset); must
  // outlive the service. Call before serving requests.
  void SetAuthorizer(const iam::Authorizer* authorizer) { authorizer_ = authorizer; }

  // The access decision Handle applies (iam::Authorizer over the caller's
  // identity policies and the bucket policy: same account either allows,
  // cross-account both must, service principals and anonymous callers by the
  // bucket policy alone, explicit Deny wins; the owner root may always
  // manage the bucket policy), also for in-process writers (trail delivery as
  // cloudtrail.amazonaws.com, with aws:SourceArn/aws:SourceAccount). `key` empty for bucket-level actions. NoSuchBucket if the
  // bucket does not exist, AccessDenied if refused.
  Status Authorize(const auth::RequestContext& ctx, const std::string& bucket,
                   const std::string& action, const std::string& key,
                   const ConditionValues& conditions = {});

  BucketStore& buckets() { return *buckets_; }

  // Lifecycle support (s3_lifecycle.cc), for lifecycle::S3LifecycleTarget.
  // Every bucket that has a lifecycle configuration, with its stored XML.
  Result<std::vector<std::pair<BucketInfo, std::string>>> LifecycleConfigurations();
  // Expires the current version of `key` as DeleteObject without a version
  // id does (delete marker when versioned; *marker_version gets its id,
  // empty when the object was deleted outright).
  Status ExpireCurrentVersion(const std::string& bucket, const std::string& key,
                              std::string* marker_version);
  // Object Lock for lifecycle (s3_object_lock.cc): true when the lifecycle
  // worker must not remove version `v` of `bucket` now (legal hold, or a
  // retention period running on the server clock). A current version in a
  // versioning-enabled bucket is never blocked: its expiry only adds a
  // delete marker.
  bool LockBlocksLifecycleRemoval(const std::string& bucket, const objstore::ObjectInfo& v);
  // Restore durations; call before serving requests (not synchronised).
  void SetRestoreTimes(const RestoreTimes& t) { restore_times_ = t; }

 private:
  struct Op;
  Result<S3Response> Dispatch(const auth::RequestContext& ctx, const S3Request& req);
  // Loads the bucket and checks `action` for the caller.
  Result<BucketInfo> Access(const auth::RequestContext& ctx, const S3Request& req,
                            const std::string& action);

  // Buckets (s3_service.cc).
  Result<S3Response> ListBuckets(const auth::RequestContext& ctx, const S3Request& req);
  Result<S3Response> CreateBucket(const auth::RequestContext& ctx, const S3Request& req);
  Result<S3Response> DeleteBucket(const auth::RequestContext& ctx, const S3Request& req);
  Result<S3Response> HeadBucket(const auth::RequestContext& ctx, const S3Request& req);
  Result<S3Response> GetBucketLocation(const auth::RequestContext& ctx, const S3Request& req);
  Result<S3Response> BucketConfig(const auth::RequestContext& ctx, const S3Request& req,
                                  const std::string& sub);

  // Objects (s3_objects.cc).
  Result<S3Response> PutObject(const auth::RequestContext& ctx, const S3Request& req);
  Result<S3Response> GetObject(const auth::RequestContext& ctx, const S3Request& req, bool head);
  Result<S3Response> DeleteObject(const auth::RequestContext& ctx, const S3Request& req);
  Result<S3Response> DeleteObjects(const auth::RequestContext& ctx, const S3Request& req);
  // Deletes one key as DeleteObject does; fills version/delete-marker results.
  Status DeleteOne(const BucketInfo& b, const std::string& key, const std::string& version_id,
                   std::string* out_version, bool* out_marker);
  // Decrypts stored bytes in place per the object's SSE attributes.
  Status OpenEnvelope(const auth::RequestContext& ctx, const std::string& bucket,
                      const objstore::ObjectInfo& info, std::string& bytes);

  // Object Lock (s3_object_lock.cc).
  Result<S3Response> ObjectLockConfiguration(const auth::RequestContext& ctx, const S3Request& req);
  Result<S3Response> ObjectRetention(const auth::RequestContext& ctx, const S3Request& req);
  Result<S3Response> ObjectLegalHold(const auth::RequestContext& ctx, const S3Request& req);
  // What a retention / legal-hold call (GET or PUT) works on: the bucket,
  // authorized for `get_action` or `put_action` by method and with Object
  // Lock enabled, and the version the call names (latest without
  // versionId; a delete marker is NoSuchKey, or MethodNotAllowed when named
  // by id), looked up with lock_mu_ held by `guard` for the rest of the call.
  struct LockCall {
    BucketInfo bucket;
    objstore::ObjectInfo version;
    std::unique_lock<std::mutex> guard;
  };
  Result<LockCall> BeginLockCall(const auth::RequestContext& ctx, const S3Request& req,
                                 const char* get_action, const char* put_action);
  // The PUT's end: `lock` becomes the version's stored lock state.
  Status SaveLock(const LockCall& call, const std::string& key, const VersionLock& lock);
  // The bucket's Object Lock configuration; nullopt when lock is not enabled.
  Result<std::optional<ObjectLockConfig>> LockConfigOf(const std::string& bucket);
  // PutObject: validates the x-amz-object-lock-* headers (InvalidRequest on
  // a bucket without lock; s3:PutObjectRetention / s3:PutObjectLegalHold
  // checked when given) or applies the bucket's default retention, into
  // meta.attributes.
  Status ApplyPutObjectLock(const auth::RequestContext& ctx, const S3Request& req,
                            const BucketInfo& b, objstore::ObjectMeta& meta);
  // Refuses (AccessDenied) the permanent deletion of (key, version_id) while
  // a legal hold or retention protects it; a GOVERNANCE retention gives way
  // to `bypass` plus s3:BypassGovernanceRetention. Empty version_id (a
  // delete marker) and absent versions pass. Call with lock_mu_ held.
  Status CheckVersionDeletable(const auth::RequestContext& ctx, const BucketInfo& b,
                               const std::string& key, const std::string& version_id, bool bypass);

  // RestoreObject (s3_restore.cc).
  Result<S3Response> RestoreObject(const auth::RequestContext& ctx, const S3Request& req);

  // Listing (s3_listing.cc).
  Result<S3Response> ListObjects(const auth::RequestContext& ctx, const S3Request& req, bool v2);
  Result<S3Response> ListObjectVersions(const auth::RequestContext& ctx, const S3Request& req);

  std::string NewVersionId() const;
  const iam::Authorizer& authorizer() const;

  catalog::Db& db_;
  objstore::ObjectStore& store_;
  kms::DataKeyProvider& kms_;
  const Clock& clock_;
  const std::string sse_s3_key_;
  std::unique_ptr<BucketStore> buckets_;
  RestoreTimes restore_times_;
  const iam::Authorizer* authorizer_ = nullptr;
  // Serialises Object Lock read-check-write sequences (retention and legal
  // hold changes, the lock check before a version delete) so two requests
  // cannot interleave a check with the other's write.
  std::mutex lock_mu_;
};

// Canonical owner id shown for an account (64 hex chars, as S3's).
std::string CanonicalUserId(const std::string& account_id);
// S3 bucket naming rules (InvalidBucketName).
Status ValidateBucketName(const std::string& name);

}  // namespace orgtrail::s3
