#include "delivery/deliverer.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "base/json.h"
#include "crypto/hash.h"
#include "delivery/key_names.h"
#include "delivery/log_file.h"
#include "delivery/router.h"

namespace orgtrail::delivery {
namespace {

constexpr size_t kDrainChunk = 4096;

// Files sealed but not yet written (or not yet hooked), and how far each
// batch key's events are sealed. See deliverer.h and docs/formats/wal.md.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS dl_pending_files (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  trail TEXT NOT NULL,
  account TEXT NOT NULL,
  region TEXT NOT NULL,
  object_key TEXT NOT NULL,
  gzip BLOB NOT NULL,
  records INTEGER NOT NULL,
  hook INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  newest_ns INTEGER NOT NULL,
  oldest_ns INTEGER NOT NULL,
  min_seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS dl_sealed_marks (
  trail_arn TEXT NOT NULL,
  account TEXT NOT NULL,
  region TEXT NOT NULL,
  sealed_seq INTEGER NOT NULL,
  PRIMARY KEY (trail_arn, account, region)
);
)sql";

// The trail as a pending file needs it (the filter only matters for routing).
std::string TrailToJson(const TrailTarget& t) {
  Json j = {{"trail_arn", t.trail_arn},
            {"name", t.name},
            {"home_region", t.home_region},
            {"owner_account", t.owner_account},
            {"org_id", t.org_id},
            {"bucket", t.bucket},
            {"s3_key_prefix", t.s3_key_prefix},
            {"kms_key_arn", t.kms_key_arn},
            {"is_org", t.is_org},
            {"multi_region", t.multi_region},
            {"include_global_events", t.include_global_events},
            {"logging", t.logging},
            {"log_file_validation", t.log_file_validation}};
  return j.dump();
}

Result<TrailTarget> TrailFromJson(const std::string& text) {
  Json j = Json::parse(text, nullptr, false);
  if (!j.is_object()) return Status::Internal("dl_pending_files: malformed trail");
  TrailTarget t;
  t.trail_arn = j.value("trail_arn", "");
  t.name = j.value("name", "");
  t.home_region = j.value("home_region", "");
  t.owner_account = j.value("owner_account", "");
  t.org_id = j.value("org_id", "");
  t.bucket = j.value("bucket", "");
  t.s3_key_prefix = j.value("s3_key_prefix", "");
  t.kms_key_arn = j.value("kms_key_arn", "");
  t.is_org = j.value("is_org", false);
  t.multi_region = j.value("multi_region", false);
  t.include_global_events = j.value("include_global_events", true);
  t.logging = j.value("logging", false);
  t.log_file_validation = j.value("log_file_validation", false);
  return t;
}

int64_t Nanos(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
TimePoint FromNanos(int64_t n) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::nanoseconds(n)));
}

}  // namespace

Deliverer::Deliverer(ingest::EventSource& source, TrailDirectory& directory, LogWriter& writer,
                     const Clock& clock, Options options)
    : source_(source), directory_(directory), writer_(writer), clock_(clock), options_(options) {}

Deliverer::~Deliverer() { (void)Stop(); }

