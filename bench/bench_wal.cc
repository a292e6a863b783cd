// bench_wal: write-ahead log throughput. For N appending threads, each
// appending batches of `--batch` events of ~1.3 KB (one Append per simulated
// request; every Append waits for its fsync), with a deliverer thread
// draining and checkpointing, prints events/s, fsyncs/s, events per fsync
// and p50/p99/max Append latency. Usage:
//   bench_wal [--dir DIR] [--seconds S] [--batch B] [--threads 1,4,16,64]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "ingest/wal.h"

namespace {

using namespace orgtrail;
using namespace orgtrail::ingest;
using Clock = std::chrono::steady_clock;

Event SampleEvent(int thread, uint64_t i) {
  Event e;
  e.event_id = std::to_string(thread) + "-" + std::to_string(i);
  e.account_id = "111122223333";
  e.region = "us-east-1";
  e.event_source = "kms.amazonaws.com";
  e.event_name = "Decrypt";
  e.event_time = std::chrono::system_clock::now();
  e.record_json = "{\"eventVersion\":\"1.08\",\"eventID\":\"" + e.event_id + "\",\"pad\":\"" +
                  std::string(1200, 'x') + "\"}";
  return e;
}

void RunOnce(const std::string& base_dir, int threads, int batch, double seconds) {
  std::string dir = base_dir + "/wal-" + std::to_string(threads);
  std::filesystem::remove_all(dir);
  auto wal_or = Wal::Open(*Env::Default(), dir);
  if (!wal_or.ok()) {
    std::fprintf(stderr, "open: %s\n", wal_or.status().ToString().c_str());
    std::exit(1);
  }
  Wal& wal = **wal_or;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> throttled{0}, errors{0};
  std::vector<std::vector<double>> lat(threads);
  std::thread deliverer([&] {
    while (!stop) {
      if (!wal.WaitForEvents(std::chrono::milliseconds(50))) continue;
      auto got = wal.DrainWithSeq(100000);
      if (!got.empty()) (void)wal.Checkpoint(got.back().seq);
    }
  });
  auto start = Clock::now();
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      uint64_t i = 0;
      while (!stop) {
        std::vector<Event> evs;
        for (int b = 0; b < batch; ++b) evs.push_back(SampleEvent(t, i++));
        auto t0 = Clock::now();
        Status s = wal.Append(std::move(evs));
        auto t1 = Clock::now();
        if (s.ok()) {
          lat[t].push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
        } else if (s.code() == "ThrottlingException") {
          ++throttled;
        } else {
          ++errors;
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : ts) t.join();
  deliverer.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (auto& l : lat) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))];
  };
  auto st = wal.stats();
  std::printf(
      "threads=%-3d batch=%-3d events/s=%10.0f MB/s=%7.1f fsyncs/s=%7.0f events/fsync=%7.1f "
      "append p50=%7.0fus p99=%7.0fus max=%7.0fus throttled=%llu errors=%llu\n",
      threads, batch, st.writer.records / elapsed, st.writer.bytes / elapsed / 1e6,
      st.writer.fsyncs / elapsed,
      st.writer.fsyncs ? double(st.writer.records) / double(st.writer.fsyncs) : 0.0, pct(0.5),
      pct(0.99), all.empty() ? 0.0 : all.back(), static_cast<unsigned long long>(throttled.load()),
      static_cast<unsigned long long>(errors.load()));
  std::fflush(stdout);
  wal_or->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = std::filesystem::temp_directory_path().string() + "/bench_wal";
  double seconds = 3;
  int batch = 1;
  std::vector<int> threads = {1, 4, 16, 64};
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--dir") dir = v;
    else if (a == "--seconds") seconds = std::atof(v.c_str());
    else if (a == "--batch") batch = std::atoi(v.c_str());
    else if (a == "--threads") {
      threads.clear();
      size_t pos = 0;
      while (pos <= v.size()) {
        size_t c = v.find(',', pos);
        threads.push_back(std::atoi(v.substr(pos, c - pos).c_str()));
        if (c == std::string::npos) break;
        pos = c + 1;
      }
    }
  }
  std::filesystem::create_directories(dir);
  std::printf("bench_wal: dir=%s seconds=%.1f events ~1.3 KB, every Append waits for fdatasync\n",
              dir.c_str(), seconds);
  for (int t : threads) RunOnce(dir, t, batch, seconds);
  std::filesystem::remove_all(dir);
  return 0;
}
