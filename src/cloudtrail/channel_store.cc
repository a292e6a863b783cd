#include "cloudtrail/channel_store.h"

#include "base/scope_exit.h"

namespace orgtrail::cloudtrail {
namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS cloudtrail_channels (
  arn TEXT PRIMARY KEY,
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  owner_account TEXT NOT NULL,
  region TEXT NOT NULL,
  source TEXT NOT NULL,
  destinations_json TEXT NOT NULL,
  created INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS cloudtrail_channels_owner
  ON cloudtrail_channels(owner_account, region);
CREATE TABLE IF NOT EXISTS cloudtrail_channel_tags (
  arn TEXT NOT NULL,
  tag_key TEXT NOT NULL,
  tag_value TEXT NOT NULL,
  PRIMARY KEY (arn, tag_key)
);
)sql";

constexpr char kColumns[] =
    "arn, id, name, owner_account, region, source, destinations_json, created";

ChannelRecord FromRow(const catalog::Row& r) {
  using catalog::AsInt;
  using catalog::AsString;
  ChannelRecord c;
  c.arn = AsString(r[0]);
  c.id = AsString(r[1]);
  c.name = AsString(r[2]);
  c.owner_account = AsString(r[3]);
  c.region = AsString(r[4]);
  c.source = AsString(r[5]);
  c.destinations_json = AsString(r[6]);
  c.created = AsInt(r[7]);
  return c;
}

}  // namespace

ChannelStore::ChannelStore(catalog::Db& db) : db_(db) { init_ = db_.ExecScript(kSchema); }

void ChannelStore::Forget() {
  std::lock_guard<std::mutex> lock(cache_mu_);
  ++generation_;
  by_arn_.clear();
}

Status ChannelStore::Insert(const ChannelRecord& c, const std::vector<Tag>& tags) {
  OT_RETURN_IF_ERROR(init_);
  ScopeExit forget([this] { Forget(); });
  catalog::Transaction txn(db_);
  OT_RETURN_IF_ERROR(db_.Exec(std::string("INSERT INTO cloudtrail_channels (") + kColumns +
                                  ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                              {c.arn, c.id, c.name, c.owner_account, c.region, c.source,
                               c.destinations_json, c.created})
                         .status());
  for (const auto& [k, v] : tags) {
    OT_RETURN_IF_ERROR(
        db_.Exec("INSERT OR REPLACE INTO cloudtrail_channel_tags (arn, tag_key, tag_value) "
                 "VALUES (?1, ?2, ?3)",
                 {c.arn, k, v})
            .status());
  }
  return txn.Commit();
}

Status ChannelStore::Update(const ChannelRecord& c) {
  OT_RETURN_IF_ERROR(init_);
  ScopeExit forget([this] { Forget(); });
  return db_
      .Exec("UPDATE cloudtrail_channels SET name = ?2, destinations_json = ?3 WHERE arn = ?1",
            {c.arn, c.name, c.destinations_json})
      .status();
}

Status ChannelStore::Delete(const std::string& arn) {
  OT_RETURN_IF_ERROR(init_);
  ScopeExit forget([this] { Forget(); });
  catalog::Transaction txn(db_);
  OT_RETURN_IF_ERROR(db_.Exec("DELETE FROM cloudtrail_channels WHERE arn = ?1", {arn}).status());
  OT_RETURN_IF_ERROR(
      db_.Exec("DELETE FROM cloudtrail_channel_tags WHERE arn = ?1", {arn}).status());
  return txn.Commit();
}

Result<std::vector<ChannelRecord>> ChannelStore::Select(const std::string& where,
                                                        const std::vector<catalog::Value>& params) {
  OT_RETURN_IF_ERROR(init_);
  OT_ASSIGN_OR_RETURN(
      auto rows, db_.Query(std::string("SELECT ") + kColumns + " FROM cloudtrail_channels WHERE " +
                               where + " ORDER BY arn",
                           params));
  std::vector<ChannelRecord> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(FromRow(r));
  return out;
}

Result<std::optional<ChannelRecord>> ChannelStore::FindByArn(const std::string& arn) {
  uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = by_arn_.find(arn);
    if (it != by_arn_.end()) return std::optional<ChannelRecord>(it->second);
    generation = generation_;
  }
  OT_ASSIGN_OR_RETURN(auto rows, Select("arn = ?1", {arn}));
  if (rows.empty()) return std::optional<ChannelRecord>();
  ChannelRecord found = std::move(rows.front());
  std::lock_guard<std::mutex> lock(cache_mu_);
  // Only channels that exist are kept (lookups of made-up ARNs must not grow
  // it), and no more than a generous account quota's worth.
  if (generation == generation_ && by_arn_.size() < kMaxCachedChannels) by_arn_.emplace(arn, found);
  return std::optional<ChannelRecord>(std::move(found));
}

Result<std::vector<ChannelRecord>> ChannelStore::ListOwnedBy(const std::string& account,
                                                             const std::string& region) {
  return Select("owner_account = ?1 AND region = ?2", {account, region});
}

Result<std::vector<Tag>> ChannelStore::Tags(const std::string& arn) {
  OT_RETURN_IF_ERROR(init_);
  OT_ASSIGN_OR_RETURN(auto rows,
                      db_.Query("SELECT tag_key, tag_value FROM cloudtrail_channel_tags WHERE "
                                "arn = ?1 ORDER BY tag_key",
                                {arn}));
  std::vector<Tag> out;
  for (const auto& r : rows) out.emplace_back(catalog::AsString(r[0]), catalog::AsString(r[1]));
  return out;
}

}  // namespace orgtrail::cloudtrail
