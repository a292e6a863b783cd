#include "cloudtrail/trail_store.h"

namespace orgtrail::cloudtrail {
namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS cloudtrail_trails (
  arn TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  owner_account TEXT NOT NULL,
  home_region TEXT NOT NULL,
  bucket TEXT NOT NULL,
  prefix TEXT NOT NULL,
  kms_key_arn TEXT NOT NULL,
  include_global INTEGER NOT NULL,
  multi_region INTEGER NOT NULL,
  log_file_validation INTEGER NOT NULL,
  org_trail INTEGER NOT NULL,
  org_id TEXT NOT NULL,
  has_custom_selectors INTEGER NOT NULL,
  advanced_selectors INTEGER NOT NULL,
  selectors_json TEXT NOT NULL,
  created INTEGER NOT NULL,
  is_logging INTEGER NOT NULL,
  start_logging_time INTEGER NOT NULL,
  stop_logging_time INTEGER NOT NULL,
  latest_delivery_time INTEGER NOT NULL,
  latest_delivery_error TEXT NOT NULL,
  latest_delivery_attempt_time INTEGER NOT NULL,
  latest_delivery_attempt_succeeded INTEGER NOT NULL,
  latest_digest_delivery_time INTEGER NOT NULL,
  latest_digest_delivery_error TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cloudtrail_trails_owner ON cloudtrail_trails(owner_account);
CREATE TABLE IF NOT EXISTS cloudtrail_tags (
  arn TEXT NOT NULL,
  tag_key TEXT NOT NULL,
  tag_value TEXT NOT NULL,
  PRIMARY KEY (arn, tag_key)
);
)sql";

constexpr char kColumns[] =
    "arn, name, owner_account, home_region, bucket, prefix, kms_key_arn, include_global, "
    "multi_region, log_file_validation, org_trail, org_id, has_custom_selectors, "
    "advanced_selectors, selectors_json, created, is_logging, start_logging_time, "
    "stop_logging_time, latest_delivery_time, latest_delivery_error, "
    "latest_delivery_attempt_time, latest_delivery_attempt_succeeded, "
    "latest_digest_delivery_time, latest_digest_delivery_error";

std::vector<catalog::Value> ToParams(const TrailRecord& t) {
  auto b = [](bool v) { return catalog::Value(int64_t{v ? 1 : 0}); };
  return {t.arn,
          t.name,
          t.owner_account,
          t.home_region,
          t.bucket,
          t.prefix,
          t.kms_key_arn,
          b(t.include_global),
          b(t.multi_region),
          b(t.log_file_validation),
          b(t.org_trail),
          t.org_id,
          b(t.has_custom_selectors),
          b(t.advanced_selectors),
          t.selectors_json,
          t.created,
          b(t.is_logging),
          t.start_logging_time,
          t.stop_logging_time,
          t.latest_delivery_time,
          t.latest_delivery_error,
          t.latest_delivery_attempt_time,
          t.latest_delivery_attempt_succeeded,
          t.latest_digest_delivery_time,
          t.latest_digest_delivery_error};
}

TrailRecord FromRow(const catalog::Row& r) {
  using catalog::AsInt;
  using catalog::AsString;
  TrailRecord t;
  size_t i = 0;
  t.arn = AsString(r[i++]);
  t.name = AsString(r[i++]);
  t.owner_account = AsString(r[i++]);
  t.home_region = AsString(r[i++]);
  t.bucket = AsString(r[i++]);
  t.prefix = AsString(r[i++]);
  t.kms_key_arn = AsString(r[i++]);
  t.include_global = AsInt(r[i++]) != 0;
  t.multi_region = AsInt(r[i++]) != 0;
  t.log_file_validation = AsInt(r[i++]) != 0;
  t.org_trail = AsInt(r[i++]) != 0;
  t.org_id = AsString(r[i++]);
  t.has_custom_selectors = AsInt(r[i++]) != 0;
  t.advanced_selectors = AsInt(r[i++]) != 0;
  t.selectors_json = AsString(r[i++]);
  t.created = AsInt(r[i++]);
  t.is_logging = AsInt(r[i++]) != 0;
  t.start_logging_time = AsInt(r[i++]);
  t.stop_logging_time = AsInt(r[i++]);
  t.latest_delivery_time = AsInt(r[i++]);
  t.latest_delivery_error = AsString(r[i++]);
  t.latest_delivery_attempt_time = AsInt(r[i++]);
  t.latest_delivery_attempt_succeeded = AsInt(r[i++]);
  t.latest_digest_delivery_time = AsInt(r[i++]);
  t.latest_digest_delivery_error = AsString(r[i++]);
  return t;
}

}  // namespace

TrailStore::TrailStore(catalog::Db& db) : db_(db) { init_ = db_.ExecScript(kSchema); }

