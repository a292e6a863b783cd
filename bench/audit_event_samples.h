// The PutAuditEvents benchmarks' events: the real CloudTrail samples
// (../shared/data/cloudtrail-samples/traildiscover) rewritten in the
// custom-event schema PutAuditEvents takes, and thread CPU time. Shared by
// bench_put_audit_events and bench_convert so that both measure the same
// events.
#pragma once

#include <time.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "base/json.h"

namespace orgtrail::bench {

// One sample record in the custom-event schema; `n` makes its UID unique.
inline std::string ToCustomEvent(const Json& r, size_t n) {
  Json who = r.value("userIdentity", Json::object());
  Json e = {{"version", "1.0"},
            {"userIdentity",
             {{"type", who.value("type", "Unknown")},
              {"principalId", who.value("principalId", "anonymous")},
              {"details", who}}},
            {"eventSource", r.value("eventSource", "app.example.com")},
            {"eventName", r.value("eventName", "Event")},
            {"eventTime", r.value("eventTime", "2026-01-01T00:00:00Z")},
            {"UID", "bench-" + std::to_string(n)}};
  for (const char* k : {"userAgent", "sourceIPAddress", "errorCode", "errorMessage"})
    if (r.contains(k) && r[k].is_string()) e[k] = r[k];
  for (const char* k : {"requestParameters", "responseElements", "additionalEventData"})
    if (r.contains(k) && r[k].is_object()) e[k] = r[k];
  return e.dump();
}

// Every record of every sample file in `dir` (a file holds one record, a
// list, or {"Records": [...]}), as custom events under 200 KB.
inline std::vector<std::string> LoadCustomEventSamples(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& f : std::filesystem::directory_iterator(dir, ec)) {
    std::ifstream in(f.path());
    std::stringstream ss;
    ss << in.rdbuf();
    Json j = Json::parse(ss.str(), nullptr, false);
    if (j.is_discarded()) continue;
    if (j.is_object() && j.contains("Records")) j = j["Records"];
    if (j.is_object()) j = Json::array({j});
    if (!j.is_array()) continue;
    for (const Json& r : j) {
      if (!r.is_object()) continue;
      std::string e = ToCustomEvent(r, out.size());
      if (e.size() < 200 * 1024) out.push_back(std::move(e));
    }
  }
  return out;
}

// CPU time of the calling thread, in microseconds: stage costs measured by
// it hold up better than wall time while others share the cores.
inline double ThreadCpuMicros() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

}  // namespace orgtrail::bench
