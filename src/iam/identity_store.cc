#include "iam/identity_store.h"

#include <chrono>

#include "base/ids.h"
#include "base/strings.h"

namespace orgtrail::iam {
namespace {

using catalog::AsInt;
using catalog::AsString;
using catalog::Row;
using catalog::Value;

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS iam_settings (
  key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS iam_accounts (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, email_key TEXT NOT NULL UNIQUE,
  created INTEGER NOT NULL, status TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS iam_users (
  account TEXT NOT NULL, name_key TEXT NOT NULL, name TEXT NOT NULL, id TEXT NOT NULL UNIQUE,
  arn TEXT NOT NULL, path TEXT NOT NULL, created INTEGER NOT NULL,
  PRIMARY KEY (account, name_key));
CREATE TABLE IF NOT EXISTS iam_access_keys (
  id TEXT PRIMARY KEY, account TEXT NOT NULL, user_key TEXT NOT NULL, user_name TEXT NOT NULL,
  secret_sealed BLOB NOT NULL, status TEXT NOT NULL, created INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS iam_access_keys_owner ON iam_access_keys (account, user_key);
CREATE TABLE IF NOT EXISTS iam_roles (
  account TEXT NOT NULL, name_key TEXT NOT NULL, name TEXT NOT NULL, id TEXT NOT NULL UNIQUE,
  arn TEXT NOT NULL, path TEXT NOT NULL, assume_role_policy_document TEXT NOT NULL,
  description TEXT NOT NULL, max_session_duration INTEGER NOT NULL, created INTEGER NOT NULL,
  PRIMARY KEY (account, name_key));
CREATE TABLE IF NOT EXISTS iam_role_policies (
  account TEXT NOT NULL, role_key TEXT NOT NULL, policy_key TEXT NOT NULL,
  policy_name TEXT NOT NULL, document TEXT NOT NULL,
  PRIMARY KEY (account, role_key, policy_key));
CREATE TABLE IF NOT EXISTS iam_user_policies (
  account TEXT NOT NULL, user_key TEXT NOT NULL, policy_key TEXT NOT NULL,
  policy_name TEXT NOT NULL, document TEXT NOT NULL,
  PRIMARY KEY (account, user_key, policy_key));
CREATE TABLE IF NOT EXISTS iam_policies (
  account TEXT NOT NULL, name_key TEXT NOT NULL, name TEXT NOT NULL, id TEXT NOT NULL UNIQUE,
  arn TEXT NOT NULL UNIQUE, path TEXT NOT NULL, description TEXT NOT NULL,
  default_version TEXT NOT NULL, next_version INTEGER NOT NULL, created INTEGER NOT NULL,
  updated INTEGER NOT NULL, PRIMARY KEY (account, name_key));
CREATE TABLE IF NOT EXISTS iam_policy_versions (
  policy_id TEXT NOT NULL, version TEXT NOT NULL, document TEXT NOT NULL,
  created INTEGER NOT NULL, PRIMARY KEY (policy_id, version));
CREATE TABLE IF NOT EXISTS iam_policy_attachments (
  account TEXT NOT NULL, policy_id TEXT NOT NULL, target TEXT NOT NULL, entity_key TEXT NOT NULL,
  PRIMARY KEY (account, policy_id, target, entity_key));
CREATE INDEX IF NOT EXISTS iam_policy_attachments_entity
  ON iam_policy_attachments (account, target, entity_key);
CREATE TABLE IF NOT EXISTS iam_sessions (
  id TEXT PRIMARY KEY, account TEXT NOT NULL, secret_sealed BLOB NOT NULL,
  session_token TEXT NOT NULL, role_arn TEXT NOT NULL, role_id TEXT NOT NULL,
  role_name TEXT NOT NULL, session_name TEXT NOT NULL, created INTEGER NOT NULL,
  expiration INTEGER NOT NULL);
)sql";

Status NoSuchEntity(const std::string& message) {
  return Status::Error("NoSuchEntity", message, 404);
}

TimePoint FromNanos(int64_t ns) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::nanoseconds(ns)));
}

int64_t ToNanos(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

bool IsConflict(const Status& s) { return s.code() == "Conflict"; }

AccountRecord AccountFromRow(const Row& r) {
  return AccountRecord{AsString(r[0]), AsString(r[1]), AsString(r[2]), AsString(r[4]),
                       FromNanos(AsInt(r[3]))};
}
constexpr char kAccountCols[] = "id, name, email, created, status";

UserRecord UserFromRow(const Row& r) {
  return UserRecord{AsString(r[0]), AsString(r[1]), AsString(r[2]),
                    AsString(r[3]), AsString(r[4]), FromNanos(AsInt(r[5]))};
}
constexpr char kUserCols[] = "account, name, id, arn, path, created";

AccessKeyRecord KeyFromRow(const Row& r) {
  return AccessKeyRecord{AsString(r[0]), AsString(r[1]), AsString(r[2]), AsString(r[3]),
                         FromNanos(AsInt(r[4]))};
}
constexpr char kKeyCols[] = "id, account, user_name, status, created";

RoleRecord RoleFromRow(const Row& r) {
  RoleRecord role;
  role.account_id = AsString(r[0]);
  role.name = AsString(r[1]);
  role.role_id = AsString(r[2]);
  role.arn = AsString(r[3]);
  role.path = AsString(r[4]);
  role.assume_role_policy_document = AsString(r[5]);
  role.description = AsString(r[6]);
  role.max_session_duration = AsInt(r[7]);
  role.created = FromNanos(AsInt(r[8]));
  return role;
}
constexpr char kRoleCols[] =
    "account, name, id, arn, path, assume_role_policy_document, description, "
    "max_session_duration, created";

// Attachment count is derived, so it can never drift from the attachments.
constexpr char kPolicyCols[] =
    "p.account, p.name, p.id, p.arn, p.path, p.description, p.default_version, "
    "(SELECT COUNT(*) FROM iam_policy_attachments a WHERE a.policy_id = p.id), p.created, "
    "p.updated";

ManagedPolicyRecord PolicyFromRow(const Row& r) {
  ManagedPolicyRecord m;
  m.account_id = AsString(r[0]);
  m.name = AsString(r[1]);
  m.policy_id = AsString(r[2]);
  m.arn = AsString(r[3]);
  m.path = AsString(r[4]);
  m.description = AsString(r[5]);
  m.default_version_id = AsString(r[6]);
  m.attachment_count = AsInt(r[7]);
  m.created = FromNanos(AsInt(r[8]));
  m.updated = FromNanos(AsInt(r[9]));
  return m;
}

const char* TargetName(AttachTarget t) { return t == AttachTarget::kRole ? "role" : "user"; }

Status NoSuchPolicy(const std::string& arn) {
  return NoSuchEntity("Policy " + arn + " does not exist or is not attachable.");
}

bool IsWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

bool IsValidIamName(const std::string& name, size_t min_len, size_t max_len) {
  if (name.size() < min_len || name.size() > max_len) return false;
  for (char c : name) {
    if (!IsWordChar(c) && c != '+' && c != '=' && c != ',' && c != '.' && c != '@' && c != '-')
      return false;
  }
  return true;
}

bool IsValidIamPath(const std::string& path) {
  if (path.empty() || path.size() > 512 || path.front() != '/' || path.back() != '/') return false;
  for (char c : path) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

IdentityStore::IdentityStore(catalog::Db& db, const crypto::Sealer& sealer, const Clock& clock)
    : db_(db), sealer_(sealer), clock_(clock), init_status_(InitSchema()) {}

Status IdentityStore::InitSchema() { return db_.ExecScript(kSchema); }

int64_t IdentityStore::NowNanos() const { return ToNanos(clock_.Now()); }

std::string IdentityStore::RootArn(const std::string& account_id) {
  return "arn:aws:iam::" + account_id + ":root";
}
std::string IdentityStore::UserArn(const std::string& account_id, const std::string& path,
                                   const std::string& name) {
  return "arn:aws:iam::" + account_id + ":user" + (path.empty() ? "/" : path) + name;
}
std::string IdentityStore::RoleArn(const std::string& account_id, const std::string& path,
                                   const std::string& name) {
  return "arn:aws:iam::" + account_id + ":role" + (path.empty() ? "/" : path) + name;
}
std::string IdentityStore::PolicyArn(const std::string& account_id, const std::string& path,
                                     const std::string& name) {
  return "arn:aws:iam::" + account_id + ":policy" + (path.empty() ? "/" : path) + name;
}
std::string IdentityStore::AssumedRoleArn(const std::string& account_id,
                                          const std::string& role_name,
                                          const std::string& session_name) {
  return "arn:aws:sts::" + account_id + ":assumed-role/" + role_name + "/" + session_name;
}

// ---------------------------------------------------------------- accounts

Result<AccountRecord> IdentityStore::CreateAccount(const std::string& id, const std::string& name,
                                                   const std::string& email) {
  OT_RETURN_IF_ERROR(init_status_);
  if (id.size() != 12 || id.find_first_not_of("0123456789") != std::string::npos)
    return Status::Error("InvalidInput", "Account id must be 12 digits: " + id);
  AccountRecord rec{id, name, email, "ACTIVE", clock_.Now()};
  auto r = db_.Exec(
      "INSERT INTO iam_accounts (id, name, email, email_key, created, status) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
      {id, name, email, ToLower(email), ToNanos(rec.created), rec.status});
  if (!r.ok()) {
    if (IsConflict(r.status()))
      return Status::Error("EntityAlreadyExists",
                           "An account with id " + id + " or email " + email + " already exists.",
                           409);
    return r.status();
  }
  return rec;
}

Result<AccountRecord> IdentityStore::GetAccount(const std::string& id) {
  OT_RETURN_IF_ERROR(init_status_);
  OT_ASSIGN_OR_RETURN(auto rows,
                      db_.Query(std::string("SELECT ") + kAccountCols +
                                    " FROM iam_accounts WHERE id = ?1",
                                {id}));
  if (rows.empty()) return NoSuchEntity("The account " + id + " cannot be found.");
  return AccountFromRow(rows[0]);
}

Result<std::optional<AccountRecord>> IdentityStore::FindAccountByEmail(const std::string& email) {
  OT_RETURN_IF_ERROR(init_status_);
  OT_ASSIGN_OR_RETURN(auto rows,
                      db_.Query(std::string("SELECT ") + kAccountCols +
                                    " FROM iam_accounts WHERE email_key = ?1",
                                {ToLower(email)}));
  if (rows.empty()) return std::optional<AccountRecord>();
  return std::optional<AccountRecord>(AccountFromRow(rows[0]));
}

Result<std::vector<AccountRecord>> IdentityStore::ListAccounts() {
  OT_RETURN_IF_ERROR(init_status_);
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query(std::string("SELECT ") + kAccountCols +
                                           " FROM iam_accounts ORDER BY created, rowid"));
  std::vector<AccountRecord> out;
  for (const auto& r : rows) out.push_back(AccountFromRow(r));
  return out;
}

Result<std::optional<std::string>> IdentityStore::GetSetting(const std::string& key) {
  OT_RETURN_IF_ERROR(init_status_);
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT value FROM iam_settings WHERE key = ?1", {key}));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(AsString(rows[0][0]));
}

Status IdentityStore::PutSetting(const std::string& key, const std::string& value) {
  OT_RETURN_IF_ERROR(init_status_);
  auto r = db_.Exec("INSERT OR REPLACE INTO iam_settings (key, value) VALUES (?1, ?2)",
                    {key, value});
  return r.ok() ? Status::Ok() : r.status();
}

Status IdentityStore::RequireAccount(const std::string& account_id) {
  OT_ASSIGN_OR_RETURN(auto rows,
                      db_.Query("SELECT 1 FROM iam_accounts WHERE id = ?1", {account_id}));
  if (rows.empty()) return NoSuchEntity("The account " + account_id + " cannot be found.");
  return Status::Ok();
}

// ---------------------------------------------------------------- users

Result<UserRecord> IdentityStore::CreateUser(const std::string& account_id,
                                             const std::string& name, const std::string& path) {
  OT_RETURN_IF_ERROR(init_status_);
  OT_RETURN_IF_ERROR(RequireAccount(account_id));
  UserRecord u{account_id, name, NewUniqueId("AIDA"), UserArn(account_id, path, name), path,
               clock_.Now()};
  auto r = db_.Exec(
      "INSERT INTO iam_users (account, name_key, name, id, arn, path, created) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
      {account_id, ToLower(name), name, u.user_id, u.arn, path, ToNanos(u.created)});
  if (!r.ok()) {
    if (IsConflict(r.status()))
      return Status::Error("EntityAlreadyExists", "User with name " + name + " already exists.",
                           409);
    return r.status();
  }
  return u;
}

Result<UserRecord> IdentityStore::GetUser(const std::string& account_id, const std::string& name) {
  OT_RETURN_IF_ERROR(init_status_);
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query(std::string("SELECT ") + kUserCols +
                                               " FROM iam_users WHERE account = ?1 AND "
                                               "name_key = ?2",
                                           {account_id, ToLower(name)}));
  if (rows.empty()) return NoSuchEntity("The user with name " + name + " cannot be found.");
  return UserFromRow(rows[0]);
}

Status IdentityStore::RequireUser(const std::string& account_id, const std::string& user_name) {
  if (user_name.empty()) return RequireAccount(account_id);
  auto u = GetUser(account_id, user_name);
  return u.ok() ? Status::Ok() : u.status();
}

Status IdentityStore::DeleteUser(const std::string& account_id, const std::string& name) {
  OT_RETURN_IF_ERROR(init_status_);
  std::lock_guard<std::recursive_mutex> l(db_.mutex());
  OT_RETURN_IF_ERROR(RequireUser(account_id, name));
  OT_ASSIGN_OR_RETURN(auto keys, db_.Query("SELECT 1 FROM iam_access_keys WHERE account = ?1 AND "
                                           "user_key = ?2 LIMIT 1",
                                           {account_id, ToLower(name)}));
  if (!keys.empty())
    return Status::Error("DeleteConflict", "Cannot delete entity, must delete access keys first.",
                         409);
  OT_ASSIGN_OR_RETURN(auto pols, db_.Query("SELECT 1 FROM iam_user_policies WHERE account = ?1 "
                                           "AND user_key = ?2 LIMIT 1",
                                           {account_id, ToLower(name)}));
  if (!pols.empty())
    return Status::Error("DeleteConflict", "Cannot delete entity, must delete policies first.",
                         409);
  OT_ASSIGN_OR_RETURN(auto attached, ListAttachedPolicies(account_id, AttachTarget::kUser, name));
  if (!attached.empty())
    return Status::Error("DeleteConflict", "Cannot delete entity, must detach all policies first.",
                         409);
  OT_ASSIGN_OR_RETURN(auto n, db_.Exec("DELETE FROM iam_users WHERE account = ?1 AND name_key = ?2",
                                       {account_id, ToLower(name)}));
  ForgetCredentials();
  if (n == 0) return NoSuchEntity("The user with name " + name + " cannot be found.");
  return Status::Ok();
}

Result<std::vector<UserRecord>> IdentityStore::ListUsers(const std::string& account_id) {
  OT_RETURN_IF_ERROR(init_status_);
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query(std::string("SELECT ") + kUserCols +
                                               " FROM iam_users WHERE account = ?1 ORDER BY "
                                               "name_key",
                                           {account_id}));
  std::vector<UserRecord> out;
  for (const auto& r : rows) out.push_back(UserFromRow(r));
  return out;
}

