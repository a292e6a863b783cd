#include "s3/bucket_store.h"

namespace orgtrail::s3 {

using catalog::AsInt;
using catalog::AsString;
using catalog::Value;

namespace {
Status NoSuchBucket() {
  return Status::Error("NoSuchBucket", "The specified bucket does not exist", 404);
}
int64_t Nanos(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
}  // namespace

Result<std::unique_ptr<BucketStore>> BucketStore::Open(catalog::Db& db) {
  OT_RETURN_IF_ERROR(db.ExecScript(
      "CREATE TABLE IF NOT EXISTS s3_buckets(name TEXT PRIMARY KEY, owner_account TEXT NOT NULL,"
      " region TEXT NOT NULL, created_ns INTEGER NOT NULL, versioning TEXT NOT NULL DEFAULT '');"
      "CREATE INDEX IF NOT EXISTS s3_buckets_by_owner ON s3_buckets(owner_account, name);"
      "CREATE TABLE IF NOT EXISTS s3_bucket_config(bucket TEXT NOT NULL, what TEXT NOT NULL,"
      " doc TEXT NOT NULL, PRIMARY KEY(bucket, what));"));
  return std::unique_ptr<BucketStore>(new BucketStore(db));
}

Status BucketStore::Create(const BucketInfo& info) {
  catalog::Transaction txn(db_);
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT owner_account FROM s3_buckets WHERE name=?1",
                                           {Value(info.name)}));
  if (!rows.empty()) {
    if (AsString(rows[0][0]) == info.owner_account) {
      return Status::Error("BucketAlreadyOwnedByYou",
                           "Your previous request to create the named bucket succeeded and you "
                           "already own it.",
                           409);
    }
    return Status::Error("BucketAlreadyExists",
                         "The requested bucket name is not available. The bucket namespace is "
                         "shared by all users of the system. Please select a different name and "
                         "try again.",
                         409);
  }
  OT_RETURN_IF_ERROR(db_.Exec(
                            "INSERT INTO s3_buckets(name, owner_account, region, created_ns,"
                            " versioning) VALUES(?1, ?2, ?3, ?4, ?5)",
                            {Value(info.name), Value(info.owner_account), Value(info.region),
                             Value(Nanos(info.created)), Value(info.versioning)})
                         .status());
  return txn.Commit();
}

namespace {
BucketInfo FromRow(const catalog::Row& r) {
  BucketInfo b;
  b.name = AsString(r[0]);
  b.owner_account = AsString(r[1]);
  b.region = AsString(r[2]);
  b.created = TimePoint(std::chrono::duration_cast<TimePoint::duration>(
      std::chrono::nanoseconds(AsInt(r[3]))));
  b.versioning = AsString(r[4]);
  return b;
}
}  // namespace

Result<BucketInfo> BucketStore::Get(const std::string& name) {
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT name, owner_account, region, created_ns,"
                                           " versioning FROM s3_buckets WHERE name=?1",
                                           {Value(name)}));
  if (rows.empty()) return NoSuchBucket();
  return FromRow(rows[0]);
}

Status BucketStore::Delete(const std::string& name) {
  catalog::Transaction txn(db_);
  OT_ASSIGN_OR_RETURN(int64_t n, db_.Exec("DELETE FROM s3_buckets WHERE name=?1", {Value(name)}));
  if (n == 0) return NoSuchBucket();
  OT_RETURN_IF_ERROR(db_.Exec("DELETE FROM s3_bucket_config WHERE bucket=?1", {Value(name)}).status());
  return txn.Commit();
}

Result<std::vector<BucketInfo>> BucketStore::ListOwnedBy(const std::string& account) {
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT name, owner_account, region, created_ns,"
                                           " versioning FROM s3_buckets WHERE owner_account=?1"
                                           " ORDER BY name",
                                           {Value(account)}));
  std::vector<BucketInfo> out;
  for (const auto& r : rows) out.push_back(FromRow(r));
  return out;
}

Status BucketStore::SetVersioning(const std::string& name, const std::string& status) {
  OT_ASSIGN_OR_RETURN(int64_t n, db_.Exec("UPDATE s3_buckets SET versioning=?2 WHERE name=?1",
                                          {Value(name), Value(status)}));
  return n == 0 ? NoSuchBucket() : Status::Ok();
}

Result<std::optional<std::string>> BucketStore::GetConfig(const std::string& bucket,
                                                          const std::string& what) {
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT doc FROM s3_bucket_config WHERE bucket=?1"
                                           " AND what=?2",
                                           {Value(bucket), Value(what)}));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(AsString(rows[0][0]));
}

Status BucketStore::PutConfig(const std::string& bucket, const std::string& what,
                              const std::string& doc) {
  return db_.Exec("INSERT OR REPLACE INTO s3_bucket_config(bucket, what, doc) VALUES(?1, ?2, ?3)",
                  {Value(bucket), Value(what), Value(doc)})
      .status();
}

Status BucketStore::DeleteConfig(const std::string& bucket, const std::string& what) {
  return db_.Exec("DELETE FROM s3_bucket_config WHERE bucket=?1 AND what=?2",
                  {Value(bucket), Value(what)})
      .status();
}

}  // namespace orgtrail::s3
