// LifecycleWorker: applies every bucket's lifecycle rules on the server's
// Clock, as S3 does: transitions (STANDARD_IA, ONEZONE_IA,
// INTELLIGENT_TIERING, GLACIER_IR, GLACIER, DEEP_ARCHIVE), expiration of
// current versions (a delete marker in versioned buckets, a delete
// otherwise), noncurrent transitions and expirations, and removal of expired
// delete markers. AbortIncompleteMultipartUpload is accepted and does
// nothing (orgtrail has no multipart uploads yet).
//
// How it stays incremental: every S3 lifecycle action falls due at a
// midnight UTC (rules.h), so a bucket needs at most one pass per UTC day,
// and none at all until its due-time bound (`next_due`: the earliest time
// any scanned version or any version written since could become due) is
// reached. A pass walks the bucket's versions in key order in pages,
// batching transitions; its cursor, day and bound live in the catalog table
// lifecycle_buckets(bucket, config_hash, pass_day, cursor, done, next_due,
// pass_start), updated after every page, so a restart resumes mid-pass. A
// changed configuration restarts the bucket's pass.
//
// Actions are reported through a callback. AWS CloudTrail does not record
// lifecycle actions (S3 performs them on internal endpoints; they appear in
// S3 server access logs as S3.TRANSITION_*.OBJECT / S3.EXPIRE.OBJECT /
// S3.CREATE.DELETEMARKER and as S3 event notifications), so the event
// carries the access-log operation name and the recorder decides.
//
// Thread-safety: RunOnce may be called from any thread but not
// concurrently with itself (calls are serialised by run_mu_); Start/Stop
// run it on a background thread.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "catalog/db.h"
#include "lifecycle/rules.h"
#include "objstore/object_store.h"
#include "s3/lifecycle_config.h"

namespace orgtrail::lifecycle {

// A bucket with a lifecycle configuration.
struct LifecycleBucket {
  std::string name;
  std::string versioning;   // "", "Enabled", "Suspended"
  std::string config_doc;   // stored (normalised) XML
};

// The S3-facing side the worker needs. S3LifecycleTarget adapts S3Service.
class LifecycleTarget {
 public:
  virtual ~LifecycleTarget() = default;
  virtual Result<std::vector<LifecycleBucket>> ListLifecycleBuckets() = 0;
  // Expires the current version of `key` as a DeleteObject without version
  // id would: versioned -> a new delete marker (its id in *marker_version),
  // unversioned -> the object is deleted (*marker_version empty).
  virtual Status ExpireCurrent(const std::string& bucket, const std::string& key,
                               std::string* marker_version) = 0;
  // Object Lock hook: true when a retention period or legal hold forbids
  // removing this version. orgtrail has no Object Lock yet, so false.
  virtual bool RetentionBlocksExpiry(const std::string& bucket, const objstore::ObjectInfo& v) {
    (void)bucket;
    (void)v;
    return false;
  }
};

// One action taken.
struct LifecycleEvent {
  TimePoint time{};
  std::string bucket;
  std::string key;
  std::string version_id;      // the version acted on
  ActionKind action = ActionKind::kNone;
  std::string storage_class;   // transitions: the new class
  std::string rule_id;
  std::string operation;       // S3 access-log name, e.g. S3.TRANSITION_GLACIER.OBJECT
  std::string delete_marker_version;  // kExpireCurrent in versioned buckets
};

class LifecycleWorker {
 public:
  struct Options {
    int page_size = 1000;             // versions listed per page
    int64_t max_versions_per_run = 0; // 0: a RunOnce finishes every due pass
    Duration poll_interval = std::chrono::seconds(1);  // background thread (real time)
    std::function<void(const LifecycleEvent&)> on_action;
    // After the passes, RunOnce lets the store move the bytes of this run's
    // (and earlier runs') transitions into or out of the cold area
    // (ObjectStore::MovePendingBytes). Off only to time the two separately.
    bool move_pending_bytes = true;
  };
  struct RunStats {
    int64_t buckets_scanned = 0;
    int64_t versions_scanned = 0;
    int64_t transitioned = 0;
    int64_t expired = 0;          // current versions expired
    int64_t noncurrent_expired = 0;
    int64_t markers_removed = 0;
    int64_t blocked_by_retention = 0;
    int64_t moves_settled = 0;    // versions MovePendingBytes looked at
    bool finished = true;         // false when max_versions_per_run cut the run short
  };

  // Creates the state table in `db` if needed. All references must outlive
  // the worker.
  static Result<std::unique_ptr<LifecycleWorker>> Create(LifecycleTarget& target,
                                                         objstore::ObjectStore& store,
                                                         catalog::Db& db, const Clock& clock,
                                                         Options options);
  ~LifecycleWorker();
  LifecycleWorker(const LifecycleWorker&) = delete;
  LifecycleWorker& operator=(const LifecycleWorker&) = delete;

  // Runs every pass that is due at `now`. Errors of one bucket do not stop
  // the others; the first error is returned after all buckets were tried.
  Result<RunStats> RunOnce(TimePoint now);
  Result<RunStats> RunOnce() { return RunOnce(clock_.Now()); }

  // Background thread calling RunOnce(clock.Now()) every poll_interval.
  void Start();
  void Stop();

 private:
  struct BucketState;
  LifecycleWorker(LifecycleTarget& target, objstore::ObjectStore& store, catalog::Db& db,
                  const Clock& clock, Options options);
  Status RunBucket(const LifecycleBucket& b, TimePoint now, RunStats& stats, int64_t& budget);
  Status SaveState(const std::string& bucket, const BucketState& st);

  LifecycleTarget& target_;
  objstore::ObjectStore& store_;
  catalog::Db& db_;
  const Clock& clock_;
  const Options options_;

  std::mutex run_mu_;  // serialises RunOnce

  std::mutex thread_mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by thread_mu_
  std::thread thread_;
};

}  // namespace orgtrail::lifecycle
