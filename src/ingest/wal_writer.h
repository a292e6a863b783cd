// WalWriter: the appending half of the write-ahead log. It frames events as
// records (docs/formats/wal.md), assigns their sequence numbers, writes them
// to the newest segment, rotates segments, and fsyncs before acknowledging.
// Group commit: concurrent Append callers queue; the caller at the head
// (the leader) writes every queued batch with one write and one fsync and
// then wakes the others (leveldb's DBImpl::Write writer queue).
// AppendAsync batches join the same queue without a waiting thread: a
// flusher thread (started on the first AppendAsync) leads the groups they
// are in and runs their callbacks after the fsync, so a server can answer a
// call from the commit instead of parking a thread per call.
//
// Failure policy: ENOSPC while writing or creating a segment is recoverable
// (the tail is truncated back, the callers get ServiceUnavailable, later
// appends may succeed); any other write, fsync, rename or directory-fsync
// failure is permanent — every later Append returns it (health()).
//
// Owned by Wal, which recovers the directory and then hands the writer the
// existing segments. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ingest/event.h"
#include "ingest/wal_file.h"
#include "ingest/wal_reader.h"

namespace orgtrail::ingest {

class WalWriter {
 public:
  struct Options {
    uint64_t segment_bytes = 64ull << 20;  // rotate once a segment reaches this size
    size_t max_group_bytes = 16u << 20;    // bytes one leader writes at most per fsync
    size_t max_record_bytes = 8u << 20;    // larger events are refused
    // After ENOSPC, Admission() refuses for this long before letting calls
    // try the disk again.
    Duration no_space_retry_after = std::chrono::seconds(1);
    // Delivered segments kept (renamed recycle-N) to be written again as new
    // segments instead of deleted: freeing blocks costs a journal commit and,
    // on filesystems mounted with `discard`, a TRIM of each freed block, which
    // stalls every fsync behind it. 0: delete them.
    size_t recycle_segments = 16;
  };
  struct Stats {
    uint64_t appends = 0;  // successful Append calls
    uint64_t records = 0;  // records written and fsync'd
    uint64_t fsyncs = 0;   // group commits (one fdatasync each)
    uint64_t bytes = 0;    // record bytes written
    uint64_t segments_created = 0;
    uint64_t segments_recycled = 0;  // of segments_created, written over a recycled file
  };
  // Called by the leader after the fsync covering a batch and before that
  // batch's Append returns, once per batch, in sequence order, never
  // concurrently with itself. `first_seq` is the first event's number.
  using CommitHook = std::function<void(uint64_t first_seq, std::vector<Event>&& events)>;
  // The result of an AppendAsync: the same Status an Append would return,
  // and on success the first event's number.
  using AppendCallback = std::function<void(const Status& status, uint64_t first_seq)>;

  // Starts appending in `dir`. `segments` are the existing segments (oldest
  // first, as WalReader::segments()), `last_valid_end` the length of valid
  // data in the newest one (a longer file is truncated to it and fsync'd),
  // `next_seq` the number of the next record. The next record goes into the
  // newest segment if it continues it (`continues_last`), else into a new
  // segment. `env` must outlive the writer.
  static Result<std::unique_ptr<WalWriter>> Open(WalEnv& env, std::string dir, Options options,
                                                 std::vector<WalSegment> segments,
                                                 uint64_t last_valid_end, uint64_t next_seq,
                                                 bool continues_last, CommitHook hook);
  // Completes every queued batch, then stops the flusher thread. No Append
  // may be in progress.
  ~WalWriter();
  WalWriter(const WalWriter&) = delete;
  WalWriter& operator=(const WalWriter&) = delete;

  // Appends `events` as consecutive records. OK: fsync'd, the hook has run,
  // and *first_seq (if given) is the first event's number. On failure
  // nothing was acknowledged: ValidationException (400) for an event larger
  // than max_record_bytes, ServiceUnavailable (503) for a full disk, else
  // the log's permanent error. An empty batch is OK and writes nothing.
  Status Append(std::vector<Event> events, uint64_t* first_seq = nullptr);
  // Same, without waiting: `done` is called exactly once with what Append
  // would have returned — after the fsync covering the events and after the
  // hook has run for them, on the flusher thread (or on a synchronous
  // leader's thread); for a refused batch (oversize, failed log) it may be
  // called before AppendAsync returns, on the caller's thread. `done` must
  // be quick (it runs between group commits) and must not call Append.
  void AppendAsync(std::vector<Event> events, AppendCallback done);

  // Deletes every segment whose records are all <= delivered_through (never
  // the newest). A file that cannot be deleted is retried next time.
  Status RemoveSegmentsThrough(uint64_t delivered_through);

  // The number of the last fsync'd record (0 if none).
  uint64_t last_seq() const;
  // OK, or the permanent error.
  Status health() const;
  // Whether an append now would be refused for the log's state rather than
  // its own content: the permanent error, or ServiceUnavailable within
  // no_space_retry_after of a group that failed with ENOSPC (cleared by the
  // next successful group). OK otherwise.
  Status Admission() const;
  Stats stats() const;
  size_t segment_count() const;

 private:
  struct Batch;

  WalWriter(WalEnv& env, std::string dir, Options options, CommitHook hook);
  // Frames `events` into `b` (records, offsets); ValidationException for an
  // oversize event.
  Status Encode(const std::vector<Event>& events, Batch& b) const;
  // Called with `lock` held on mu_, no leader active and queue_ not empty:
  // becomes the leader, writes and fsyncs one group from the head of queue_,
  // completes its batches (waking synchronous callers, running callbacks of
  // asynchronous ones without mu_) and wakes the next leader. Returns with
  // `lock` held.
  void LeadGroup(std::unique_lock<std::mutex>& lock);
  void FlusherLoop();
  // Leader only, without mu_: rotation if due, write, fsync.
  // `data`: the group's batches, written with one writev.
  Status WriteGroup(const std::vector<std::string_view>& data, uint64_t first_seq);
  Status NewSegment(uint64_t first_seq);
  // The file a new segment is written over, from the recycled ones: renamed to
  // `tmp` and opened from its start; null if there is none (or it failed).
  std::unique_ptr<WalFile> TakeRecycled(const std::string& tmp);
  // Deletes every recycled file (the disk is full).
  void ReleaseRecycled();

  WalEnv& env_;
  const std::string dir_;
  const Options options_;
  const CommitHook hook_;

  // Leader-only state (only the thread at the head of queue_ touches it).
  std::unique_ptr<WalFile> file_;
  uint64_t file_records_ = 0;  // records in file_ (0 → rotation would reuse its name)

  mutable std::mutex mu_;
  std::deque<Batch*> queue_;          // guarded by mu_
  bool leading_ = false;              // guarded by mu_: a leader is writing a group
  bool stopping_ = false;             // guarded by mu_: the destructor has begun
  std::condition_variable flusher_cv_;
  std::thread flusher_;               // started (under mu_) by the first AppendAsync
  uint64_t next_seq_ = 1;             // guarded by mu_; changed by the leader only
  Status health_;                     // guarded by mu_
  // guarded by mu_: when the last group failed with ENOSPC (none since a success)
  std::optional<std::chrono::steady_clock::time_point> no_space_at_;
  std::vector<WalSegment> segments_;  // guarded by mu_
  std::vector<std::string> recycled_;  // guarded by mu_: paths of recycle-N files
  uint64_t next_recycle_id_ = 0;       // guarded by mu_
  Stats stats_;                       // guarded by mu_
};

}  // namespace orgtrail::ingest