// ---------------------------------------------------------------- access keys

Result<NewAccessKey> IdentityStore::CreateAccessKey(const std::string& account_id,
                                                    const std::string& user_name) {
  OT_RETURN_IF_ERROR(init_status_);
  // Hold the Db mutex so the count check and the insert are not interleaved
  // with another creator's.
  std::lock_guard<std::recursive_mutex> l(db_.mutex());
  std::string owner = user_name;
  if (!user_name.empty()) {
    OT_ASSIGN_OR_RETURN(auto u, GetUser(account_id, user_name));
    owner = u.name;  // canonical spelling
  } else {
    OT_RETURN_IF_ERROR(RequireAccount(account_id));
  }
  OT_ASSIGN_OR_RETURN(auto count, db_.Query("SELECT COUNT(*) FROM iam_access_keys WHERE account = "
                                            "?1 AND user_key = ?2",
                                            {account_id, ToLower(owner)}));
  if (AsInt(count[0][0]) >= kMaxAccessKeysPerUser)
    return Status::Error("LimitExceeded",
                         "Cannot exceed quota for AccessKeysPerUser: " +
                             std::to_string(kMaxAccessKeysPerUser),
                         409);
  NewAccessKey out;
  out.key = AccessKeyRecord{NewAccessKeyId("AKIA"), account_id, owner, "Active", clock_.Now()};
  out.secret_access_key = NewSecretAccessKey();
  std::string sealed = sealer_.Seal(out.secret_access_key, out.key.access_key_id);
  OT_ASSIGN_OR_RETURN(auto n, db_.Exec("INSERT INTO iam_access_keys (id, account, user_key, "
                                       "user_name, secret_sealed, status, created) VALUES (?1, "
                                       "?2, ?3, ?4, ?5, ?6, ?7)",
                                       {out.key.access_key_id, account_id, ToLower(owner), owner,
                                        sealed, out.key.status, ToNanos(out.key.created)}));
  (void)n;
  return out;
}

