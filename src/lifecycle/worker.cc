#include "lifecycle/worker.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <map>
#include <set>

#include "crypto/hash.h"

namespace orgtrail::lifecycle {

namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

// Attribute S3 keeps object tags in (x-amz-tagging, URL-encoded).
constexpr char kAttrTagging[] = "tagging";

// Earliest time a version written at or after `start` could fall due under
// `cfg` (so a finished pass need not be repeated before it). Noncurrent
// versions and delete markers exist only in versioned buckets.
int64_t NewWriteBound(const s3::LifecycleConfiguration& cfg, TimePoint start, bool versioned) {
  int64_t tomorrow = ToUnixSeconds(FloorToDay(start)) + kDay;
  int64_t bound = kNever;
  auto days = [&](int64_t d) { bound = std::min(bound, ToUnixSeconds(DueAfterDays(start, d))); };
  auto date = [&](const std::optional<std::string>& s) {
    if (!s) return;
    if (auto t = ParseIso8601(*s)) bound = std::min(bound, std::max(ToUnixSeconds(*t), tomorrow));
  };
  for (const auto& r : cfg.rules) {
    if (!r.enabled) continue;
    if (r.expiration_days) days(*r.expiration_days);
    date(r.expiration_date);
    if (!versioned) {
      // Only current versions: skip the noncurrent and marker actions below.
    } else if (r.expired_object_delete_marker.value_or(false) || r.expiration_days) {
      bound = std::min(bound, tomorrow);
    }
    for (const auto& t : r.transitions) {
      if (t.days) days(*t.days);
      date(t.date);
    }
    if (!versioned) continue;
    for (const auto& t : r.noncurrent_transitions) days(t.noncurrent_days);
    if (r.noncurrent_expiration) days(r.noncurrent_expiration->noncurrent_days);
  }
  return std::max(bound, tomorrow);
}

// Facts of version `i` of one key's versions group[0..n) (newest first).
VersionFacts FactsOf(const objstore::ObjectInfo* group, size_t n, size_t i) {
  const auto& v = group[i];
  VersionFacts f;
  f.key = v.key;
  f.size = v.meta.size;
  if (auto it = v.meta.attributes.find(kAttrTagging); it != v.meta.attributes.end()) {
    f.tags = ParseTagSet(it->second);
  }
  f.created = v.meta.last_modified;
  f.storage_class = v.meta.storage_class.empty() ? "STANDARD" : v.meta.storage_class;
  f.delete_marker = v.meta.delete_marker;
  f.is_latest = v.is_latest;
  f.sole_version = n == 1;
  if (i > 0) {
    f.noncurrent_since = group[i - 1].meta.last_modified;
    for (size_t j = 1; j < i; ++j) f.newer_noncurrent_versions += group[j].meta.delete_marker ? 0 : 1;
  }
  return f;
}

}  // namespace

struct LifecycleWorker::BucketState {
  std::string config_hash;
  int64_t pass_day = -1;     // unix seconds of the pass's midnight
  std::string cursor;        // last key fully processed in this pass
  bool done = false;
  int64_t next_due = 0;      // when done: bound; in a pass: min so far
  int64_t pass_start = 0;
};

LifecycleWorker::LifecycleWorker(LifecycleTarget& target, objstore::ObjectStore& store,
                                 catalog::Db& db, const Clock& clock, Options options)
    : target_(target), store_(store), db_(db), clock_(clock), options_(std::move(options)) {}

LifecycleWorker::~LifecycleWorker() { Stop(); }

Result<std::unique_ptr<LifecycleWorker>> LifecycleWorker::Create(LifecycleTarget& target,
                                                                 objstore::ObjectStore& store,
                                                                 catalog::Db& db,
                                                                 const Clock& clock,
                                                                 Options options) {
  OT_RETURN_IF_ERROR(db.ExecScript(
      "CREATE TABLE IF NOT EXISTS lifecycle_buckets(bucket TEXT PRIMARY KEY,"
      " config_hash TEXT NOT NULL, pass_day INTEGER NOT NULL, cursor TEXT NOT NULL,"
      " done INTEGER NOT NULL, next_due INTEGER NOT NULL, pass_start INTEGER NOT NULL)"));
  if (options.page_size < 2) options.page_size = 2;
  return std::unique_ptr<LifecycleWorker>(
      new LifecycleWorker(target, store, db, clock, std::move(options)));
}

