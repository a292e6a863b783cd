// LifecyclePlumbing: the lifecycle worker inside orgtraild. Joins
// lifecycle::LifecycleWorker to the server's S3Service (through
// S3LifecycleTarget), LocalObjectStore, catalog and Clock, runs it on a
// background thread between Start() and Stop(), logs every action it takes
// (S3 access-log operation names; AWS CloudTrail does not record lifecycle
// actions, so neither does orgtrail) and lets the clock-advance route run a
// pass synchronously with RunNow().
//
// Constructed and owned by server::Server; thread-safe (RunNow may be
// called from HTTP threads while the background thread runs; the worker
// serialises passes).
#pragma once

#include <atomic>
#include <memory>

#include "base/json.h"
#include "base/status.h"
#include "base/time.h"
#include "catalog/db.h"
#include "lifecycle/s3_target.h"
#include "lifecycle/worker.h"
#include "objstore/object_store.h"

namespace orgtrail::server {

class LifecyclePlumbing {
 public:
  // How often the background thread looks for due work (real time). Every
  // S3 lifecycle action falls due at a midnight UTC and a pass over a bucket
  // with nothing due is a catalog read, so this only bounds the delay after
  // midnight.
  static constexpr Duration kDefaultPollInterval = std::chrono::seconds(10);

  // All references must outlive the plumbing. Errors: the worker's state
  // table cannot be created.
  static Result<std::unique_ptr<LifecyclePlumbing>> Create(
      s3::S3Service& s3, objstore::ObjectStore& store, catalog::Db& db, const Clock& clock,
      Duration poll_interval = kDefaultPollInterval);
  ~LifecyclePlumbing();  // Stop()s

  void Start();
  void Stop();
  // Runs every due pass at `now` before returning; the answer summarises it
  // ({"versionsScanned", "transitioned", "expired", ...} or {"error": ...}).
  Json RunNow(TimePoint now);

  // Actions taken since start (for tests and metrics).
  int64_t actions() const { return actions_.load(); }

 private:
  explicit LifecyclePlumbing(s3::S3Service& s3);

  lifecycle::S3LifecycleTarget target_;
  std::unique_ptr<lifecycle::LifecycleWorker> worker_;
  std::atomic<int64_t> actions_{0};
};

}  // namespace orgtrail::server
