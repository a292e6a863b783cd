#include "ingest/wal.h"

#include <algorithm>

#include "base/strings.h"
#include "ingest/wal_format.h"

namespace orgtrail::ingest {

Wal::Wal(WalEnv& env, std::string dir, Options options)
    : env_(env), dir_(std::move(dir)), options_(options) {}

Wal::~Wal() {
  // The writer's flusher runs OnCommit and callbacks: stop it while the
  // members it touches are still alive.
  writer_.reset();
}

size_t Wal::PendingBytes(const Event& e) {
  size_t n = sizeof(Event) + e.record_json.size() + e.event_id.size() + e.account_id.size() +
             e.region.size() + e.event_source.size() + e.event_name.size() +
             e.event_category.size() + e.event_type.size();
  for (const auto& s : e.resource_types) n += sizeof(std::string) + s.size();
  for (const auto& s : e.resource_arns) n += sizeof(std::string) + s.size();
  return n;
}

Result<std::unique_ptr<Wal>> Wal::Open(Env& env, const std::string& dir, Options options) {
  auto owned = std::make_unique<PosixWalEnv>(env);
  OT_ASSIGN_OR_RETURN(std::unique_ptr<Wal> wal, Open(*owned, dir, options));
  wal->owned_env_ = std::move(owned);
  return wal;
}

Result<std::unique_ptr<Wal>> Wal::Open(WalEnv& env, const std::string& dir, Options options) {
  std::unique_ptr<Wal> wal(new Wal(env, dir, options));
  Recovery& rec = wal->recovery_;
  OT_RETURN_IF_ERROR(env.CreateDirs(dir, /*private_dir=*/true));

  // Leftovers of an interrupted segment creation or checkpoint write.
  OT_ASSIGN_OR_RETURN(std::vector<std::string> names, env.ListDir(dir));
  for (const auto& n : names) {
    if (n.find(".tmp") != std::string::npos) OT_RETURN_IF_ERROR(env.RemoveFile(dir + "/" + n));
  }

  const std::string ckpt_path = dir + "/" + std::string(wal::kCheckpointName);
  if (env.FileExists(ckpt_path)) {
    OT_ASSIGN_OR_RETURN(std::string content, env.ReadFile(ckpt_path));
    OT_ASSIGN_OR_RETURN(rec.checkpoint, wal::DecodeCheckpoint(content));
  }
  wal->checkpoint_ = rec.checkpoint;

  WalReader reader(env, dir);
  OT_RETURN_IF_ERROR(reader.Read(rec.checkpoint + 1, [&](uint64_t seq, Event e) {
    wal->pending_bytes_ += PendingBytes(e);
    wal->pending_.push_back({seq, std::move(e)});
    return Status::Ok();
  }));
  rec.replayed = wal->pending_.size();
  rec.last_seq = reader.last_seq();
  if (reader.torn_tail()) rec.torn_tail = reader.torn_tail()->ToString();

  // The reader skipped segments wholly at or below the checkpoint: delete them.
  std::vector<WalSegment> kept = reader.segments();
  OT_ASSIGN_OR_RETURN(std::vector<WalSegment> all, ListWalSegments(env, dir));
  const uint64_t first_kept = kept.empty() ? UINT64_MAX : kept.front().first_seq;
  for (const WalSegment& seg : all) {
    if (seg.first_seq >= first_kept) break;
    OT_RETURN_IF_ERROR(env.RemoveFile(seg.path));
    ++rec.segments_removed;
  }

  const uint64_t next_seq = std::max(rec.last_seq, rec.checkpoint) + 1;
  wal->committed_seq_ = next_seq - 1;
  // If the checkpoint is beyond the last record (nothing undelivered is
  // left), new records start a fresh segment named after next_seq.
  const bool continues_last = !kept.empty() && rec.last_seq + 1 == next_seq;
  if (!continues_last) {
    for (const WalSegment& seg : kept) OT_RETURN_IF_ERROR(env.RemoveFile(seg.path));
    rec.segments_removed += kept.size();
    kept.clear();
  }
  WalWriter::Options wo;
  wo.segment_bytes = options.segment_bytes;
  wo.max_group_bytes = options.max_group_bytes;
  wo.max_record_bytes = options.max_record_bytes;
  wo.no_space_retry_after = options.no_space_retry_after;
  wo.recycle_segments = options.recycle_segments;
  Wal* self = wal.get();
  OT_ASSIGN_OR_RETURN(
      wal->writer_,
      WalWriter::Open(env, dir, wo, std::move(kept), reader.last_segment_valid_end(), next_seq,
                      continues_last, [self](uint64_t first_seq, std::vector<Event>&& events) {
                        self->OnCommit(first_seq, std::move(events));
                      }));
  return wal;
}

void Wal::OnCommit(uint64_t first_seq, std::vector<Event>&& events) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    uint64_t seq = first_seq;
    for (Event& e : events) {
      size_t b = PendingBytes(e);
      pending_bytes_ += b;
      reserved_bytes_ -= b;
      pending_.push_back({seq++, std::move(e)});
    }
    committed_seq_ = seq - 1;
  }
  cv_.notify_all();
}