Status IdentityStore::DeleteAccessKey(const std::string& account_id, const std::string& user_name,
                                      const std::string& access_key_id) {
  OT_RETURN_IF_ERROR(init_status_);
  OT_ASSIGN_OR_RETURN(auto n, db_.Exec("DELETE FROM iam_access_keys WHERE id = ?1 AND account = "
                                       "?2 AND user_key = ?3",
                                       {access_key_id, account_id, ToLower(user_name)}));
  ForgetCredentials();
  if (n == 0) return NoSuchEntity("The Access Key with id " + access_key_id + " cannot be found.");
  return Status::Ok();
}

Status IdentityStore::SetAccessKeyStatus(const std::string& account_id,
                                         const std::string& user_name,
                                         const std::string& access_key_id,
                                         const std::string& status) {
  OT_RETURN_IF_ERROR(init_status_);
  if (status != "Active" && status != "Inactive")
    return Status::Error("ValidationError", "Status must be Active or Inactive");
  OT_ASSIGN_OR_RETURN(auto n, db_.Exec("UPDATE iam_access_keys SET status = ?4 WHERE id = ?1 AND "
                                       "account = ?2 AND user_key = ?3",
                                       {access_key_id, account_id, ToLower(user_name), status}));
  ForgetCredentials();
  if (n == 0) return NoSuchEntity("The Access Key with id " + access_key_id + " cannot be found.");
  return Status::Ok();
}

