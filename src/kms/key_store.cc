#include "kms/key_store.h"

namespace orgtrail::kms {
namespace {

using catalog::AsInt;
using catalog::AsString;
using catalog::Row;
using catalog::Value;

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS kms_keys (
  arn TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  region TEXT NOT NULL,
  account_id TEXT NOT NULL,
  description TEXT NOT NULL,
  key_usage TEXT NOT NULL,
  key_state TEXT NOT NULL,
  creation_date INTEGER NOT NULL,
  deletion_date INTEGER,
  pending_window_days INTEGER,
  rotation_enabled INTEGER NOT NULL,
  rotation_period_days INTEGER NOT NULL,
  rotation_enabled_at INTEGER,
  policy TEXT NOT NULL,
  material BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS kms_keys_by_id ON kms_keys(region, key_id);
CREATE INDEX IF NOT EXISTS kms_keys_by_owner ON kms_keys(account_id, region, key_id);
CREATE TABLE IF NOT EXISTS kms_aliases (
  account_id TEXT NOT NULL,
  region TEXT NOT NULL,
  alias_name TEXT NOT NULL,
  target_key_arn TEXT NOT NULL,
  creation_date INTEGER NOT NULL,
  last_updated INTEGER NOT NULL,
  PRIMARY KEY (account_id, region, alias_name)
);
CREATE INDEX IF NOT EXISTS kms_aliases_by_key ON kms_aliases(target_key_arn);
CREATE TABLE IF NOT EXISTS kms_tags (
  key_arn TEXT NOT NULL,
  tag_key TEXT NOT NULL,
  tag_value TEXT NOT NULL,
  PRIMARY KEY (key_arn, tag_key)
);
)sql";

constexpr char kKeyColumns[] =
    "arn, key_id, region, account_id, description, key_usage, key_state, creation_date, "
    "deletion_date, pending_window_days, rotation_enabled, rotation_period_days, "
    "rotation_enabled_at, policy, material";

Value Opt(const std::optional<int64_t>& v) {
  if (v) return *v;
  return nullptr;
}

std::optional<int64_t> OptInt(const Value& v) {
  if (std::holds_alternative<std::nullptr_t>(v)) return std::nullopt;
  return AsInt(v);
}

KeyRecord KeyFromRow(const Row& r) {
  KeyRecord k;
  k.arn = AsString(r[0]);
  k.key_id = AsString(r[1]);
  k.region = AsString(r[2]);
  k.account_id = AsString(r[3]);
  k.description = AsString(r[4]);
  k.key_usage = AsString(r[5]);
  k.key_state = AsString(r[6]);
  k.creation_date = AsInt(r[7]);
  k.deletion_date = OptInt(r[8]);
  k.pending_window_days = OptInt(r[9]);
  k.rotation_enabled = AsInt(r[10]) != 0;
  k.rotation_period_days = AsInt(r[11]);
  k.rotation_enabled_at = OptInt(r[12]);
  k.policy = AsString(r[13]);
  k.sealed_material = AsString(r[14]);
  return k;
}

AliasRecord AliasFromRow(const Row& r) {
  AliasRecord a;
  a.account_id = AsString(r[0]);
  a.region = AsString(r[1]);
  a.alias_name = AsString(r[2]);
  a.target_key_arn = AsString(r[3]);
  a.creation_date = AsInt(r[4]);
  a.last_updated = AsInt(r[5]);
  return a;
}

constexpr char kAliasColumns[] =
    "account_id, region, alias_name, target_key_arn, creation_date, last_updated";

Result<std::optional<KeyRecord>> OneKey(catalog::Db& db, const std::string& where,
                                        const std::vector<Value>& params) {
  OT_ASSIGN_OR_RETURN(auto rows, db.Query(std::string("SELECT ") + kKeyColumns +
                                              " FROM kms_keys WHERE " + where + " LIMIT 1",
                                          params));
  if (rows.empty()) return std::optional<KeyRecord>();
  return std::optional<KeyRecord>(KeyFromRow(rows[0]));
}

Status UpsertTags(catalog::Db& db, const std::string& key_arn, const std::vector<Tag>& tags) {
  for (const auto& [k, v] : tags) {
    OT_ASSIGN_OR_RETURN(auto n, db.Exec("INSERT INTO kms_tags(key_arn, tag_key, tag_value) "
                                        "VALUES(?1, ?2, ?3) ON CONFLICT(key_arn, tag_key) "
                                        "DO UPDATE SET tag_value = excluded.tag_value",
                                        {key_arn, k, v}));
    (void)n;
  }
  return Status::Ok();
}

}  // namespace

KeyStore::KeyStore(catalog::Db& db) : db_(db), init_(db.ExecScript(kSchema)) {}

Status KeyStore::InsertKey(const KeyRecord& k, const std::vector<Tag>& tags) {
  OT_RETURN_IF_ERROR(init_);
  catalog::Transaction tx(db_);
  OT_ASSIGN_OR_RETURN(
      auto n,
      db_.Exec(std::string("INSERT INTO kms_keys(") + kKeyColumns +
                   ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
               {k.arn, k.key_id, k.region, k.account_id, k.description, k.key_usage, k.key_state,
                k.creation_date, Opt(k.deletion_date), Opt(k.pending_window_days),
                static_cast<int64_t>(k.rotation_enabled), k.rotation_period_days,
                Opt(k.rotation_enabled_at), k.policy, k.sealed_material}));
  (void)n;
  OT_RETURN_IF_ERROR(UpsertTags(db_, k.arn, tags));
  return tx.Commit();
}

Result<std::optional<KeyRecord>> KeyStore::FindKeyByArn(const std::string& arn) {
  OT_RETURN_IF_ERROR(init_);
  return OneKey(db_, "arn = ?1", {arn});
}

Result<std::optional<KeyRecord>> KeyStore::FindKeyById(const std::string& region,
                                                       const std::string& key_id) {
  OT_RETURN_IF_ERROR(init_);
  return OneKey(db_, "region = ?1 AND key_id = ?2", {region, key_id});
}

Result<std::vector<KeyRecord>> KeyStore::ListKeys(const std::string& account_id,
                                                  const std::string& region,
                                                  const std::string& after, int64_t limit) {
  OT_RETURN_IF_ERROR(init_);
  OT_ASSIGN_OR_RETURN(auto rows,
                      db_.Query(std::string("SELECT ") + kKeyColumns +
                                    " FROM kms_keys WHERE account_id = ?1 AND region = ?2 AND "
                                    "key_id > ?3 ORDER BY key_id LIMIT ?4",
                                {account_id, region, after, limit}));
  std::vector<KeyRecord> out;
  for (const auto& r : rows) out.push_back(KeyFromRow(r));
  return out;
}

Status KeyStore::UpdateState(const std::string& arn, const std::string& state,
                             std::optional<int64_t> deletion_date,
                             std::optional<int64_t> window_days) {
  OT_RETURN_IF_ERROR(init_);
  OT_ASSIGN_OR_RETURN(auto n, db_.Exec("UPDATE kms_keys SET key_state = ?2, deletion_date = ?3, "
                                       "pending_window_days = ?4 WHERE arn = ?1",
                                       {arn, state, Opt(deletion_date), Opt(window_days)}));
  if (n != 1) return Status::Error("NotFoundException", "Key '" + arn + "' does not exist");
  return Status::Ok();
}

Status KeyStore::UpdateRotation(const std::string& arn, bool enabled, int64_t period_days,
                                std::optional<int64_t> enabled_at) {
  OT_RETURN_IF_ERROR(init_);
  OT_ASSIGN_OR_RETURN(auto n,
                      db_.Exec("UPDATE kms_keys SET rotation_enabled = ?2, "
                               "rotation_period_days = ?3, rotation_enabled_at = ?4 WHERE arn = ?1",
                               {arn, static_cast<int64_t>(enabled), period_days, Opt(enabled_at)}));
  if (n != 1) return Status::Error("NotFoundException", "Key '" + arn + "' does not exist");
  return Status::Ok();
}

Status KeyStore::UpdatePolicy(const std::string& arn, const std::string& policy) {
  OT_RETURN_IF_ERROR(init_);
  OT_ASSIGN_OR_RETURN(auto n,
                      db_.Exec("UPDATE kms_keys SET policy = ?2 WHERE arn = ?1", {arn, policy}));
  if (n != 1) return Status::Error("NotFoundException", "Key '" + arn + "' does not exist");
  return Status::Ok();
}

Result<int64_t> KeyStore::PurgeExpired(int64_t now) {
  OT_RETURN_IF_ERROR(init_);
  const std::string pending = "PendingDeletion";
  OT_ASSIGN_OR_RETURN(auto due,
                      db_.Query("SELECT 1 FROM kms_keys WHERE key_state = ?1 AND "
                                "deletion_date <= ?2 LIMIT 1",
                                {pending, now}));
  if (due.empty()) return int64_t{0};
  catalog::Transaction tx(db_);
  const char* kDoomed =
      "(SELECT arn FROM kms_keys WHERE key_state = ?1 AND deletion_date <= ?2)";
  OT_ASSIGN_OR_RETURN(auto a, db_.Exec(std::string("DELETE FROM kms_aliases WHERE "
                                                   "target_key_arn IN ") + kDoomed,
                                       {pending, now}));
  OT_ASSIGN_OR_RETURN(auto t, db_.Exec(std::string("DELETE FROM kms_tags WHERE key_arn IN ") +
                                           kDoomed,
                                       {pending, now}));
  (void)a;
  (void)t;
  OT_ASSIGN_OR_RETURN(auto n, db_.Exec("DELETE FROM kms_keys WHERE key_state = ?1 AND "
                                       "deletion_date <= ?2",
                                       {pending, now}));
  OT_RETURN_IF_ERROR(tx.Commit());
  return n;
}

Result<std::optional<AliasRecord>> KeyStore::FindAlias(const std::string& account_id,
                                                       const std::string& region,
                                                       const std::string& alias_name) {
  OT_RETURN_IF_ERROR(init_);
  OT_ASSIGN_OR_RETURN(auto rows,
                      db_.Query(std::string("SELECT ") + kAliasColumns +
                                    " FROM kms_aliases WHERE account_id = ?1 AND region = ?2 "
                                    "AND alias_name = ?3",
                                {account_id, region, alias_name}));
  if (rows.empty()) return std::optional<AliasRecord>();
  return std::optional<AliasRecord>(AliasFromRow(rows[0]));
}

Status KeyStore::InsertAlias(const AliasRecord& a) {
  OT_RETURN_IF_ERROR(init_);
  catalog::Transaction tx(db_);
  OT_ASSIGN_OR_RETURN(auto existing, FindAlias(a.account_id, a.region, a.alias_name));
  if (existing)
    return Status::Error("AlreadyExistsException",
                         "An alias with the name arn:aws:kms:" + a.region + ":" + a.account_id +
                             ":" + a.alias_name + " already exists");
  OT_ASSIGN_OR_RETURN(auto n, db_.Exec(std::string("INSERT INTO kms_aliases(") + kAliasColumns +
                                           ") VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
                                       {a.account_id, a.region, a.alias_name, a.target_key_arn,
                                        a.creation_date, a.last_updated}));
  (void)n;
  return tx.Commit();
}

Status KeyStore::RetargetAlias(const std::string& account_id, const std::string& region,
                               const std::string& alias_name, const std::string& target_key_arn,
                               int64_t now) {
  OT_RETURN_IF_ERROR(init_);
  OT_ASSIGN_OR_RETURN(auto n, db_.Exec("UPDATE kms_aliases SET target_key_arn = ?4, "
                                       "last_updated = ?5 WHERE account_id = ?1 AND region = ?2 "
                                       "AND alias_name = ?3",
                                       {account_id, region, alias_name, target_key_arn, now}));
  if (n != 1)
    return Status::Error("NotFoundException", "Alias arn:aws:kms:" + region + ":" + account_id +
                                                  ":" + alias_name + " is not found.");
  return Status::Ok();
}

Status KeyStore::DeleteAlias(const std::string& account_id, const std::string& region,
                             const std::string& alias_name) {
  OT_RETURN_IF_ERROR(init_);
  OT_ASSIGN_OR_RETURN(auto n, db_.Exec("DELETE FROM kms_aliases WHERE account_id = ?1 AND "
                                       "region = ?2 AND alias_name = ?3",
                                       {account_id, region, alias_name}));
  if (n != 1)
    return Status::Error("NotFoundException", "Alias arn:aws:kms:" + region + ":" + account_id +
                                                  ":" + alias_name + " is not found.");
  return Status::Ok();
}

Result<std::vector<AliasRecord>> KeyStore::ListAliases(
    const std::string& account_id, const std::string& region,
    const std::optional<std::string>& target_key_arn, const std::string& after, int64_t limit) {
  OT_RETURN_IF_ERROR(init_);
  std::string sql = std::string("SELECT ") + kAliasColumns +
                    " FROM kms_aliases WHERE account_id = ?1 AND region = ?2 AND alias_name > ?3";
  std::vector<Value> params = {account_id, region, after, limit};
  if (target_key_arn) {
    sql += " AND target_key_arn = ?5";
    params.push_back(*target_key_arn);
  }
  sql += " ORDER BY alias_name LIMIT ?4";
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query(sql, params));
  std::vector<AliasRecord> out;
  for (const auto& r : rows) out.push_back(AliasFromRow(r));
  return out;
}

