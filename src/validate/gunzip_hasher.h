// GunzipHasher: streaming gunzip of the first gzip member + SHA-256 of the
// inflated bytes, the check the AWS CLI applies to each log file
// (aws-compat.md §6.2 step 4). Memory is bounded (one output buffer)
// whatever the file size. Bytes after the first member are ignored, as the
// CLI's zlib.decompressobj does.
// Not thread-safe: one per worker.
//
// BufferGunzipHasher: the same check on a gzip object held whole in memory
// (the usual case: CloudTrail log files are tens of KB), with libdeflate's
// whole-buffer decompressor, several times faster than zlib's streaming
// inflate. A worker keeps one for its life, so the decompressor and the
// output buffer are allocated once, not per file.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "crypto/hash.h"

typedef struct z_stream_s z_stream;
struct libdeflate_decompressor;

namespace orgtrail::validate {

class GunzipHasher {
 public:
  GunzipHasher();
  ~GunzipHasher();
  GunzipHasher(const GunzipHasher&) = delete;
  GunzipHasher& operator=(const GunzipHasher&) = delete;

  // Feeds compressed bytes. After an error, further input is ignored.
  void Update(std::string_view gz);
  // Lower-case hex SHA-256 of the inflated bytes; InvalidFormat when the
  // input is not gzip, is corrupt, or ends before the member does.
  Result<std::string> Finish();
  uint64_t inflated_bytes() const { return inflated_; }

 private:
  z_stream* zs_;
  crypto::Sha256Stream sha_;
  std::string out_;
  bool done_ = false;     // first member complete
  std::string error_;     // first error
  uint64_t inflated_ = 0;
};

class BufferGunzipHasher {
 public:
  BufferGunzipHasher();
  ~BufferGunzipHasher();
  BufferGunzipHasher(const BufferGunzipHasher&) = delete;
  BufferGunzipHasher& operator=(const BufferGunzipHasher&) = delete;

  // Lower-case hex SHA-256 of the inflated first gzip member of `gz`, with
  // the same verdicts (and error messages) as GunzipHasher. A member that
  // would inflate beyond `max_inflated` bytes is hashed by streaming
  // instead, so memory stays bounded.
  Result<std::string> HashHex(std::string_view gz);
  // Inflated size of the last HashHex input (what was inflated before an
  // error, as GunzipHasher counts it).
  uint64_t inflated_bytes() const { return inflated_; }

  static constexpr size_t kMaxInflated = size_t{64} << 20;

 private:
  Result<std::string> Streaming(std::string_view gz);
  libdeflate_decompressor* d_;
  std::string out_;
  uint64_t inflated_ = 0;
};

// Convenience: the hash of a whole gzip buffer.
Result<std::string> GunzipSha256Hex(std::string_view gz);

}  // namespace orgtrail::validate
