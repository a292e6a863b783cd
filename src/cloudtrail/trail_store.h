// TrailStore: the CloudTrail tables in the shared catalog (cloudtrail_trails,
// cloudtrail_tags) and the typed row CloudTrailService works with. It knows
// nothing about visibility, organizations or validation. Called by
// CloudTrailService only. Thread-safe (every method is one statement or one
// catalog::Transaction).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "catalog/db.h"
#include "cloudtrail/trail_rules.h"

namespace orgtrail::cloudtrail {

// One trail, keyed by its ARN. Times are epoch seconds; 0 means "never".
struct TrailRecord {
  std::string arn;  // arn:aws:cloudtrail:<home>:<owner>:trail/<name>
  std::string name;
  std::string owner_account;  // the management account for organization trails
  std::string home_region;
  std::string bucket;
  std::string prefix;       // "" = none
  std::string kms_key_arn;  // "" = SSE-S3
  bool include_global = true;
  bool multi_region = false;
  bool log_file_validation = false;
  bool org_trail = false;
  std::string org_id;  // set for organization trails
  bool has_custom_selectors = false;
  bool advanced_selectors = false;
  std::string selectors_json = "[]";  // normalised, see event_selectors.h
  int64_t created = 0;

  // Status (GetTrailStatus).
  bool is_logging = false;
  int64_t start_logging_time = 0;
  int64_t stop_logging_time = 0;
  int64_t latest_delivery_time = 0;
  std::string latest_delivery_error;
  int64_t latest_delivery_attempt_time = 0;
  int64_t latest_delivery_attempt_succeeded = 0;
  int64_t latest_digest_delivery_time = 0;
  std::string latest_digest_delivery_error;
};

class TrailStore {
 public:
  // Creates the tables if needed; a failure is kept and returned by every call.
  explicit TrailStore(catalog::Db& db);
  TrailStore(const TrailStore&) = delete;
  TrailStore& operator=(const TrailStore&) = delete;

  const Status& init_status() const { return init_; }

  // Inserts a new trail with its tags (one transaction).
  Status Insert(const TrailRecord& trail, const std::vector<Tag>& tags);
  // Overwrites every column of the trail `trail.arn`.
  Status Update(const TrailRecord& trail);
  // Removes the trail and its tags.
  Status Delete(const std::string& arn);

  Result<std::optional<TrailRecord>> FindByArn(const std::string& arn);
  // Every trail `account` owns, in every region.
  Result<std::vector<TrailRecord>> ListOwnedBy(const std::string& account);
  // Every organization trail.
  Result<std::vector<TrailRecord>> ListOrgTrails();
  // Every trail whose logging is on.
  Result<std::vector<TrailRecord>> ListLogging();

  Result<std::vector<Tag>> Tags(const std::string& arn);
  // Sets (inserts or overwrites) tags; fails with TagsLimitExceededException
  // when the trail would end up with more than 50.
  Status AddTags(const std::string& arn, const std::vector<Tag>& tags);
  Status RemoveTags(const std::string& arn, const std::vector<Tag>& tags);

 private:
  Result<std::vector<TrailRecord>> Select(const std::string& where,
                                          const std::vector<catalog::Value>& params);

  catalog::Db& db_;
  Status init_;
};

}  // namespace orgtrail::cloudtrail