Result<size_t> Deliverer::Recover(uint64_t replayed_through) {
  std::lock_guard<std::mutex> lock(mu_);
  replayed_through_ = replayed_through;
  catalog::Db* db = options_.db;
  if (db == nullptr) return size_t{0};
  OT_RETURN_IF_ERROR(db->ExecScript(kSchema));
  OT_ASSIGN_OR_RETURN(auto marks, db->Query("SELECT trail_arn, account, region, sealed_seq FROM "
                                            "dl_sealed_marks"));
  for (const auto& r : marks) {
    sealed_marks_[BatchKey{catalog::AsString(r[0]), catalog::AsString(r[1]),
                           catalog::AsString(r[2])}] = static_cast<uint64_t>(catalog::AsInt(r[3]));
  }
  OT_ASSIGN_OR_RETURN(auto rows,
                      db->Query("SELECT id, trail, account, region, object_key, gzip, records, "
                                "hook, sha256, newest_ns, oldest_ns, min_seq FROM "
                                "dl_pending_files ORDER BY id"));
  const TimePoint now = clock_.Now();
  for (const auto& r : rows) {
    PendingFile f;
    f.row_id = catalog::AsInt(r[0]);
    OT_ASSIGN_OR_RETURN(f.trail, TrailFromJson(catalog::AsString(r[1])));
    f.key = catalog::AsString(r[4]);
    f.gzip = catalog::AsString(r[5]);
    f.records = static_cast<size_t>(catalog::AsInt(r[6]));
    f.hook = catalog::AsInt(r[7]) != 0;
    f.info.account_id = catalog::AsString(r[2]);
    f.info.region = catalog::AsString(r[3]);
    f.info.key = f.key;
    f.info.sha256_hex = catalog::AsString(r[8]);
    f.info.newest_event_time = FromNanos(catalog::AsInt(r[9]));
    f.info.oldest_event_time = FromNanos(catalog::AsInt(r[10]));
    f.min_seq = static_cast<uint64_t>(catalog::AsInt(r[11]));
    f.next_attempt = now;
    AddPending(std::move(f));
  }
  return rows.size();
}

void Deliverer::Start() {
  std::lock_guard<std::mutex> lock(thread_mu_);
  if (thread_.joinable() || stop_) return;
  thread_ = std::thread([this] { Run(); });
  writer_thread_ = std::thread([this] { RunWriter(); });
  // Names show in top -H and perf (at most 15 characters).
  pthread_setname_np(thread_.native_handle(), "ot-dl-seal");
  pthread_setname_np(writer_thread_.native_handle(), "ot-dl-write");
}

void Deliverer::Run() {
  while (!stop_.load()) {
    source_.WaitForEvents(options_.poll_interval);
    if (stop_.load()) break;
    const auto began = std::chrono::steady_clock::now();
    TickImpl(/*attempt=*/false);
    const auto next = began + options_.min_tick_spacing;
    if (options_.min_tick_spacing > Duration::zero() && !stop_.load())
      std::this_thread::sleep_until(next);
  }
}

Status Deliverer::Stop() {
  {
    std::lock_guard<std::mutex> lock(thread_mu_);
    stop_ = true;
    {
      // Under pending_mu_ so the writer cannot miss the wake-up.
      std::lock_guard<std::mutex> pl(pending_mu_);
    }
    pending_cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    if (writer_thread_.joinable()) writer_thread_.join();
  }
  return Flush();
}

void Deliverer::RunWriter() {
  while (!stop_.load()) {
    {
      std::unique_lock<std::mutex> lock(pending_mu_);
      // Woken by each sealed file; the timeout retries files whose backoff
      // has expired.
      pending_cv_.wait_for(lock, options_.poll_interval,
                           [this] { return stop_.load() || new_pending_; });
      new_pending_ = false;
    }
    if (stop_.load()) break;
    (void)AttemptPending(clock_.Now(), /*ignore_backoff=*/false);
  }
}

void Deliverer::Tick() { TickImpl(/*attempt=*/true); }

void Deliverer::TickImpl(bool attempt) {
  TimePoint now;
  Duration busy;  // the sealer's part of the tick (SealLead)
  {
    std::lock_guard<std::mutex> lock(mu_);
    now = clock_.Now();
    DrainAndRoute(now);
    (void)SealBatches(now, /*all=*/false);  // one not committed is retried next tick
    busy = clock_.Now() - now;
  }
  if (attempt) (void)AttemptPending(now, /*ignore_backoff=*/false);
  std::lock_guard<std::mutex> lock(mu_);
  const TimePoint checkpoint_start = clock_.Now();
  AdvanceCheckpoint();
  NoteCost(tick_cost_ns_, busy + (clock_.Now() - checkpoint_start));
}

Status Deliverer::Flush() {
  TimePoint now;
  Status first;
  {
    std::lock_guard<std::mutex> lock(mu_);
    now = clock_.Now();
    DrainAndRoute(now);
    first = SealBatches(now, /*all=*/true);
  }
  Status attempted = AttemptPending(now, /*ignore_backoff=*/true);
  if (first.ok()) first = attempted;
  std::lock_guard<std::mutex> lock(mu_);
  AdvanceCheckpoint();
  return first;
}

