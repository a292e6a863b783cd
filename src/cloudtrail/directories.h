// The lookups CloudTrailService needs from other services, as small
// interfaces so that cloudtrail/ depends on neither s3/ nor kms/ nor the
// details of org/. The server wires implementations over S3Service,
// KmsService and OrganizationsService; tests use in-memory fakes.
// Implementations must be thread-safe: the service calls them from the
// HTTP server's threads and from delivery.
#pragma once

#include <optional>
#include <string>

namespace orgtrail::cloudtrail {

struct BucketInfo {
  std::string name;
  std::string owner_account;
  std::string region;
  // The bucket policy's JSON text; nullopt when the bucket has none. Read by
  // CreateTrail/UpdateTrail's delivery pre-flight (policy_preflight.h).
  std::optional<std::string> policy;
};

class BucketDirectory {
 public:
  virtual ~BucketDirectory() = default;
  // The bucket called `name`, or nullopt when it does not exist.
  virtual std::optional<BucketInfo> FindBucket(const std::string& name) = 0;
};

struct KeyInfo {
  std::string arn;  // arn:aws:kms:<region>:<account>:key/<uuid>
  std::string account;
  std::string region;
  bool enabled = true;
  std::string policy;  // the key policy's JSON text (every KMS key has one)
};

class KeyDirectory {
 public:
  virtual ~KeyDirectory() = default;
  // key_ref: id, ARN, alias/x or alias ARN; `region`/`account` give the
  // context for bare ids and aliases. nullopt when no such key (or alias).
  virtual std::optional<KeyInfo> FindKey(const std::string& key_ref, const std::string& region,
                                         const std::string& account) = 0;
};

// What CloudTrail needs to know about the organization an account is in.
struct OrgInfo {
  std::string id;                          // o-xxxxxxxxxx
  std::string management_account;          // 12 digits
  bool all_features = true;                // FeatureSet == ALL
  bool cloudtrail_access_enabled = false;  // trusted access for cloudtrail.amazonaws.com
};

class OrgDirectory {
 public:
  virtual ~OrgDirectory() = default;
  // The organization `account_id` belongs to (as management account or
  // member), or nullopt when it is in none.
  virtual std::optional<OrgInfo> OrganizationOf(const std::string& account_id) = 0;
};

}  // namespace orgtrail::cloudtrail
