#include "ingest/wal_writer.h"

#include <pthread.h>

#include <algorithm>

#include "ingest/wal_format.h"

namespace orgtrail::ingest {

// One Append or AppendAsync call in the queue. A synchronous caller's batch
// lives on its stack and is woken through `cv`; an asynchronous one is
// heap-allocated, owned by the queue, and completed through `callback`.
struct WalWriter::Batch {
  std::string records;          // framed records, seq not yet set
  std::vector<size_t> offsets;  // record header offsets in `records`
  std::vector<Event> events;
  uint64_t first_seq = 0;
  Status status;
  bool done = false;
  std::condition_variable cv;
  AppendCallback callback;  // set: asynchronous
};

WalWriter::WalWriter(WalEnv& env, std::string dir, Options options, CommitHook hook)
    : env_(env), dir_(std::move(dir)), options_(options), hook_(std::move(hook)) {}

WalWriter::~WalWriter() {
  std::thread flusher;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    flusher = std::move(flusher_);
  }
  flusher_cv_.notify_all();
  // The flusher completes what is queued before it exits.
  if (flusher.joinable()) flusher.join();
}

Result<std::unique_ptr<WalWriter>> WalWriter::Open(WalEnv& env, std::string dir, Options options,
                                                   std::vector<WalSegment> segments,
                                                   uint64_t last_valid_end, uint64_t next_seq,
                                                   bool continues_last, CommitHook hook) {
  std::unique_ptr<WalWriter> w(new WalWriter(env, std::move(dir), options, std::move(hook)));
  w->next_seq_ = next_seq;
  if (!segments.empty() && continues_last) {
    const WalSegment& last = segments.back();
    OT_ASSIGN_OR_RETURN(w->file_, env.NewWalFile(last.path, /*create=*/false));
    if (w->file_->Size() != last_valid_end) {
      // Drop the torn tail so that new records follow the last valid one.
      OT_RETURN_IF_ERROR(w->file_->Truncate(last_valid_end));
      OT_RETURN_IF_ERROR(w->file_->Sync());
    }
    w->file_records_ = last_valid_end > wal::kSegmentHeaderSize ? 1 : 0;
  }
  w->segments_ = std::move(segments);
  // Recycled files of an earlier run are reused too (as many as allowed).
  OT_ASSIGN_OR_RETURN(std::vector<std::string> names, env.ListDir(w->dir_));
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) {
    auto id = wal::ParseRecycledFileName(n);
    if (!id) continue;
    w->next_recycle_id_ = std::max(w->next_recycle_id_, *id + 1);
    if (w->recycled_.size() < options.recycle_segments) {
      w->recycled_.push_back(w->dir_ + "/" + n);
    } else {
      OT_RETURN_IF_ERROR(env.RemoveFile(w->dir_ + "/" + n));
    }
  }
  return w;
}

Status WalWriter::Encode(const std::vector<Event>& events, Batch& b) const {
  // Each payload is encoded in place behind its header (no copy).
  size_t guess = 0;
  for (const Event& e : events) guess += e.record_json.size() + 256;
  b.records.reserve(guess);
  b.offsets.reserve(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    const size_t at = wal::BeginRecord(&b.records);
    wal::EncodeEventPayload(events[i], &b.records);
    const size_t payload = wal::FinishRecord(at, wal::kTypeEvent, &b.records);
    if (payload > options_.max_record_bytes) {
      return Status::Error("ValidationException",
                           "event " + std::to_string(i) + " (" + events[i].event_id + ") is " +
                               std::to_string(payload) +
                               " bytes encoded; the write-ahead log accepts at most " +
                               std::to_string(options_.max_record_bytes));
    }
    b.offsets.push_back(at);
  }
  return Status::Ok();
}

Status WalWriter::Append(std::vector<Event> events, uint64_t* first_seq) {
  if (events.empty()) return Status::Ok();
  Batch b;
  OT_RETURN_IF_ERROR(Encode(events, b));
  b.events = std::move(events);

  std::unique_lock<std::mutex> lock(mu_);
  if (!health_.ok()) return health_;
  queue_.push_back(&b);
  while (!b.done) {
    // Lead when nobody else does; our batch is in the group unless the
    // group filled up before it, in which case we lead again.
    if (!leading_) {
      LeadGroup(lock);
    } else {
      b.cv.wait(lock);
    }
  }
  if (b.status.ok() && first_seq) *first_seq = b.first_seq;
  return b.status;
}

