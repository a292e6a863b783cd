// Helpers shared by the write-ahead log tests: a temporary directory and
// small events. Test-only header.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include "ingest/event.h"

namespace orgtrail::ingest::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "wal_test_XXXXXX").string();
    char* p = ::mkdtemp(tmpl.data());
    if (p == nullptr) std::abort();
    path_ = p;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string wal() const { return path_ + "/wal"; }

 private:
  std::string path_;
};

inline Event TestEvent(const std::string& id, size_t pad = 0) {
  Event e;
  e.event_id = id;
  e.record_json = "{\"eventID\":\"" + id + "\",\"pad\":\"" + std::string(pad, 'x') + "\"}";
  e.account_id = "111122223333";
  e.region = "us-east-1";
  e.event_source = "kms.amazonaws.com";
  e.event_name = "Encrypt";
  e.event_time = TimePoint(std::chrono::seconds(1700000000));
  return e;
}

}  // namespace orgtrail::ingest::testing
