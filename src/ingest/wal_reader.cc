#include "ingest/wal_reader.h"

#include <algorithm>

#include "ingest/wal_format.h"

namespace orgtrail::ingest {
namespace {

// Outcome of checking the record framed at `off`.
enum class Check { kOk, kTearable, kCorrupt };

struct RecordCheck {
  Check check = Check::kOk;
  std::string reason;
  wal::RecordHeader header;
};

RecordCheck CheckRecord(std::string_view data, size_t off) {
  RecordCheck r;
  size_t left = data.size() - off;
  if (left < wal::kRecordHeaderSize) {
    return {Check::kTearable, "partial record header (" + std::to_string(left) + " bytes)", {}};
  }
  auto h = wal::DecodeRecordHeader(data.substr(off, wal::kRecordHeaderSize));
  if (!h) return {Check::kTearable, "bad record header checksum", {}};
  r.header = *h;
  if (h->length > wal::kMaxPayloadBytes) {
    return {Check::kCorrupt, "record length " + std::to_string(h->length) + " exceeds the limit",
            *h};
  }
  if (h->length > left - wal::kRecordHeaderSize) {
    return {Check::kTearable, "record of " + std::to_string(h->length) + " bytes runs past the end",
            *h};
  }
  if (wal::Crc32c(data.substr(off + wal::kRecordHeaderSize, h->length)) != h->payload_crc) {
    return {Check::kTearable, "bad payload checksum", *h};
  }
  if (h->type != wal::kTypeEvent) {
    return {Check::kCorrupt, "unknown record type " + std::to_string(h->type), *h};
  }
  return r;
}

// True if a complete, checksummed record with seq > after_seq starts
// anywhere in data[from, end): then the damage before it is not a torn tail.
bool ValidRecordFollows(std::string_view data, size_t from, uint64_t after_seq) {
  for (size_t off = from; off + wal::kRecordHeaderSize <= data.size(); ++off) {
    // Cheap bytes first (type, then three zero bytes): a recycled segment
    // can leave tens of megabytes to scan after the tail.
    const char* h = data.data() + off;
    if (h[20] != static_cast<char>(wal::kTypeEvent) || h[21] != 0 || h[22] != 0 || h[23] != 0)
      continue;
    RecordCheck c = CheckRecord(data, off);
    if (c.check == Check::kOk && c.header.seq > after_seq) return true;
  }
  return false;
}

}  // namespace

std::string WalReader::TornTail::ToString() const {
  return "torn tail at offset " + std::to_string(offset) + " of " + segment + ": " + reason;
}

Result<std::vector<WalSegment>> ListWalSegments(Env& env, const std::string& dir) {
  OT_ASSIGN_OR_RETURN(std::vector<std::string> names, env.ListDir(dir));
  std::vector<WalSegment> out;
  for (const auto& n : names) {
    if (auto seq = wal::ParseSegmentFileName(n)) out.push_back({*seq, dir + "/" + n});
  }
  std::sort(out.begin(), out.end(),
            [](const WalSegment& a, const WalSegment& b) { return a.first_seq < b.first_seq; });
  return out;
}

Status WalReader::Read(uint64_t from_seq, const Visitor& fn) {
  torn_tail_.reset();
  early_end_.reset();
  last_seq_ = 0;
  last_valid_end_ = 0;
  segments_.clear();
  OT_ASSIGN_OR_RETURN(std::vector<WalSegment> all, ListWalSegments(env_, dir_));
  // Skip segments wholly below from_seq: segment i ends before segment i+1.
  size_t first = 0;
  while (first + 1 < all.size() && all[first + 1].first_seq <= from_seq) ++first;
  for (size_t i = first; i < all.size(); ++i) {
    const WalSegment& seg = all[i];
    if (!segments_.empty() && seg.first_seq != last_seq_ + 1) {
      return wal::Corruption("write-ahead log sequence gap: " + seg.path + " starts at " +
                             std::to_string(seg.first_seq) + " but the previous segment ends at " +
                             std::to_string(last_seq_) +
                             (early_end_ ? " (its records end early: " + early_end_->ToString() + ")"
                                         : std::string()));
    }
    if (seg.first_seq == 0) return wal::Corruption("write-ahead log segment " + seg.path + " starts at 0");
    segments_.push_back(seg);
    early_end_.reset();
    if (segments_.size() == 1) last_seq_ = seg.first_seq - 1;
    OT_RETURN_IF_ERROR(ReadSegment(seg, i + 1 == all.size(), from_seq, fn));
  }
  return Status::Ok();
}

Status WalReader::ReadSegment(const WalSegment& seg, bool is_last, uint64_t from_seq,
                              const Visitor& fn) {
  OT_ASSIGN_OR_RETURN(std::string data, env_.ReadFile(seg.path));
  auto corrupt = [&](uint64_t off, const std::string& why) {
    return wal::Corruption("write-ahead log corruption in " + seg.path + " at offset " +
                           std::to_string(off) + ": " + why);
  };
  auto header_seq = wal::DecodeSegmentHeader(data);
  if (!header_seq) return corrupt(0, "bad segment header");
  if (*header_seq != seg.first_seq) {
    return corrupt(0, "segment header names first sequence " + std::to_string(*header_seq));
  }
  std::string_view view(data);
  size_t off = wal::kSegmentHeaderSize;
  while (off < view.size()) {
    RecordCheck c = CheckRecord(view, off);
    // A whole record older than the last one read: what a recycled file held
    // before it was written over (docs/formats/wal.md).
    const bool older = c.check == Check::kOk && c.header.seq <= last_seq_;
    if ((c.check == Check::kTearable || older) && !ValidRecordFollows(view, off + 1, last_seq_)) {
      // The segment's records end here. In the newest segment that is the
      // torn tail; in an older one (written over a recycled file) any record
      // lost here shows as a gap before the next segment's first record.
      TornTail end{seg.path, off, older ? "older record (recycled file)" : c.reason};
      (is_last ? torn_tail_ : early_end_) = std::move(end);
      break;
    }
    if (c.check != Check::kOk) return corrupt(off, c.reason);
    if (c.header.seq != last_seq_ + 1) {
      return corrupt(off, "sequence number " + std::to_string(c.header.seq) + " where " +
                              std::to_string(last_seq_ + 1) + " was expected");
    }
    std::string_view payload = view.substr(off + wal::kRecordHeaderSize, c.header.length);
    if (c.header.seq >= from_seq) {
      Result<Event> ev = wal::DecodeEventPayload(payload);
      if (!ev.ok()) return corrupt(off, ev.status().message());
      OT_RETURN_IF_ERROR(fn(c.header.seq, std::move(ev).value()));
    }
    last_seq_ = c.header.seq;
    off += wal::kRecordHeaderSize + c.header.length;
  }
  if (is_last) last_valid_end_ = off;
  return Status::Ok();
}

}  // namespace orgtrail::ingest
