#include "validate/gunzip_hasher.h"

#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "base/strings.h"

namespace orgtrail::validate {

GunzipHasher::GunzipHasher() : zs_(new z_stream{}), out_(256 * 1024, '\0') {
  if (inflateInit2(zs_, 16 + MAX_WBITS) != Z_OK) error_ = "inflateInit2 failed";
}

GunzipHasher::~GunzipHasher() {
  inflateEnd(zs_);
  delete zs_;
}

void GunzipHasher::Update(std::string_view gz) {
  if (done_ || !error_.empty() || gz.empty()) return;
  zs_->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs_->avail_in = static_cast<uInt>(gz.size());
  while (zs_->avail_in > 0) {
    zs_->next_out = reinterpret_cast<Bytef*>(out_.data());
    zs_->avail_out = static_cast<uInt>(out_.size());
    int rc = inflate(zs_, Z_NO_FLUSH);
    size_t produced = out_.size() - zs_->avail_out;
    if (produced > 0) {
      sha_.Update(std::string_view(out_.data(), produced));
      inflated_ += produced;
    }
    if (rc == Z_STREAM_END) {
      done_ = true;
      return;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      error_ = zs_->msg ? zs_->msg : "corrupt gzip data";
      return;
    }
    if (rc == Z_BUF_ERROR && produced == 0) break;
  }
}

Result<std::string> GunzipHasher::Finish() {
  if (!error_.empty()) return Status::Error("InvalidFormat", error_);
  if (!done_) {
    // Drain any output still pending inside zlib.
    for (;;) {
      zs_->next_in = nullptr;
      zs_->avail_in = 0;
      zs_->next_out = reinterpret_cast<Bytef*>(out_.data());
      zs_->avail_out = static_cast<uInt>(out_.size());
      int rc = inflate(zs_, Z_NO_FLUSH);
      size_t produced = out_.size() - zs_->avail_out;
      if (produced > 0) {
        sha_.Update(std::string_view(out_.data(), produced));
        inflated_ += produced;
      }
      if (rc == Z_STREAM_END) {
        done_ = true;
        break;
      }
      if (produced == 0) break;
    }
  }
  if (!done_) return Status::Error("InvalidFormat", "truncated gzip data");
  return HexEncode(sha_.Finish());
}

BufferGunzipHasher::BufferGunzipHasher() : d_(libdeflate_alloc_decompressor()) {}

BufferGunzipHasher::~BufferGunzipHasher() {
  if (d_ != nullptr) libdeflate_free_decompressor(d_);
}

Result<std::string> BufferGunzipHasher::Streaming(std::string_view gz) {
  GunzipHasher h;
  h.Update(gz);
  auto out = h.Finish();
  inflated_ = h.inflated_bytes();
  return out;
}

Result<std::string> BufferGunzipHasher::HashHex(std::string_view gz) {
  inflated_ = 0;
  if (d_ == nullptr || gz.size() < 18) return Streaming(gz);
  // First guess at the inflated size: the trailer's ISIZE (exact for a
  // single-member file, the usual case), at least 4x the input (log JSON
  // compresses about that well); doubled while libdeflate wants more.
  uint32_t isize = 0;
  std::memcpy(&isize, gz.data() + gz.size() - 4, 4);  // little-endian on x86/ARM
  // Deflate expands at most ~1032:1, which bounds a bogus ISIZE (bytes after
  // the first member end the buffer).
  size_t want =
      std::max<size_t>({std::min<size_t>(static_cast<size_t>(isize) + 1, gz.size() * 1032),
                        gz.size() * 4, 64 * 1024});
  for (;;) {
    if (want > kMaxInflated) return Streaming(gz);
    if (out_.size() < want) out_.resize(want);
    size_t in_used = 0, produced = 0;
    libdeflate_result r = libdeflate_gzip_decompress_ex(d_, gz.data(), gz.size(), out_.data(),
                                                        out_.size(), &in_used, &produced);
    if (r == LIBDEFLATE_SUCCESS) {
      inflated_ = produced;
      return HexEncode(crypto::Sha256(std::string_view(out_.data(), produced)));
    }
    if (r != LIBDEFLATE_INSUFFICIENT_SPACE) {
      // Corrupt or truncated: zlib names which, as the streaming path does.
      return Streaming(gz);
    }
    want = out_.size() * 2;
  }
}

Result<std::string> GunzipSha256Hex(std::string_view gz) {
  BufferGunzipHasher h;
  return h.HashHex(gz);
}

}  // namespace orgtrail::validate
