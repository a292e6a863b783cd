// Wal: the durable event log — the EventSink the recorder appends to and the
// EventSource the deliverer drains (event_sink.h), backed by WalWriter
// segments in one directory (docs/formats/wal.md).
//
// Append returns only after the events are fsync'd (group commit across
// concurrent callers); AppendAsync calls back after that fsync instead of
// blocking (the server answers calls from it). Acknowledged events are
// queued in memory, in sequence order, for the deliverer; DrainWithSeq hands
// them out with their sequence numbers and Checkpoint(n) records that
// everything <= n is delivered, so
// Open replays exactly the events after the checkpoint after a crash.
// Memory is bounded by max_pending_bytes: beyond it Append is throttled.
//
// Thread-safe: any number of appenders, drainers and checkpointers.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "ingest/event_sink.h"
#include "ingest/wal_file.h"
#include "ingest/wal_reader.h"
#include "ingest/wal_writer.h"

namespace orgtrail::ingest {

using WalEvent = SequencedEvent;

// Tuning knobs of a Wal (defaults suit the embedded server).
struct WalOptions {
  uint64_t segment_bytes = 64ull << 20;
  size_t max_group_bytes = 16u << 20;
  size_t max_record_bytes = 8u << 20;
  // Cap on events held in memory for the deliverer (appended or recovered,
  // not yet drained), in approximate bytes (PendingBytes).
  size_t max_pending_bytes = 256u << 20;
  // After ENOSPC, how long Admission() refuses before calls may try again.
  Duration no_space_retry_after = std::chrono::seconds(1);
  // Delivered segments kept to be written over (WalWriter::Options).
  size_t recycle_segments = 16;
};

class Wal final : public EventSink, public EventSource {
 public:
  using Options = WalOptions;
  // What Open found.
  struct Recovery {
    uint64_t checkpoint = 0;        // delivered_through from CHECKPOINT
    uint64_t replayed = 0;          // events after the checkpoint queued again
    uint64_t last_seq = 0;          // last valid record on disk
    std::string torn_tail;          // "torn tail at offset ..." or empty
    size_t segments_removed = 0;    // obsolete segments deleted at open
  };
  struct Stats {
    WalWriter::Stats writer;
    uint64_t throttled = 0;      // Appends refused by back-pressure
    size_t pending_events = 0;
    size_t pending_bytes = 0;
    uint64_t last_seq = 0;
    uint64_t checkpoint = 0;
    size_t segments = 0;
  };

  // Opens (creating if needed) the log in `dir` and recovers it: reads the
  // checkpoint, deletes wholly delivered segments, verifies the rest, cuts a
  // torn tail off and queues every event after the checkpoint for delivery.
  // Fails with WalCorruption (naming segment and offset) for damage that is
  // not a torn tail, or with the I/O error. `env` must outlive the Wal.
  static Result<std::unique_ptr<Wal>> Open(WalEnv& env, const std::string& dir,
                                           Options options = {});
  // Same, with POSIX append files and `env` for everything else.
  static Result<std::unique_ptr<Wal>> Open(Env& env, const std::string& dir,
                                           Options options = {});
  // Completes asynchronous appends still queued, then closes the files.
  ~Wal() override;
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // All or nothing; OK means durable. Errors: ThrottlingException (400) when
  // the pending cap would be exceeded (a batch larger than the cap is
  // accepted when nothing is pending); ServiceUnavailable (503) when the
  // disk is full (retry later) or after Close(); ValidationException (400)
  // for an oversize event; InternalError (500) once the log has failed
  // permanently (until restart).
  Status Append(std::vector<Event> events) override;
  // Same; on success *first_seq is the first event's sequence number.
  Status Append(std::vector<Event> events, uint64_t* first_seq);
  // Same without blocking: `done` gets what Append would return, exactly
  // once, after the fsync covering the events (on the log's flusher thread),
  // or at once on the caller's thread when the batch is refused up front
  // (throttled, closed, oversize, failed log). `done` must be quick and must
  // not call Append.
  void AppendAsync(std::vector<Event> events, std::function<void(Status)> done) override;
  // What Append would answer now regardless of the batch: ServiceUnavailable
  // when closed or (for no_space_retry_after) after a full disk,
  // ThrottlingException when the pending cap is reached, the permanent error
  // of a failed log; OK otherwise.
  Status Admission() override;

  // Removes up to `max` pending events, oldest first.
  std::vector<Event> Drain(size_t max) override;
  std::vector<WalEvent> DrainWithSeq(size_t max) override;
  bool WaitForEvents(Duration timeout) override;

  // Records durably that every event with seq <= delivered_through is
  // delivered, then deletes segments holding only such events. Lower than
  // the current checkpoint: no-op. Beyond the last appended event:
  // InternalError. A failed write leaves the previous checkpoint; the log
  // stays usable.
  Status Checkpoint(uint64_t delivered_through) override;

  // Wakes waiters; later Appends fail with ServiceUnavailable. Drain still
  // returns what is pending.
  void Close();

  const Recovery& recovery() const { return recovery_; }
  Stats stats() const;
  // OK, or the permanent write error.
  Status health() const { return writer_->health(); }

  // The bytes an event counts for against max_pending_bytes.
  static size_t PendingBytes(const Event& e);

 private:
  Wal(WalEnv& env, std::string dir, Options options);
  void OnCommit(uint64_t first_seq, std::vector<Event>&& events);
  // Reserves room for `bytes` against max_pending_bytes (the throttle and
  // closed checks of Append).
  Status Reserve(size_t bytes);

  std::unique_ptr<WalEnv> owned_env_;  // set by Open(Env&)
  WalEnv& env_;
  const std::string dir_;
  const Options options_;
  Recovery recovery_;
  std::unique_ptr<WalWriter> writer_;

  std::mutex checkpoint_mu_;  // serialises Checkpoint calls
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<WalEvent> pending_;  // guarded by mu_
  size_t pending_bytes_ = 0;      // guarded by mu_
  size_t reserved_bytes_ = 0;     // guarded by mu_: Appends in flight
  uint64_t checkpoint_ = 0;       // guarded by mu_
  uint64_t committed_seq_ = 0;    // guarded by mu_: last event queued by OnCommit
  uint64_t throttled_ = 0;        // guarded by mu_
  bool closed_ = false;           // guarded by mu_
};

}  // namespace orgtrail::ingest
