// Digest files: the ONE pair of functions that build and parse CloudTrail
// digest files (aws-compat.md §5.2, §5.3), and the builder/parser of digest
// object keys (§5.1). Byte compatibility matters: the stock
// `aws cloudtrail validate-logs` re-hashes the uncompressed JSON and checks
// our RSA signature over SigningString().
//
// Called by DigestWriter (building) and validate/ (parsing). Digest keys
// live here until the lead merges them into key_names.*.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/time.h"

namespace orgtrail::delivery {

inline constexpr std::string_view kDigestSignatureAlgorithm = "SHA256withRSA";
inline constexpr std::string_view kDigestHashAlgorithm = "SHA-256";
// S3 user-metadata names (lower case, without x-amz-meta-).
inline constexpr std::string_view kDigestSignatureMeta = "signature";
inline constexpr std::string_view kDigestSignatureAlgorithmMeta = "signature-algorithm";

// One log file listed in a digest.
struct DigestLogFile {
  std::string bucket;
  std::string key;
  std::string sha256_hex;  // lower-case hex SHA-256 of the *uncompressed* bytes
  TimePoint newest_event_time{};
  TimePoint oldest_event_time{};
};

// The link to the previous digest of the chain.
struct PreviousDigest {
  std::string bucket;
  std::string key;
  std::string sha256_hex;     // of the previous digest's uncompressed bytes
  std::string signature_hex;  // the previous digest's signature
};

struct DigestInput {
  std::string account_id;
  TimePoint start_time{};  // second precision is written
  TimePoint end_time{};
  std::string bucket;  // where this digest is stored
  std::string key;     // its key (DigestKey(...)); the JSON names itself
  std::string public_key_fingerprint;
  std::optional<PreviousDigest> previous;  // nullopt: starting digest
  std::vector<DigestLogFile> log_files;
};

struct BuiltDigest {
  std::string json;            // the uncompressed digest bytes (compact JSON)
  std::string sha256_hex;      // of `json`
  std::string string_to_sign;  // SigningString over `json`
};

// Builds the digest JSON with every field of §5.2 in AWS's order
// (awsAccountId, digestStartTime, digestEndTime, digestS3Bucket,
// digestS3Object, digestPublicKeyFingerprint, digestSignatureAlgorithm,
// newestEventTime, oldestEventTime, previousDigestS3Bucket,
// previousDigestS3Object, previousDigestHashValue,
// previousDigestHashAlgorithm, previousDigestSignature, logFiles); null
// where there is no value (no previous digest, no log files).
BuiltDigest BuildDigest(const DigestInput& in);

// §5.3: end_time + "\n" + bucket + "/" + key + "\n" + sha256_hex + "\n" +
// (previous_signature or "null"). `end_time` exactly as written in the JSON.
std::string SigningString(std::string_view end_time, std::string_view bucket,
                          std::string_view key, std::string_view sha256_hex,
                          const std::optional<std::string>& previous_signature);

// A parsed digest, fields as written (times verbatim).
struct ParsedDigest {
  struct LogFile {
    std::string bucket, key, hash_value;
  };
  std::string account_id;
  std::string start_time, end_time;  // verbatim strings
  std::string bucket, key;           // digestS3Bucket / digestS3Object
  std::string fingerprint;
  std::optional<std::string> previous_bucket, previous_key, previous_signature;
  std::optional<std::string> previous_hash;  // previousDigestHashValue
  std::vector<LogFile> log_files;
};

// Parses uncompressed digest bytes with the CLI's rules: InvalidDigestFormat
// when the bytes are not a JSON object, when digestPublicKeyFingerprint,
// digestS3Bucket, digestS3Object, previousDigestSignature (may be null),
// digestEndTime or digestStartTime is missing or of the wrong type, when the
// times do not parse, or when logFiles is missing or malformed.
Result<ParsedDigest> ParseDigest(std::string_view json);

// ---- Keys (§5.1) ----

struct DigestKeyParts {
  std::string prefix;  // without surrounding '/'; empty if none
  std::string org_id;  // organization trails only
  std::string account_id;
  std::string region;       // delivery (source) region
  std::string trail_name;
  std::string home_region;
  TimePoint end_time{};     // second precision
  bool backfill = false;
};

// [<prefix>/]AWSLogs/[<o-id>/]<acct>/CloudTrail-Digest/<region>/YYYY/MM/DD/
//   <acct>_CloudTrail-Digest_<region>_<trail>_<home>_<YYYYMMDDTHHMMSSZ>.json.gz
std::string DigestKey(std::string_view prefix, std::string_view org_id,
                      std::string_view account_id, std::string_view region,
                      std::string_view trail_name, std::string_view home_region,
                      TimePoint end_time);
// `[<prefix>/]AWSLogs/[<o-id>/]<acct>/CloudTrail-Digest/<region>/` (listings).
std::string DigestFolder(std::string_view prefix, std::string_view org_id,
                         std::string_view account_id, std::string_view region);
// Parses a digest key (backfill digests too); nullopt for anything else.
std::optional<DigestKeyParts> ParseDigestKey(std::string_view key);

}  // namespace orgtrail::delivery
