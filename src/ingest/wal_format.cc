#include "ingest/wal_format.h"

#include <array>
#include <cstdio>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace orgtrail::ingest::wal {
namespace {

constexpr uint32_t kCrc32cPoly = 0x82F63B78u;  // reflected 0x1EDC6F41

// Slicing-by-8 tables, computed at compile time.
constexpr std::array<std::array<uint32_t, 256>, 8> MakeTables() {
  std::array<std::array<uint32_t, 256>, 8> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kCrc32cPoly : c >> 1;
    t[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; ++i) {
    for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
  }
  return t;
}
constexpr auto kTables = MakeTables();

uint32_t ExtendPortable(uint32_t crc, const unsigned char* p, size_t n) {
  uint32_t c = ~crc;
  while (n >= 8) {
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
    lo ^= c;
    c = kTables[7][lo & 0xff] ^ kTables[6][(lo >> 8) & 0xff] ^ kTables[5][(lo >> 16) & 0xff] ^
        kTables[4][lo >> 24] ^ kTables[3][hi & 0xff] ^ kTables[2][(hi >> 8) & 0xff] ^
        kTables[1][(hi >> 16) & 0xff] ^ kTables[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n--) c = (c >> 8) ^ kTables[0][(c ^ *p++) & 0xff];
  return ~c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t ExtendSse42(uint32_t crc, const unsigned char* p,
                                                       size_t n) {
  uint64_t c = ~crc & 0xffffffffu;
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    c = _mm_crc32_u64(c, v);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  while (n--) c32 = _mm_crc32_u8(c32, *p++);
  return ~c32;
}
bool HaveSse42() {
  static const bool have = __builtin_cpu_supports("sse4.2");
  return have;
}
#endif

}  // namespace

uint32_t Crc32cExtend(uint32_t crc, std::string_view data) {
  auto* p = reinterpret_cast<const unsigned char*>(data.data());
#if defined(__x86_64__)
  if (HaveSse42()) return ExtendSse42(crc, p, data.size());
#endif
  return ExtendPortable(crc, p, data.size());
}

uint32_t Crc32c(std::string_view data) { return Crc32cExtend(0, data); }

void PutFixed32(std::string* dst, uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  dst->append(b, 4);
}

void PutFixed64(std::string* dst, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  dst->append(b, 8);
}

uint32_t DecodeFixed32(const char* p) {
  auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint32_t>(u[0]) | (static_cast<uint32_t>(u[1]) << 8) |
         (static_cast<uint32_t>(u[2]) << 16) | (static_cast<uint32_t>(u[3]) << 24);
}

uint64_t DecodeFixed64(const char* p) {
  return static_cast<uint64_t>(DecodeFixed32(p)) |
         (static_cast<uint64_t>(DecodeFixed32(p + 4)) << 32);
}

static void EncodeFixed32At(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
static void EncodeFixed64At(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

std::string SegmentFileName(uint64_t first_seq) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%016llu.log", static_cast<unsigned long long>(first_seq));
  return buf;
}

namespace {

std::optional<uint64_t> ParseDigits16(std::string_view d) {
  if (d.size() != 16) return std::nullopt;
  uint64_t v = 0;
  for (char c : d) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

}  // namespace

std::optional<uint64_t> ParseSegmentFileName(std::string_view name) {
  if (name.size() != 20 || name.substr(16) != ".log") return std::nullopt;
  return ParseDigits16(name.substr(0, 16));
}

std::string RecycledFileName(uint64_t id) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "recycle-%016llu", static_cast<unsigned long long>(id));
  return buf;
}

std::optional<uint64_t> ParseRecycledFileName(std::string_view name) {
  constexpr std::string_view kPrefix = "recycle-";
  if (name.size() != kPrefix.size() + 16 || name.substr(0, kPrefix.size()) != kPrefix)
    return std::nullopt;
  return ParseDigits16(name.substr(kPrefix.size()));
}

std::string EncodeSegmentHeader(uint64_t first_seq) {
  std::string h(kSegmentMagic, sizeof(kSegmentMagic));
  PutFixed64(&h, first_seq);
  PutFixed32(&h, Crc32c(h));
  PutFixed32(&h, 0);
  return h;
}

std::optional<uint64_t> DecodeSegmentHeader(std::string_view h) {
  if (h.size() < kSegmentHeaderSize) return std::nullopt;
  if (std::memcmp(h.data(), kSegmentMagic, sizeof(kSegmentMagic)) != 0) return std::nullopt;
  if (DecodeFixed32(h.data() + 16) != Crc32c(h.substr(0, 16))) return std::nullopt;
  if (DecodeFixed32(h.data() + 20) != 0) return std::nullopt;
  return DecodeFixed64(h.data() + 8);
}

namespace {

void PutStr(std::string* dst, std::string_view s) {
  PutFixed32(dst, static_cast<uint32_t>(s.size()));
  dst->append(s);
}

// Sequential decoder over a payload; the first failure sticks.
class PayloadDecoder {
 public:
  explicit PayloadDecoder(std::string_view in) : in_(in) {}
  bool U8(uint8_t* v, const char* field) {
    if (!Need(1, field)) return false;
    *v = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return true;
  }
  bool U32(uint32_t* v, const char* field) {
    if (!Need(4, field)) return false;
    *v = DecodeFixed32(in_.data());
    in_.remove_prefix(4);
    return true;
  }
  bool I64(int64_t* v, const char* field) {
    if (!Need(8, field)) return false;
    *v = static_cast<int64_t>(DecodeFixed64(in_.data()));
    in_.remove_prefix(8);
    return true;
  }
  bool Str(std::string* v, const char* field) {
    uint32_t n;
    if (!U32(&n, field) || !Need(n, field)) return false;
    v->assign(in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  bool StrList(std::vector<std::string>* v, const char* field) {
    uint32_t n;
    if (!U32(&n, field)) return false;
    // Each entry needs at least its 4-byte length: bounds n before reserving.
    if (n > in_.size() / 4) return Fail(field);
    v->resize(n);
    for (auto& s : *v) {
      if (!Str(&s, field)) return false;
    }
    return true;
  }
  bool empty() const { return in_.empty(); }
  const std::string& error() const { return error_; }
  bool Fail(const char* field) {
    if (error_.empty()) error_ = std::string("event payload field ") + field + " is truncated";
    return false;
  }

 private:
  bool Need(size_t n, const char* field) { return in_.size() >= n || Fail(field); }
  std::string_view in_;
  std::string error_;
};

}  // namespace

void EncodeEventPayload(const Event& e, std::string* dst) {
  dst->push_back(static_cast<char>(kPayloadVersion));
  PutStr(dst, e.record_json);
  PutStr(dst, e.event_id);
  PutStr(dst, e.account_id);
  PutStr(dst, e.region);
  PutFixed64(dst, static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                            e.event_time.time_since_epoch())
                                            .count()));
  PutStr(dst, e.event_source);
  PutStr(dst, e.event_name);
  uint8_t flags = 0;
  if (e.read_only.has_value()) flags |= 1;
  if (e.read_only.value_or(false)) flags |= 2;
  if (e.management_event) flags |= 4;
  dst->push_back(static_cast<char>(flags));
  PutStr(dst, e.event_category);
  PutStr(dst, e.event_type);
  PutFixed32(dst, static_cast<uint32_t>(e.resource_types.size()));
  for (const auto& s : e.resource_types) PutStr(dst, s);
  PutFixed32(dst, static_cast<uint32_t>(e.resource_arns.size()));
  for (const auto& s : e.resource_arns) PutStr(dst, s);
}

Result<Event> DecodeEventPayload(std::string_view payload) {
  PayloadDecoder d(payload);
  Event e;
  uint8_t version = 0, flags = 0;
  int64_t ns = 0;
  bool ok = d.U8(&version, "version");
  if (ok && version != kPayloadVersion) {
    return Status::Internal("unknown event payload version " + std::to_string(version));
  }
  ok = ok && d.Str(&e.record_json, "record_json") && d.Str(&e.event_id, "event_id") &&
       d.Str(&e.account_id, "account_id") && d.Str(&e.region, "region") &&
       d.I64(&ns, "event_time") && d.Str(&e.event_source, "event_source") &&
       d.Str(&e.event_name, "event_name") && d.U8(&flags, "flags") &&
       d.Str(&e.event_category, "event_category") && d.Str(&e.event_type, "event_type") &&
       d.StrList(&e.resource_types, "resource_types") &&
       d.StrList(&e.resource_arns, "resource_arns");
  if (!ok) return Status::Internal(d.error());
  if (!d.empty()) return Status::Internal("event payload has trailing bytes");
  if (flags & ~7u) return Status::Internal("event payload has unknown flags");
  e.event_time = TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::nanoseconds(ns)));
  if (flags & 1) e.read_only = (flags & 2) != 0;
  e.management_event = (flags & 4) != 0;
  return e;
}