void WalWriter::AppendAsync(std::vector<Event> events, AppendCallback done) {
  if (events.empty()) return done(Status::Ok(), 0);
  auto b = std::make_unique<Batch>();
  Status s = Encode(events, *b);
  if (!s.ok()) return done(s, 0);
  b->events = std::move(events);
  b->callback = std::move(done);
  {
    std::lock_guard<std::mutex> lock(mu_);
    s = health_;
    if (s.ok()) {
      if (!flusher_.joinable()) {
        flusher_ = std::thread([this] { FlusherLoop(); });
        pthread_setname_np(flusher_.native_handle(), "ot-wal-flush");
      }
      queue_.push_back(b.release());
      if (leading_) return;  // the leader wakes the flusher when it is done
    }
  }
  if (!s.ok()) return b->callback(s, 0);
  flusher_cv_.notify_one();
}

void WalWriter::FlusherLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    flusher_cv_.wait(lock, [this] {
      return (!queue_.empty() && !leading_) || (stopping_ && queue_.empty());
    });
    if (queue_.empty()) return;  // stopping, nothing left
    LeadGroup(lock);
  }
}

void WalWriter::LeadGroup(std::unique_lock<std::mutex>& lock) {
  leading_ = true;
  // A permanent failure of an earlier group fails everyone queued.
  std::vector<Batch*> group;
  Status s = health_;
  size_t bytes = 0;
  if (s.ok()) {
    for (Batch* q : queue_) {
      if (!group.empty() && bytes + q->records.size() > options_.max_group_bytes) break;
      group.push_back(q);
      bytes += q->records.size();
    }
  } else {
    group.assign(queue_.begin(), queue_.end());
  }
  const uint64_t group_first = next_seq_;
  lock.unlock();

  uint64_t seq = group_first;
  if (s.ok()) {
    for (Batch* q : group) {
      q->first_seq = seq;
      for (size_t off : q->offsets) wal::SetRecordSeq(q->records.data() + off, seq++);
    }
    std::vector<std::string_view> parts;
    parts.reserve(group.size());
    for (Batch* q : group) parts.push_back(q->records);
    s = WriteGroup(parts, group_first);
    if (s.ok()) {
      for (Batch* q : group) hook_(q->first_seq, std::move(q->events));
    }
  }

  lock.lock();
  if (s.ok()) {
    no_space_at_.reset();
    next_seq_ = seq;
    stats_.appends += group.size();
    stats_.records += seq - group_first;
    stats_.fsyncs += 1;
    stats_.bytes += bytes;
  } else if (IsNoSpace(s)) {
    no_space_at_ = std::chrono::steady_clock::now();
  } else if (health_.ok()) {
    health_ = s;
  }
  std::vector<std::unique_ptr<Batch>> finished;  // asynchronous batches of the group
  for (Batch* q : group) {
    queue_.pop_front();
    q->status = s;
    if (q->callback) {
      finished.emplace_back(q);
    } else {
      q->done = true;
      q->cv.notify_one();
    }
  }
  leading_ = false;
  // Hand the lead on: a synchronous caller at the head leads itself; the
  // flusher leads for asynchronous batches (and exits once stopping and empty).
  if (!queue_.empty() && !queue_.front()->callback) queue_.front()->cv.notify_one();
  if ((!queue_.empty() && queue_.front()->callback) || (stopping_ && queue_.empty()))
    flusher_cv_.notify_one();
  if (finished.empty()) return;
  lock.unlock();
  for (auto& q : finished) q->callback(q->status, q->first_seq);
  finished.clear();
  lock.lock();
}

Status WalWriter::WriteGroup(const std::vector<std::string_view>& data, uint64_t first_seq) {
  if (!file_ || (file_records_ > 0 && file_->Size() >= options_.segment_bytes)) {
    Status s = NewSegment(first_seq);
    if (IsNoSpace(s)) ReleaseRecycled();  // their space goes back to the full disk
    OT_RETURN_IF_ERROR(s);
  }
  const uint64_t before = file_->Size();
  Status s = file_->AppendV(data);
  if (!s.ok()) {
    if (!IsNoSpace(s)) return s;
    // Disk full: the recycled files' space goes back to the filesystem (the
    // rest of the server needs it too), and the partial write is cut off so
    // the segment stays well formed and the same numbers can be written again.
    ReleaseRecycled();
    Status t = file_->Truncate(before);
    if (!t.ok()) return Status::Internal(t.message() + " (after: " + s.message() + ")");
    return s;
  }
  s = file_->Sync();
  if (!s.ok()) {
    // After a failed fsync the page cache state is unknown: never recoverable,
    // even for ENOSPC.
    return Status::Internal(s.message());
  }
  file_records_ += 1;
  return Status::Ok();
}