Status LifecycleWorker::SaveState(const std::string& bucket, const BucketState& st) {
  OT_ASSIGN_OR_RETURN(int64_t n,
                      db_.Exec("INSERT OR REPLACE INTO lifecycle_buckets(bucket, config_hash,"
                               " pass_day, cursor, done, next_due, pass_start)"
                               " VALUES(?1,?2,?3,?4,?5,?6,?7)",
                               {bucket, st.config_hash, st.pass_day, st.cursor,
                                int64_t{st.done ? 1 : 0}, st.next_due, st.pass_start}));
  (void)n;
  return Status::Ok();
}

Result<LifecycleWorker::RunStats> LifecycleWorker::RunOnce(TimePoint now) {
  std::lock_guard<std::mutex> l(run_mu_);
  RunStats stats;
  OT_ASSIGN_OR_RETURN(std::vector<LifecycleBucket> buckets, target_.ListLifecycleBuckets());
  int64_t budget = options_.max_versions_per_run > 0 ? options_.max_versions_per_run : kNever;
  Status first;
  for (const auto& b : buckets) {
    Status st = RunBucket(b, now, stats, budget);
    if (!st.ok() && first.ok()) first = st;
    if (budget <= 0) {
      stats.finished = false;
      break;
    }
  }
  // Transitions committed only the new classes; the store moves the bytes
  // here, behind the passes, in its own batches.
  if (options_.move_pending_bytes) {
    auto moved = store_.MovePendingBytes(std::numeric_limits<int64_t>::max());
    if (moved.ok()) {
      stats.moves_settled = *moved;
    } else if (first.ok()) {
      first = moved.status();
    }
  }
  // Forget buckets whose configuration is gone.
  if (auto rows = db_.Query("SELECT bucket FROM lifecycle_buckets"); rows.ok()) {
    std::set<std::string> live;
    for (const auto& b : buckets) live.insert(b.name);
    for (const auto& r : *rows) {
      std::string name = catalog::AsString(r[0]);
      if (!live.count(name)) (void)db_.Exec("DELETE FROM lifecycle_buckets WHERE bucket=?1", {name});
    }
  }
  if (!first.ok()) return first;
  return stats;
}

