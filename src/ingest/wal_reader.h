// WalReader: reads write-ahead log segments back (recovery, tools, tests).
// It verifies every record (docs/formats/wal.md, "Reading and recovery"),
// stops cleanly at a torn tail of the newest segment — reported through
// torn_tail(), not as an error — and fails with WalCorruption naming the
// segment and byte offset for damage it cannot explain. Reads whole segment
// files through Env::ReadFile.
// Not thread-safe; use one reader per thread. Must not race with a writer on
// the same directory (the Wal reads before it starts writing).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/env.h"
#include "ingest/event.h"

namespace orgtrail::ingest {

struct WalSegment {
  uint64_t first_seq = 0;  // from the file name
  std::string path;
};

// The segment files in `dir`, sorted by first_seq (other names are ignored).
Result<std::vector<WalSegment>> ListWalSegments(Env& env, const std::string& dir);

class WalReader {
 public:
  struct TornTail {
    std::string segment;  // path
    uint64_t offset = 0;  // where the valid data ends
    std::string reason;
    std::string ToString() const;  // "torn tail at offset X of <segment>: <reason>"
  };
  // Called for each record in sequence order; a non-OK return stops the read
  // and is returned by Read.
  using Visitor = std::function<Status(uint64_t seq, Event event)>;

  WalReader(Env& env, std::string dir) : env_(env), dir_(std::move(dir)) {}

  // Verifies every segment that may hold a sequence number >= from_seq and
  // calls `fn` for each record with seq >= from_seq (records below are
  // verified but not decoded). OK at the end of the log or at a torn tail.
  Status Read(uint64_t from_seq, const Visitor& fn);

  // After Read: the torn tail found, if any.
  const std::optional<TornTail>& torn_tail() const { return torn_tail_; }
  // After Read: the highest valid sequence number seen (0 if none).
  uint64_t last_seq() const { return last_seq_; }
  // After Read: the segments read, oldest first, and the byte length of the
  // valid data in the newest one (its size minus any torn tail).
  const std::vector<WalSegment>& segments() const { return segments_; }
  uint64_t last_segment_valid_end() const { return last_valid_end_; }

 private:
  Status ReadSegment(const WalSegment& seg, bool is_last, uint64_t from_seq, const Visitor& fn);

  Env& env_;
  const std::string dir_;
  std::optional<TornTail> torn_tail_;
  // Where the previous (older) segment's records ended before its end of
  // file, if they did: named in a sequence-gap error.
  std::optional<TornTail> early_end_;
  uint64_t last_seq_ = 0;
  std::vector<WalSegment> segments_;
  uint64_t last_valid_end_ = 0;
};

}  // namespace orgtrail::ingest