void AppendRecord(std::string_view payload, uint8_t type, std::string* dst) {
  const size_t at = BeginRecord(dst);
  dst->append(payload);
  FinishRecord(at, type, dst);
}

size_t BeginRecord(std::string* dst) {
  const size_t at = dst->size();
  dst->append(kRecordHeaderSize, '\0');
  return at;
}

size_t FinishRecord(size_t header_at, uint8_t type, std::string* dst) {
  char* h = dst->data() + header_at;
  std::string_view payload(h + kRecordHeaderSize, dst->size() - header_at - kRecordHeaderSize);
  EncodeFixed32At(h + 4, static_cast<uint32_t>(payload.size()));
  EncodeFixed32At(h + 16, Crc32c(payload));
  h[20] = static_cast<char>(type);
  return payload.size();
}

void SetRecordSeq(char* header, uint64_t seq) {
  EncodeFixed64At(header + 8, seq);
  EncodeFixed32At(header, Crc32c(std::string_view(header + 4, kRecordHeaderSize - 4)));
}

std::optional<RecordHeader> DecodeRecordHeader(std::string_view h) {
  if (h.size() < kRecordHeaderSize) return std::nullopt;
  if (DecodeFixed32(h.data()) != Crc32c(h.substr(4, kRecordHeaderSize - 4))) return std::nullopt;
  if (h[21] != 0 || h[22] != 0 || h[23] != 0) return std::nullopt;
  RecordHeader r;
  r.length = DecodeFixed32(h.data() + 4);
  r.seq = DecodeFixed64(h.data() + 8);
  r.payload_crc = DecodeFixed32(h.data() + 16);
  r.type = static_cast<uint8_t>(h[20]);
  return r;
}

