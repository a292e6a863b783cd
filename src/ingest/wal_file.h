// WalFile and WalEnv: the file API the write-ahead log needs on top of base's
// Env — an append-only file with fsync and truncate. WalEnv is an Env (all
// other file operations, e.g. WriteFileAtomic for the checkpoint, are Env's)
// plus NewWalFile. PosixWalEnv is the real one (it forwards Env calls to a
// wrapped Env, Env::Default() by default); FaultInjectionEnv
// (wal_fault_injection_env.h) wraps any WalEnv for tests.
//
// Error convention: ENOSPC and EDQUOT come back as ServiceUnavailable (503),
// which the WAL treats as recoverable (IsNoSpace); every other I/O error is
// InternalError (500).
//
// WalEnv implementations are thread-safe; one WalFile is used by one thread
// at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/env.h"

namespace orgtrail::ingest {

class WalFile {
 public:
  virtual ~WalFile() = default;
  // Appends `data` at Size() (where this handle's writing ends). On failure
  // some prefix of `data` may have been written; Size() tells how much.
  virtual Status Append(std::string_view data) = 0;
  // Appends `parts` in order, as one write where the platform allows
  // (writev); the same contract as Append on failure.
  virtual Status AppendV(const std::vector<std::string_view>& parts) {
    for (std::string_view p : parts) OT_RETURN_IF_ERROR(Append(p));
    return Status::Ok();
  }
  // fdatasync: everything appended so far is durable when this returns OK.
  virtual Status Sync() = 0;
  // Shrinks the file to `size` bytes (drops a torn or failed tail).
  virtual Status Truncate(uint64_t size) = 0;
  // Current length in bytes, as known to this handle.
  virtual uint64_t Size() const = 0;
};

class WalEnv : public Env {
 public:
  // Opens `path` for appending. With `create`, the file must not exist and is
  // created empty (mode 0600); without, it must exist.
  virtual Result<std::unique_ptr<WalFile>> NewWalFile(const std::string& path, bool create) = 0;
  // Opens an existing file to be written again from its start (a recycled
  // segment): Size() is 0 and Appends overwrite the old bytes, which are left
  // beyond Size() — the file is not truncated, so its blocks stay allocated
  // and a later fdatasync has no block allocation or size change to commit.
  virtual Result<std::unique_ptr<WalFile>> ReuseWalFile(const std::string& path) = 0;
  // The size of an existing file.
  virtual Result<uint64_t> FileSize(const std::string& path) = 0;
};

// The POSIX WalEnv: WalFiles write at their own end offset (pwrite); Env
// calls go to `base`, which must outlive it.
class PosixWalEnv final : public WalEnv {
 public:
  explicit PosixWalEnv(Env& base = *Env::Default()) : base_(base) {}
  static PosixWalEnv* Default();

  Result<std::unique_ptr<WalFile>> NewWalFile(const std::string& path, bool create) override;
  Result<std::unique_ptr<WalFile>> ReuseWalFile(const std::string& path) override;
  Result<uint64_t> FileSize(const std::string& path) override;

  Status WriteFileAtomic(const std::string& path, std::string_view data, int mode) override {
    return base_.WriteFileAtomic(path, data, mode);
  }
  Result<std::string> ReadFile(const std::string& path) override { return base_.ReadFile(path); }
  bool FileExists(const std::string& path) override { return base_.FileExists(path); }
  Status CreateDirs(const std::string& path, bool private_dir) override {
    return base_.CreateDirs(path, private_dir);
  }
  Status RemoveFile(const std::string& path) override { return base_.RemoveFile(path); }
  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    return base_.ListDir(dir);
  }
  Status SyncDir(const std::string& dir) override { return base_.SyncDir(dir); }
  Status Rename(const std::string& from, const std::string& to) override {
    return base_.Rename(from, to);
  }

 private:
  Env& base_;
};

// Builds the Status for a failed I/O call (see the error convention above).
Status WalIoError(const std::string& op, const std::string& path, int err);
// True for the recoverable "disk full" Status.
bool IsNoSpace(const Status& s);

}  // namespace orgtrail::ingest