Status LifecycleWorker::RunBucket(const LifecycleBucket& b, TimePoint now, RunStats& stats,
                                  int64_t& budget) {
  OT_ASSIGN_OR_RETURN(s3::LifecycleConfiguration cfg,
                      s3::ParseLifecycleConfiguration(b.config_doc));
  const int64_t now_s = ToUnixSeconds(now);
  const int64_t today = ToUnixSeconds(FloorToDay(now));
  BucketState st;
  {
    OT_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT config_hash, pass_day, cursor, done, next_due,"
                                             " pass_start FROM lifecycle_buckets WHERE bucket=?1",
                                             {b.name}));
    if (!rows.empty()) {
      const auto& r = rows[0];
      st = {catalog::AsString(r[0]), catalog::AsInt(r[1]), catalog::AsString(r[2]),
            catalog::AsInt(r[3]) != 0, catalog::AsInt(r[4]), catalog::AsInt(r[5])};
    }
  }
  std::string hash = crypto::Sha256Hex(b.config_doc + "|" + b.versioning);
  if (st.config_hash != hash) st = BucketState{hash, -1, "", false, 0, 0};
  if (st.done && (st.pass_day == today || st.next_due > now_s)) return Status::Ok();
  if (st.pass_day != today || st.done) {
    st.pass_day = today;
    st.cursor.clear();
    st.done = false;
    st.next_due = kNever;
    st.pass_start = now_s;
    OT_RETURN_IF_ERROR(SaveState(b.name, st));
  }
  ++stats.buckets_scanned;
  const bool versioned = !b.versioning.empty();

  auto report = [&](const objstore::ObjectInfo& v, const Decision& d, std::string marker = "") {
    if (!options_.on_action) return;
    LifecycleEvent e;
    e.time = now;
    e.bucket = b.name;
    e.key = v.key;
    e.version_id = v.version_id;
    e.action = d.action;
    e.storage_class = d.storage_class;
    e.rule_id = d.rule_id;
    e.operation = AccessLogOperation(d.action, d.storage_class, versioned);
    e.delete_marker_version = std::move(marker);
    options_.on_action(e);
  };

  int limit = options_.page_size;
  while (budget > 0) {
    OT_ASSIGN_OR_RETURN(objstore::VersionPage page,
                        store_.ListVersions(b.name, "", st.cursor, "", limit));
    auto& vs = page.versions;
    // Keep whole keys in a page: a truncated page drops its last key, which
    // the next page starts with. A single key with more versions than fit
    // gets a bigger page.
    size_t end = vs.size();
    if (page.truncated) {
      while (end > 0 && vs[end - 1].key == vs.back().key) --end;
      if (end == 0) {
        limit *= 2;
        continue;
      }
    }
    std::map<std::string, std::vector<objstore::VersionRef>> transitions;  // class -> versions
    // Reported once applied: (index in vs, decision). The page's versions
    // are read in place, never copied.
    std::vector<std::pair<size_t, Decision>> transition_events;
    if (options_.on_action) transition_events.reserve(end);
    for (size_t i = 0; i < end;) {
      size_t j = i;
      while (j < end && vs[j].key == vs[i].key) ++j;
      const objstore::ObjectInfo* group = vs.data() + i;
      const size_t group_size = j - i;
      for (size_t k = 0; k < group_size; ++k) {
        const auto& v = group[k];
        ++stats.versions_scanned;
        Decision d = Evaluate(cfg, FactsOf(group, group_size, k), now);
        const ActionKind action = d.action;  // d may be moved into transition_events
        if (d.next_due) st.next_due = std::min(st.next_due, ToUnixSeconds(*d.next_due));
        switch (d.action) {
          case ActionKind::kNone:
            break;
          case ActionKind::kTransition:
          case ActionKind::kTransitionNoncurrent: {
            auto& refs = transitions[d.storage_class];
            if (refs.empty()) refs.reserve(end - i);
            refs.push_back({v.key, v.version_id});
            if (options_.on_action) transition_events.emplace_back(i + k, std::move(d));
            break;
          }
          case ActionKind::kExpireCurrent:
          case ActionKind::kExpireNoncurrent:
          case ActionKind::kRemoveDeleteMarker: {
            if (d.action != ActionKind::kRemoveDeleteMarker &&
                target_.RetentionBlocksExpiry(b.name, v)) {
              ++stats.blocked_by_retention;
              break;
            }
            std::string marker;
            Status s = d.action == ActionKind::kExpireCurrent
                           ? target_.ExpireCurrent(b.name, v.key, &marker)
                           : store_.Delete(b.name, v.key, v.version_id);
            if (!s.ok() && s.code() != "NoSuchKey" && s.code() != "NoSuchVersion") return s;
            if (d.action == ActionKind::kExpireCurrent) {
              ++stats.expired;
            } else if (d.action == ActionKind::kExpireNoncurrent) {
              ++stats.noncurrent_expired;
            } else {
              ++stats.markers_removed;
            }
            report(v, d, marker);
            // A new delete marker makes the expired version noncurrent.
            if (!marker.empty()) st.next_due = std::min(st.next_due, today + kDay);
            break;
          }
        }
        if (action == ActionKind::kTransition || action == ActionKind::kTransitionNoncurrent) {
          // Becomes due again for later (colder) transitions or expiry.
          st.next_due = std::min(st.next_due, today + kDay);
        }
      }
      i = j;
    }
    for (const auto& [cls, refs] : transitions) {
      OT_RETURN_IF_ERROR(store_.SetStorageClass(b.name, refs, cls));
      stats.transitioned += static_cast<int64_t>(refs.size());
    }
    for (const auto& [idx, d] : transition_events) report(vs[idx], d);
    budget -= static_cast<int64_t>(end);
    if (end > 0) st.cursor = vs[end - 1].key;
    if (!page.truncated) {
      st.done = true;
      st.next_due = std::min(st.next_due, NewWriteBound(cfg, FromUnixSeconds(static_cast<double>(st.pass_start)),
                                               versioned));
    }
    OT_RETURN_IF_ERROR(SaveState(b.name, st));
    if (st.done) break;
  }
  return Status::Ok();
}

void LifecycleWorker::Start() {
  std::lock_guard<std::mutex> l(thread_mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lk(thread_mu_);
    while (!stop_) {
      lk.unlock();
      auto r = RunOnce(clock_.Now());
      if (!r.ok()) fprintf(stderr, "lifecycle: %s\n", r.status().ToString().c_str());
      lk.lock();
      cv_.wait_for(lk, options_.poll_interval, [this] { return stop_; });
    }
  });
}

void LifecycleWorker::Stop() {
  {
    std::lock_guard<std::mutex> l(thread_mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace orgtrail::lifecycle
