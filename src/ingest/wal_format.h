// The write-ahead log's byte format (docs/formats/wal.md): CRC-32C, segment
// and record headers, the event payload, segment names and the checkpoint
// line. Used by WalWriter, WalReader and Wal; pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "ingest/event.h"

namespace orgtrail::ingest::wal {

inline constexpr char kSegmentMagic[8] = {'O', 'T', 'W', 'A', 'L', '\0', '\0', '\x01'};
inline constexpr size_t kSegmentHeaderSize = 24;
inline constexpr size_t kRecordHeaderSize = 24;
inline constexpr uint8_t kTypeEvent = 1;
inline constexpr uint8_t kPayloadVersion = 1;
// Hard limit of the format; the writer's configurable limit is lower.
inline constexpr uint32_t kMaxPayloadBytes = 64u << 20;
inline constexpr std::string_view kCheckpointName = "CHECKPOINT";

// CRC-32C (Castagnoli). Extend(Crc32c(a), b) == Crc32c(a + b).
uint32_t Crc32c(std::string_view data);
uint32_t Crc32cExtend(uint32_t crc, std::string_view data);

void PutFixed32(std::string* dst, uint32_t v);
void PutFixed64(std::string* dst, uint64_t v);
uint32_t DecodeFixed32(const char* p);
uint64_t DecodeFixed64(const char* p);

// "0000000000000042.log" for 42.
std::string SegmentFileName(uint64_t first_seq);
// Parses a segment file name; nullopt for anything else (CHECKPOINT, temp files).
std::optional<uint64_t> ParseSegmentFileName(std::string_view name);
// "recycle-<16 digits>": a delivered segment kept to be written over as a
// later segment (WalWriter::Options::recycle_segments).
std::string RecycledFileName(uint64_t id);
std::optional<uint64_t> ParseRecycledFileName(std::string_view name);

// The 24-byte segment header.
std::string EncodeSegmentHeader(uint64_t first_seq);
// Returns the first_seq of a valid header, else nullopt.
std::optional<uint64_t> DecodeSegmentHeader(std::string_view header);

// Appends the event payload (version byte + fields) to `dst`.
void EncodeEventPayload(const Event& e, std::string* dst);
// Decodes a payload written by EncodeEventPayload; the error names the
// field that does not fit (InternalError-coded; the reader rewraps it).
Result<Event> DecodeEventPayload(std::string_view payload);

// Appends a record header with seq 0 followed by `payload` to `dst`; the
// header's seq and header_crc are filled in later by SetRecordSeq, once the
// group commit leader has assigned sequence numbers.
void AppendRecord(std::string_view payload, uint8_t type, std::string* dst);
// The same in two steps, for a payload encoded straight into `dst` (no copy):
// BeginRecord appends the header and returns its offset; the payload is then
// appended; FinishRecord fills in the header from what follows it and
// returns the payload's length.
size_t BeginRecord(std::string* dst);
size_t FinishRecord(size_t header_at, uint8_t type, std::string* dst);
// Sets seq and recomputes header_crc of the record header at `header`.
void SetRecordSeq(char* header, uint64_t seq);

struct RecordHeader {
  uint32_t length = 0;
  uint64_t seq = 0;
  uint32_t payload_crc = 0;
  uint8_t type = 0;
};
// Decodes a 24-byte record header; nullopt if its header_crc does not match
// or its reserved bytes are not zero.
std::optional<RecordHeader> DecodeRecordHeader(std::string_view header);

// The CHECKPOINT file content for `delivered_through`.
std::string EncodeCheckpoint(uint64_t delivered_through);
// Parses CHECKPOINT content; WalCorruption if malformed or its CRC is wrong.
Result<uint64_t> DecodeCheckpoint(std::string_view content);

// The Status for corruption the reader cannot explain.
Status Corruption(const std::string& what);

}  // namespace orgtrail::ingest::wal