static std::string CheckpointBody(uint64_t n) { return "OTWALCKPT1 " + std::to_string(n); }

std::string EncodeCheckpoint(uint64_t delivered_through) {
  std::string body = CheckpointBody(delivered_through);
  char crc[16];
  std::snprintf(crc, sizeof(crc), "%08x", Crc32c(body));
  return body + " " + crc + "\n";
}

Result<uint64_t> DecodeCheckpoint(std::string_view content) {
  constexpr std::string_view kPrefix = "OTWALCKPT1 ";
  auto bad = [&](const char* why) {
    return Corruption(std::string("CHECKPOINT is malformed: ") + why);
  };
  if (content.substr(0, kPrefix.size()) != kPrefix) return bad("wrong prefix");
  std::string_view rest = content.substr(kPrefix.size());
  size_t sp = rest.find(' ');
  if (sp == std::string_view::npos || sp == 0 || sp > 20) return bad("no sequence number");
  uint64_t n = 0;
  for (char c : rest.substr(0, sp)) {
    if (c < '0' || c > '9') return bad("sequence number is not decimal");
    uint64_t next = n * 10 + static_cast<uint64_t>(c - '0');
    if (next / 10 != n) return bad("sequence number overflows");
    n = next;
  }
  if (rest.substr(sp + 1) != EncodeCheckpoint(n).substr(CheckpointBody(n).size() + 1)) {
    return bad("checksum mismatch or trailing bytes");
  }
  return n;
}

Status Corruption(const std::string& what) {
  return Status::Internal(what).WithCode("WalCorruption", 500);
}

}  // namespace orgtrail::ingest::wal
