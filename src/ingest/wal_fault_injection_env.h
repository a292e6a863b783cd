// FaultInjectionEnv: a WalEnv wrapper for crash and I/O-failure tests of the
// write-ahead log (leveldb's fault_injection_test). It can fail the Nth
// write, fsync, rename, file creation or directory fsync, make every write
// fail with ENOSPC (optionally after writing part of the data), count
// operations, and simulate a power loss: DropUnsyncedData() cuts every file
// it opened back to its last fsync'd length, removes files whose directory
// entry was never fsync'd, and fails every later operation until Reset().
//
// WriteFileAtomic is checked against the write, sync, rename and dir-sync
// faults (in that order) before being forwarded, so a failure leaves the
// target unchanged. Reads are forwarded untouched.
// Thread-safe (one mutex around all state and forwarded writes).
#pragma once

#include <map>
#include <mutex>

#include "ingest/wal_file.h"

namespace orgtrail::ingest {

class FaultInjectionEnv final : public WalEnv {
 public:
  enum class Op { kWrite, kSync, kRename, kCreate, kSyncDir, kCount };

  explicit FaultInjectionEnv(WalEnv& base) : base_(base) {}

  // The n-th operation of kind `op` from now on (1-based) fails with `err`.
  void FailNth(Op op, uint64_t n, int err = 5 /* EIO */);
  // While set, writes fail with ENOSPC.
  void SetNoSpace(bool on);
  // While set, a failing WalFile write first writes half its data.
  void SetPartialWrites(bool on);
  // Operations of kind `op` attempted so far.
  uint64_t Count(Op op) const;
  // Power loss (see above). Returns the first error of the cleanup itself.
  Status DropUnsyncedData();
  // Clears faults, the crashed state and file tracking (a "reboot").
  void Reset();

  Result<std::unique_ptr<WalFile>> NewWalFile(const std::string& path, bool create) override;
  // Counted as a file creation. The old bytes count as durable only up to
  // what is written and fsync'd again: a power loss cuts the file to that.
  Result<std::unique_ptr<WalFile>> ReuseWalFile(const std::string& path) override;
  Result<uint64_t> FileSize(const std::string& path) override { return base_.FileSize(path); }
  Status WriteFileAtomic(const std::string& path, std::string_view data, int mode) override;
  Result<std::string> ReadFile(const std::string& path) override { return base_.ReadFile(path); }
  bool FileExists(const std::string& path) override { return base_.FileExists(path); }
  Status CreateDirs(const std::string& path, bool private_dir) override;
  Status RemoveFile(const std::string& path) override;
  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    return base_.ListDir(dir);
  }
  Status SyncDir(const std::string& dir) override;
  Status Rename(const std::string& from, const std::string& to) override;

 private:
  class File;
  struct FileState {
    uint64_t synced = 0;        // bytes known durable
    bool entry_synced = false;  // directory entry durable
  };

  // Counts one `op` and returns the injected failure, if any. Needs mu_.
  Status Inject(Op op, const std::string& path);

  WalEnv& base_;
  mutable std::mutex mu_;
  uint64_t counts_[static_cast<int>(Op::kCount)] = {};      // guarded by mu_
  uint64_t fail_at_[static_cast<int>(Op::kCount)] = {};     // guarded by mu_; 0 = none
  int fail_err_[static_cast<int>(Op::kCount)] = {};         // guarded by mu_
  bool no_space_ = false;                                   // guarded by mu_
  bool partial_writes_ = false;                             // guarded by mu_
  bool crashed_ = false;                                    // guarded by mu_
  std::map<std::string, FileState> files_;                  // guarded by mu_
  std::map<std::string, std::string> renamed_;              // guarded by mu_: old → new path
};

}  // namespace orgtrail::ingest
