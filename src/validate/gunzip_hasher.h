// GunzipHasher: streaming gunzip of the first gzip member + SHA-256 of the
// inflated bytes, the check the AWS CLI applies to each log file
// (aws-compat.md §6.2 step 4). Memory is bounded (one output buffer)
// whatever the file size. Bytes after the first member are ignored, as the
// CLI's zlib.decompressobj does.
// Not thread-safe: one per worker.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "crypto/hash.h"

typedef struct z_stream_s z_stream;

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

// Convenience: the hash of a whole gzip buffer.
Result<std::string> GunzipSha256Hex(std::string_view gz);

}  // namespace orgtrail::validate
