// bench_put_audit_events: sustained events/s, ack latency, delivery lag and
// peak RSS of PutAuditEvents (the CloudTrail Data API) against an in-process
// orgtraild on port 0, with events shaped like the real samples in
// ../shared/data/cloudtrail-samples/ (each sample record rewritten in the
// custom-event schema), and the machine's bound for the same bytes.
//
//   bench_put_audit_events [--connections 8] [--seconds 10] [--batch 100]
//       [--rate 0] [--threads 0] [--delivery-interval-s 5] [--verify 0]
//       [--samples ../shared/data/cloudtrail-samples/traildiscover]
//       [--bound-seconds 2] [--gzip-level 0]
//
// Setup: a KMS key and an S3 bucket with CloudTrail's policies, a
// multi-region trail (SSE-KMS) logging, a channel in us-east-1 for the load
// and one in eu-west-1 for markers. Each connection is a keep-alive client
// in its own thread sending pre-signed calls of --batch events (the signature
// stays valid for the 15-minute skew window, so the figure is the server's
// cost: SigV4, parsing, validation, conversion, the write-ahead log fsync'd
// before the answer). --rate N paces the connections to N events/s in total;
// latency is then counted from each call's scheduled start, so a server that
// falls behind shows it. Ack latency is one call's round trip.
//
// Delivery lag: every 250 ms a marker call (one event) goes to the eu-west-1
// channel; its events land in their own (small) log files, which a reader
// lists every 20 ms and fetches (decrypted by the S3 GET, gunzipped here).
// Lag = when the reader first sees the marker's eventID minus its ack. With
// --verify 1 the program then waits for the load's log files and counts
// every delivered load event against the acknowledged ones.
//
// Peak RSS: VmHWM of this process, which holds the server and the clients.
// CPU per event: user + system CPU time of this process (server, clients,
// markers, reader) while the load runs, over the events acknowledged; on
// this shared 2-core machine it compares builds better than events/s. The
// load average is printed before and after the run.
// Machine bound: the same event bytes, batch by batch, through a full
// simdjson parse + gzip (at the delivery's level: --gzip-level,
// 0 = the server's default) + SHA-256 (of the uncompressed file, as the
// digest) + AES-256-GCM (of the gzip, as SSE), on one thread and on two,
// the cost of each stage alone, and gzip's cost and size at levels 0-6
// (0: ISA-L igzip, the delivery's default; 1-6: libdeflate).
#include <pthread.h>
#include <simdjson.h>
#include <sys/resource.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "base/json.h"
#include "base/strings.h"
#include "audit_event_samples.h"
#include "bench_client.h"
#include "crypto/aead.h"
#include "crypto/hash.h"
#include "delivery/log_file.h"
#include "server/server.h"

using namespace orgtrail;
using namespace orgtrail::bench;

namespace {

using SteadyClock = std::chrono::steady_clock;

// SignedRequest with a region (bench_client.h signs for us-east-1).
http::request<http::string_body> SignedFor(const auth::SigningCredentials& creds, uint16_t port,
                                        const std::string& region, http::verb method,
                                        const std::string& target, const std::string& service,
                                        bool is_s3, auth::HeaderList headers, std::string body) {
  headers.insert(headers.begin(), {"Host", "127.0.0.1:" + std::to_string(port)});
  auth::SignOptions so;
  so.region = region;
  so.service = service;
  so.time = std::chrono::system_clock::now();
  so.is_s3 = is_s3;
  auth::SignRequest(creds, so, std::string(http::to_string(method)), target, headers, body);
  http::request<http::string_body> req(method, target, 11);
  for (auto& [n, v] : headers) req.set(n, v);
  req.body() = std::move(body);
  req.keep_alive(true);
  req.prepare_payload();
  return req;
}

http::request<http::string_body> JsonCall(const auth::SigningCredentials& creds, uint16_t port,
                                          const std::string& region, const std::string& prefix,
                                          const std::string& op, const std::string& service,
                                          const Json& body) {
  return SignedFor(creds, port, region, http::verb::post, "/", service, false,
                {{"Content-Type", "application/x-amz-json-1.1"}, {"X-Amz-Target", prefix + op}},
                body.dump());
}

const char kCloudTrail[] = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.";

// Sends and insists on a 2xx answer; returns the body.
std::string Must(Client& c, const http::request<http::string_body>& req, const char* what) {
  auto& res = c.RoundTrip(req);
  if (res.result_int() / 100 != 2) {
    std::fprintf(stderr, "%s: %d %s\n", what, res.result_int(), res.body().substr(0, 400).c_str());
    std::exit(1);
  }
  return res.body();
}

std::string PutAuditEventsBody(const std::vector<std::string>& events, size_t first,
                               size_t count) {
  Json list = Json::array();
  for (size_t i = 0; i < count; ++i)
    list.push_back({{"id", "e" + std::to_string(i)}, {"eventData", events[(first + i) % events.size()]}});
  return Json{{"auditEvents", list}}.dump();
}

// Kilobytes from a /proc/self/status line ("VmHWM:  12345 kB").
long ProcStatusKb(const char* field) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::strlen(field) + 1);
  return -1;
}