Result<std::vector<AccessKeyRecord>> IdentityStore::ListAccessKeys(const std::string& account_id,
                                                                   const std::string& user_name) {
  OT_RETURN_IF_ERROR(init_status_);
  OT_RETURN_IF_ERROR(RequireUser(account_id, user_name));
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query(std::string("SELECT ") + kKeyCols +
                                               " FROM iam_access_keys WHERE account = ?1 AND "
                                               "user_key = ?2 ORDER BY created, rowid",
                                           {account_id, ToLower(user_name)}));
  std::vector<AccessKeyRecord> out;
  for (const auto& r : rows) out.push_back(KeyFromRow(r));
  return out;
}

// ---------------------------------------------------------------- roles

Result<RoleRecord> IdentityStore::CreateRole(const RoleSpec& spec) {
  OT_RETURN_IF_ERROR(init_status_);
  OT_RETURN_IF_ERROR(RequireAccount(spec.account_id));
  RoleRecord role;
  role.account_id = spec.account_id;
  role.name = spec.name;
  role.role_id = NewUniqueId("AROA");
  role.path = spec.path.empty() ? "/" : spec.path;
  role.arn = RoleArn(spec.account_id, role.path, spec.name);
  role.assume_role_policy_document = spec.assume_role_policy_document;
  role.description = spec.description;
  role.max_session_duration = spec.max_session_duration;
  role.created = clock_.Now();
  auto r = db_.Exec(
      "INSERT INTO iam_roles (account, name_key, name, id, arn, path, "
      "assume_role_policy_document, description, max_session_duration, created) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
      {role.account_id, ToLower(role.name), role.name, role.role_id, role.arn, role.path,
       role.assume_role_policy_document, role.description, role.max_session_duration,
       ToNanos(role.created)});
  if (!r.ok()) {
    if (IsConflict(r.status()))
      return Status::Error("EntityAlreadyExists",
                           "Role with name " + spec.name + " already exists.", 409);
    return r.status();
  }
  return role;
}

Result<RoleRecord> IdentityStore::GetRole(const std::string& account_id, const std::string& name) {
  OT_RETURN_IF_ERROR(init_status_);
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query(std::string("SELECT ") + kRoleCols +
                                               " FROM iam_roles WHERE account = ?1 AND "
                                               "name_key = ?2",
                                           {account_id, ToLower(name)}));
  if (rows.empty()) return NoSuchEntity("The role with name " + name + " cannot be found.");
  return RoleFromRow(rows[0]);
}

Result<RoleRecord> IdentityStore::GetRoleByArn(const std::string& role_arn) {
  static const std::string kPrefix = "arn:aws:iam::";
  auto bad = [&] { return NoSuchEntity("The role with ARN " + role_arn + " cannot be found."); };
  if (!StartsWith(role_arn, kPrefix)) return bad();
  std::string rest = role_arn.substr(kPrefix.size());
  if (rest.size() < 18 || rest[12] != ':' || rest.compare(13, 5, "role/") != 0) return bad();
  std::string account = rest.substr(0, 12);
  std::string path_and_name = rest.substr(17);  // "/path/name"
  size_t slash = path_and_name.rfind('/');
  std::string path = path_and_name.substr(0, slash + 1);
  std::string name = path_and_name.substr(slash + 1);
  if (name.empty()) return bad();
  auto role = GetRole(account, name);
  if (!role.ok()) return role.status().code() == "NoSuchEntity" ? bad() : role.status();
  if (role->path != path) return bad();
  return role;
}

Status IdentityStore::RequireRole(const std::string& account_id, const std::string& role_name) {
  auto r = GetRole(account_id, role_name);
  return r.ok() ? Status::Ok() : r.status();
}

Status IdentityStore::RequireEntity(const std::string& account_id, AttachTarget target,
                                    const std::string& name) {
  return target == AttachTarget::kRole ? RequireRole(account_id, name)
                                       : RequireUser(account_id, name);
}

Status IdentityStore::DeleteRole(const std::string& account_id, const std::string& name) {
  OT_RETURN_IF_ERROR(init_status_);
  std::lock_guard<std::recursive_mutex> l(db_.mutex());
  OT_RETURN_IF_ERROR(RequireRole(account_id, name));
  OT_ASSIGN_OR_RETURN(auto pols, db_.Query("SELECT 1 FROM iam_role_policies WHERE account = ?1 AND "
                                           "role_key = ?2 LIMIT 1",
                                           {account_id, ToLower(name)}));
  if (!pols.empty())
    return Status::Error("DeleteConflict", "Cannot delete entity, must delete policies first.",
                         409);
  OT_ASSIGN_OR_RETURN(auto attached, ListAttachedPolicies(account_id, AttachTarget::kRole, name));
  if (!attached.empty())
    return Status::Error("DeleteConflict", "Cannot delete entity, must detach all policies first.",
                         409);
  OT_ASSIGN_OR_RETURN(auto n, db_.Exec("DELETE FROM iam_roles WHERE account = ?1 AND name_key = ?2",
                                       {account_id, ToLower(name)}));
  if (n == 0) return NoSuchEntity("The role with name " + name + " cannot be found.");
  return Status::Ok();
}

Result<std::vector<RoleRecord>> IdentityStore::ListRoles(const std::string& account_id) {
  OT_RETURN_IF_ERROR(init_status_);
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query(std::string("SELECT ") + kRoleCols +
                                               " FROM iam_roles WHERE account = ?1 ORDER BY "
                                               "name_key",
                                           {account_id}));
  std::vector<RoleRecord> out;
  for (const auto& r : rows) out.push_back(RoleFromRow(r));
  return out;
}

Status IdentityStore::UpdateAssumeRolePolicy(const std::string& account_id,
                                             const std::string& name,
                                             const std::string& document) {
  OT_RETURN_IF_ERROR(init_status_);
  OT_ASSIGN_OR_RETURN(auto n, db_.Exec("UPDATE iam_roles SET assume_role_policy_document = ?3 "
                                       "WHERE account = ?1 AND name_key = ?2",
                                       {account_id, ToLower(name), document}));
  if (n == 0) return NoSuchEntity("The role with name " + name + " cannot be found.");
  return Status::Ok();
}

// ---------------------------------------------------------------- role policies

