// Server: orgtraild as an object. Owns everything a running daemon needs:
// the data directory layout, the catalog, the master-key Sealer, the
// services (IAM, STS, Organizations, KMS, S3), the SigV4 verifier, the
// Router and the HttpServer. Start() brings them up in order (directories,
// catalog, sealer, services, bind, iam::Bootstrap with the bound endpoint,
// serve); Stop() shuts the HTTP front down gracefully. Used by main.cc, the
// benchmarks and the end-to-end tests (in-process, port 0).
//
// Thread-safety: Start/Stop/port from one controlling thread; the services
// themselves are called concurrently by the HTTP threads.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "api/call_observer.h"
#include "base/env.h"
#include "base/status.h"
#include "base/time.h"

namespace orgtrail::server {

struct Options {
  std::string data_dir;                 // required
  std::string listen = "127.0.0.1:4580";  // HOST:PORT; port 0 = any free port
  std::optional<std::string> management_account_id;
  Duration delivery_interval = std::chrono::minutes(5);
  Duration digest_interval = std::chrono::hours(1);
  Duration signing_key_rotation = std::chrono::hours(24 * 30);  // --signing-key-rotation
  int threads = 0;                      // 0: 2 per core, at least 4
  std::string s3_base_domain = "s3.localhost";
  // Clock for the services (not for SigV4 skew, which uses the real clock).
  // Not owned; null = the real clock.
  const Clock* clock = nullptr;
  // --simulated-clock: the services, delivery and lifecycle run on a clock
  // that starts at `clock`'s (or real) now, keeps ticking, and jumps forward
  // on POST /_orgtrail/clock/advance?days=N|seconds=N (server/clock_control.h).
  // For tests and demos only: that route needs no credentials.
  bool simulated_clock = false;
  // Not owned; may be null (the CloudTrail recorder plugs in here).
  api::CallObserver* observer = nullptr;
  // The filesystem under the object store (<data-dir>/objects). Not owned;
  // null = the real one. Tests put a fault-injecting Env here to fail the
  // store's writes, fsyncs and renames while the server delivers.
  Env* object_store_env = nullptr;
  // PutAuditEvents call limits (AWS's by default; raise for bulk sources).
  size_t audit_events_max_per_call = 100;
  uint64_t audit_events_max_body = 1 << 20;
  // Log files' gzip level (--delivery-gzip-level): 0 = the default, ISA-L
  // igzip; 1-12 = libdeflate (delivery/log_file.h kGzipFastest).
  int delivery_gzip_level = 0;
  // Write-ahead log segment size (--wal-segment-bytes) and how many delivered
  // segments are kept to be written over (--wal-recycle-segments;
  // docs/formats/wal.md "Recycled segments").
  uint64_t wal_segment_bytes = 64ull << 20;
  size_t wal_recycle_segments = 16;
};

// Splits "HOST:PORT" ("[::1]:80" for IPv6). False when malformed.
bool ParseListen(const std::string& listen, std::string* host, uint16_t* port);

class Server {
 public:
  explicit Server(Options options);
  ~Server();  // Stop()s
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Errors: InvalidParameterValue for bad options; InternalError when the
  // data directory, catalog or listen address cannot be set up; bootstrap
  // errors as iam::Bootstrap returns them. Not restartable after Stop().
  Status Start();
  uint16_t port() const;
  // http://<host>:<port> as written to <data-dir>/aws/config.
  const std::string& endpoint_url() const { return endpoint_url_; }
  // The bootstrap (management) account id.
  const std::string& account_id() const { return account_id_; }
  // Write-ahead log counters (appends, records, fsyncs: how well calls share
  // a group commit), for benchmarks; zero before Start().
  struct EventLogStats {
    uint64_t appends = 0;
    uint64_t records = 0;
    uint64_t fsyncs = 0;
  };
  EventLogStats event_log_stats() const;
  // Log file delivery counters (delivery/deliverer.h); zero before Start().
  struct DeliveryStats {
    uint64_t delivered_files = 0;
    uint64_t failed_attempts = 0;  // object writes that failed and were retried
    uint64_t failed_digest_writes = 0;  // digest file writes that failed (and were retried)
  };
  DeliveryStats delivery_stats() const;
  void Stop();

  struct Parts;

 private:
  Options options_;
  std::unique_ptr<Parts> parts_;
  std::string endpoint_url_;
  std::string account_id_;
};

}  // namespace orgtrail::server
