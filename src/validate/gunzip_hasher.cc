#include "validate/gunzip_hasher.h"

#include <zlib.h>

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

Result<std::string> GunzipSha256Hex(std::string_view gz) {
  GunzipHasher h;
  h.Update(gz);
  return h.Finish();
}

}  // namespace orgtrail::validate