void WalWriter::ReleaseRecycled() {
  std::vector<std::string> files;
  {
    std::lock_guard<std::mutex> lock(mu_);
    files.swap(recycled_);
  }
  for (const std::string& f : files) (void)env_.RemoveFile(f);
}

std::unique_ptr<WalFile> WalWriter::TakeRecycled(const std::string& tmp) {
  std::string from;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (recycled_.empty()) return nullptr;
    from = std::move(recycled_.back());
    recycled_.pop_back();
  }
  // Any failure here only costs the reuse: the file is dropped and the
  // segment created afresh.
  if (!env_.Rename(from, tmp).ok()) {
    (void)env_.RemoveFile(from);
    return nullptr;
  }
  auto f = env_.ReuseWalFile(tmp);
  if (!f.ok()) {
    (void)env_.RemoveFile(tmp);
    return nullptr;
  }
  return std::move(*f);
}

Status WalWriter::NewSegment(uint64_t first_seq) {
  const std::string path = dir_ + "/" + wal::SegmentFileName(first_seq);
  const std::string tmp = path + ".tmp";
  (void)env_.RemoveFile(tmp);
  // Written over a recycled file when there is one: its blocks are allocated
  // already. What it held before stays beyond the new records; those old
  // records are older than anything in the log, which is how the reader
  // tells them from damage (docs/formats/wal.md, "Recycled segments").
  std::unique_ptr<WalFile> f = TakeRecycled(tmp);
  const bool recycled = f != nullptr;
  if (!f) {
    OT_ASSIGN_OR_RETURN(f, env_.NewWalFile(tmp, /*create=*/true));
  }
  Status s = f->Append(wal::EncodeSegmentHeader(first_seq));
  // Failures writing the temporary file leave the log as it was: ENOSPC stays
  // recoverable (the file is discarded); other errors are permanent.
  if (s.ok()) s = f->Sync();
  if (s.ok()) s = env_.Rename(tmp, path);
  if (!s.ok()) {
    f.reset();
    (void)env_.RemoveFile(tmp);
    return s;
  }
  // The directory entry must be durable before records in the file count.
  s = env_.SyncDir(dir_);
  if (!s.ok()) return Status::Internal(s.message());
  file_ = std::move(f);
  file_records_ = 0;
  std::lock_guard<std::mutex> lock(mu_);
  segments_.push_back({first_seq, path});
  stats_.segments_created += 1;
  if (recycled) stats_.segments_recycled += 1;
  return Status::Ok();
}

Status WalWriter::RemoveSegmentsThrough(uint64_t delivered_through) {
  std::vector<WalSegment> obsolete;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i + 1 < segments_.size(); ++i) {
      if (segments_[i + 1].first_seq > delivered_through + 1) break;
      obsolete.push_back(segments_[i]);
    }
  }
  Status first_error;
  size_t removed = 0;
  for (const WalSegment& seg : obsolete) {
    // Kept for reuse while there is room, else deleted. (A crash before the
    // directory is synced may leave the old name: an obsolete segment, which
    // recovery deletes.)
    std::string keep_as;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (recycled_.size() < options_.recycle_segments)
        keep_as = dir_ + "/" + wal::RecycledFileName(next_recycle_id_++);
    }
    Status s = keep_as.empty() ? env_.RemoveFile(seg.path) : env_.Rename(seg.path, keep_as);
    if (!s.ok()) {
      first_error = s;
      break;  // keep the list a contiguous suffix: retry from here next time
    }
    if (!keep_as.empty()) {
      std::lock_guard<std::mutex> lock(mu_);
      recycled_.push_back(std::move(keep_as));
    }
    ++removed;
  }
  std::lock_guard<std::mutex> lock(mu_);
  segments_.erase(segments_.begin(), segments_.begin() + static_cast<std::ptrdiff_t>(removed));
  return first_error;
}

uint64_t WalWriter::last_seq() const {
  std::lock_guard<std::mutex> lock(mu_);
  return next_seq_ - 1;
}

Status WalWriter::Admission() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!health_.ok()) return health_;
  if (no_space_at_ &&
      std::chrono::steady_clock::now() - *no_space_at_ < options_.no_space_retry_after) {
    return Status::Error("ServiceUnavailable",
                         "The event log's disk is full: the call was not run because its event "
                         "could not be recorded; retry later",
                         503);
  }
  return Status::Ok();
}

Status WalWriter::health() const {
  std::lock_guard<std::mutex> lock(mu_);
  return health_;
}

WalWriter::Stats WalWriter::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

size_t WalWriter::segment_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return segments_.size();
}

}  // namespace orgtrail::ingest