// Walks every value (so that all of it is parsed, as the server must).
size_t Walk(simdjson::ondemand::value v) {
  namespace od = simdjson::ondemand;
  size_t n = 1;
  od::json_type t;
  if (v.type().get(t)) return n;
  if (t == od::json_type::object) {
    for (auto f : v.get_object()) {
      std::string_view k;
      if (!f.unescaped_key().get(k)) n += Walk(f.value());
    }
  } else if (t == od::json_type::array) {
    for (auto e : v.get_array()) n += Walk(e.value());
  } else if (t == od::json_type::string) {
    std::string_view sv;
    if (!v.get_string().get(sv)) n += sv.size();
  } else {
    std::string_view tok = v.raw_json_token();
    n += tok.size();
  }
  return n;
}

// Events/s through parse + gzip + SHA-256 + AES-GCM of batches of `batch`
// events, on `threads` threads for `seconds`.
double MachineBound(const std::vector<std::string>& events, size_t batch, int threads,
                    double seconds, int level) {
  std::atomic<bool> stop{false};
  std::atomic<size_t> done{0};
  std::vector<std::thread> ts;
  const std::string key(32, 'k');
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      simdjson::ondemand::parser parser;
      size_t i = static_cast<size_t>(t) * 7919, n = 0, sink = 0;
      std::string joined;
      while (!stop) {
        joined.assign("{\"Records\":[");
        for (size_t b = 0; b < batch; ++b, ++i) {
          const std::string& e = events[i % events.size()];
          simdjson::padded_string padded(e);
          auto doc = parser.iterate(padded);
          simdjson::ondemand::value root;
          if (!doc.get_value().get(root)) sink += Walk(root);
          if (b) joined.push_back(',');
          joined.append(e);
        }
        joined.append("]}");
        std::string gz = delivery::Gzip(joined, level);
        sink += crypto::Sha256(joined).size();  // the digest hashes the uncompressed file
        auto sealed = crypto::AesGcmSeal(key, gz, "aad");
        if (sealed.ok()) sink += sealed->size();
        n += batch;
      }
      done += n + (sink == 0 ? 1 : 0);
    });
  }
  auto start = SteadyClock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : ts) th.join();
  return static_cast<double>(done) / std::chrono::duration<double>(SteadyClock::now() - start).count();
}

