#include "server/lifecycle_plumbing.h"

#include <spdlog/spdlog.h>

namespace orgtrail::server {

LifecyclePlumbing::LifecyclePlumbing(s3::S3Service& s3) : target_(s3) {}

Result<std::unique_ptr<LifecyclePlumbing>> LifecyclePlumbing::Create(
    s3::S3Service& s3, objstore::ObjectStore& store, catalog::Db& db, const Clock& clock,
    Duration poll_interval) {
  std::unique_ptr<LifecyclePlumbing> p(new LifecyclePlumbing(s3));
  lifecycle::LifecycleWorker::Options o;
  o.poll_interval = poll_interval;
  LifecyclePlumbing* self = p.get();
  o.on_action = [self](const lifecycle::LifecycleEvent& e) {
    self->actions_.fetch_add(1);
    spdlog::info("lifecycle: {} s3://{}/{} version {}{}{} (rule '{}')", e.operation, e.bucket,
                 e.key, e.version_id, e.storage_class.empty() ? "" : " -> ", e.storage_class,
                 e.rule_id);
  };
  OT_ASSIGN_OR_RETURN(p->worker_,
                      lifecycle::LifecycleWorker::Create(p->target_, store, db, clock, o));
  return p;
}

LifecyclePlumbing::~LifecyclePlumbing() { Stop(); }

void LifecyclePlumbing::Start() { worker_->Start(); }

void LifecyclePlumbing::Stop() {
  if (worker_) worker_->Stop();
}

Json LifecyclePlumbing::RunNow(TimePoint now) {
  auto r = worker_->RunOnce(now);
  if (!r.ok()) {
    spdlog::warn("lifecycle pass at {} failed: {}", FormatIso8601(now), r.status().ToString());
    return Json{{"error", r.status().ToString()}};
  }
  const auto& s = *r;
  return Json{{"bucketsScanned", s.buckets_scanned},
              {"versionsScanned", s.versions_scanned},
              {"transitioned", s.transitioned},
              {"expired", s.expired},
              {"noncurrentExpired", s.noncurrent_expired},
              {"deleteMarkersRemoved", s.markers_removed},
              {"blockedByRetention", s.blocked_by_retention}};
}

}  // namespace orgtrail::server