Status KeyStore::PutTags(const std::string& key_arn, const std::vector<Tag>& tags) {
  OT_RETURN_IF_ERROR(init_);
  catalog::Transaction tx(db_);
  OT_RETURN_IF_ERROR(UpsertTags(db_, key_arn, tags));
  return tx.Commit();
}

Status KeyStore::RemoveTags(const std::string& key_arn, const std::vector<std::string>& tag_keys) {
  OT_RETURN_IF_ERROR(init_);
  catalog::Transaction tx(db_);
  for (const auto& k : tag_keys) {
    OT_ASSIGN_OR_RETURN(auto n, db_.Exec("DELETE FROM kms_tags WHERE key_arn = ?1 AND tag_key = ?2",
                                         {key_arn, k}));
    (void)n;
  }
  return tx.Commit();
}

Result<std::vector<Tag>> KeyStore::ListTags(const std::string& key_arn, const std::string& after,
                                            int64_t limit) {
  OT_RETURN_IF_ERROR(init_);
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT tag_key, tag_value FROM kms_tags WHERE "
                                           "key_arn = ?1 AND tag_key > ?2 ORDER BY tag_key "
                                           "LIMIT ?3",
                                           {key_arn, after, limit}));
  std::vector<Tag> out;
  for (const auto& r : rows) out.emplace_back(AsString(r[0]), AsString(r[1]));
  return out;
}

}  // namespace orgtrail::kms
