// KeyStore: the KMS tables in the shared catalog (kms_keys, kms_aliases,
// kms_tags) and the typed rows KmsService works with. It knows nothing about
// authorization, key states or cryptography: key material arrives here
// already sealed. Called by KmsService only. Thread-safe (every method is one
// statement or one catalog::Transaction).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "catalog/db.h"

namespace orgtrail::kms {

// One customer managed key. Key states: "Enabled", "Disabled", "PendingDeletion".
struct KeyRecord {
  std::string arn;          // arn:aws:kms:<region>:<account>:key/<key_id>; primary key
  std::string key_id;       // uuid
  std::string region;
  std::string account_id;
  std::string description;
  std::string key_usage = "ENCRYPT_DECRYPT";
  std::string key_state = "Enabled";
  int64_t creation_date = 0;                 // epoch seconds
  std::optional<int64_t> deletion_date;      // PendingDeletion only
  std::optional<int64_t> pending_window_days;
  bool rotation_enabled = false;
  int64_t rotation_period_days = 365;
  std::optional<int64_t> rotation_enabled_at;
  std::string policy;                        // key policy document, as stored
  std::string sealed_material;               // Sealer::Seal(material, arn)
};

struct AliasRecord {
  std::string account_id;
  std::string region;
  std::string alias_name;  // alias/...
  std::string target_key_arn;
  int64_t creation_date = 0;
  int64_t last_updated = 0;
};

using Tag = std::pair<std::string, std::string>;  // TagKey, TagValue

class KeyStore {
 public:
  // Creates the tables if needed; a failure is kept and returned by every call.
  explicit KeyStore(catalog::Db& db);
  KeyStore(const KeyStore&) = delete;
  KeyStore& operator=(const KeyStore&) = delete;

  const Status& init_status() const { return init_; }

  Status InsertKey(const KeyRecord& key, const std::vector<Tag>& tags);
  Result<std::optional<KeyRecord>> FindKeyByArn(const std::string& arn);
  // Any account's key with this id in `region`.
  Result<std::optional<KeyRecord>> FindKeyById(const std::string& region, const std::string& key_id);
  // Keys of (account, region) ordered by key_id, ids > after, at most limit.
  Result<std::vector<KeyRecord>> ListKeys(const std::string& account_id, const std::string& region,
                                          const std::string& after, int64_t limit);
  Status UpdateState(const std::string& arn, const std::string& state,
                     std::optional<int64_t> deletion_date, std::optional<int64_t> window_days);
  Status UpdateRotation(const std::string& arn, bool enabled, int64_t period_days,
                        std::optional<int64_t> enabled_at);
  Status UpdatePolicy(const std::string& arn, const std::string& policy);
  // Deletes keys pending deletion whose deletion date is <= now, with their
  // aliases and tags. Returns how many keys went.
  Result<int64_t> PurgeExpired(int64_t now);

  Result<std::optional<AliasRecord>> FindAlias(const std::string& account_id,
                                               const std::string& region,
                                               const std::string& alias_name);
  // AlreadyExistsException if the name is taken in (account, region).
  Status InsertAlias(const AliasRecord& alias);
  // NotFoundException unless it exists.
  Status RetargetAlias(const std::string& account_id, const std::string& region,
                       const std::string& alias_name, const std::string& target_key_arn,
                       int64_t now);
  Status DeleteAlias(const std::string& account_id, const std::string& region,
                     const std::string& alias_name);
  // Aliases of (account, region), optionally only those of one key, ordered by name.
  Result<std::vector<AliasRecord>> ListAliases(const std::string& account_id,
                                               const std::string& region,
                                               const std::optional<std::string>& target_key_arn,
                                               const std::string& after, int64_t limit);

  // Upserts tags (a Transaction).
  Status PutTags(const std::string& key_arn, const std::vector<Tag>& tags);
  Status RemoveTags(const std::string& key_arn, const std::vector<std::string>& tag_keys);
  Result<std::vector<Tag>> ListTags(const std::string& key_arn, const std::string& after,
                                    int64_t limit);

 private:
  catalog::Db& db_;
  Status init_;
};

}  // namespace orgtrail::kms
