// DigestWriter: the digest chains (aws-compat.md §5.4). One chain per
// (trail, account, delivery region). The log deliverer reports every log file
// it delivered (LogDelivered); every `interval` the writer closes the open
// period [start, end] of each active chain into a digest listing those files
// (an empty digest when there were none), linked to and signed after the
// previous one, with the region's current key from SigningKeys.
//
// Lifecycle of a chain:
//   - opened by OpenChain or by the first LogDelivered: the first digest is a
//     starting digest (previousDigest* null);
//   - StopTrail (StopLogging / DeleteTrail): a final digest now, chain ends;
//   - DisableValidation: the current period still gets its digest when due,
//     then the chain ends (the caller stops reporting logs while validation
//     is off, so they are never covered);
//   - a later LogDelivered/OpenChain starts a new chain (starting digest); on
//     a chain still closing it first writes that chain's final digest now.
//
// Durability: chain state and not-yet-digested log files live in the catalog
// (ct_digest_chains, ct_digest_pending). A digest's key, bytes and signature
// are fixed and committed ("in flight") before DigestSink::PutDigest; the
// chain advances only after the sink reports success, and an in-flight
// digest is retried with identical key and bytes, so a crash or failed write
// never breaks the chain nor rewrites a delivered digest differently.
//
// Time only from the injected Clock. Thread-safe: every method takes mu_.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "catalog/db.h"
#include "delivery/digest_file.h"
#include "delivery/signing_keys.h"
#include "delivery/trail_view.h"

namespace orgtrail::delivery {

// Where digests go. The lead implements it over S3 as the trail service.
// Thread-safe implementations required.
class DigestSink {
 public:
  virtual ~DigestSink() = default;
  // Stores `gzip_bytes` under `key` in trail.bucket with the given user
  // metadata (lower-case names without x-amz-meta-: "signature",
  // "signature-algorithm"). Must be idempotent: a retry sends the same key,
  // bytes and metadata.
  virtual Status PutDigest(const TrailTarget& trail, const std::string& key,
                           const std::string& gzip_bytes,
                           const std::map<std::string, std::string>& metadata) = 0;
};

// One log file as the deliverer reports it.
struct DeliveredLog {
  std::string bucket;  // empty: the trail's bucket
  std::string key;
  std::string sha256_hex;  // of the uncompressed bytes
  TimePoint newest_event_time{};
  TimePoint oldest_event_time{};
};

class DigestWriter {
 public:
  struct Options {
    Duration interval = std::chrono::hours(1);
  };
  struct Stats {
    size_t digests_written = 0;
    size_t failed_writes = 0;
  };

  // Creates the tables if needed; references must outlive the writer.
  static Result<std::unique_ptr<DigestWriter>> Open(catalog::Db& db, SigningKeys& keys,
                                                    DigestSink& sink, const Clock& clock,
                                                    Options options);
  DigestWriter(const DigestWriter&) = delete;
  DigestWriter& operator=(const DigestWriter&) = delete;

  // Starts a chain for (trail, account, region) now unless one is active.
  Status OpenChain(const TrailTarget& trail, const std::string& account,
                   const std::string& region);
  // Records a delivered log file in the open period of its chain (opening
  // the chain if needed; finishing a closing chain first). Durable on OK.
  Status LogDelivered(const TrailTarget& trail, const std::string& account,
                      const std::string& region, const DeliveredLog& log);
  // Writes every digest that is due (period at least `interval` old) and
  // retries in-flight ones. Returns the first failure; others still run.
  Status Tick();
  // Final digests for every chain of the trail, now; the chains end.
  Status StopTrail(const std::string& trail_arn);
  // The trail's chains end after the digest of their current period.
  Status DisableValidation(const std::string& trail_arn);

  Stats stats() const;

 private:
  struct Chain;
  DigestWriter(catalog::Db& db, SigningKeys& keys, DigestSink& sink, const Clock& clock,
               Options options)
      : db_(db), keys_(keys), sink_(sink), clock_(clock), options_(options) {}

  Result<std::vector<Chain>> LoadChains(const std::string& where,
                                        const std::vector<catalog::Value>& params);
  Status OpenLocked(const TrailTarget& trail, const std::string& account,
                    const std::string& region, TimePoint now);
  // Fixes (if not yet) and writes the digest of `chain` ending at `end`.
  Status WriteDigest(const Chain& chain, TimePoint end, bool final_digest);

  catalog::Db& db_;
  SigningKeys& keys_;
  DigestSink& sink_;
  const Clock& clock_;
  const Options options_;

  mutable std::mutex mu_;
  Stats stats_;  // guarded by mu_
};

}  // namespace orgtrail::delivery
