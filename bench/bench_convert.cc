// bench_convert: CPU cost per event of PutAuditEvents' conversion alone, on
// one thread, without HTTP, SigV4 or the write-ahead log: what the handler
// does between the body and the commit step (cloudtrail/channel_ingest).
//
//   bench_convert [--seconds 3] [--batch 100]
//       [--samples ../shared/data/cloudtrail-samples/traildiscover]
//       [--only handler|parse|convert|uuid|time|reference]   (e.g. under perf)
//
// The events are the real samples rewritten in the custom-event schema,
// exactly as bench_put_audit_events builds them (audit_event_samples.h),
// joined into PutAuditEvents bodies of --batch events. It
// prints microseconds of thread CPU per event for the whole step
// (ParseAuditEventsBody + NewUuid + ConvertAuditEvent, as the handler calls
// them) and for each part alone, and the nlohmann reference conversion for
// scale. Thread CPU time, not wall time, so that the figure holds up while
// others share the cores; the load average is printed before and after.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "audit_event_samples.h"
#include "base/ids.h"
#include "base/json.h"
#include "base/time.h"
#include "cloudtrail/channel_events.h"

using namespace orgtrail;
using namespace orgtrail::bench;

namespace {

std::string Flag(int argc, char** argv, const std::string& name, const std::string& def) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == "--" + name) return argv[i + 1];
  return def;
}

std::string Body(const std::vector<std::string>& events, size_t first, size_t count) {
  Json list = Json::array();
  for (size_t i = 0; i < count; ++i)
    list.push_back(
        {{"id", "e" + std::to_string(i)}, {"eventData", events[(first + i) % events.size()]}});
  return Json{{"auditEvents", list}}.dump();
}

double LoadAverage() {
  std::ifstream in("/proc/loadavg");
  double l = 0;
  in >> l;
  return l;
}

// Runs `fn(i)` (which handles `per_call` events and returns a checksum-ish
// count, so that nothing is optimised away) for `seconds` of wall time and
// prints thread CPU us per event.
std::string only;  // --only: run just that part

template <typename Fn>
double Time(const char* part, const char* name, double seconds, size_t per_call, Fn&& fn) {
  if (!only.empty() && only != part) return 0;
  size_t events = 0, sink = 0, i = 0;
  const auto start = std::chrono::steady_clock::now();
  const double cpu0 = ThreadCpuMicros();
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() <
         seconds) {
    sink += fn(i++);
    events += per_call;
  }
  const double us = (ThreadCpuMicros() - cpu0) / static_cast<double>(events);
  std::printf("  %-34s %7.3f us CPU/event  (%zu events%s)\n", name, us, events,
              sink == 0 ? ", sink 0 (!)" : "");
  return us;
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = std::stod(Flag(argc, argv, "seconds", "3"));
  only = Flag(argc, argv, "only", "");
  const size_t batch = std::stoul(Flag(argc, argv, "batch", "100"));
  const std::string dir =
      Flag(argc, argv, "samples", "../shared/data/cloudtrail-samples/traildiscover");
  std::vector<std::string> samples = LoadCustomEventSamples(dir);
  if (samples.empty() || batch == 0) {
    std::fprintf(stderr, "no samples under %s (--samples DIR)\n", dir.c_str());
    return 1;
  }
  size_t total = 0;
  for (const auto& s : samples) total += s.size();
  // Enough bodies to cover every sample once.
  std::vector<std::string> bodies;
  for (size_t first = 0; first < samples.size(); first += batch)
    bodies.push_back(Body(samples, first, batch));
  const size_t n_bodies = bodies.size();

  cloudtrail::AuditEventOrigin origin{
      "arn:aws:cloudtrail:us-east-1:111111111111:channel/01234567-89ab-cdef-0123-456789abcdef",
      "111111111111", "us-east-1", std::chrono::system_clock::now()};
  const cloudtrail::AuditEventLimits limits;

  // Every event must convert (else the figure would measure refusals).
  size_t failed = 0;
  for (const std::string& s : samples) {
    auto r = cloudtrail::ConvertAuditEvent(s, origin, limits, "id");
    if (!r.ok) ++failed;
  }
  std::printf(
      "bench_convert: samples=%zu avg_event_bytes=%zu batch=%zu bodies=%zu failed=%zu "
      "seconds=%.1f load_before=%.2f\n",
      samples.size(), total / samples.size(), batch, n_bodies, failed, seconds, LoadAverage());

  Time("handler", "handler step (parse+uuid+convert)", seconds, batch, [&](size_t i) {
    auto in = cloudtrail::ParseAuditEventsBody(bodies[i % n_bodies]);
    size_t sink = 0;
    if (!in.ok()) return sink;
    for (const auto& e : in->events) {
      auto r = cloudtrail::ConvertAuditEvent(*e.data, origin, limits, NewUuid());
      sink += r.event.record_json.size();
    }
    return sink;
  });
  Time("parse", "ParseAuditEventsBody", seconds, batch, [&](size_t i) {
    auto in = cloudtrail::ParseAuditEventsBody(bodies[i % n_bodies]);
    return in.ok() ? in->events.size() : 0;
  });
  const std::string id = NewUuid();
  Time("convert", "ConvertAuditEvent", seconds, 1, [&](size_t i) {
    auto r = cloudtrail::ConvertAuditEvent(samples[i % samples.size()], origin, limits, id);
    return r.event.record_json.size();
  });
  Time("uuid", "NewUuid", seconds / 4, 1, [&](size_t) { return NewUuid().size(); });
  Time("time", "FormatIso8601", seconds / 4, 1, [&](size_t i) {
    return FormatIso8601(origin.ingestion_time + std::chrono::seconds(i)).size();
  });
  Time("reference", "ConvertAuditEventReference (nlohmann)", seconds / 2, 1, [&](size_t i) {
    auto r =
        cloudtrail::ConvertAuditEventReference(samples[i % samples.size()], origin, limits, id);
    return r.event.record_json.size();
  });
  std::printf("load_after=%.2f\n", LoadAverage());
  return failed == 0 ? 0 : 2;
}
