// bench_json_rps: requests/s and latency of SigV4-signed JSON 1.1 calls
// against an in-process orgtraild on port 0.
//
//   bench_json_rps [--connections 16] [--seconds 10] [--threads 0]
//                  [--target TrentService.ListKeys] [--service kms]
//
// Each connection is a keep-alive Beast client in its own thread that sends
// one pre-signed request over and over (the signature stays valid for the
// 15-minute skew window, so the figure is the server's cost, SigV4
// verification included, not the client's signing).
#include <spdlog/spdlog.h>

#include <atomic>
#include <thread>

#include "bench_client.h"
#include "server/server.h"

using namespace orgtrail;
using namespace orgtrail::bench;

int main(int argc, char** argv) {
  int connections = std::stoi(Flag(argc, argv, "connections", "16"));
  double seconds = std::stod(Flag(argc, argv, "seconds", "10"));
  int threads = std::stoi(Flag(argc, argv, "threads", "0"));
  std::string target = Flag(argc, argv, "target", "TrentService.ListKeys");
  std::string service = Flag(argc, argv, "service", "kms");
  spdlog::set_level(spdlog::level::warn);

  std::string dir = MakeTempDir("orgtrail-bench-json");
  server::Options o;
  o.data_dir = dir;
  o.listen = "127.0.0.1:0";
  o.threads = threads;
  server::Server srv(o);
  Status st = srv.Start();
  if (!st.ok()) {
    std::fprintf(stderr, "start failed: %s\n", st.ToString().c_str());
    return 1;
  }
  auto creds = ReadBootstrapCredentials(dir);
  auto req = SignedRequest(creds, srv.port(), http::verb::post, "/", service, false,
                           {{"Content-Type", "application/x-amz-json-1.1"}, {"X-Amz-Target", target}},
                           "{}");
  {
    Client probe(srv.port());
    auto& res = probe.RoundTrip(req);
    std::printf("probe: %d %s\n", res.result_int(), res.body().substr(0, 200).c_str());
    if (res.result_int() != 200) std::printf("(benchmarking an error response)\n");
  }

  std::atomic<bool> go{false}, stop{false};
  std::atomic<long> errors{0};
  std::vector<std::vector<double>> lat(connections);
  std::vector<std::thread> ts;
  for (int c = 0; c < connections; ++c) {
    ts.emplace_back([&, c] {
      try {
        Client cl(srv.port());
        while (!go) std::this_thread::yield();
        while (!stop) {
          auto t0 = std::chrono::steady_clock::now();
          auto& res = cl.RoundTrip(req);
          auto t1 = std::chrono::steady_clock::now();
          if (res.result_int() >= 500) ++errors;
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
  size_t n = all.size();
  double p50 = Percentile(all, 0.50), p99 = Percentile(all, 0.99);
  std::printf("target=%s connections=%d server_threads=%d seconds=%.1f\n", target.c_str(),
              connections, threads, elapsed);
  std::printf("requests=%zu errors=%ld rps=%.0f p50=%.0fus p99=%.0fus\n", n, errors.load(),
              static_cast<double>(n) / elapsed, p50, p99);
  auto wal = srv.event_log_stats();
  std::printf("wal: appends=%llu fsyncs=%llu records_per_fsync=%.1f\n",
              static_cast<unsigned long long>(wal.appends),
              static_cast<unsigned long long>(wal.fsyncs),
              wal.fsyncs ? static_cast<double>(wal.records) / static_cast<double>(wal.fsyncs)
                         : 0.0);
  srv.Stop();
  std::filesystem::remove_all(dir);
  return 0;
}
