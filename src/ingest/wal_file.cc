#include "ingest/wal_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

namespace orgtrail::ingest {
namespace {

class PosixWalFile final : public WalFile {
 public:
  PosixWalFile(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  ~PosixWalFile() override { ::close(fd_); }
  PosixWalFile(const PosixWalFile&) = delete;
  PosixWalFile& operator=(const PosixWalFile&) = delete;

  Status Append(std::string_view data) override {
    while (!data.empty()) {
      ssize_t n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(size_));
      if (n < 0) {
        if (errno == EINTR) continue;
        return WalIoError("write", path_, errno);
      }
      size_ += static_cast<uint64_t>(n);
      data.remove_prefix(static_cast<size_t>(n));
    }
    return Status::Ok();
  }

  Status AppendV(const std::vector<std::string_view>& parts) override {
    std::vector<iovec> iov;
    iov.reserve(parts.size());
    for (std::string_view p : parts) {
      if (!p.empty()) iov.push_back({const_cast<char*>(p.data()), p.size()});
    }
    size_t i = 0;
    while (i < iov.size()) {
      const int n_iov = static_cast<int>(std::min<size_t>(iov.size() - i, IOV_MAX));
      ssize_t n = ::pwritev(fd_, iov.data() + i, n_iov, static_cast<off_t>(size_));
      if (n < 0) {
        if (errno == EINTR) continue;
        return WalIoError("write", path_, errno);
      }
      size_ += static_cast<uint64_t>(n);
      // Skip what was written; a partial write resumes mid-part.
      auto left = static_cast<size_t>(n);
      while (i < iov.size() && left >= iov[i].iov_len) left -= iov[i++].iov_len;
      if (left > 0) {
        iov[i].iov_base = static_cast<char*>(iov[i].iov_base) + left;
        iov[i].iov_len -= left;
      }
    }
    return Status::Ok();
  }

  Status Sync() override {
    if (::fdatasync(fd_) != 0) return WalIoError("fdatasync", path_, errno);
    return Status::Ok();
  }

  Status Truncate(uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      return WalIoError("ftruncate", path_, errno);
    }
    size_ = size;
    return Status::Ok();
  }

  uint64_t Size() const override { return size_; }

 private:
  const std::string path_;
  const int fd_;
  uint64_t size_;
};

}  // namespace

PosixWalEnv* PosixWalEnv::Default() {
  static PosixWalEnv env;
  return &env;
}

namespace {

Result<std::unique_ptr<WalFile>> OpenWalFile(const std::string& path, int flags, bool from_start) {
  // No O_APPEND: each file writes at its own end offset, which for a reused
  // file starts at 0 with older bytes beyond it.
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | flags, 0600);
  if (fd < 0) return WalIoError("open", path, errno);
  uint64_t size = 0;
  if (!from_start) {
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      int e = errno;
      ::close(fd);
      return WalIoError("fstat", path, e);
    }
    size = static_cast<uint64_t>(st.st_size);
  }
  return std::unique_ptr<WalFile>(std::make_unique<PosixWalFile>(path, fd, size));
}

}  // namespace

Result<std::unique_ptr<WalFile>> PosixWalEnv::NewWalFile(const std::string& path, bool create) {
  return OpenWalFile(path, create ? O_CREAT | O_EXCL : 0, /*from_start=*/false);
}

Result<std::unique_ptr<WalFile>> PosixWalEnv::ReuseWalFile(const std::string& path) {
  return OpenWalFile(path, 0, /*from_start=*/true);
}

Result<uint64_t> PosixWalEnv::FileSize(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return WalIoError("stat", path, errno);
  return static_cast<uint64_t>(st.st_size);
}

Status WalIoError(const std::string& op, const std::string& path, int err) {
  std::string msg = "write-ahead log: " + op + " " + path + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) {
    return Status::Internal(msg + " (disk full; retry later)", 503)
        .WithCode("ServiceUnavailable", 503);
  }
  return Status::Internal(msg);
}

bool IsNoSpace(const Status& s) { return s.code() == "ServiceUnavailable"; }

}  // namespace orgtrail::ingest
