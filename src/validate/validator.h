// Validator: the `orgtrail validate-logs` engine. For one trail it verifies
// every digest chain (one per account and delivery region; for an
// organization trail all member accounts and all regions in one run, found
// by listing `AWSLogs/<o-id>/`), or the accounts/regions asked for, over a
// time range, and every log file each valid digest lists, with the checks
// and verdict names of the stock AWS CLI (aws-compat.md §6.2) plus what the
// CLI does not check: broken links between digests (start/end times,
// previous signature and hash) and log files present in the bucket that no
// digest lists.
//
// Work is parallel: chains are walked by `threads` walker threads, log files
// are fetched, gunzipped and hashed by `threads` hasher threads fed through
// a bounded queue, so memory stays bounded whatever the bucket holds (per
// chain the validator keeps the digest keys and listed log keys of the time
// range only).
//
// Thread-safety: one Run at a time per Validator; the observer is called
// from worker threads but never concurrently (calls are serialised).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "validate/bucket_reader.h"
#include "validate/public_keys.h"

namespace orgtrail::validate {

enum class FileKind { kDigest, kLog };

enum class Verdict {
  kValid,
  kNotFound,           // "not found"
  kHashMismatch,       // "hash value doesn't match" (log modified)
  kInvalidFormat,      // "invalid format" (gzip/JSON/required fields)
  kSignatureInvalid,   // "signature verification failed"
  kPublicKeyNotFound,  // "public key not found in region R for fingerprint F"
  kBadPublicKey,       // "Unable to load PKCS #1 key with fingerprint F"
  kMoved,              // "has been moved from its original location"
  kChainBroken,        // link to the previous digest does not match
  kNotListed,          // log file in the bucket that no digest lists
  // Not findings: the file is gone or unreadable for a reason that is not
  // tampering, and is reported as such.
  kExpired,   // removed by the bucket's own lifecycle expiration rule
  kArchived,  // in GLACIER / DEEP_ARCHIVE without a completed restore
};

// True for the verdicts that are findings (anything but valid, expired
// and archived).
bool IsFinding(Verdict v);

// The CLI's wording (`INVALID: <text>`), or "valid".
std::string VerdictText(Verdict v);
// Short machine name for JSON: "valid", "not_found", "modified", ...
const char* VerdictCode(Verdict v);

struct FileResult {
  FileKind kind = FileKind::kLog;
  Verdict verdict = Verdict::kValid;
  std::string bucket, key;
  std::string account, region;
  std::string detail;  // extra explanation (fingerprint, broken link ...)
};

struct ChainSummary {
  std::string account, region;
  int64_t digests_valid = 0, digests_invalid = 0;
  int64_t logs_valid = 0, logs_invalid = 0;
  int64_t gaps = 0;
  std::optional<TimePoint> found_start, found_end;
  // Digests and logs the bucket's lifecycle expiration rule removed (not
  // findings), and the newest point in time before which the chain's
  // digests are gone that way: the chain's record starts there by rule.
  int64_t digests_expired = 0, logs_expired = 0;
  std::optional<TimePoint> expired_before;
  std::string expired_rule;
};

struct ValidationReport {
  TimePoint start{}, end{};
  std::vector<ChainSummary> chains;  // sorted by account, region
  std::vector<FileResult> findings;  // every non-valid result
  int64_t digests_valid = 0, digests_invalid = 0;
  int64_t logs_valid = 0, logs_invalid = 0;
  int64_t links_broken = 0, logs_not_listed = 0;
  // Files removed by the bucket's lifecycle rule / waiting for a restore.
  int64_t files_expired = 0, files_archived = 0;
  int64_t digests_expired = 0, logs_expired = 0;  // files_expired split by kind
  uint64_t bytes_fetched = 0, bytes_inflated = 0;
  bool ok() const { return findings.empty(); }
};

struct Progress {
  int64_t chains_done = 0, chains_total = 0;
  int64_t digests = 0, logs = 0;
  uint64_t bytes_fetched = 0;
};

class ValidationObserver {
 public:
  virtual ~ValidationObserver() = default;
  virtual void OnResult(const FileResult&) {}
  // "No log files were delivered by CloudTrail between from and to" (not a
  // finding: validation or logging was off).
  virtual void OnGap(const std::string& /*account*/, const std::string& /*region*/,
                     TimePoint /*from*/, TimePoint /*to*/) {}
  // About once a second during long runs.
  virtual void OnProgress(const Progress&) {}
};

struct ValidationOptions {
  std::string trail_arn;  // arn:<p>:cloudtrail:<home>:<acct>:trail/<name>
  std::string bucket;
  std::string prefix;  // S3KeyPrefix, without surrounding '/'
  std::string org_id;  // organization trails; empty otherwise
  std::vector<std::string> accounts;  // empty: the ARN's account, or all members (org)
  std::vector<std::string> regions;   // empty: every region found in the bucket
  TimePoint start{}, end{};
  int threads = 0;            // 0: all cores
  bool check_unlisted = true;  // report log files no digest lists
  // "Now" for lifecycle expiry (a missing file whose rule made it due by
  // then is reported as expired); default: the real clock.
  std::optional<TimePoint> now;
};

class Validator {
 public:
  // References must outlive the Validator.
  Validator(BucketReader& reader, PublicKeySource& keys, ValidationOptions options);

  // Runs the validation. A Status error means the run itself failed (bad
  // options, an S3 error other than NoSuchKey), not that files are invalid.
  Result<ValidationReport> Run(ValidationObserver* observer = nullptr);

 private:
  BucketReader& reader_;
  PublicKeySource& keys_;
  ValidationOptions options_;
};

// Parses a trail ARN into home region, owner account and name; nullopt if
// it does not match arn:.+:cloudtrail:.+:\d{12}:trail/.+
struct TrailArnParts {
  std::string partition, home_region, account, name;
};
std::optional<TrailArnParts> ParseTrailArn(const std::string& arn);

}  // namespace orgtrail::validate
