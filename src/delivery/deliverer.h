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
// Time comes only from the injected Clock: tests drive it with a
// SimulatedClock and Tick()/Flush() instead of sleeping. The background
// thread (Start/Stop) only waits in real time for new events between ticks.
// Thread-safe: Tick, Flush, Stop and stats may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "base/status.h"
#include "base/time.h"
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
  // Called on the delivery thread, under the deliverer's lock, after every
  // successful PutLogObject of a trail with log_file_validation (at most
  // once per file). Must not call back into the Deliverer.
  using DeliveredHook = std::function<void(const TrailTarget&, const DeliveredFile&)>;

  struct Options {
    Duration delivery_interval = std::chrono::minutes(5);
    size_t max_batch_bytes = size_t{5} << 20;  // uncompressed {"Records":[...]}
    Duration initial_retry_backoff = std::chrono::seconds(1);
    Duration max_retry_backoff = std::chrono::minutes(5);
    // Real time the worker thread waits for new events between ticks.
    Duration poll_interval = std::chrono::milliseconds(200);
    // Optional: see DeliveredHook.
    DeliveredHook on_delivered;
  };

  struct Stats {
    size_t open_batches = 0;     // batches still collecting events
    size_t pending_files = 0;    // files built but not yet written
    size_t delivered_files = 0;
    size_t delivered_records = 0;
    size_t failed_attempts = 0;
  };

  // All references must outlive the Deliverer.
  Deliverer(ingest::EventSource& source, TrailDirectory& directory, LogWriter& writer,
            const Clock& clock, Options options);
  Deliverer(const Deliverer&) = delete;
  Deliverer& operator=(const Deliverer&) = delete;
  ~Deliverer();  // Stop()

  // Starts the background thread. Call at most once.
  void Start();
  // Stops the thread (if started), then drains everything, turns every batch
  // into a file and makes one last attempt at each pending file. Returns the
  // first failure of that attempt (files that failed stay pending in memory).
  // Idempotent.
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
  };
  struct PendingFile {
    TrailTarget trail;
    std::string key;
    std::string gzip;
    size_t records = 0;
    DeliveredFile info;  // filled only for trails with log_file_validation
    int attempts = 0;
    TimePoint next_attempt{};
    Duration backoff{};
  };

  void Run();
  void DrainAndRoute(TimePoint now);             // requires mu_
  void Seal(const BatchKey& key, Batch& batch, TimePoint now);  // requires mu_
  Status Attempt(PendingFile& file, TimePoint now);             // requires mu_
  Status AttemptPending(TimePoint now, bool ignore_backoff);    // requires mu_

  // Constant after construction.
  ingest::EventSource& source_;
  TrailDirectory& directory_;
  LogWriter& writer_;
  const Clock& clock_;
  const Options options_;

  mutable std::mutex mu_;
  std::map<BatchKey, Batch> batches_;  // guarded by mu_
  std::deque<PendingFile> pending_;    // guarded by mu_
  Stats stats_;                        // guarded by mu_ (counters only)

  std::atomic<bool> stop_{false};
  std::mutex thread_mu_;
  std::thread thread_;  // guarded by thread_mu_
};

}  // namespace orgtrail::delivery
