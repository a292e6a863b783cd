#include "delivery/deliverer.h"

#include <algorithm>

#include "crypto/hash.h"
#include "delivery/key_names.h"
#include "delivery/log_file.h"
#include "delivery/router.h"

namespace orgtrail::delivery {
namespace {

constexpr size_t kDrainChunk = 4096;

}  // namespace

Deliverer::Deliverer(ingest::EventSource& source, TrailDirectory& directory, LogWriter& writer,
                     const Clock& clock, Options options)
    : source_(source), directory_(directory), writer_(writer), clock_(clock),
      options_(options) {}

Deliverer::~Deliverer() { (void)Stop(); }

void Deliverer::Start() {
  std::lock_guard<std::mutex> lock(thread_mu_);
  if (thread_.joinable() || stop_) return;
  thread_ = std::thread([this] { Run(); });
}

void Deliverer::Run() {
  while (!stop_.load()) {
    source_.WaitForEvents(options_.poll_interval);
    if (stop_.load()) break;
    Tick();
  }
}

Status Deliverer::Stop() {
  {
    std::lock_guard<std::mutex> lock(thread_mu_);
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  return Flush();
}

void Deliverer::Tick() {
  std::lock_guard<std::mutex> lock(mu_);
  TimePoint now = clock_.Now();
  DrainAndRoute(now);
  for (auto it = batches_.begin(); it != batches_.end();) {
    if (now - it->second.opened >= options_.delivery_interval) {
      Seal(it->first, it->second, now);
      it = batches_.erase(it);
    } else {
      ++it;
    }
  }
  (void)AttemptPending(now, /*ignore_backoff=*/false);
}

Status Deliverer::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  TimePoint now = clock_.Now();
  DrainAndRoute(now);
  for (auto& [key, batch] : batches_) Seal(key, batch, now);
  batches_.clear();
  return AttemptPending(now, /*ignore_backoff=*/true);
}

Deliverer::Stats Deliverer::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  Stats s = stats_;
  s.open_batches = batches_.size();
  s.pending_files = pending_.size();
  return s;
}

void Deliverer::DrainAndRoute(TimePoint now) {
  std::vector<TrailTarget> trails;
  bool have_trails = false;
  for (;;) {
    std::vector<ingest::Event> events = source_.Drain(kDrainChunk);
    if (events.empty()) break;
    if (!have_trails) {
      trails = directory_.LoggingTrails();
      have_trails = true;
    }
    for (ingest::Event& e : events) {
      std::vector<const TrailTarget*> targets = Route(e, trails, directory_);
      if (targets.empty()) continue;
      auto shared = std::make_shared<const ingest::Event>(std::move(e));
      const size_t add = shared->record_json.size() + 1;
      for (const TrailTarget* t : targets) {
        BatchKey key{t->trail_arn, shared->account_id, shared->region};
        auto it = batches_.find(key);
        if (it != batches_.end() && !it->second.events.empty() &&
            it->second.bytes + add > options_.max_batch_bytes) {
          // The size cap makes an early file; the event starts the next one.
          Seal(it->first, it->second, now);
          batches_.erase(it);
          it = batches_.end();
        }
        if (it == batches_.end()) {
          Batch b;
          b.trail = *t;
          b.bytes = kLogFileOverhead - 1;  // the first record has no comma
          b.opened = now;
          it = batches_.emplace(std::move(key), std::move(b)).first;
        }
        it->second.events.push_back(shared);
        it->second.bytes += add;
      }
    }
  }
}

void Deliverer::Seal(const BatchKey& key, Batch& batch, TimePoint now) {
  if (batch.events.empty()) return;
  std::vector<const ingest::Event*> records;
  records.reserve(batch.events.size());
  for (const auto& e : batch.events) records.push_back(e.get());
  PendingFile f;
  f.trail = std::move(batch.trail);
  // Key and bytes are fixed here, before any write, so retries are identical.
  f.key = LogFileKey(f.trail.s3_key_prefix, f.trail.is_org ? f.trail.org_id : std::string(),
                     key.account_id, key.region, now, NewLogFileUnique());
  std::string json = BuildLogFile(records);
  if (f.trail.log_file_validation && options_.on_delivered) {
    f.info.account_id = key.account_id;
    f.info.region = key.region;
    f.info.key = f.key;
    f.info.sha256_hex = crypto::Sha256Hex(json);
    f.info.newest_event_time = records.front()->event_time;
    f.info.oldest_event_time = records.front()->event_time;
    for (const ingest::Event* e : records) {
      f.info.newest_event_time = std::max(f.info.newest_event_time, e->event_time);
      f.info.oldest_event_time = std::min(f.info.oldest_event_time, e->event_time);
    }
  }
  f.gzip = Gzip(json);
  f.records = records.size();
  f.next_attempt = now;
  pending_.push_back(std::move(f));
  batch.events.clear();
}

Status Deliverer::Attempt(PendingFile& f, TimePoint now) {
  Status s = writer_.PutLogObject(f.trail, f.key, f.gzip);
  directory_.ReportDelivery(f.trail.trail_arn, now, s, f.key);
  ++f.attempts;
  if (s.ok()) {
    ++stats_.delivered_files;
    stats_.delivered_records += f.records;
    if (f.trail.log_file_validation && options_.on_delivered) options_.on_delivered(f.trail, f.info);
    return s;
  }
  ++stats_.failed_attempts;
  f.backoff = f.backoff == Duration::zero()
                  ? options_.initial_retry_backoff
                  : std::min<Duration>(f.backoff * 2, options_.max_retry_backoff);
  f.next_attempt = now + f.backoff;
  return s;
}

Status Deliverer::AttemptPending(TimePoint now, bool ignore_backoff) {
  Status first;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (!ignore_backoff && it->next_attempt > now) {
      ++it;
      continue;
    }
    Status s = Attempt(*it, now);
    if (s.ok()) {
      it = pending_.erase(it);
    } else {
      if (first.ok()) first = s;
      ++it;
    }
  }
  return first;
}

}  // namespace orgtrail::delivery
