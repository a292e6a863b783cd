// ChannelStore: the CloudTrail channel tables in the shared catalog
// (cloudtrail_channels, cloudtrail_channel_tags) and the typed row
// ChannelService works with. Knows nothing about visibility or validation.
// Called by ChannelService only. Thread-safe (every method is one statement
// or one catalog::Transaction).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <string>
#include <vector>

#include "base/status.h"
#include "catalog/db.h"
#include "cloudtrail/trail_rules.h"

namespace orgtrail::cloudtrail {

// One channel, keyed by its ARN
// (arn:aws:cloudtrail:<region>:<owner>:channel/<uuid>).
struct ChannelRecord {
  std::string arn;
  std::string id;  // the <uuid> part of the ARN
  std::string name;
  std::string owner_account;
  std::string region;
  std::string source = "Custom";
  std::string destinations_json = "[]";  // the Destinations list as given
  int64_t created = 0;                   // epoch seconds
};

class ChannelStore {
 public:
  // Creates the tables if needed; a failure is kept and returned by every call.
  explicit ChannelStore(catalog::Db& db);
  ChannelStore(const ChannelStore&) = delete;
  ChannelStore& operator=(const ChannelStore&) = delete;

  // Inserts a new channel with its tags (one transaction).
  Status Insert(const ChannelRecord& channel, const std::vector<Tag>& tags);
  // Overwrites name and destinations of `channel.arn`.
  Status Update(const ChannelRecord& channel);
  // Removes the channel and its tags.
  Status Delete(const std::string& arn);

  // Answers from memory after the first lookup of `arn` (every PutAuditEvents
  // call looks its channel up); any write through this store empties the
  // memory, and a lookup that overlapped a write is not kept.
  Result<std::optional<ChannelRecord>> FindByArn(const std::string& arn);
  // The channels `account` owns in `region`, ordered by ARN.
  Result<std::vector<ChannelRecord>> ListOwnedBy(const std::string& account,
                                                 const std::string& region);
  Result<std::vector<Tag>> Tags(const std::string& arn);

 private:
  Result<std::vector<ChannelRecord>> Select(const std::string& where,
                                            const std::vector<catalog::Value>& params);

  static constexpr size_t kMaxCachedChannels = 4096;
  // Empties the lookup memory when a write ends (whether it succeeded or not).
  void Forget();

  catalog::Db& db_;
  Status init_;
  std::mutex cache_mu_;
  uint64_t generation_ = 0;  // bumped by Forget
  std::unordered_map<std::string, ChannelRecord> by_arn_;  // existing channels only
};

}  // namespace orgtrail::cloudtrail
