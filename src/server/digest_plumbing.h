// Log-file integrity inside orgtraild (aws-compat.md §5): joins the digest
// pieces of delivery/ to the services.
//
//   S3DigestSink     delivery::DigestSink: PutObject of a digest into the
//                    trail's bucket as cloudtrail.amazonaws.com (SSE-S3,
//                    x-amz-meta-signature / -signature-algorithm), reporting
//                    every attempt to the TrailDirectory (GetTrailStatus
//                    LatestDigestDelivery*).
//   DigestPlumbing   owns SigningKeys, the sink and the DigestWriter; is the
//                    CloudTrail service's IntegrityHooks (ListPublicKeys,
//                    StartLogging/StopLogging/DeleteTrail/UpdateTrail); gives
//                    the Deliverer its DeliveredHook; runs the background
//                    tick (DigestWriter::Tick about once a second, time from
//                    the server Clock).
//
// Constructed and owned by server::Server. Thread-safe: every entry point
// only calls thread-safe objects. Lock order: Deliverer -> DigestWriter ->
// CloudTrailService (hooks run outside the service's mutex).
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "catalog/db.h"
#include "cloudtrail/integrity_hooks.h"
#include "crypto/sealer.h"
#include "delivery/deliverer.h"
#include "delivery/digest_writer.h"
#include "delivery/signing_keys.h"
#include "delivery/trail_view.h"

namespace orgtrail::s3 {
class S3Service;
}

namespace orgtrail::server {

class S3DigestSink final : public delivery::DigestSink {
 public:
  // `directory` may be null (no status reports).
  S3DigestSink(s3::S3Service& s3, const Clock& clock, delivery::TrailDirectory* directory)
      : s3_(s3), clock_(clock), directory_(directory) {}
  Status PutDigest(const delivery::TrailTarget& trail, const std::string& key,
                   const std::string& gzip_bytes,
                   const std::map<std::string, std::string>& metadata) override;

 private:
  s3::S3Service& s3_;
  const Clock& clock_;
  delivery::TrailDirectory* directory_;
};

class DigestPlumbing final : public cloudtrail::IntegrityHooks {
 public:
  struct Options {
    Duration digest_interval = std::chrono::hours(1);
    Duration signing_key_rotation = std::chrono::hours(24 * 30);
    Duration tick_interval = std::chrono::seconds(1);  // real time between ticks
  };
  // References must outlive the object.
  static Result<std::unique_ptr<DigestPlumbing>> Open(catalog::Db& db,
                                                      const crypto::Sealer& sealer,
                                                      s3::S3Service& s3,
                                                      delivery::TrailDirectory& trails,
                                                      const Clock& clock, Options options);
  ~DigestPlumbing() override;  // Stop()

  // For Deliverer::Options::on_delivered.
  delivery::Deliverer::DeliveredHook DeliveredHook();
  // Starts / stops the tick thread (Stop is idempotent and runs a last Tick).
  void Start();
  void Stop();

  delivery::DigestWriter& writer() { return *writer_; }
  delivery::SigningKeys& keys() { return *keys_; }

  // Called before a stopped or deleted trail's final digests are written:
  // the server flushes delivery here, so the files recorded before the stop
  // are delivered (and listed) before the chain ends, not after it (which
  // would start a new chain for a trail that no longer logs). Set once,
  // before Start().
  void SetBeforeFinalDigests(std::function<void()> flush) { before_final_ = std::move(flush); }

  // cloudtrail::IntegrityHooks
  void LoggingStarted(const std::string& trail_arn) override;
  void LoggingStopped(const std::string& trail_arn) override;
  void ValidationDisabled(const std::string& trail_arn) override;
  Result<OrderedJson> ListPublicKeys(const std::string& region, std::optional<TimePoint> start,
                                     std::optional<TimePoint> end) override;

 private:
  DigestPlumbing(delivery::TrailDirectory& trails, Options options)
      : trails_(trails), options_(options) {}
  void Run();

  delivery::TrailDirectory& trails_;
  const Options options_;
  std::function<void()> before_final_;
  std::unique_ptr<delivery::SigningKeys> keys_;
  std::unique_ptr<S3DigestSink> sink_;
  std::unique_ptr<delivery::DigestWriter> writer_;

  std::mutex thread_mu_;
  std::condition_variable cv_;
  bool stop_ = false;   // guarded by thread_mu_
  std::thread thread_;  // guarded by thread_mu_
};

}  // namespace orgtrail::server