// Microseconds of CPU per event of each stage alone (one thread, `seconds`
// of wall time each).
void StageCosts(const std::vector<std::string>& events, size_t batch, double seconds,
                int level) {
  std::string joined = "{\"Records\":[";
  for (size_t b = 0; b < batch; ++b) joined += (b ? "," : "") + events[b % events.size()];
  joined += "]}";
  const std::string gz = delivery::Gzip(joined, level);
  const std::string key(32, 'k');
  simdjson::ondemand::parser parser;
  auto time = [&](const char* name, auto&& fn) {
    size_t n = 0, sink = 0;
    auto start = SteadyClock::now();
    const double cpu0 = ThreadCpuMicros();
    while (std::chrono::duration<double>(SteadyClock::now() - start).count() < seconds) {
      sink += fn(n);
      n += batch;
    }
    double us = ThreadCpuMicros() - cpu0;
    std::printf("  stage %-8s %6.2f us CPU/event%s\n", name, us / static_cast<double>(n),
                sink == 0 ? " (!)" : "");
  };
  time("parse", [&](size_t n) {
    size_t sink = 0;
    for (size_t b = 0; b < batch; ++b) {
      simdjson::padded_string padded(events[(n + b) % events.size()]);
      auto doc = parser.iterate(padded);
      simdjson::ondemand::value root;
      if (!doc.get_value().get(root)) sink += Walk(root);
    }
    return sink;
  });
  time("gzip", [&](size_t) { return delivery::Gzip(joined, level).size(); });
  time("sha256", [&](size_t) { return crypto::Sha256(joined).size(); });
  time("aes-gcm", [&](size_t) {
    auto sealed = crypto::AesGcmSeal(key, gz, "aad");
    return sealed.ok() ? sealed->size() : 0;
  });
  std::printf("  (batch of %zu events: %zu bytes JSON, %zu bytes gzip at level %d)\n", batch,
              joined.size(), gz.size(), level);
  // Every level on a delivery-sized file (~5 MB, the batch cap), as the
  // deliverer compresses it.
  std::string file = "{\"Records\":[";
  for (size_t b = 0; file.size() < (size_t{5} << 20) - 300 * 1024; ++b)
    file += (b ? "," : "") + events[b % events.size()];
  file += "]}";
  size_t n_events = 0;
  for (size_t b = 0, len = 13; len < file.size(); ++b) {
    len += events[b % events.size()].size() + 1;
    ++n_events;
  }
  for (int l = delivery::kGzipFastest; l <= 6; ++l) {  // 0: igzip, 1-6: libdeflate
    size_t n = 0, out = 0;
    auto start = SteadyClock::now();
    const double cpu0 = ThreadCpuMicros();
    while (std::chrono::duration<double>(SteadyClock::now() - start).count() < seconds) {
      out = delivery::Gzip(file, l).size();
      ++n;
    }
    double us = ThreadCpuMicros() - cpu0;
    std::printf("  gzip level %d: %6.2f us CPU/event, %zu -> %zu bytes (ratio %.1f)\n", l,
                us / static_cast<double>(n * n_events), file.size(), out,
                static_cast<double>(file.size()) / static_cast<double>(out));
  }
}

// User + system CPU seconds of this process so far.
double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// The 1-minute load average.
double LoadAverage() {
  std::ifstream in("/proc/loadavg");
  double l = 0;
  in >> l;
  return l;
}

// Record eventIDs of one delivered log file's JSON.
std::vector<std::string> RecordEventIds(const std::string& json) {
  std::vector<std::string> out;
  Json j = Json::parse(json, nullptr, false);
  if (!j.is_object() || !j.contains("Records")) return out;
  for (const Json& r : j["Records"])
    if (r.contains("eventID") && r["eventID"].is_string()) out.push_back(r["eventID"]);
  return out;
}

// Keys under `prefix` in `bucket` (ListObjectsV2, following continuation).
std::vector<std::string> ListKeys(Client& c, const auth::SigningCredentials& creds, uint16_t port,
                                  const std::string& bucket, const std::string& prefix) {
  std::vector<std::string> keys;
  std::string token;
  for (;;) {
    std::string target = "/" + bucket + "?list-type=2&prefix=" + UriEncode(prefix);
    if (!token.empty()) target += "&continuation-token=" + UriEncode(token);
    auto& res = c.RoundTrip(SignedFor(creds, port, "us-east-1", http::verb::get, target, "s3", true,
                                   {}, ""));
    if (res.result_int() != 200) return keys;
    const std::string& b = res.body();
    for (size_t p = b.find("<Key>"); p != std::string::npos; p = b.find("<Key>", p + 5)) {
      size_t e = b.find("</Key>", p);
      if (e == std::string::npos) break;
      keys.push_back(b.substr(p + 5, e - p - 5));
    }
    size_t t = b.find("<NextContinuationToken>");
    if (t == std::string::npos) break;
    size_t te = b.find("</NextContinuationToken>", t);
    token = b.substr(t + 23, te - t - 23);
  }
  return keys;
}