Status Wal::Append(std::vector<Event> events) { return Append(std::move(events), nullptr); }

Status Wal::Admission() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) {
      return Status::Internal("the write-ahead log is closed", 503)
          .WithCode("ServiceUnavailable", 503);
    }
    size_t held = pending_bytes_ + reserved_bytes_;
    if (held >= options_.max_pending_bytes) {
      ++throttled_;
      return Status::Error("ThrottlingException",
                           "Rate exceeded: event delivery is behind (" + std::to_string(held) +
                               " bytes pending); retry later");
    }
  }
  return writer_->Admission();
}

Status Wal::Reserve(size_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) {
    return Status::Internal("the write-ahead log is closed", 503)
        .WithCode("ServiceUnavailable", 503);
  }
  size_t held = pending_bytes_ + reserved_bytes_;
  if (held > 0 && held + bytes > options_.max_pending_bytes) {
    ++throttled_;
    return Status::Error("ThrottlingException",
                         "Rate exceeded: event delivery is behind (" + std::to_string(held) +
                             " bytes pending); retry later");
  }
  reserved_bytes_ += bytes;
  return Status::Ok();
}

Status Wal::Append(std::vector<Event> events, uint64_t* first_seq) {
  if (events.empty()) return Status::Ok();
  size_t bytes = 0;
  for (const Event& e : events) bytes += PendingBytes(e);
  OT_RETURN_IF_ERROR(Reserve(bytes));
  Status s = writer_->Append(std::move(events), first_seq);
  if (!s.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    reserved_bytes_ -= bytes;
  }
  return s;
}

void Wal::AppendAsync(std::vector<Event> events, std::function<void(Status)> done) {
  if (events.empty()) return done(Status::Ok());
  size_t bytes = 0;
  for (const Event& e : events) bytes += PendingBytes(e);
  if (Status s = Reserve(bytes); !s.ok()) return done(std::move(s));
  writer_->AppendAsync(std::move(events),
                       [this, bytes, done = std::move(done)](const Status& s, uint64_t) {
                         if (!s.ok()) {
                           std::lock_guard<std::mutex> lock(mu_);
                           reserved_bytes_ -= bytes;
                         }
                         done(s);
                       });
}

std::vector<WalEvent> Wal::DrainWithSeq(size_t max) {
  std::vector<WalEvent> out;
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = std::min(max, pending_.size());
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    pending_bytes_ -= PendingBytes(pending_.front().event);
    out.push_back(std::move(pending_.front()));
    pending_.pop_front();
  }
  return out;
}

std::vector<Event> Wal::Drain(size_t max) {
  std::vector<WalEvent> with_seq = DrainWithSeq(max);
  std::vector<Event> out;
  out.reserve(with_seq.size());
  for (WalEvent& w : with_seq) out.push_back(std::move(w.event));
  return out;
}

bool Wal::WaitForEvents(Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return !pending_.empty() || closed_; });
  return !pending_.empty();
}

Status Wal::Checkpoint(uint64_t delivered_through) {
  std::lock_guard<std::mutex> ckpt_lock(checkpoint_mu_);
  {
    // committed_seq_, not the writer's last_seq(): an event can be drained
    // before the writer's leader has finished its bookkeeping.
    std::lock_guard<std::mutex> lock(mu_);
    if (delivered_through <= checkpoint_) return Status::Ok();
    if (delivered_through > committed_seq_) {
      return Status::Internal("write-ahead log checkpoint " + std::to_string(delivered_through) +
                              " is beyond the last event " + std::to_string(committed_seq_));
    }
  }
  OT_RETURN_IF_ERROR(env_.WriteFileAtomic(dir_ + "/" + std::string(wal::kCheckpointName),
                                          wal::EncodeCheckpoint(delivered_through), 0600));
  {
    std::lock_guard<std::mutex> lock(mu_);
    checkpoint_ = delivered_through;
  }
  // Deletion failures are retried by the next checkpoint (and at open).
  (void)writer_->RemoveSegmentsThrough(delivered_through);
  return Status::Ok();
}

void Wal::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

Wal::Stats Wal::stats() const {
  Stats s;
  s.writer = writer_->stats();
  s.last_seq = writer_->last_seq();
  s.segments = writer_->segment_count();
  std::lock_guard<std::mutex> lock(mu_);
  s.throttled = throttled_;
  s.pending_events = pending_.size();
  s.pending_bytes = pending_bytes_;
  s.checkpoint = checkpoint_;
  return s;
}

}  // namespace orgtrail::ingest