Deliverer::Stats Deliverer::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  Stats s = stats_;
  s.open_batches = batches_.size();
  std::lock_guard<std::mutex> pl(pending_mu_);
  s.pending_files = pending_.size();
  s.delivered_files = write_stats_.delivered_files;
  s.delivered_records = write_stats_.delivered_records;
  s.failed_attempts = write_stats_.failed_attempts;
  return s;
}

Duration Deliverer::SealLead() const {
  if (!options_.seal_ahead) return Duration::zero();
  const Duration cost = std::chrono::nanoseconds(delivery_cost_ns_.load(std::memory_order_relaxed));
  const Duration tick = std::chrono::nanoseconds(tick_cost_ns_.load(std::memory_order_relaxed));
  // Twice the recent cost of a file: it can wait behind a larger one in the
  // writer's queue, and the estimate trails a rising cost by a file. Twice
  // a tick's lateness: a batch opens at the tick that drains its first
  // event, up to a poll interval (idle) or a tick (busy: under full load a
  // tick drains and seals for hundreds of milliseconds) after the event was
  // appended, and is sealed by a tick just as late.
  return std::min<Duration>(2 * cost + 2 * (options_.poll_interval + tick),
                            options_.delivery_interval / 2);
}

void Deliverer::NoteCost(std::atomic<int64_t>& estimate, Duration cost) {
  const int64_t sample = std::chrono::duration_cast<std::chrono::nanoseconds>(cost).count();
  int64_t old = estimate.load(std::memory_order_relaxed);
  // Rises at once (slow now is likely slow again next), falls by an eighth
  // of the difference per sample (one fast sample says little).
  const int64_t next = sample >= old ? sample : old - (old - sample) / 8;
  estimate.store(next, std::memory_order_relaxed);
}

Status Deliverer::SealBatches(TimePoint now, bool all) {
  Status first;
  const Duration due_age = options_.delivery_interval - SealLead();
  for (auto it = batches_.begin(); it != batches_.end();) {
    if (!all && now - it->second.opened < due_age) {
      ++it;  // not due
      continue;
    }
    Status s = Seal(it->first, it->second, now);
    if (s.ok()) {
      it = batches_.erase(it);
    } else {
      if (first.ok()) first = s;
      ++it;
    }
  }
  return first;
}

void Deliverer::AddPending(PendingFile f) {
  {
    std::lock_guard<std::mutex> pl(pending_mu_);
    pending_.push_back(std::move(f));
    new_pending_ = true;
  }
  pending_cv_.notify_one();
}