Status IdentityStore::PutRolePolicy(const std::string& account_id, const std::string& role_name,
                                    const std::string& policy_name, const std::string& document) {
  OT_RETURN_IF_ERROR(init_status_);
  std::lock_guard<std::recursive_mutex> l(db_.mutex());
  OT_RETURN_IF_ERROR(RequireRole(account_id, role_name));
  OT_ASSIGN_OR_RETURN(auto n, db_.Exec("INSERT OR REPLACE INTO iam_role_policies (account, "
                                       "role_key, policy_key, policy_name, document) VALUES (?1, "
                                       "?2, ?3, ?4, ?5)",
                                       {account_id, ToLower(role_name), ToLower(policy_name),
                                        policy_name, document}));
  (void)n;
  return Status::Ok();
}

Result<RolePolicy> IdentityStore::GetRolePolicy(const std::string& account_id,
                                                const std::string& role_name,
                                                const std::string& policy_name) {
  OT_RETURN_IF_ERROR(init_status_);
  OT_ASSIGN_OR_RETURN(auto role, GetRole(account_id, role_name));
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT policy_name, document FROM iam_role_policies "
                                           "WHERE account = ?1 AND role_key = ?2 AND "
                                           "policy_key = ?3",
                                           {account_id, ToLower(role_name),
                                            ToLower(policy_name)}));
  if (rows.empty())
    return NoSuchEntity("The role policy with name " + policy_name + " cannot be found.");
  return RolePolicy{role.name, AsString(rows[0][0]), AsString(rows[0][1])};
}

Status IdentityStore::DeleteRolePolicy(const std::string& account_id,
                                       const std::string& role_name,
                                       const std::string& policy_name) {
  OT_RETURN_IF_ERROR(init_status_);
  OT_RETURN_IF_ERROR(RequireRole(account_id, role_name));
  OT_ASSIGN_OR_RETURN(auto n, db_.Exec("DELETE FROM iam_role_policies WHERE account = ?1 AND "
                                       "role_key = ?2 AND policy_key = ?3",
                                       {account_id, ToLower(role_name), ToLower(policy_name)}));
  if (n == 0)
    return NoSuchEntity("The role policy with name " + policy_name + " cannot be found.");
  return Status::Ok();
}

Result<std::vector<std::string>> IdentityStore::ListRolePolicies(const std::string& account_id,
                                                                 const std::string& role_name) {
  OT_RETURN_IF_ERROR(init_status_);
  OT_RETURN_IF_ERROR(RequireRole(account_id, role_name));
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT policy_name FROM iam_role_policies WHERE "
                                           "account = ?1 AND role_key = ?2 ORDER BY policy_key",
                                           {account_id, ToLower(role_name)}));
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(AsString(r[0]));
  return out;
}

// ---------------------------------------------------------------- user policies

Status IdentityStore::PutUserPolicy(const std::string& account_id, const std::string& user_name,
                                    const std::string& policy_name, const std::string& document) {
  OT_RETURN_IF_ERROR(init_status_);
  std::lock_guard<std::recursive_mutex> l(db_.mutex());
  OT_RETURN_IF_ERROR(RequireUser(account_id, user_name));
  OT_ASSIGN_OR_RETURN(auto n, db_.Exec("INSERT OR REPLACE INTO iam_user_policies (account, "
                                       "user_key, policy_key, policy_name, document) VALUES (?1, "
                                       "?2, ?3, ?4, ?5)",
                                       {account_id, ToLower(user_name), ToLower(policy_name),
                                        policy_name, document}));
  (void)n;
  return Status::Ok();
}

Result<UserPolicy> IdentityStore::GetUserPolicy(const std::string& account_id,
                                                const std::string& user_name,
                                                const std::string& policy_name) {
  OT_RETURN_IF_ERROR(init_status_);
  OT_ASSIGN_OR_RETURN(auto user, GetUser(account_id, user_name));
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT policy_name, document FROM iam_user_policies "
                                           "WHERE account = ?1 AND user_key = ?2 AND "
                                           "policy_key = ?3",
                                           {account_id, ToLower(user_name),
                                            ToLower(policy_name)}));
  if (rows.empty())
    return NoSuchEntity("The user policy with name " + policy_name + " cannot be found.");
  return UserPolicy{user.name, AsString(rows[0][0]), AsString(rows[0][1])};
}

Status IdentityStore::DeleteUserPolicy(const std::string& account_id,
                                       const std::string& user_name,
                                       const std::string& policy_name) {
  OT_RETURN_IF_ERROR(init_status_);
  OT_RETURN_IF_ERROR(RequireUser(account_id, user_name));
  OT_ASSIGN_OR_RETURN(auto n, db_.Exec("DELETE FROM iam_user_policies WHERE account = ?1 AND "
                                       "user_key = ?2 AND policy_key = ?3",
                                       {account_id, ToLower(user_name), ToLower(policy_name)}));
  if (n == 0)
    return NoSuchEntity("The user policy with name " + policy_name + " cannot be found.");
  return Status::Ok();
}

Result<std::vector<std::string>> IdentityStore::ListUserPolicies(const std::string& account_id,
                                                                 const std::string& user_name) {
  OT_RETURN_IF_ERROR(init_status_);
  OT_RETURN_IF_ERROR(RequireUser(account_id, user_name));
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT policy_name FROM iam_user_policies WHERE "
                                           "account = ?1 AND user_key = ?2 ORDER BY policy_key",
                                           {account_id, ToLower(user_name)}));
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(AsString(r[0]));
  return out;
}

Result<std::vector<InlinePolicy>> IdentityStore::InlinePoliciesOf(const auth::Principal& p) {
  OT_RETURN_IF_ERROR(init_status_);
  std::vector<InlinePolicy> out;
  const char* sql = nullptr;
  std::string owner;
  if (p.type == auth::PrincipalType::kIAMUser) {
    sql = "SELECT policy_name, document FROM iam_user_policies WHERE account = ?1 AND "
          "user_key = ?2 ORDER BY policy_key";
    owner = p.user_name;
  } else if (p.type == auth::PrincipalType::kAssumedRole) {
    sql = "SELECT policy_name, document FROM iam_role_policies WHERE account = ?1 AND "
          "role_key = ?2 ORDER BY policy_key";
    owner = p.role_name;
  } else {
    return out;
  }
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query(sql, {p.account_id, ToLower(owner)}));
  for (const auto& r : rows) out.push_back(InlinePolicy{AsString(r[0]), AsString(r[1])});
  return out;
}

// ---------------------------------------------------------------- managed policies

