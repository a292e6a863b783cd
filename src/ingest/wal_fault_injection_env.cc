#include "ingest/wal_fault_injection_env.h"

#include <cerrno>

namespace orgtrail::ingest {

// A WalFile whose operations go through the env's fault checks. Keeps its
// path current across renames through the env's tracking (by path lookup).
class FaultInjectionEnv::File final : public WalFile {
 public:
  File(FaultInjectionEnv& env, std::string path, std::unique_ptr<WalFile> base)
      : env_(env), path_(std::move(path)), base_(std::move(base)) {}

  Status Append(std::string_view data) override {
    std::lock_guard<std::mutex> lock(env_.mu_);
    Status s = env_.Inject(Op::kWrite, path_);
    if (s.ok() && env_.no_space_) {
      s = WalIoError("write", path_, ENOSPC);
    }
    if (!s.ok()) {
      if (env_.partial_writes_ && !env_.crashed_ && data.size() > 1) {
        (void)base_->Append(data.substr(0, data.size() / 2));
      }
      return s;
    }
    return base_->Append(data);
  }

  // One write as far as faults go: the whole group fails or succeeds (a
  // partial write keeps the first half of the concatenation).
  Status AppendV(const std::vector<std::string_view>& parts) override {
    std::string joined;
    for (std::string_view p : parts) joined.append(p);
    return Append(joined);
  }

  Status Sync() override {
    std::lock_guard<std::mutex> lock(env_.mu_);
    OT_RETURN_IF_ERROR(env_.Inject(Op::kSync, path_));
    OT_RETURN_IF_ERROR(base_->Sync());
    // The file may have been renamed since it was opened: update every
    // tracked name that refers to this handle.
    auto it = env_.files_.find(Current());
    if (it != env_.files_.end()) it->second.synced = base_->Size();
    return Status::Ok();
  }

  Status Truncate(uint64_t size) override {
    std::lock_guard<std::mutex> lock(env_.mu_);
    if (env_.crashed_) return WalIoError("ftruncate", path_, EIO);
    OT_RETURN_IF_ERROR(base_->Truncate(size));
    auto it = env_.files_.find(Current());
    if (it != env_.files_.end()) it->second.synced = std::min(it->second.synced, size);
    return Status::Ok();
  }

  uint64_t Size() const override { return base_->Size(); }

  // Renames are recorded in the env; follow them. Needs env_.mu_.
  std::string Current() {
    auto r = env_.renamed_.find(path_);
    while (r != env_.renamed_.end()) {
      path_ = r->second;
      r = env_.renamed_.find(path_);
    }
    return path_;
  }

 private:
  FaultInjectionEnv& env_;
  std::string path_;
  std::unique_ptr<WalFile> base_;
};

Status FaultInjectionEnv::Inject(Op op, const std::string& path) {
  int i = static_cast<int>(op);
  if (crashed_) return WalIoError("(after simulated crash)", path, EIO);
  ++counts_[i];
  if (fail_at_[i] != 0 && counts_[i] == fail_at_[i]) {
    fail_at_[i] = 0;
    static const char* kNames[] = {"write", "fsync", "rename", "create", "fsync dir"};
    return WalIoError(std::string("injected ") + kNames[i] + " failure:", path, fail_err_[i]);
  }
  return Status::Ok();
}

void FaultInjectionEnv::FailNth(Op op, uint64_t n, int err) {
  std::lock_guard<std::mutex> lock(mu_);
  int i = static_cast<int>(op);
  fail_at_[i] = counts_[i] + n;
  fail_err_[i] = err;
}

void FaultInjectionEnv::SetNoSpace(bool on) {
  std::lock_guard<std::mutex> lock(mu_);
  no_space_ = on;
}

void FaultInjectionEnv::SetPartialWrites(bool on) {
  std::lock_guard<std::mutex> lock(mu_);
  partial_writes_ = on;
}

uint64_t FaultInjectionEnv::Count(Op op) const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_[static_cast<int>(op)];
}

