// Env: the filesystem operations with durability guarantees, behind an
// interface so that crash tests can inject faults (leveldb's Env). The
// default implementation is the real POSIX filesystem. Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace orgtrail {

class Env {
 public:
  virtual ~Env() = default;
  static Env* Default();

  // Writes `data` to `path` atomically and durably: temp file in the same
  // directory, fsync, rename over `path`, fsync of the directory. On failure
  // `path` is unchanged. `mode` applies to the new file.
  virtual Status WriteFileAtomic(const std::string& path, std::string_view data,
                                 int mode = 0644) = 0;
  virtual Result<std::string> ReadFile(const std::string& path) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  // mkdir -p; directories created get mode 0755 (0700 when private_dir).
  virtual Status CreateDirs(const std::string& path, bool private_dir = false) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  // Names (not paths) in `dir`, unsorted; empty if it does not exist.
  virtual Result<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  virtual Status SyncDir(const std::string& dir) = 0;
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
};

// Directory part of a path ("a/b/c" -> "a/b"; "c" -> ".").
std::string DirName(const std::string& path);

}  // namespace orgtrail