Result<ManagedPolicyRecord> IdentityStore::CreatePolicy(const std::string& account_id,
                                                        const std::string& name,
                                                        const std::string& path,
                                                        const std::string& description,
                                                        const std::string& document) {
  OT_RETURN_IF_ERROR(init_status_);
  std::lock_guard<std::recursive_mutex> l(db_.mutex());
  OT_RETURN_IF_ERROR(RequireAccount(account_id));
  ManagedPolicyRecord m;
  m.account_id = account_id;
  m.name = name;
  m.policy_id = NewUniqueId("ANPA");
  m.path = path.empty() ? "/" : path;
  m.arn = PolicyArn(account_id, m.path, name);
  m.description = description;
  m.default_version_id = "v1";
  m.created = m.updated = clock_.Now();
  auto r = db_.Exec(
      "INSERT INTO iam_policies (account, name_key, name, id, arn, path, description, "
      "default_version, next_version, created, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
      "?8, 2, ?9, ?9)",
      {account_id, ToLower(name), name, m.policy_id, m.arn, m.path, description,
       m.default_version_id, ToNanos(m.created)});
  if (!r.ok()) {
    if (IsConflict(r.status()))
      return Status::Error("EntityAlreadyExists",
                           "A policy called " + name +
                               " already exists. Duplicate names are not "
                               "allowed.",
                           409);
    return r.status();
  }
  auto v = db_.Exec(
      "INSERT INTO iam_policy_versions (policy_id, version, document, created) VALUES (?1, ?2, "
      "?3, ?4)",
      // Bound, not a SQL literal: the Db binds strings as blobs, and a
      // text 'v1' would never equal a bound "v1".
      {m.policy_id, m.default_version_id, document, ToNanos(m.created)});
  if (!v.ok()) {
    // No policy without a default version: undo the first insert.
    (void)db_.Exec("DELETE FROM iam_policies WHERE id = ?1", {m.policy_id});
    return v.status();
  }
  return m;
}

Result<ManagedPolicyRecord> IdentityStore::GetPolicy(const std::string& account_id,
                                                     const std::string& arn) {
  OT_RETURN_IF_ERROR(init_status_);
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query(std::string("SELECT ") + kPolicyCols +
                                               " FROM iam_policies p WHERE p.account = ?1 AND "
                                               "p.arn = ?2",
                                           {account_id, arn}));
  if (rows.empty()) return NoSuchPolicy(arn);
  return PolicyFromRow(rows[0]);
}

Result<std::vector<ManagedPolicyRecord>> IdentityStore::ListPolicies(
    const std::string& account_id) {
  OT_RETURN_IF_ERROR(init_status_);
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query(std::string("SELECT ") + kPolicyCols +
                                               " FROM iam_policies p WHERE p.account = ?1 "
                                               "ORDER BY p.name_key",
                                           {account_id}));
  std::vector<ManagedPolicyRecord> out;
  for (const auto& r : rows) out.push_back(PolicyFromRow(r));
  return out;
}

Status IdentityStore::DeletePolicy(const std::string& account_id, const std::string& arn) {
  OT_RETURN_IF_ERROR(init_status_);
  std::lock_guard<std::recursive_mutex> l(db_.mutex());
  OT_ASSIGN_OR_RETURN(auto pol, GetPolicy(account_id, arn));
  if (pol.attachment_count > 0)
    return Status::Error("DeleteConflict", "Cannot delete a policy attached to entities.", 409);
  OT_ASSIGN_OR_RETURN(auto versions, db_.Query("SELECT COUNT(*) FROM iam_policy_versions WHERE "
                                               "policy_id = ?1",
                                               {pol.policy_id}));
  if (AsInt(versions[0][0]) > 1)
    return Status::Error("DeleteConflict",
                         "This policy has more than one version. Before you delete a policy, you "
                         "must delete the policy's versions. The default version is deleted with "
                         "the policy.",
                         409);
  OT_ASSIGN_OR_RETURN(
      auto n, db_.Exec("DELETE FROM iam_policy_versions WHERE policy_id = ?1", {pol.policy_id}));
  OT_ASSIGN_OR_RETURN(n, db_.Exec("DELETE FROM iam_policies WHERE id = ?1", {pol.policy_id}));
  if (n == 0) return NoSuchPolicy(arn);
  return Status::Ok();
}

Result<PolicyVersionRecord> IdentityStore::CreatePolicyVersion(const std::string& account_id,
                                                               const std::string& arn,
                                                               const std::string& document,
                                                               bool set_default) {
  OT_RETURN_IF_ERROR(init_status_);
  std::lock_guard<std::recursive_mutex> l(db_.mutex());
  OT_ASSIGN_OR_RETURN(auto pol, GetPolicy(account_id, arn));
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT (SELECT COUNT(*) FROM iam_policy_versions "
                                           "WHERE policy_id = ?1), next_version FROM "
                                           "iam_policies WHERE id = ?1",
                                           {pol.policy_id}));
  if (rows.empty()) return NoSuchPolicy(arn);
  if (AsInt(rows[0][0]) >= kMaxPolicyVersions)
    return Status::Error("LimitExceeded",
                         "A managed policy can have up to " + std::to_string(kMaxPolicyVersions) +
                             " versions. Before you create a new version, you must delete an "
                             "existing version.",
                         409);
  int64_t next = AsInt(rows[0][1]);
  PolicyVersionRecord v{"v" + std::to_string(next), document, set_default, clock_.Now()};
  OT_ASSIGN_OR_RETURN(auto n,
                      db_.Exec("INSERT INTO iam_policy_versions (policy_id, version, "
                               "document, created) VALUES (?1, ?2, ?3, ?4)",
                               {pol.policy_id, v.version_id, document, ToNanos(v.created)}));
  OT_ASSIGN_OR_RETURN(n, db_.Exec("UPDATE iam_policies SET next_version = ?2, updated = ?3, "
                                  "default_version = CASE WHEN ?4 = 1 THEN ?5 ELSE "
                                  "default_version END WHERE id = ?1",
                                  {pol.policy_id, next + 1, ToNanos(v.created),
                                   int64_t{set_default ? 1 : 0}, v.version_id}));
  (void)n;
  return v;
}