Status FaultInjectionEnv::DropUnsyncedData() {
  std::lock_guard<std::mutex> lock(mu_);
  crashed_ = true;
  Status first;
  for (const auto& [path, st] : files_) {
    Status s;
    if (!st.entry_synced) {
      s = base_.RemoveFile(path);
    } else {
      auto f = base_.NewWalFile(path, /*create=*/false);
      if (!f.ok()) {
        s = f.status();
      } else if ((*f)->Size() > st.synced) {
        s = (*f)->Truncate(st.synced);
      }
    }
    if (first.ok() && !s.ok()) first = s;
  }
  return first;
}

void FaultInjectionEnv::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& f : fail_at_) f = 0;
  no_space_ = false;
  partial_writes_ = false;
  crashed_ = false;
  files_.clear();
  // renamed_ is kept: handles from before the reset may still follow it.
}

Result<std::unique_ptr<WalFile>> FaultInjectionEnv::NewWalFile(const std::string& path,
                                                             bool create) {
  std::lock_guard<std::mutex> lock(mu_);
  OT_RETURN_IF_ERROR(Inject(Op::kCreate, path));
  if (create && no_space_) return WalIoError("open", path, ENOSPC);
  OT_ASSIGN_OR_RETURN(std::unique_ptr<WalFile> f, base_.NewWalFile(path, create));
  if (create) {
    files_[path] = FileState{0, false};
  } else if (!files_.count(path)) {
    files_[path] = FileState{f->Size(), true};  // pre-existing: durable as found
  }
  renamed_.erase(path);
  return std::unique_ptr<WalFile>(std::make_unique<File>(*this, path, std::move(f)));
}

Result<std::unique_ptr<WalFile>> FaultInjectionEnv::ReuseWalFile(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  OT_RETURN_IF_ERROR(Inject(Op::kCreate, path));
  OT_ASSIGN_OR_RETURN(std::unique_ptr<WalFile> f, base_.ReuseWalFile(path));
  auto it = files_.find(path);
  // Untracked: found on disk, its entry durable; tracked: as renamed.
  const bool entry_synced = it == files_.end() || it->second.entry_synced;
  files_[path] = FileState{0, entry_synced};
  renamed_.erase(path);
  return std::unique_ptr<WalFile>(std::make_unique<File>(*this, path, std::move(f)));
}

Status FaultInjectionEnv::WriteFileAtomic(const std::string& path, std::string_view data,
                                          int mode) {
  // Held across the forwarded call so that a simulated crash cannot land
  // between the fault checks and the write.
  std::lock_guard<std::mutex> lock(mu_);
  OT_RETURN_IF_ERROR(Inject(Op::kWrite, path));
  if (no_space_) return WalIoError("write", path, ENOSPC);
  OT_RETURN_IF_ERROR(Inject(Op::kSync, path));
  OT_RETURN_IF_ERROR(Inject(Op::kRename, path));
  OT_RETURN_IF_ERROR(Inject(Op::kSyncDir, path));
  return base_.WriteFileAtomic(path, data, mode);
}

Status FaultInjectionEnv::CreateDirs(const std::string& path, bool private_dir) {
  std::lock_guard<std::mutex> lock(mu_);
  if (crashed_) return WalIoError("mkdir", path, EIO);
  return base_.CreateDirs(path, private_dir);
}

Status FaultInjectionEnv::RemoveFile(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (crashed_) return WalIoError("unlink", path, EIO);
  files_.erase(path);
  return base_.RemoveFile(path);
}

Status FaultInjectionEnv::SyncDir(const std::string& dir) {
  std::lock_guard<std::mutex> lock(mu_);
  OT_RETURN_IF_ERROR(Inject(Op::kSyncDir, dir));
  OT_RETURN_IF_ERROR(base_.SyncDir(dir));
  for (auto& [path, st] : files_) {
    if (DirName(path) == dir) st.entry_synced = true;
  }
  return Status::Ok();
}

Status FaultInjectionEnv::Rename(const std::string& from, const std::string& to) {
  std::lock_guard<std::mutex> lock(mu_);
  OT_RETURN_IF_ERROR(Inject(Op::kRename, from));
  OT_RETURN_IF_ERROR(base_.Rename(from, to));
  auto it = files_.find(from);
  FileState st = it != files_.end() ? it->second : FileState{};
  if (it != files_.end()) files_.erase(it);
  st.entry_synced = false;  // the new name is durable only after a dir fsync
  files_[to] = st;
  renamed_[from] = to;
  return Status::Ok();
}

}  // namespace orgtrail::ingest
