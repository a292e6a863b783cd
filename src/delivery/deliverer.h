// Deliverer: the delivery worker. It drains recorded events from an
// EventSource, routes each to the trails that take it, and appends it to one
// batch per (trail, account, region). A batch becomes a log file when it is
// `delivery_interval` old or would exceed `max_batch_bytes`; the file's key
// (delivery time + 16 random characters) and gzip bytes are fixed *before*
// the first write, so every retry writes the same key and bytes (idempotent,
// as DESIGN.md "Events and durability" requires). A failed write is kept and
// retried with exponential backoff, never dropped; every attempt is reported
// through TrailDirectory::ReportDelivery.
//
// Exactly once across crashes (docs/formats/wal.md, "Delivery checkpoint and
// high-water marks"), with a durable source (the Wal: events carry sequence
// numbers) and a catalog (Options::db):
//   - a sealed file (key, gzip bytes, digest facts) is committed to the
//     catalog (dl_pending_files) together with the per-batch-key mark
//     "events up to seq N are sealed" (dl_sealed_marks) before any write;
//     the row is removed only after PutLogObject and the on_delivered hook
//     succeeded, so a restart re-writes (same key, same bytes) and re-hooks
//     every file that may not have completed (Recover);
//   - the source is checkpointed up to the event before the oldest one still
//     in an open batch (everything older is in a committed file or was
//     routed nowhere);
//   - replayed events (seq <= what the source held at open) are skipped for a
//     batch key whose mark covers them: they are already in a file. Events of
//     one key are sealed in seq order, so the mark is exact.
// Without a catalog, files live in memory only and the checkpoint also waits
// for their write (at least once: a crash between write and checkpoint
// delivers them again).
//
// Time comes only from the injected Clock: tests drive it with a
// SimulatedClock and Tick()/Flush() instead of sleeping. Start() runs two
// threads that only wait in real time: the sealer (drain, route, seal =
// build + gzip + catalog commit, checkpoint) and the writer (PutLogObject,
// hook, removal from the catalog of each pending file, in seal order). Under
// full ingest load one thread doing both fell behind the interval (lag p99
// 8-15 s for 5 s): the writes' fsync waits and gzip's CPU added up instead of
// overlapping. Splitting changes nothing for crash safety: a file reaches the
// writer only after its catalog commit, exactly as one thread would attempt
// it.
// Thread-safe: Tick, Flush, Stop and stats may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "catalog/db.h"
#include "delivery/log_file.h"
#include "delivery/log_writer.h"
#include "delivery/trail_view.h"
#include "ingest/event_sink.h"

namespace orgtrail::delivery {

class Deliverer {
 public:
  // One log file after its successful write (the digest writer's input).
  struct DeliveredFile {
    std::string account_id, region;  // the file's chain
    std::string key;
    std::string sha256_hex;  // of the uncompressed bytes
    TimePoint newest_event_time{}, oldest_event_time{};
  };
  // Called on the writer thread (or in Tick/Flush), one call at a time, after every
  // successful PutLogObject of a trail with log_file_validation: once per
  // file, except that a crash after the hook but before the file left the
  // catalog runs it again after the restart. Must not call back into the
  // Deliverer.
  using DeliveredHook = std::function<Status(const TrailTarget&, const DeliveredFile&)>;

  struct Options {
    Duration delivery_interval = std::chrono::minutes(5);
    size_t max_batch_bytes = size_t{5} << 20;  // uncompressed {"Records":[...]}
    // libdeflate level of the log files' gzip (1-12; any level is a valid
    // CloudTrail file). Delivery's largest cost per event: see
    // kDeliveryGzipLevel in log_file.h.
    int gzip_level = kDeliveryGzipLevel;
    Duration initial_retry_backoff = std::chrono::seconds(1);
    Duration max_retry_backoff = std::chrono::minutes(5);
    // Real time the worker thread waits for new events between ticks.
    Duration poll_interval = std::chrono::milliseconds(200);
    // Real time the worker thread lets pass at least from one tick's start
    // to the next (0: none). Under a steady stream of events the wait above
    // returns at once; spacing the ticks lets each drain a larger chunk and
    // checkpoint the source (an fsync'd file) far less often. Replays after
    // a crash are skipped by the per-key marks, so a later checkpoint costs
    // only a longer replay.
    Duration min_tick_spacing = Duration::zero();
    // Seal a batch early enough that its first event is delivered within
    // `delivery_interval`, not one interval plus the time sealing and
    // writing take: the batch is due at interval - lead, where lead is
    // twice the recent cost from a seal's tick to its file written (fast to
    // rise, slow to fall) plus twice a poll interval and the recent length
    // of a tick (how late the tick that opens a batch and the one that
    // seals it can come), at most half the interval. Off: due at exactly the interval (tests that step
    // a SimulatedClock rely on that).
    bool seal_ahead = false;
    // Optional: see DeliveredHook.
    DeliveredHook on_delivered;
    // Optional (not owned): where sealed files and marks are kept until
    // written (see above). Call Recover() before Start()/Tick().
    catalog::Db* db = nullptr;
  };

  struct Stats {
    size_t open_batches = 0;   // batches still collecting events
    size_t pending_files = 0;  // files built but not yet written
    size_t delivered_files = 0;
    size_t delivered_records = 0;
    size_t failed_attempts = 0;
    size_t replay_skipped = 0;  // replayed events already in a sealed file
    uint64_t checkpoint = 0;    // last source checkpoint (durable sources)
  };

  // All references must outlive the Deliverer.
  Deliverer(ingest::EventSource& source, TrailDirectory& directory, LogWriter& writer,
            const Clock& clock, Options options);
  Deliverer(const Deliverer&) = delete;
  Deliverer& operator=(const Deliverer&) = delete;
  ~Deliverer();  // Stop()