Result<PolicyVersionRecord> IdentityStore::GetPolicyVersion(const std::string& account_id,
                                                            const std::string& arn,
                                                            const std::string& version_id) {
  OT_RETURN_IF_ERROR(init_status_);
  OT_ASSIGN_OR_RETURN(auto pol, GetPolicy(account_id, arn));
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT version, document, created FROM "
                                           "iam_policy_versions WHERE policy_id = ?1 AND "
                                           "version = ?2",
                                           {pol.policy_id, version_id}));
  if (rows.empty())
    return NoSuchEntity("Policy " + arn + " version " + version_id +
                        " does not exist or is not attachable.");
  return PolicyVersionRecord{AsString(rows[0][0]), AsString(rows[0][1]),
                             AsString(rows[0][0]) == pol.default_version_id,
                             FromNanos(AsInt(rows[0][2]))};
}

Result<std::vector<PolicyVersionRecord>> IdentityStore::ListPolicyVersions(
    const std::string& account_id, const std::string& arn) {
  OT_RETURN_IF_ERROR(init_status_);
  OT_ASSIGN_OR_RETURN(auto pol, GetPolicy(account_id, arn));
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT version, document, created FROM "
                                           "iam_policy_versions WHERE policy_id = ?1 ORDER BY "
                                           "created DESC, rowid DESC",
                                           {pol.policy_id}));
  std::vector<PolicyVersionRecord> out;
  for (const auto& r : rows)
    out.push_back(PolicyVersionRecord{AsString(r[0]), AsString(r[1]),
                                      AsString(r[0]) == pol.default_version_id,
                                      FromNanos(AsInt(r[2]))});
  return out;
}

Status IdentityStore::DeletePolicyVersion(const std::string& account_id, const std::string& arn,
                                          const std::string& version_id) {
  OT_RETURN_IF_ERROR(init_status_);
  std::lock_guard<std::recursive_mutex> l(db_.mutex());
  OT_ASSIGN_OR_RETURN(auto pol, GetPolicy(account_id, arn));
  if (version_id == pol.default_version_id)
    return Status::Error("DeleteConflict", "Cannot delete the default version of a policy.", 409);
  OT_ASSIGN_OR_RETURN(auto n, db_.Exec("DELETE FROM iam_policy_versions WHERE policy_id = ?1 AND "
                                       "version = ?2",
                                       {pol.policy_id, version_id}));
  if (n == 0)
    return NoSuchEntity("Policy " + arn + " version " + version_id +
                        " does not exist or is not attachable.");
  return Status::Ok();
}

Status IdentityStore::AttachPolicy(const std::string& account_id, AttachTarget target,
                                   const std::string& entity_name, const std::string& arn) {
  OT_RETURN_IF_ERROR(init_status_);
  std::lock_guard<std::recursive_mutex> l(db_.mutex());
  OT_RETURN_IF_ERROR(RequireEntity(account_id, target, entity_name));
  OT_ASSIGN_OR_RETURN(auto pol, GetPolicy(account_id, arn));
  OT_ASSIGN_OR_RETURN(
      auto n, db_.Exec("INSERT OR IGNORE INTO iam_policy_attachments (account, "
                       "policy_id, target, entity_key) VALUES (?1, ?2, ?3, ?4)",
                       {account_id, pol.policy_id, TargetName(target), ToLower(entity_name)}));
  (void)n;
  return Status::Ok();
}

Status IdentityStore::DetachPolicy(const std::string& account_id, AttachTarget target,
                                   const std::string& entity_name, const std::string& arn) {
  OT_RETURN_IF_ERROR(init_status_);
  std::lock_guard<std::recursive_mutex> l(db_.mutex());
  OT_RETURN_IF_ERROR(RequireEntity(account_id, target, entity_name));
  OT_ASSIGN_OR_RETURN(auto pol, GetPolicy(account_id, arn));
  OT_ASSIGN_OR_RETURN(
      auto n, db_.Exec("DELETE FROM iam_policy_attachments WHERE account = ?1 AND "
                       "policy_id = ?2 AND target = ?3 AND entity_key = ?4",
                       {account_id, pol.policy_id, TargetName(target), ToLower(entity_name)}));
  if (n == 0) return NoSuchEntity("Policy " + arn + " was not found.");
  return Status::Ok();
}

Result<std::vector<AttachedPolicy>> IdentityStore::ListAttachedPolicies(
    const std::string& account_id, AttachTarget target, const std::string& entity_name) {
  OT_RETURN_IF_ERROR(init_status_);
  OT_RETURN_IF_ERROR(RequireEntity(account_id, target, entity_name));
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT p.name, p.arn FROM iam_policy_attachments a "
                                           "JOIN iam_policies p ON p.id = a.policy_id WHERE "
                                           "a.account = ?1 AND a.target = ?2 AND "
                                           "a.entity_key = ?3 ORDER BY p.name_key",
                                           {account_id, TargetName(target), ToLower(entity_name)}));
  std::vector<AttachedPolicy> out;
  for (const auto& r : rows) out.push_back(AttachedPolicy{AsString(r[0]), AsString(r[1])});
  return out;
}

Result<PolicyEntities> IdentityStore::ListEntitiesForPolicy(const std::string& account_id,
                                                            const std::string& arn) {
  OT_RETURN_IF_ERROR(init_status_);
  OT_ASSIGN_OR_RETURN(auto pol, GetPolicy(account_id, arn));
  PolicyEntities out;
  OT_ASSIGN_OR_RETURN(auto roles,
                      db_.Query(std::string("SELECT ") + kRoleCols +
                                    " FROM iam_roles WHERE account = ?1 AND "
                                    "name_key IN (SELECT entity_key FROM "
                                    "iam_policy_attachments WHERE policy_id = ?2 AND "
                                    "target = ?3) ORDER BY name_key",
                                {account_id, pol.policy_id, TargetName(AttachTarget::kRole)}));
  for (const auto& r : roles) out.roles.push_back(RoleFromRow(r));
  OT_ASSIGN_OR_RETURN(auto users,
                      db_.Query(std::string("SELECT ") + kUserCols +
                                    " FROM iam_users WHERE account = ?1 AND "
                                    "name_key IN (SELECT entity_key FROM "
                                    "iam_policy_attachments WHERE policy_id = ?2 AND "
                                    "target = ?3) ORDER BY name_key",
                                {account_id, pol.policy_id, TargetName(AttachTarget::kUser)}));
  for (const auto& r : users) out.users.push_back(UserFromRow(r));
  return out;
}

