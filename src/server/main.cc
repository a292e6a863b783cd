// orgtraild: the daemon. Parses flags, starts a server::Server, prints how
// to point the AWS CLI at it, and stops gracefully on SIGTERM/SIGINT.
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "server/server.h"

namespace {

bool ParseDurationFlag(const std::string& name, const std::string& value, orgtrail::Duration* out) {
  auto d = orgtrail::ParseDuration(value);
  if (!d || d->count() <= 0) {
    std::cerr << "orgtraild: invalid " << name << " '" << value
              << "': expected a positive duration such as 500ms, 2s, 5m or 1h\n";
    return false;
  }
  *out = *d;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("orgtraild"));

  CLI::App app{"orgtraild: a self-hosted, AWS-compatible organization audit trail"};
  orgtrail::server::Options opts;
  std::string delivery = "5m", digest = "1h", rotation = "30d", account;
  app.add_option("--data-dir", opts.data_dir, "Data directory (created if missing)")->required();
  app.add_option("--listen", opts.listen, "HOST:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  app.add_option("--management-account-id", account,
                 "12-digit id of the management account created on first start");
  app.add_option("--delivery-interval", delivery, "Log file delivery interval")
      ->capture_default_str();
  app.add_option("--digest-interval", digest, "Digest file interval")->capture_default_str();
  app.add_option("--signing-key-rotation", rotation,
                 "Age at which a region's digest signing key is replaced")
      ->capture_default_str();
  app.add_option("--threads", opts.threads, "HTTP worker threads (default: 2 per core, at least 4)")
      ->check(CLI::Range(0, 1024));
  app.add_flag("--simulated-clock", opts.simulated_clock,
               "Tests and demos only: run on a clock that POST "
               "/_orgtrail/clock/advance?days=N (or seconds=N) moves forward");
  app.add_option("--audit-events-max-per-call", opts.audit_events_max_per_call,
                 "PutAuditEvents: most events per call (AWS: 100)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{100}, size_t{100000}));
  app.add_option("--audit-events-max-body", opts.audit_events_max_body,
                 "PutAuditEvents: largest request body in bytes (AWS: 1 MB)")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1} << 20, uint64_t{1} << 30));
  app.add_option("--delivery-gzip-level", opts.delivery_gzip_level,
                 "gzip of delivered log files: 0 = ISA-L igzip (fastest, the default), 1-12 = libdeflate at that level (12: smallest)")
      ->capture_default_str()
      ->check(CLI::Range(0, 12));
  app.add_option("--wal-segment-bytes", opts.wal_segment_bytes,
                 "write-ahead log: rotate to a new segment at this size")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1} << 16, uint64_t{1} << 32));
  app.add_option("--wal-recycle-segments", opts.wal_recycle_segments,
                 "write-ahead log: delivered segments kept to be written over instead of deleted")
      ->capture_default_str()
      ->check(CLI::Range(size_t{0}, size_t{1024}));
  app.add_option("--s3-base-domain", opts.s3_base_domain,
                 "Base domain for virtual-host style S3 requests")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (!ParseDurationFlag("--delivery-interval", delivery, &opts.delivery_interval)) return 2;
  if (!ParseDurationFlag("--digest-interval", digest, &opts.digest_interval)) return 2;
  if (!ParseDurationFlag("--signing-key-rotation", rotation, &opts.signing_key_rotation)) return 2;
  if (!account.empty()) opts.management_account_id = account;

  // Block the stop signals before any thread starts, so that only the
  // sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  orgtrail::server::Server server(opts);
  orgtrail::Status st = server.Start();
  if (!st.ok()) {
    spdlog::error("cannot start: {}", st.ToString());
    return st.code() == "InvalidParameterValue" ? 2 : 1;
  }
  std::printf(
      "orgtraild is serving %s (management account %s)\n"
      "Point the AWS CLI at it with:\n"
      "  export AWS_CONFIG_FILE=%s/aws/config AWS_SHARED_CREDENTIALS_FILE=%s/aws/credentials\n"
      "  aws --profile management sts get-caller-identity\n",
      server.endpoint_url().c_str(), server.account_id().c_str(), opts.data_dir.c_str(),
      opts.data_dir.c_str());
  if (opts.simulated_clock) {
    std::printf("Simulated clock: move it with\n  curl -X POST '%s/_orgtrail/clock/advance?days=1'\n",
                server.endpoint_url().c_str());
  }
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("received signal {}, stopping", sig);
  server.Stop();
  return 0;
}