  // With Options::db: creates the tables and reloads the files sealed but
  // not yet fully delivered before a restart (attempted at the next Tick)
  // and the per-key seal marks. Events with seq <= replayed_through (the
  // last seq the source held when it was opened) may already be in a sealed
  // file and are checked against the marks. Returns the number of files
  // reloaded. Call once, before Start() or Tick().
  Result<size_t> Recover(uint64_t replayed_through);

  // Starts the background threads (sealer and writer). Call at most once.
  void Start();
  // Stops the threads (if started), then drains everything, turns every batch
  // into a file and makes one last attempt at each pending file. Returns the
  // first failure of that attempt (files that failed stay pending, in the
  // catalog when there is one). Idempotent.
  Status Stop();

  // One worker iteration at clock.Now(): drain and route, seal batches that
  // are due (interval elapsed), attempt files whose backoff has expired.
  void Tick();
  // Delivers now, synchronously: drain, seal every batch and attempt every
  // pending file once, ignoring backoff. Returns the first failure.
  Status Flush();

  Stats stats() const;

 private:
  struct BatchKey {
    std::string trail_arn, account_id, region;
    bool operator<(const BatchKey& o) const {
      return std::tie(trail_arn, account_id, region) <
             std::tie(o.trail_arn, o.account_id, o.region);
    }
  };
  struct Batch {
    TrailTarget trail;
    std::vector<std::shared_ptr<const ingest::Event>> events;
    size_t bytes = 0;  // size of the file these events make
    TimePoint opened{};
    uint64_t min_seq = 0, max_seq = 0;  // of `events` (0: not durable)
  };
  struct PendingFile {
    TrailTarget trail;
    std::string key;
    std::string gzip;
    size_t records = 0;
    bool hook = false;   // run on_delivered after the write
    DeliveredFile info;  // digest facts (sha256, times) only when `hook`
    uint64_t min_seq = 0;
    int64_t row_id = 0;  // in dl_pending_files; 0: in memory only
    // Set (under pending_mu_) while the attempt_mu_ holder writes the file
    // without pending_mu_: the fields below are then its alone.
    bool in_flight = false;
    bool written = false;    // PutLogObject done
    bool hook_done = false;  // on_delivered succeeded (or not needed)
    int attempts = 0;
    TimePoint next_attempt{};
    Duration backoff{};
    TimePoint sealed_at{};  // the tick that sealed it (for seal_ahead)
  };

  void Run();        // the sealer thread
  void RunWriter();  // the writer thread
  // Tick(), with or without attempting the pending files (the writer thread
  // does that when started).
  void TickImpl(bool attempt);
  void AddPending(PendingFile f);     // requires mu_ (takes pending_mu_)
  void DrainAndRoute(TimePoint now);  // requires mu_
  // Seals every batch (all) or those a delivery interval old; a batch that
  // could not be committed stays. Returns the first failure.
  Status SealBatches(TimePoint now, bool all);  // requires mu_
  // Turns the batch into a pending file (committed to the catalog first when
  // there is one) and empties it; on failure the batch is left as it was.
  Status Seal(const BatchKey& key, Batch& batch, TimePoint now);             // requires mu_
  Status Persist(const BatchKey& key, uint64_t sealed_seq, PendingFile& f);  // requires mu_
  // Both take attempt_mu_ (AttemptPending) and never hold mu_: a write
  // does not wait for sealing, nor sealing for a write.
  Status Attempt(PendingFile& file, TimePoint now);           // requires attempt_mu_
  Status AttemptPending(TimePoint now, bool ignore_backoff);  // takes attempt_mu_
  // How long before its interval a batch is sealed (Options::seal_ahead).
  Duration SealLead() const;
  // Folds `cost` into a recent-cost estimate (see SealLead): a file's first
  // attempt succeeded that long after the tick that sealed it, or a tick
  // took that long. Only the thread doing that work writes it.
  static void NoteCost(std::atomic<int64_t>& estimate, Duration cost);
  void AdvanceCheckpoint();                                   // requires mu_

  // Constant after construction.
  ingest::EventSource& source_;
  TrailDirectory& directory_;
  LogWriter& writer_;
  const Clock& clock_;
  const Options options_;

  // Lock order: mu_, then pending_mu_; attempt_mu_, then pending_mu_.
  mutable std::mutex mu_;
  std::map<BatchKey, Batch> batches_;  // guarded by mu_
  Stats stats_;                        // guarded by mu_ (sealer's counters)
  // Serializes attempts (writer thread, Tick, Flush); only its holder
  // erases from pending_, so its iterators stay valid while unlocked.
  std::mutex attempt_mu_;
  mutable std::mutex pending_mu_;
  std::list<PendingFile> pending_;      // guarded by pending_mu_
  Stats write_stats_;                   // guarded by pending_mu_ (writes)
  bool new_pending_ = false;            // guarded by pending_mu_
  std::condition_variable pending_cv_;  // with pending_mu_
  // Highest seq sealed into a file, per batch key (dl_sealed_marks).
  std::map<BatchKey, uint64_t> sealed_marks_;  // guarded by mu_
  uint64_t replayed_through_ = 0;              // guarded by mu_
  uint64_t last_drained_seq_ = 0;              // guarded by mu_

  std::atomic<bool> stop_{false};
  // Recent seal-to-written and tick times in nanoseconds (see SealLead).
  std::atomic<int64_t> delivery_cost_ns_{0};
  std::atomic<int64_t> tick_cost_ns_{0};
  std::mutex thread_mu_;
  std::thread thread_;         // guarded by thread_mu_
  std::thread writer_thread_;  // guarded by thread_mu_
};

}  // namespace orgtrail::delivery
