#include "delivery/log_file.h"

#include <isa-l/igzip_lib.h>
#include <libdeflate.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <vector>

namespace orgtrail::delivery {
namespace {

struct CompressorDeleter {
  void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
};
struct DecompressorDeleter {
  void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
};

Status BadFile(std::string what) { return Status::Error("InvalidLogFile", std::move(what)); }

// libdeflate, whole buffer.
std::string DeflateGzip(std::string_view bytes, int level) {
  std::unique_ptr<libdeflate_compressor, CompressorDeleter> c(libdeflate_alloc_compressor(level));
  if (!c) std::abort();  // out of memory: nothing sensible to return
  size_t bound = libdeflate_gzip_compress_bound(c.get(), bytes.size());
  std::string out(bound, '\0');
  size_t n = libdeflate_gzip_compress(c.get(), bytes.data(), bytes.size(), out.data(), out.size());
  if (n == 0) std::abort();  // cannot happen with the bound above
  out.resize(n);
  return out;
}

// ISA-L igzip level 1, one stateless call; nullopt when the output does not
// fit the room given (incompressible input), which the caller hands to
// libdeflate instead.
std::optional<std::string> IgzipGzip(std::string_view bytes) {
  // The level's hash tables, reused by each thread (the sealer's).
  thread_local std::vector<uint8_t> level_buf(ISAL_DEF_LVL1_DEFAULT);
  isal_zstream s;
  isal_deflate_stateless_init(&s);
  s.level = 1;
  s.level_buf = level_buf.data();
  s.level_buf_size = static_cast<uint32_t>(level_buf.size());
  s.gzip_flag = IGZIP_GZIP;
  s.end_of_stream = 1;
  s.flush = NO_FLUSH;
  // Room for the worst case (stored blocks cost ~5 bytes per 64 KB), in a
  // buffer the thread keeps: log files compress 6-7x, so zeroing a fresh
  // worst-case string for each file cost more than copying the result out.
  thread_local std::vector<uint8_t> out_buf;
  const size_t room = bytes.size() + bytes.size() / 16 + 1024;
  if (out_buf.size() < room) out_buf.resize(room);
  s.next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(bytes.data()));
  s.avail_in = static_cast<uint32_t>(bytes.size());
  s.next_out = out_buf.data();
  s.avail_out = static_cast<uint32_t>(room);
  const bool ok = isal_deflate_stateless(&s) == COMP_OK && s.avail_in == 0;
  std::optional<std::string> out;
  if (ok) out.emplace(reinterpret_cast<const char*>(out_buf.data()), s.total_out);
  if (out_buf.size() > (64u << 20)) std::vector<uint8_t>().swap(out_buf);  // a rare huge file
  return out;
}

}  // namespace

std::string BuildLogFile(const std::vector<const ingest::Event*>& events) {
  size_t total = kLogFileOverhead;
  for (const ingest::Event* e : events) total += e->record_json.size() + 1;
  std::string out;
  out.reserve(total);
  out.append("{\"Records\":[");
  for (size_t i = 0; i < events.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append(events[i]->record_json);
  }
  out.append("]}");
  return out;
}

std::string Gzip(std::string_view bytes, int level) {
  level = std::clamp(level, kGzipFastest, 12);
  // igzip's stateless call takes 32-bit lengths; files are capped far below.
  if (level == kGzipFastest && bytes.size() < (uint32_t{1} << 31)) {
    if (auto out = IgzipGzip(bytes)) return std::move(*out);
  }
  return DeflateGzip(bytes, std::max(level, 1));
}

Result<std::string> Gunzip(std::string_view gz, size_t max_bytes) {
  if (gz.size() < 18) return BadFile("gzip data is truncated");
  std::unique_ptr<libdeflate_decompressor, DecompressorDeleter> d(libdeflate_alloc_decompressor());
  if (!d) return Status::Internal("out of memory");
  // ISIZE (last 4 bytes) is the size modulo 2^32: a first guess only.
  const auto* p = reinterpret_cast<const uint8_t*>(gz.data() + gz.size() - 4);
  size_t guess = size_t{p[0]} | size_t{p[1]} << 8 | size_t{p[2]} << 16 | size_t{p[3]} << 24;
  if (guess > max_bytes) return BadFile("log file is larger than the limit");
  size_t cap = std::max<size_t>(guess, 1);
  for (;;) {
    std::string out(cap, '\0');
    size_t in_used = 0, out_used = 0;
    libdeflate_result r = libdeflate_gzip_decompress_ex(d.get(), gz.data(), gz.size(), out.data(),
                                                        out.size(), &in_used, &out_used);
    if (r == LIBDEFLATE_SUCCESS) {
      if (in_used != gz.size()) return BadFile("data follows the first gzip member");
      out.resize(out_used);
      return out;
    }
    if (r != LIBDEFLATE_INSUFFICIENT_SPACE) return BadFile("gzip data is corrupt");
    if (cap >= max_bytes) return BadFile("log file is larger than the limit");
    cap = std::min(max_bytes, cap * 2);
  }
}

}  // namespace orgtrail::delivery
