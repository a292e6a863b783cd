// bench_put_audit_events: events/s and ack latency of PutAuditEvents (the
// CloudTrail Data API) against an in-process orgtraild on port 0, with events
// shaped like the real samples in ../shared/data/cloudtrail-samples/
// (each sample record rewritten in the custom-event schema).
//
//   bench_put_audit_events [--connections 8] [--seconds 10] [--batch 100]
//       [--threads 0] [--samples ../shared/data/cloudtrail-samples/traildiscover]
//       [--delivery-interval-s 5]
//
// Each connection is a keep-alive client in its own thread sending pre-signed
// calls of --batch events back to back (the signature stays valid for the
// 15-minute skew window, so the figure is the server's cost: SigV4, parsing,
// validation, conversion and the event sink — the write-ahead log, fsync'd
// before the answer, when it is wired). Ack latency is one call's round trip.
// Peak RSS is the whole process (server and clients).
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/json.h"
#include "base/strings.h"
#include "bench_client.h"
#include "server/server.h"

using namespace orgtrail;
using namespace orgtrail::bench;

namespace {

// One sample record in the custom-event schema PutAuditEvents takes.
std::string ToCustomEvent(const Json& r, size_t n) {
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

std::vector<std::string> LoadSamples(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
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

http::request<http::string_body> JsonCall(const auth::SigningCredentials& creds, uint16_t port,
                                          const std::string& op, const Json& body) {
  return SignedRequest(
      creds, port, http::verb::post, "/", "cloudtrail", false,
      {{"Content-Type", "application/x-amz-json-1.1"},
       {"X-Amz-Target",
        std::string("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.") + op}},
      body.dump());
}

}  // namespace

int main(int argc, char** argv) {
  int connections = std::stoi(Flag(argc, argv, "connections", "8"));
  double seconds = std::stod(Flag(argc, argv, "seconds", "10"));
  size_t batch = std::stoul(Flag(argc, argv, "batch", "100"));
  int threads = std::stoi(Flag(argc, argv, "threads", "0"));
  std::string samples_dir =
      Flag(argc, argv, "samples", "../shared/data/cloudtrail-samples/traildiscover");
  int delivery_s = std::stoi(Flag(argc, argv, "delivery-interval-s", "5"));
  spdlog::set_level(spdlog::level::warn);

  std::vector<std::string> samples = LoadSamples(samples_dir);
  if (samples.empty()) {
    std::fprintf(stderr, "no samples under %s (--samples DIR)\n", samples_dir.c_str());
    return 1;
  }
  size_t total_bytes = 0;
  for (const auto& s : samples) total_bytes += s.size();

  std::string dir = MakeTempDir("orgtrail-bench-pae");
  server::Options o;
  o.data_dir = dir;
  o.listen = "127.0.0.1:0";
  o.threads = threads;
  o.delivery_interval = std::chrono::seconds(delivery_s);
  o.audit_events_max_per_call = std::max<size_t>(100, batch);
  o.audit_events_max_body = std::max<uint64_t>(1 << 20, batch * 200 * 1024);
  server::Server srv(o);
  Status st = srv.Start();
  if (!st.ok()) {
    std::fprintf(stderr, "start failed: %s\n", st.ToString().c_str());
    return 1;
  }
  auto creds = ReadBootstrapCredentials(dir);
  std::string channel_arn;
  {
    Client c(srv.port());
    std::string eds =
        "arn:aws:cloudtrail:us-east-1:" + srv.account_id() + ":eventdatastore/bench-store";
    auto& res = c.RoundTrip(JsonCall(
        creds, srv.port(), "CreateChannel",
        {{"Name", "bench"},
         {"Source", "Custom"},
         {"Destinations", Json::array({{{"Type", "EVENT_DATA_STORE"}, {"Location", eds}}})}}));
    Json j = Json::parse(res.body(), nullptr, false);
    if (res.result_int() != 200 || !j.contains("ChannelArn")) {
      std::fprintf(stderr, "CreateChannel: %d %s\n", res.result_int(), res.body().c_str());
      return 1;
    }
    channel_arn = j["ChannelArn"];
  }
  std::string target = "/PutAuditEvents?channelArn=" + UriEncode(channel_arn);

  // One pre-signed request per connection, each with its own slice of samples.
  std::vector<http::request<http::string_body>> reqs;
  size_t body_bytes = 0;
  for (int c = 0; c < connections; ++c) {
    Json events = Json::array();
    for (size_t i = 0; i < batch; ++i) {
      const std::string& s = samples[(static_cast<size_t>(c) * batch + i) % samples.size()];
      events.push_back({{"id", "e" + std::to_string(i)}, {"eventData", s}});
    }
    std::string body = Json{{"auditEvents", events}}.dump();
    body_bytes = body.size();
    reqs.push_back(SignedRequest(creds, srv.port(), http::verb::post, target, "cloudtrail-data",
                                 false, {{"Content-Type", "application/json"}}, std::move(body)));
  }
  {
    Client probe(srv.port());
    auto& res = probe.RoundTrip(reqs[0]);
    Json j = Json::parse(res.body(), nullptr, false);
    std::printf("probe: %d successful=%zu failed=%zu %s\n", res.result_int(),
                j.is_object() && j.contains("successful") ? j["successful"].size() : 0,
                j.is_object() && j.contains("failed") ? j["failed"].size() : 0,
                res.result_int() == 200 ? "" : res.body().substr(0, 300).c_str());
    if (res.result_int() != 200 || !j["failed"].empty()) return 1;
  }

  std::atomic<bool> go{false}, stop{false};
  std::atomic<long> errors{0}, throttled{0};
  std::vector<std::vector<double>> lat(connections);
  std::vector<std::thread> ts;
  for (int c = 0; c < connections; ++c) {
    ts.emplace_back([&, c] {
      try {
        Client cl(srv.port());
        while (!go) std::this_thread::yield();
        while (!stop) {
          auto t0 = std::chrono::steady_clock::now();
          auto& res = cl.RoundTrip(reqs[c]);
          auto t1 = std::chrono::steady_clock::now();
          if (res.result_int() != 200) {
            (res.body().find("Throttling") != std::string::npos ? throttled : errors)++;
            continue;
          }
          lat[c].push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
        }
      } catch (const std::exception& e) {
        ++errors;
        std::fprintf(stderr, "client %d: %s\n", c, e.what());
      }
    });
  }
  auto start = std::chrono::steady_clock::now();
  go = true;
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : ts) t.join();
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  size_t calls = all.size();
  double p50 = Percentile(all, 0.50), p99 = Percentile(all, 0.99);
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  std::printf(
      "samples=%zu avg_event_bytes=%zu batch=%zu body_bytes=%zu connections=%d "
      "server_threads=%d seconds=%.1f\n",
      samples.size(), total_bytes / samples.size(), batch, body_bytes, connections, threads,
      elapsed);
  std::printf(
      "calls=%zu events=%zu errors=%ld throttled=%ld events_per_s=%.0f calls_per_s=%.0f "
      "ack_p50=%.2fms ack_p99=%.2fms peak_rss=%.0fMiB\n",
      calls, calls * batch, errors.load(), throttled.load(),
      static_cast<double>(calls * batch) / elapsed, static_cast<double>(calls) / elapsed,
      p50 / 1000, p99 / 1000, static_cast<double>(ru.ru_maxrss) / 1024);
  srv.Stop();
  std::filesystem::remove_all(dir);
  return 0;
}