Result<std::vector<ManagedPolicyText>> IdentityStore::ManagedPoliciesOf(const auth::Principal& p) {
  OT_RETURN_IF_ERROR(init_status_);
  std::vector<ManagedPolicyText> out;
  std::string owner;
  AttachTarget target;
  if (p.type == auth::PrincipalType::kIAMUser) {
    owner = p.user_name;
    target = AttachTarget::kUser;
  } else if (p.type == auth::PrincipalType::kAssumedRole) {
    owner = p.role_name;
    target = AttachTarget::kRole;
  } else {
    return out;
  }
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT p.name, p.arn, v.document FROM "
                                           "iam_policy_attachments a JOIN iam_policies p ON "
                                           "p.id = a.policy_id JOIN iam_policy_versions v ON "
                                           "v.policy_id = p.id AND v.version = "
                                           "p.default_version WHERE a.account = ?1 AND "
                                           "a.target = ?2 AND a.entity_key = ?3 ORDER BY "
                                           "p.name_key",
                                           {p.account_id, TargetName(target), ToLower(owner)}));
  for (const auto& r : rows)
    out.push_back(ManagedPolicyText{AsString(r[0]), AsString(r[1]), AsString(r[2])});
  return out;
}

// ---------------------------------------------------------------- sessions

Result<auth::Credential> IdentityStore::CreateSession(const RoleRecord& role,
                                                      const std::string& session_name,
                                                      std::chrono::seconds duration) {
  OT_RETURN_IF_ERROR(init_status_);
  auth::Credential c;
  c.access_key_id = NewAccessKeyId("ASIA");
  c.secret_access_key = NewSecretAccessKey();
  // AWS session tokens are long opaque base64 strings; ours are random.
  c.session_token = Base64Encode(RandomBytes(120));
  TimePoint now = clock_.Now();
  c.expiration = now + duration;
  c.active = true;
  auth::Principal& p = c.principal;
  p.type = auth::PrincipalType::kAssumedRole;
  p.account_id = role.account_id;
  p.arn = AssumedRoleArn(role.account_id, role.name, session_name);
  p.principal_id = role.role_id + ":" + session_name;
  p.access_key_id = c.access_key_id;
  p.role_arn = role.arn;
  p.role_id = role.role_id;
  p.role_name = role.name;
  p.session_name = session_name;
  p.session_created = now;
  std::string sealed = sealer_.Seal(c.secret_access_key, c.access_key_id);
  OT_ASSIGN_OR_RETURN(auto n, db_.Exec("INSERT INTO iam_sessions (id, account, secret_sealed, "
                                       "session_token, role_arn, role_id, role_name, "
                                       "session_name, created, expiration) VALUES (?1, ?2, ?3, "
                                       "?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                                       {c.access_key_id, role.account_id, sealed,
                                        c.session_token, role.arn, role.role_id, role.name,
                                        session_name, ToNanos(now), ToNanos(*c.expiration)}));
  (void)n;
  return c;
}

void IdentityStore::ForgetCredentials() {
  std::lock_guard<std::mutex> l(cred_mu_);
  ++cred_generation_;
  cred_cache_.clear();
}

std::optional<auth::Credential> IdentityStore::FindCredential(const std::string& access_key_id) {
  constexpr size_t kMaxCachedCredentials = 10000;
  uint64_t generation;
  {
    std::lock_guard<std::mutex> l(cred_mu_);
    auto it = cred_cache_.find(access_key_id);
    if (it != cred_cache_.end()) return it->second;
    generation = cred_generation_;
  }
  std::optional<auth::Credential> c = LoadCredential(access_key_id);
  if (c) {
    std::lock_guard<std::mutex> l(cred_mu_);
    if (generation == cred_generation_) {
      if (cred_cache_.size() >= kMaxCachedCredentials) cred_cache_.clear();
      cred_cache_.emplace(access_key_id, *c);
    }
  }
  return c;
}

std::optional<auth::Credential> IdentityStore::LoadCredential(const std::string& access_key_id) {
  if (!init_status_.ok()) return std::nullopt;
  auth::Credential c;
  c.access_key_id = access_key_id;
  if (StartsWith(access_key_id, "ASIA")) {
    auto rows = db_.Query(
        "SELECT account, secret_sealed, session_token, role_arn, role_id, role_name, "
        "session_name, created, expiration FROM iam_sessions WHERE id = ?1",
        {access_key_id});
    if (!rows.ok() || rows->empty()) return std::nullopt;
    const Row& r = (*rows)[0];
    auto secret = sealer_.Unseal(AsString(r[1]), access_key_id);
    if (!secret.ok()) return std::nullopt;
    c.secret_access_key = std::move(secret).value();
    c.session_token = AsString(r[2]);
    c.expiration = FromNanos(AsInt(r[8]));
    auth::Principal& p = c.principal;
    p.type = auth::PrincipalType::kAssumedRole;
    p.account_id = AsString(r[0]);
    p.role_arn = AsString(r[3]);
    p.role_id = AsString(r[4]);
    p.role_name = AsString(r[5]);
    p.session_name = AsString(r[6]);
    p.session_created = FromNanos(AsInt(r[7]));
    p.arn = AssumedRoleArn(p.account_id, p.role_name, p.session_name);
    p.principal_id = p.role_id + ":" + p.session_name;
    p.access_key_id = access_key_id;
    return c;
  }
  auto rows = db_.Query(
      "SELECT k.account, k.user_name, k.secret_sealed, k.status, u.id, u.arn "
      "FROM iam_access_keys k LEFT JOIN iam_users u "
      "ON u.account = k.account AND u.name_key = k.user_key WHERE k.id = ?1",
      {access_key_id});
  if (!rows.ok() || rows->empty()) return std::nullopt;
  const Row& r = (*rows)[0];
  auto secret = sealer_.Unseal(AsString(r[2]), access_key_id);
  if (!secret.ok()) return std::nullopt;
  c.secret_access_key = std::move(secret).value();
  c.active = AsString(r[3]) == "Active";
  auth::Principal& p = c.principal;
  p.account_id = AsString(r[0]);
  p.access_key_id = access_key_id;
  std::string user_name = AsString(r[1]);
  if (user_name.empty()) {
    p.type = auth::PrincipalType::kRoot;
    p.arn = RootArn(p.account_id);
    p.principal_id = p.account_id;
  } else {
    if (std::holds_alternative<std::nullptr_t>(r[4])) return std::nullopt;  // user vanished
    p.type = auth::PrincipalType::kIAMUser;
    p.user_name = user_name;
    p.principal_id = AsString(r[4]);
    p.arn = AsString(r[5]);
  }
  return c;
}

}  // namespace orgtrail::iam