Status TrailStore::Insert(const TrailRecord& trail, const std::vector<Tag>& tags) {
  OT_RETURN_IF_ERROR(init_);
  catalog::Transaction txn(db_);
  std::string placeholders;
  auto params = ToParams(trail);
  for (size_t i = 1; i <= params.size(); ++i)
    placeholders += (i > 1 ? ", ?" : "?") + std::to_string(i);
  OT_RETURN_IF_ERROR(db_.Exec(std::string("INSERT INTO cloudtrail_trails (") + kColumns +
                                  ") VALUES (" + placeholders + ")",
                              params)
                         .status());
  for (const auto& [k, v] : tags) {
    OT_RETURN_IF_ERROR(db_.Exec("INSERT OR REPLACE INTO cloudtrail_tags (arn, tag_key, tag_value) "
                                "VALUES (?1, ?2, ?3)",
                                {trail.arn, k, v})
                           .status());
  }
  return txn.Commit();
}

Status TrailStore::Update(const TrailRecord& trail) {
  OT_RETURN_IF_ERROR(init_);
  // Replace the whole row; the primary key (arn) never changes.
  catalog::Transaction txn(db_);
  OT_RETURN_IF_ERROR(
      db_.Exec("DELETE FROM cloudtrail_trails WHERE arn = ?1", {trail.arn}).status());
  auto params = ToParams(trail);
  std::string placeholders;
  for (size_t i = 1; i <= params.size(); ++i)
    placeholders += (i > 1 ? ", ?" : "?") + std::to_string(i);
  OT_RETURN_IF_ERROR(db_.Exec(std::string("INSERT INTO cloudtrail_trails (") + kColumns +
                                  ") VALUES (" + placeholders + ")",
                              params)
                         .status());
  return txn.Commit();
}

Status TrailStore::Delete(const std::string& arn) {
  OT_RETURN_IF_ERROR(init_);
  catalog::Transaction txn(db_);
  OT_RETURN_IF_ERROR(db_.Exec("DELETE FROM cloudtrail_trails WHERE arn = ?1", {arn}).status());
  OT_RETURN_IF_ERROR(db_.Exec("DELETE FROM cloudtrail_tags WHERE arn = ?1", {arn}).status());
  return txn.Commit();
}

Result<std::vector<TrailRecord>> TrailStore::Select(const std::string& where,
                                                    const std::vector<catalog::Value>& params) {
  OT_RETURN_IF_ERROR(init_);
  OT_ASSIGN_OR_RETURN(
      auto rows, db_.Query(std::string("SELECT ") + kColumns + " FROM cloudtrail_trails WHERE " +
                               where + " ORDER BY home_region, name, arn",
                           params));
  std::vector<TrailRecord> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(FromRow(r));
  return out;
}

Result<std::optional<TrailRecord>> TrailStore::FindByArn(const std::string& arn) {
  OT_ASSIGN_OR_RETURN(auto rows, Select("arn = ?1", {arn}));
  if (rows.empty()) return std::optional<TrailRecord>();
  return std::optional<TrailRecord>(std::move(rows.front()));
}

Result<std::vector<TrailRecord>> TrailStore::ListOwnedBy(const std::string& account) {
  return Select("owner_account = ?1", {account});
}

Result<std::vector<TrailRecord>> TrailStore::ListOrgTrails() { return Select("org_trail = 1", {}); }

Result<std::vector<TrailRecord>> TrailStore::ListLogging() { return Select("is_logging = 1", {}); }

Result<std::vector<Tag>> TrailStore::Tags(const std::string& arn) {
  OT_RETURN_IF_ERROR(init_);
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT tag_key, tag_value FROM cloudtrail_tags WHERE "
                                           "arn = ?1 ORDER BY tag_key",
                                           {arn}));
  std::vector<Tag> out;
  for (const auto& r : rows) out.emplace_back(catalog::AsString(r[0]), catalog::AsString(r[1]));
  return out;
}

Status TrailStore::AddTags(const std::string& arn, const std::vector<Tag>& tags) {
  OT_RETURN_IF_ERROR(init_);
  catalog::Transaction txn(db_);
  for (const auto& [k, v] : tags) {
    OT_RETURN_IF_ERROR(db_.Exec("INSERT OR REPLACE INTO cloudtrail_tags (arn, tag_key, tag_value) "
                                "VALUES (?1, ?2, ?3)",
                                {arn, k, v})
                           .status());
  }
  OT_ASSIGN_OR_RETURN(auto rows,
                      db_.Query("SELECT COUNT(*) FROM cloudtrail_tags WHERE arn = ?1", {arn}));
  if (!rows.empty() && catalog::AsInt(rows[0][0]) > static_cast<int64_t>(kMaxTagsPerTrail))
    return Status::Error("TagsLimitExceededException",
                         "The number of tags exceeds the limit of 50 per trail.");
  return txn.Commit();
}

Status TrailStore::RemoveTags(const std::string& arn, const std::vector<Tag>& tags) {
  OT_RETURN_IF_ERROR(init_);
  catalog::Transaction txn(db_);
  for (const auto& tag : tags) {
    OT_RETURN_IF_ERROR(
        db_.Exec("DELETE FROM cloudtrail_tags WHERE arn = ?1 AND tag_key = ?2", {arn, tag.first})
            .status());
  }
  return txn.Commit();
}

}  // namespace orgtrail::cloudtrail