// A delivered log file's JSON (S3 decrypts; we gunzip).
std::string GetLogFile(Client& c, const auth::SigningCredentials& creds, uint16_t port,
                       const std::string& bucket, const std::string& key) {
  auto& res = c.RoundTrip(SignedFor(creds, port, "us-east-1", http::verb::get,
                                 "/" + bucket + "/" + UriEncode(key, true), "s3", true, {}, ""));
  if (res.result_int() != 200) return {};
  auto json = delivery::Gunzip(res.body());
  return json.ok() ? *json : std::string();
}

}  // namespace

int main(int argc, char** argv) {
  int connections = std::stoi(Flag(argc, argv, "connections", "8"));
  double seconds = std::stod(Flag(argc, argv, "seconds", "10"));
  size_t batch = std::stoul(Flag(argc, argv, "batch", "100"));
  double rate = std::stod(Flag(argc, argv, "rate", "0"));
  int threads = std::stoi(Flag(argc, argv, "threads", "0"));
  bool verify = Flag(argc, argv, "verify", "0") == "1";
  double bound_seconds = std::stod(Flag(argc, argv, "bound-seconds", "2"));
  std::string samples_dir =
      Flag(argc, argv, "samples", "../shared/data/cloudtrail-samples/traildiscover");
  int delivery_s = std::stoi(Flag(argc, argv, "delivery-interval-s", "5"));
  int gzip_level = std::stoi(Flag(argc, argv, "gzip-level", "0"));
  const int bound_level = gzip_level > 0 ? gzip_level : delivery::kDeliveryGzipLevel;
  spdlog::set_level(spdlog::level::warn);

  std::vector<std::string> samples = LoadCustomEventSamples(samples_dir);
  if (samples.empty()) {
    std::fprintf(stderr, "no samples under %s (--samples DIR)\n", samples_dir.c_str());
    return 1;
  }
  size_t total_bytes = 0;
  for (const auto& s : samples) total_bytes += s.size();

  // The machine's bound first, while nothing else of ours runs.
  double bound1 = bound_seconds > 0 ? MachineBound(samples, batch, 1, bound_seconds, bound_level) : 0;
  double bound2 = bound_seconds > 0 ? MachineBound(samples, batch, 2, bound_seconds, bound_level) : 0;

  std::string dir = MakeTempDir("orgtrail-bench-pae");
  server::Options o;
  o.data_dir = dir;
  o.listen = "127.0.0.1:0";
  o.threads = threads;
  o.delivery_interval = std::chrono::seconds(delivery_s);
  o.audit_events_max_per_call = std::max<size_t>(100, batch);
  o.delivery_gzip_level = gzip_level;
  o.audit_events_max_body = std::max<uint64_t>(1 << 20, batch * 200 * 1024);
  server::Server srv(o);
  Status st = srv.Start();
  if (!st.ok()) {
    std::fprintf(stderr, "start failed: %s\n", st.ToString().c_str());
    return 1;
  }
  const uint16_t port = srv.port();
  const std::string acct = srv.account_id();
  auto creds = ReadBootstrapCredentials(dir);

  // The trail: KMS key and bucket with CloudTrail's policies, multi-region.
  const std::string bucket = "bench-trail-logs";
  const std::string trail_arn = "arn:aws:cloudtrail:us-east-1:" + acct + ":trail/bench";
  std::string channel_arn, marker_arn;
  {
    Client c(port);
    const std::string kms = "TrentService.";
    Json key = Json::parse(Must(c, JsonCall(creds, port, "us-east-1", kms, "CreateKey", "kms",
                                            {{"Description", "bench trail"}}),
                                "CreateKey"));
    std::string key_arn = key["KeyMetadata"]["Arn"];
    Json key_policy = {
        {"Version", "2012-10-17"},
        {"Statement",
         {{{"Sid", "Root"}, {"Effect", "Allow"},
           {"Principal", {{"AWS", "arn:aws:iam::" + acct + ":root"}}}, {"Action", "kms:*"},
           {"Resource", "*"}},
          {{"Sid", "CloudTrail"}, {"Effect", "Allow"},
           {"Principal", {{"Service", "cloudtrail.amazonaws.com"}}},
           {"Action", Json::array({"kms:GenerateDataKey*", "kms:DescribeKey"})},
           {"Resource", "*"}}}}};
    Must(c, JsonCall(creds, port, "us-east-1", kms, "PutKeyPolicy", "kms",
                     {{"KeyId", key_arn}, {"PolicyName", "default"}, {"Policy", key_policy.dump()}}),
         "PutKeyPolicy");
    Must(c, SignedFor(creds, port, "us-east-1", http::verb::put, "/" + bucket, "s3", true, {}, ""),
         "CreateBucket");
    Json cond = {{"StringEquals", {{"aws:SourceArn", trail_arn}}}};
    Json policy = {
        {"Version", "2012-10-17"},
        {"Statement",
         {{{"Sid", "AclCheck"}, {"Effect", "Allow"},
           {"Principal", {{"Service", "cloudtrail.amazonaws.com"}}}, {"Action", "s3:GetBucketAcl"},
           {"Resource", "arn:aws:s3:::" + bucket}, {"Condition", cond}},
          {{"Sid", "Write"}, {"Effect", "Allow"},
           {"Principal", {{"Service", "cloudtrail.amazonaws.com"}}}, {"Action", "s3:PutObject"},
           {"Resource", "arn:aws:s3:::" + bucket + "/AWSLogs/" + acct + "/*"},
           {"Condition", cond}}}}};
    Must(c, SignedFor(creds, port, "us-east-1", http::verb::put, "/" + bucket + "?policy", "s3", true,
                   {{"Content-Type", "application/json"}}, policy.dump()),
         "PutBucketPolicy");
    Must(c, JsonCall(creds, port, "us-east-1", kCloudTrail, "CreateTrail", "cloudtrail",
                     {{"Name", "bench"}, {"S3BucketName", bucket}, {"KmsKeyId", key_arn},
                      {"IsMultiRegionTrail", true}}),
         "CreateTrail");
    Must(c, JsonCall(creds, port, "us-east-1", kCloudTrail, "StartLogging", "cloudtrail",
                     {{"Name", "bench"}}),
         "StartLogging");
    for (const char* region : {"us-east-1", "eu-west-1"}) {
      std::string eds = "arn:aws:cloudtrail:" + std::string(region) + ":" + acct +
                        ":eventdatastore/bench-store";
      Client rc(port);
      Json j = Json::parse(
          Must(rc, JsonCall(creds, port, region, kCloudTrail, "CreateChannel", "cloudtrail",
                            {{"Name", std::string("bench-") + region},
                             {"Source", "Custom"},
                             {"Destinations",
                              Json::array({{{"Type", "EVENT_DATA_STORE"}, {"Location", eds}}})}}),
               "CreateChannel"),
          nullptr, false);
      (std::string(region) == "us-east-1" ? channel_arn : marker_arn) = j["ChannelArn"];
    }
  }
  const std::string target = "/PutAuditEvents?channelArn=" + UriEncode(channel_arn);
  const std::string marker_target = "/PutAuditEvents?channelArn=" + UriEncode(marker_arn);

  // One pre-signed request per connection, each with its own slice of samples.
  std::vector<http::request<http::string_body>> reqs;
  size_t body_bytes = 0;
  for (int c = 0; c < connections; ++c) {
    std::string body = PutAuditEventsBody(samples, static_cast<size_t>(c) * batch, batch);
    body_bytes = body.size();
    reqs.push_back(SignedFor(creds, port, "us-east-1", http::verb::post, target, "cloudtrail-data",
                          false, {{"Content-Type", "application/json"}}, std::move(body)));
  }
  {
    Client probe(port);
    auto& res = probe.RoundTrip(reqs[0]);
    Json j = Json::parse(res.body(), nullptr, false);
    std::printf("probe: %d successful=%zu failed=%zu %s\n", res.result_int(),
                j.is_object() && j.contains("successful") ? j["successful"].size() : 0,
                j.is_object() && j.contains("failed") ? j["failed"].size() : 0,
                res.result_int() == 200 ? "" : res.body().substr(0, 300).c_str());
    if (res.result_int() != 200 || !j["failed"].empty()) return 1;
  }

  std::atomic<bool> go{false}, stop{false}, readers_stop{false};
  std::atomic<long> errors{0}, throttled{0};
  std::vector<std::vector<double>> lat(connections);
  std::vector<size_t> acked(connections, 0);
  std::vector<std::thread> ts;
  const double calls_per_s_per_conn =
      rate > 0 ? rate / static_cast<double>(batch) / connections : 0;
  for (int c = 0; c < connections; ++c) {
    ts.emplace_back([&, c] {
      pthread_setname_np(pthread_self(), "bench-client");
      try {
        Client cl(port);
        std::string body;
        while (!go) std::this_thread::yield();
        auto start = SteadyClock::now();
        // Stagger paced connections over one interval.
        const auto interval = std::chrono::duration_cast<SteadyClock::duration>(
            std::chrono::duration<double>(calls_per_s_per_conn > 0 ? 1 / calls_per_s_per_conn : 0));
        auto next = start + interval * c / connections;
        while (!stop) {
          auto t0 = SteadyClock::now();
          if (calls_per_s_per_conn > 0) {
            if (next > t0) std::this_thread::sleep_until(next);
            t0 = next;  // from the scheduled start: no coordinated omission
            next += interval;
          }
          int code = cl.Fetch(reqs[c], body);
          auto t1 = SteadyClock::now();
          if (code != 200) {
            (body.find("Throttling") != std::string::npos ? throttled : errors)++;
            continue;
          }
          acked[c] += batch;
          lat[c].push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
        }
      } catch (const std::exception& e) {
        ++errors;
        std::fprintf(stderr, "client %d: %s\n", c, e.what());
      }
    });
  }

  // Markers (eu-west-1) and the reader that finds them in delivered files.
  std::mutex mu;
  std::map<std::string, SteadyClock::time_point> marker_acks;  // eventID -> ack
  std::vector<double> lags_ms;
  std::thread marker([&] {
    Client cl(port);
    for (size_t n = 0; !readers_stop; ++n) {
      std::vector<std::string> one = {samples[n % samples.size()]};
      auto req = SignedFor(creds, port, "eu-west-1", http::verb::post, marker_target,
                        "cloudtrail-data", false, {{"Content-Type", "application/json"}},
                        PutAuditEventsBody(one, 0, 1));
      auto& res = cl.RoundTrip(req);
      auto acked_at = SteadyClock::now();
      Json j = Json::parse(res.body(), nullptr, false);
      if (res.result_int() == 200 && j.contains("successful") && !j["successful"].empty()) {
        std::lock_guard<std::mutex> l(mu);
        marker_acks[j["successful"][0]["eventID"]] = acked_at;
      }
      for (int i = 0; i < 5 && !readers_stop; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  std::thread reader([&] {
    Client cl(port);
    std::set<std::string> seen;
    const std::string prefix = "AWSLogs/" + acct + "/CloudTrail/eu-west-1/";
    while (!readers_stop) {
      for (const std::string& k : ListKeys(cl, creds, port, bucket, prefix)) {
        if (!seen.insert(k).second) continue;
        std::string json = GetLogFile(cl, creds, port, bucket, k);
        auto now = SteadyClock::now();
        std::lock_guard<std::mutex> l(mu);
        for (const std::string& id : RecordEventIds(json)) {
          auto it = marker_acks.find(id);
          if (it == marker_acks.end()) continue;
          lags_ms.push_back(std::chrono::duration<double, std::milli>(now - it->second).count());
          marker_acks.erase(it);
        }
      }
      // Polls often: what a poll adds is counted as delivery lag.
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });

  const double load_before = LoadAverage();
  const double cpu_before = ProcessCpuSeconds();
  auto start = SteadyClock::now();
  go = true;
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : ts) t.join();
  double elapsed = std::chrono::duration<double>(SteadyClock::now() - start).count();
  const double cpu_load = ProcessCpuSeconds() - cpu_before;
  const double load_after = LoadAverage();
  // Let the last markers be delivered (one interval and a little).
  std::this_thread::sleep_for(std::chrono::seconds(delivery_s) + std::chrono::milliseconds(1500));
  readers_stop = true;
  marker.join();
  reader.join();

  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  size_t calls = all.size();
  size_t events = 0;
  for (size_t a : acked) events += a;
  double p50 = Percentile(all, 0.50), p99 = Percentile(all, 0.99);
  size_t undelivered_markers = 0;
  {
    std::lock_guard<std::mutex> l(mu);
    // Markers acked in the last moments may be in a file not yet listed.
    for (auto& [id, t] : marker_acks)
      if (SteadyClock::now() - t > std::chrono::seconds(delivery_s) + std::chrono::seconds(1))
        ++undelivered_markers;
  }
  double lag50 = Percentile(lags_ms, 0.50), lag99 = Percentile(lags_ms, 0.99);
  double lag_max = lags_ms.empty() ? 0 : *std::max_element(lags_ms.begin(), lags_ms.end());

  std::printf(
      "samples=%zu avg_event_bytes=%zu batch=%zu body_bytes=%zu connections=%d rate=%.0f "
      "server_threads=%d delivery_interval=%ds seconds=%.1f\n",
      samples.size(), total_bytes / samples.size(), batch, body_bytes, connections, rate, threads,
      delivery_s, elapsed);
  std::printf(
      "calls=%zu events=%zu errors=%ld throttled=%ld events_per_s=%.0f ack_p50=%.2fms "
      "ack_p99=%.2fms\n",
      calls, events, errors.load(), throttled.load(), static_cast<double>(events) / elapsed,
      p50 / 1000, p99 / 1000);
  std::printf(
      "cpu (process, during the load): %.1f s = %.1f us/event (%.2f cores); load average "
      "%.2f -> %.2f; gzip level %d\n",
      cpu_load, events ? cpu_load * 1e6 / static_cast<double>(events) : 0, cpu_load / elapsed,
      load_before, load_after, bound_level);
  std::printf(
      "delivery_lag (markers, ack -> seen in a delivered file): n=%zu p50=%.0fms p99=%.0fms "
      "max=%.0fms undelivered=%zu\n",
      lags_ms.size(), lag50, lag99, lag_max, undelivered_markers);

  if (verify) {
    // Every acknowledged load event must be in a delivered file (us-east-1).
    Client cl(port);
    const std::string prefix = "AWSLogs/" + acct + "/CloudTrail/us-east-1/";
    std::set<std::string> seen;
    size_t delivered = 0;
    const size_t expected = events + batch;  // the probe's call too
    auto deadline = SteadyClock::now() + std::chrono::seconds(delivery_s * 3 + 60);
    while (delivered < expected && SteadyClock::now() < deadline) {
      for (const std::string& k : ListKeys(cl, creds, port, bucket, prefix)) {
        if (!seen.insert(k).second) continue;
        std::string json = GetLogFile(cl, creds, port, bucket, k);
        for (size_t p = json.find("\"eventCategory\":\"ActivityAuditLog\""); p != std::string::npos;
             p = json.find("\"eventCategory\":\"ActivityAuditLog\"", p + 1))
          ++delivered;
      }
      if (delivered < expected) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    std::printf("verify: acknowledged=%zu delivered=%zu files=%zu %s\n", expected, delivered,
                seen.size(), delivered == expected ? "OK" : "MISMATCH");
  }
  std::printf(
      "peak_rss(VmHWM, server+clients in one process)=%.0fMiB\n"
      "machine_bound(parse+gzip+sha256+aes-gcm, batch %zu): 1 thread=%.0f events/s, "
      "2 threads=%.0f events/s\n",
      static_cast<double>(ProcStatusKb("VmHWM:")) / 1024, batch, bound1, bound2);
  if (bound_seconds > 0) StageCosts(samples, batch, bound_seconds / 4, bound_level);
  srv.Stop();
  std::filesystem::remove_all(dir);
  return 0;
}