void Deliverer::DrainAndRoute(TimePoint now) {
  std::vector<TrailTarget> trails;
  bool have_trails = false;
  for (;;) {
    std::vector<ingest::SequencedEvent> events = source_.DrainWithSeq(kDrainChunk);
    if (events.empty()) break;
    if (!have_trails) {
      trails = directory_.LoggingTrails();
      have_trails = true;
    }
    for (ingest::SequencedEvent& se : events) {
      const uint64_t seq = se.seq;
      if (seq != 0) last_drained_seq_ = std::max(last_drained_seq_, seq);
      std::vector<const TrailTarget*> targets = Route(se.event, trails, directory_);
      if (targets.empty()) continue;
      auto shared = std::make_shared<const ingest::Event>(std::move(se.event));
      const size_t add = shared->record_json.size() + 1;
      const bool replayed = seq != 0 && seq <= replayed_through_;
      for (const TrailTarget* t : targets) {
        BatchKey key{t->trail_arn, shared->account_id, shared->region};
        if (replayed) {
          // Sealed into a file before the restart: that file is delivered
          // (or still pending, reloaded by Recover), never a second time.
          auto mark = sealed_marks_.find(key);
          if (mark != sealed_marks_.end() && seq <= mark->second) {
            ++stats_.replay_skipped;
            continue;
          }
        }
        auto it = batches_.find(key);
        if (it != batches_.end() && !it->second.events.empty() &&
            it->second.bytes + add > options_.max_batch_bytes &&
            Seal(it->first, it->second, now).ok()) {
          // The size cap makes an early file; the event starts the next one.
          // (If the file cannot be committed, the batch grows until it can.)
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
        Batch& b = it->second;
        if (b.events.empty()) b.min_seq = seq;
        b.max_seq = seq;
        b.events.push_back(shared);
        b.bytes += add;
      }
    }
  }
}

Status Deliverer::Seal(const BatchKey& key, Batch& batch, TimePoint now) {
  if (batch.events.empty()) return Status::Ok();
  std::vector<const ingest::Event*> records;
  records.reserve(batch.events.size());
  for (const auto& e : batch.events) records.push_back(e.get());
  PendingFile f;
  f.trail = batch.trail;
  // Key and bytes are fixed here, before any write, so retries are identical.
  f.key = LogFileKey(f.trail.s3_key_prefix, f.trail.is_org ? f.trail.org_id : std::string(),
                     key.account_id, key.region, now, NewLogFileUnique());
  std::string json = BuildLogFile(records);
  f.info.account_id = key.account_id;
  f.info.region = key.region;
  f.info.key = f.key;
  if (f.trail.log_file_validation && options_.on_delivered) {
    f.hook = true;
    f.info.sha256_hex = crypto::Sha256Hex(json);
    f.info.newest_event_time = records.front()->event_time;
    f.info.oldest_event_time = records.front()->event_time;
    for (const ingest::Event* e : records) {
      f.info.newest_event_time = std::max(f.info.newest_event_time, e->event_time);
      f.info.oldest_event_time = std::min(f.info.oldest_event_time, e->event_time);
    }
  }
  f.gzip = Gzip(json, options_.gzip_level);
  f.records = records.size();
  f.min_seq = batch.min_seq;
  f.next_attempt = now;
  f.sealed_at = now;
  if (options_.db != nullptr) {
    Status s = Persist(key, batch.max_seq, f);
    if (!s.ok()) {
      spdlog::warn(
          "delivery: cannot commit log file {} ({} events) to the catalog, kept "
          "open: {}",
          f.key, f.records, s.ToString());
      return s;
    }
  }
  if (batch.max_seq != 0) {
    uint64_t& mark = sealed_marks_[key];
    mark = std::max(mark, batch.max_seq);
  }
  AddPending(std::move(f));
  batch.events.clear();
  batch.bytes = kLogFileOverhead - 1;
  batch.min_seq = batch.max_seq = 0;
  return Status::Ok();
}

Status Deliverer::Persist(const BatchKey& key, uint64_t sealed_seq, PendingFile& f) {
  catalog::Db& db = *options_.db;
  catalog::Transaction txn(db);
  OT_RETURN_IF_ERROR(
      db.Exec("INSERT INTO dl_pending_files (trail, account, region, object_key, gzip, records, "
              "hook, sha256, newest_ns, oldest_ns, min_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
              "?8, ?9, ?10, ?11)",
              {TrailToJson(f.trail), key.account_id, key.region, f.key, f.gzip,
               static_cast<int64_t>(f.records), int64_t{f.hook ? 1 : 0}, f.info.sha256_hex,
               Nanos(f.info.newest_event_time), Nanos(f.info.oldest_event_time),
               static_cast<int64_t>(f.min_seq)})
          .status());
  OT_ASSIGN_OR_RETURN(auto id, db.Query("SELECT last_insert_rowid()"));
  if (id.empty() || id[0].empty()) return Status::Internal("no rowid for dl_pending_files");
  if (sealed_seq != 0) {
    OT_RETURN_IF_ERROR(
        db.Exec("INSERT INTO dl_sealed_marks (trail_arn, account, region, sealed_seq) VALUES "
                "(?1, ?2, ?3, ?4) ON CONFLICT (trail_arn, account, region) DO UPDATE SET "
                "sealed_seq = max(sealed_seq, excluded.sealed_seq)",
                {key.trail_arn, key.account_id, key.region, static_cast<int64_t>(sealed_seq)})
            .status());
  }
  OT_RETURN_IF_ERROR(txn.Commit());
  f.row_id = catalog::AsInt(id[0][0]);
  return Status::Ok();
}

Status Deliverer::Attempt(PendingFile& f, TimePoint now) {
  ++f.attempts;
  Status s = Status::Ok();
  if (!f.written) {
    s = writer_.PutLogObject(f.trail, f.key, f.gzip);
    directory_.ReportDelivery(f.trail.trail_arn, now, s, f.key);
    if (s.ok()) {
      std::lock_guard<std::mutex> pl(pending_mu_);
      ++write_stats_.delivered_files;
      write_stats_.delivered_records += f.records;
      f.written = true;
    }
  }
  // Before the row goes: a crash in between re-runs the hook, never loses
  // it (a digest must list every delivered file); a failed hook is retried
  // like a failed write, without writing the object again.
  if (s.ok() && !f.hook_done) {
    if (f.hook && options_.on_delivered) s = options_.on_delivered(f.trail, f.info);
    if (s.ok()) {
      f.hook_done = true;
    } else {
      spdlog::warn("delivery: file {} written but not yet recorded for its digest: {}", f.key,
                   s.ToString());
    }
  }
  if (s.ok() && f.row_id != 0) {
    s = options_.db->Exec("DELETE FROM dl_pending_files WHERE id = ?1", {f.row_id}).status();
    if (!s.ok()) spdlog::warn("delivery: cannot remove delivered file {}: {}", f.key, s.ToString());
  }
  if (s.ok()) {
    // Retries wait out a backoff, and files reloaded after a restart were
    // sealed before it: only first attempts of this run measure the path.
    if (f.attempts == 1 && f.sealed_at != TimePoint{})
      NoteCost(delivery_cost_ns_, clock_.Now() - f.sealed_at);
    return s;
  }
  {
    std::lock_guard<std::mutex> pl(pending_mu_);
    ++write_stats_.failed_attempts;
  }
  f.backoff = f.backoff == Duration::zero()
                  ? options_.initial_retry_backoff
                  : std::min<Duration>(f.backoff * 2, options_.max_retry_backoff);
  f.next_attempt = now + f.backoff;
  return s;
}

Status Deliverer::AttemptPending(TimePoint now, bool ignore_backoff) {
  std::lock_guard<std::mutex> attempting(attempt_mu_);
  Status first;
  std::unique_lock<std::mutex> lock(pending_mu_);
  // Only the files present now: one call stays bounded while the sealer
  // keeps adding (the writer thread comes back for the rest).
  size_t left = pending_.size();
  for (auto it = pending_.begin(); left > 0 && it != pending_.end(); --left) {
    if (!ignore_backoff && it->next_attempt > now) {
      ++it;
      continue;
    }
    // Written without pending_mu_ so the sealer can add files meanwhile;
    // `it` stays valid: only this (attempt_mu_) holder erases.
    PendingFile& f = *it;
    f.in_flight = true;
    lock.unlock();
    Status s = Attempt(f, now);
    lock.lock();
    f.in_flight = false;
    if (s.ok()) {
      it = pending_.erase(it);
    } else {
      if (first.ok()) first = s;
      ++it;
    }
  }
  return first;
}

void Deliverer::AdvanceCheckpoint() {
  if (last_drained_seq_ == 0) return;  // not a durable source
  // Everything drained is in an open batch, in a pending file, or was routed
  // nowhere / skipped. Committed files do not need the source any more;
  // open batches and files held only in memory do.
  uint64_t through = last_drained_seq_;
  for (const auto& [key, b] : batches_) {
    if (!b.events.empty() && b.min_seq != 0) through = std::min(through, b.min_seq - 1);
  }
  {
    std::lock_guard<std::mutex> pl(pending_mu_);
    for (const PendingFile& f : pending_) {
      // A file being written counts as unwritten (its `written` is the
      // writer's until then).
      if (f.row_id == 0 && (f.in_flight || !f.written) && f.min_seq != 0)
        through = std::min(through, f.min_seq - 1);
    }
  }
  if (through <= stats_.checkpoint) return;
  Status s = source_.Checkpoint(through);
  if (!s.ok()) {
    spdlog::warn("delivery: checkpoint {} failed (retried): {}", through, s.ToString());
    return;
  }
  stats_.checkpoint = through;
}

}  // namespace orgtrail::delivery
