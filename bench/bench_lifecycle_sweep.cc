// bench_lifecycle_sweep: creates N objects (default 1,000,000, small bodies)
// in one bucket directly through an ObjectStore, then times one full
// lifecycle sweep that transitions them all to GLACIER (the audit bucket's
// 14-day rule, 15 simulated days later). Prints figures.
//   bench_lifecycle_sweep [N] [memory|local]
// `local` uses LocalObjectStore in a temp dir: the objects are created
// through LocalObjectStore::OpenUnsyncedForBulkLoad (no fsync; setup is not
// what is measured), then the store is synced and reopened with the normal,
// fully durable Open before the sweep. The sweep commits the new classes;
// the bytes' move into the cold area (MovePendingBytes, which the server's
// worker runs right after its passes) is timed on its own line. `memory`
// (default) measures the worker itself.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <limits>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "base/env.h"
#include "base/ids.h"
#include "base/strings.h"
#include "catalog/db.h"
#include "lifecycle/worker.h"
#include "objstore/local_object_store.h"
#include "objstore/memory_object_store.h"

using namespace orgtrail;

namespace {

class BenchTarget : public lifecycle::LifecycleTarget {
 public:
  Result<std::vector<lifecycle::LifecycleBucket>> ListLifecycleBuckets() override {
    return std::vector<lifecycle::LifecycleBucket>{
        {"audit", "Enabled",
         "<LifecycleConfiguration><Rule><ID>audit</ID><Filter><Prefix>AWSLogs/</Prefix></Filter>"
         "<Status>Enabled</Status><Transition><Days>14</Days><StorageClass>GLACIER</StorageClass>"
         "</Transition><Expiration><Days>180</Days></Expiration></Rule></LifecycleConfiguration>"}};
  }
  Status ExpireCurrent(const std::string&, const std::string&, std::string*) override {
    return Status::Internal("not expected in this benchmark");
  }
};

double Secs(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// CPU seconds (user + system) of this process so far: the machine is shared,
// so wall time alone mixes in other people's load.
double CpuSecs() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// 1-minute load average: the figures mean little without it on a shared
// machine.
std::string LoadAverage() {
  FILE* f = fopen("/proc/loadavg", "r");
  if (!f) return "?";
  char buf[64] = {0};
  if (!fgets(buf, sizeof(buf), f)) buf[0] = 0;
  fclose(f);
  std::string s(buf);
  return s.substr(0, s.find(' '));
}

}  // namespace

int main(int argc, char** argv) {
  long n = argc > 1 ? std::atol(argv[1]) : 1000000;
  std::string kind = argc > 2 ? argv[2] : "memory";
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("bench_lifecycle_" + HexEncode(RandomBytes(6)));
  fs::create_directories(dir);

  std::unique_ptr<objstore::ObjectStore> store;
  const std::string root = (dir / "objects").string();
  if (kind == "local") {
    auto s = objstore::LocalObjectStore::OpenUnsyncedForBulkLoad(*Env::Default(), root);
    if (!s.ok()) {
      fprintf(stderr, "%s\n", s.status().ToString().c_str());
      return 1;
    }
    store = std::move(s).value();
  } else {
    store = std::make_unique<objstore::MemoryObjectStore>();
  }
  auto db = catalog::Db::Open((dir / "catalog.db").string());
  if (!db.ok()) return 1;
  SimulatedClock clock(FromUnixSeconds(1767261600));  // 2026-01-01T10:00:00Z
  (void)store->CreateBucket("audit");

  auto t0 = std::chrono::steady_clock::now();
  std::string body(200, 'x');
  for (long i = 0; i < n; ++i) {
    objstore::ObjectMeta m;
    m.etag = "e";
    m.size = static_cast<int64_t>(body.size());
    m.last_modified = clock.Now();
    char key[96];
    snprintf(key, sizeof(key), "AWSLogs/o-abc/111122223333/CloudTrail/us-east-1/2026/01/01/%09ld.json.gz", i);
    Status st = store->Put("audit", key, "v" + std::to_string(i), body, m);
    if (!st.ok()) {
      fprintf(stderr, "put: %s\n", st.ToString().c_str());
      return 1;
    }
  }
  if (kind == "local") {
    // From here on the store is the server's: durable Open, synchronous=FULL.
    store.reset();
    ::sync();
    auto s = objstore::LocalObjectStore::Open(*Env::Default(), root);
    if (!s.ok()) {
      fprintf(stderr, "%s\n", s.status().ToString().c_str());
      return 1;
    }
    store = std::move(s).value();
  }
  auto t1 = std::chrono::steady_clock::now();

  BenchTarget target;
  lifecycle::LifecycleWorker::Options o;
  o.page_size = 5000;
  o.move_pending_bytes = false;  // timed separately below
  int64_t events = 0;
  o.on_action = [&](const lifecycle::LifecycleEvent&) { ++events; };
  auto worker = lifecycle::LifecycleWorker::Create(target, *store, **db, clock, o);
  if (!worker.ok()) return 1;
  clock.Advance(std::chrono::hours(24 * 15));
  const std::string load_before = LoadAverage();
  double c2 = CpuSecs();
  auto t2 = std::chrono::steady_clock::now();
  auto stats = (*worker)->RunOnce(clock.Now());
  auto t3 = std::chrono::steady_clock::now();
  double c3 = CpuSecs();
  if (!stats.ok()) {
    fprintf(stderr, "sweep: %s\n", stats.status().ToString().c_str());
    return 1;
  }
  // Moving the bytes into the cold area (LocalObjectStore; nothing to do
  // in memory).
  auto m0 = std::chrono::steady_clock::now();
  auto moved = store->MovePendingBytes(std::numeric_limits<int64_t>::max());
  auto m1 = std::chrono::steady_clock::now();
  double c4 = CpuSecs();
  const std::string load_after = LoadAverage();
  if (!moved.ok()) {
    fprintf(stderr, "move: %s\n", moved.status().ToString().c_str());
    return 1;
  }
  // Spot check: the last object is GLACIER and its bytes are intact.
  {
    char key[96];
    snprintf(key, sizeof(key),
             "AWSLogs/o-abc/111122223333/CloudTrail/us-east-1/2026/01/01/%09ld.json.gz", n - 1);
    auto d = store->Get("audit", key, "", std::nullopt);
    if (n > 0 && (!d.ok() || d->bytes != body || d->info.meta.storage_class != "GLACIER")) {
      fprintf(stderr, "spot check failed\n");
      return 1;
    }
  }
  // A second run the same day must not rescan.
  auto t4 = std::chrono::steady_clock::now();
  auto again = (*worker)->RunOnce(clock.Now());
  auto t5 = std::chrono::steady_clock::now();

  printf("store=%s objects=%ld\n", kind.c_str(), n);
  printf("create:          %8.2f s  (%.0f objects/s)\n", Secs(t1 - t0), n / Secs(t1 - t0));
  printf("sweep:           %8.2f s  (%.0f versions/s) scanned=%lld transitioned=%lld events=%lld\n",
         Secs(t3 - t2), stats->versions_scanned / Secs(t3 - t2),
         static_cast<long long>(stats->versions_scanned),
         static_cast<long long>(stats->transitioned), static_cast<long long>(events));
  printf("sweep cpu:       %8.2f s\n", c3 - c2);
  printf("cold-area move:  %8.2f s  (%.0f versions/s) moved=%lld\n", Secs(m1 - m0),
         *moved / std::max(Secs(m1 - m0), 1e-9), static_cast<long long>(*moved));
  printf("move cpu:        %8.2f s\n", c4 - c3);
  printf("same-day rerun:  %8.4f s  scanned=%lld\n", Secs(t5 - t4),
         static_cast<long long>(again.ok() ? again->versions_scanned : -1));
  printf("load average:    %s before the sweep, %s after the move\n", load_before.c_str(),
         load_after.c_str());
  fflush(stdout);
  store.reset();
  fs::remove_all(dir);
  return stats->transitioned == n ? 0 : 2;
}
