// IdentityStore: the durable identity model behind IAM, STS and
// Organizations — accounts, IAM users, access keys (root and user), roles
// with their trust policies and inline policies, inline user policies, customer managed policies
// (with their versions and role/user attachments), and STS sessions — kept in
// the shared catalog (tables prefixed `iam_`). Secrets (access-key and
// session secrets) are stored sealed with the server's Sealer, using the
// access key id as the sealing context, so a catalog dump reveals no secret.
//
// Called by IamService, StsService, OrganizationsService, Bootstrap, and by
// the SigV4 verifier through auth::CredentialLookup.
//
// Names of users, roles, inline and managed policies are unique per account without
// regard to case, as in IAM; lookups by name are case-insensitive too.
//
// Thread-safe: every method is one or more catalog statements, each under
// the Db's mutex; uniqueness is enforced by the schema, so concurrent
// creators of the same name see exactly one success. Methods never open a
// catalog::Transaction, so callers may wrap several of them in one.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "auth/credentials.h"
#include "base/status.h"
#include "base/time.h"
#include "catalog/db.h"
#include "crypto/sealer.h"

namespace orgtrail::iam {

struct AccountRecord {
  std::string id;      // 12 digits
  std::string name;
  std::string email;
  std::string status;  // "ACTIVE"
  TimePoint created{};
};

struct UserRecord {
  std::string account_id;
  std::string name;
  std::string user_id;  // AIDA...
  std::string arn;      // arn:aws:iam::A:user{path}{name}
  std::string path;     // "/" or "/a/b/"
  TimePoint created{};
};

struct AccessKeyRecord {
  std::string access_key_id;  // AKIA...
  std::string account_id;
  std::string user_name;      // empty for the account's root user
  std::string status;         // "Active" | "Inactive"
  TimePoint created{};
};

// An access key as returned once, at creation, with its plaintext secret.
struct NewAccessKey {
  AccessKeyRecord key;
  std::string secret_access_key;
};

struct RoleRecord {
  std::string account_id;
  std::string name;
  std::string role_id;  // AROA...
  std::string arn;      // arn:aws:iam::A:role{path}{name}
  std::string path;
  std::string assume_role_policy_document;  // JSON text as given
  std::string description;
  int64_t max_session_duration = 3600;      // seconds, 3600..43200
  TimePoint created{};
};

struct RoleSpec {
  std::string account_id;
  std::string name;
  std::string path = "/";
  std::string assume_role_policy_document;
  std::string description;
  int64_t max_session_duration = 3600;
};

struct RolePolicy {
  std::string role_name;
  std::string policy_name;
  std::string document;
};

struct UserPolicy {
  std::string user_name;
  std::string policy_name;
  std::string document;
};

// An inline policy of a user or role: name and JSON text as stored.
struct InlinePolicy {
  std::string policy_name;
  std::string document;
};

// A customer managed policy (its default version's document is read with
// GetPolicyVersion).
struct ManagedPolicyRecord {
  std::string account_id;
  std::string name;
  std::string policy_id;  // ANPA...
  std::string arn;        // arn:aws:iam::A:policy{path}{name}
  std::string path;
  std::string description;
  std::string default_version_id;  // "v1", "v2", ...
  int64_t attachment_count = 0;
  TimePoint created{};
  TimePoint updated{};
};

struct PolicyVersionRecord {
  std::string version_id;
  std::string document;  // JSON text as given
  bool is_default = false;
  TimePoint created{};
};

// A managed policy attached to a role or user.
struct AttachedPolicy {
  std::string policy_name;
  std::string policy_arn;
};

// A managed policy in force for a caller: its default version's text.
struct ManagedPolicyText {
  std::string policy_name;
  std::string policy_arn;
  std::string document;
};

// What a managed policy is attached to.
enum class AttachTarget { kRole, kUser };

// The roles and users a managed policy is attached to, sorted by name.
struct PolicyEntities {
  std::vector<RoleRecord> roles;
  std::vector<UserRecord> users;
};

// At most this many versions per managed policy, as AWS.
inline constexpr int kMaxPolicyVersions = 5;

// At most this many access keys per IAM user (and per root user), as AWS.
inline constexpr int kMaxAccessKeysPerUser = 2;

class IdentityStore : public auth::CredentialLookup {
 public:
  // Creates the iam_ tables if needed. A schema failure is remembered and
  // returned by every later call (see status()). `db`, `sealer` and `clock`
  // must outlive the store.
  IdentityStore(catalog::Db& db, const crypto::Sealer& sealer, const Clock& clock);
  IdentityStore(const IdentityStore&) = delete;
  IdentityStore& operator=(const IdentityStore&) = delete;

  // OK unless creating the schema failed.
  const Status& status() const { return init_status_; }

  // ---- accounts ----
  // Creates an account with the given 12-digit id. Errors: InvalidInput
  // (bad id), EntityAlreadyExists (409) when the id or email is taken.
  Result<AccountRecord> CreateAccount(const std::string& id, const std::string& name,
                                      const std::string& email);
  // NoSuchEntity (404) when absent.
  Result<AccountRecord> GetAccount(const std::string& id);
  Result<std::optional<AccountRecord>> FindAccountByEmail(const std::string& email);
  // All accounts, oldest first.
  Result<std::vector<AccountRecord>> ListAccounts();

  // ---- small key/value settings (e.g. which account bootstrap created) ----
  Result<std::optional<std::string>> GetSetting(const std::string& key);
  Status PutSetting(const std::string& key, const std::string& value);

  // ---- users ----
  // Errors: NoSuchEntity (account), EntityAlreadyExists (409).
  Result<UserRecord> CreateUser(const std::string& account_id, const std::string& name,
                                const std::string& path = "/");
  Result<UserRecord> GetUser(const std::string& account_id, const std::string& name);
  // DeleteConflict (409) while the user still has access keys, inline or
  // attached managed policies.
  Status DeleteUser(const std::string& account_id, const std::string& name);
  // Sorted by name.
  Result<std::vector<UserRecord>> ListUsers(const std::string& account_id);

  // ---- access keys (user_name empty = the account's root user) ----
  // Errors: NoSuchEntity (account/user), LimitExceeded (409) past two keys.
  Result<NewAccessKey> CreateAccessKey(const std::string& account_id,
                                       const std::string& user_name);
  // NoSuchEntity unless the key exists and belongs to that user/root.
  Status DeleteAccessKey(const std::string& account_id, const std::string& user_name,
                         const std::string& access_key_id);
  Status SetAccessKeyStatus(const std::string& account_id, const std::string& user_name,
                            const std::string& access_key_id, const std::string& status);
  // Oldest first.
  Result<std::vector<AccessKeyRecord>> ListAccessKeys(const std::string& account_id,
                                                      const std::string& user_name);

  // ---- roles ----
  // Validates nothing about the policy text (the services do). Errors:
  // NoSuchEntity (account), EntityAlreadyExists (409).
  Result<RoleRecord> CreateRole(const RoleSpec& spec);
  Result<RoleRecord> GetRole(const std::string& account_id, const std::string& name);
  // Looks a role up by arn:aws:iam::A:role[/path]/name; NoSuchEntity if the
  // ARN is malformed, the path differs or the role is absent.
  Result<RoleRecord> GetRoleByArn(const std::string& role_arn);
  // DeleteConflict (409) while inline or attached managed policies remain.
  Status DeleteRole(const std::string& account_id, const std::string& name);
  Result<std::vector<RoleRecord>> ListRoles(const std::string& account_id);
  Status UpdateAssumeRolePolicy(const std::string& account_id, const std::string& name,
                                const std::string& document);

  // ---- inline role policies ----
  // Creates or replaces. NoSuchEntity when the role is absent.
  Status PutRolePolicy(const std::string& account_id, const std::string& role_name,
                       const std::string& policy_name, const std::string& document);
  Result<RolePolicy> GetRolePolicy(const std::string& account_id, const std::string& role_name,
                                   const std::string& policy_name);
  Status DeleteRolePolicy(const std::string& account_id, const std::string& role_name,
                          const std::string& policy_name);
  // Policy names sorted; NoSuchEntity when the role is absent.
  Result<std::vector<std::string>> ListRolePolicies(const std::string& account_id,
                                                    const std::string& role_name);

  // ---- inline user policies (same contracts as the role ones) ----
  Status PutUserPolicy(const std::string& account_id, const std::string& user_name,
                       const std::string& policy_name, const std::string& document);
  Result<UserPolicy> GetUserPolicy(const std::string& account_id, const std::string& user_name,
                                   const std::string& policy_name);
  Status DeleteUserPolicy(const std::string& account_id, const std::string& user_name,
                          const std::string& policy_name);
  Result<std::vector<std::string>> ListUserPolicies(const std::string& account_id,
                                                    const std::string& user_name);

  // ---- customer managed policies (only the owning account sees them) ----
  // Errors: NoSuchEntity (account), EntityAlreadyExists (409) when the name
  // is taken in the account (whatever the path). The document becomes v1.
  Result<ManagedPolicyRecord> CreatePolicy(const std::string& account_id, const std::string& name,
                                           const std::string& path, const std::string& description,
                                           const std::string& document);
  // NoSuchEntity unless `arn` names a policy of `account_id`.
  Result<ManagedPolicyRecord> GetPolicy(const std::string& account_id, const std::string& arn);
  // Sorted by name.
  Result<std::vector<ManagedPolicyRecord>> ListPolicies(const std::string& account_id);
  // DeleteConflict (409) while attached or while non-default versions remain.
  Status DeletePolicy(const std::string& account_id, const std::string& arn);
  // Adds a version (LimitExceeded (409) past kMaxPolicyVersions), the
  // default one if `set_default`.
  Result<PolicyVersionRecord> CreatePolicyVersion(const std::string& account_id,
                                                  const std::string& arn,
                                                  const std::string& document, bool set_default);
  Result<PolicyVersionRecord> GetPolicyVersion(const std::string& account_id,
                                               const std::string& arn,
                                               const std::string& version_id);
  // Newest first.
  Result<std::vector<PolicyVersionRecord>> ListPolicyVersions(const std::string& account_id,
                                                              const std::string& arn);
  // DeleteConflict (409) for the default version.
  Status DeletePolicyVersion(const std::string& account_id, const std::string& arn,
                             const std::string& version_id);
  // Attaching twice is a no-op, as AWS. NoSuchEntity for a missing
  // role/user or policy.
  Status AttachPolicy(const std::string& account_id, AttachTarget target,
                      const std::string& entity_name, const std::string& arn);
  // NoSuchEntity when the policy is not attached there.
  Status DetachPolicy(const std::string& account_id, AttachTarget target,
                      const std::string& entity_name, const std::string& arn);
  // Sorted by policy name; NoSuchEntity when the role/user is absent.
  Result<std::vector<AttachedPolicy>> ListAttachedPolicies(const std::string& account_id,
                                                           AttachTarget target,
                                                           const std::string& entity_name);

  // NoSuchEntity unless `arn` names a policy of `account_id`.
  Result<PolicyEntities> ListEntitiesForPolicy(const std::string& account_id,
                                               const std::string& arn);

  // The managed policies attached to a caller (an IAM user's, an
  // assumed-role session's role's) with their default version's text;
  // empty for root and service principals. Sorted by policy name.
  Result<std::vector<ManagedPolicyText>> ManagedPoliciesOf(const auth::Principal& p);

  // The identity policies of a caller, for authorization: an IAM user's
  // inline policies, an assumed-role session's role inline policies; empty
  // for root and service principals (the Authorizer handles those). Sorted
  // by policy name.
  Result<std::vector<InlinePolicy>> InlinePoliciesOf(const auth::Principal& p);

  // ---- STS sessions ----
  // Issues temporary credentials (ASIA... key, secret, session token) for
  // `role` with the given session name, valid for `duration` from now. The
  // returned Credential carries the assumed-role Principal.
  Result<auth::Credential> CreateSession(const RoleRecord& role, const std::string& session_name,
                                         std::chrono::seconds duration);

  // auth::CredentialLookup. Returns root / IAM user / assumed-role
  // credentials with their plaintext secret and Principal; nullopt when the
  // key id is unknown (or its secret cannot be unsealed). Session
  // credentials are returned even after `expiration`: the verifier checks
  // it so that it can answer ExpiredToken. `active` is false for Inactive
  // access keys.
  std::optional<auth::Credential> FindCredential(const std::string& access_key_id) override;

  // ARN helpers (as AWS writes them).
  static std::string RootArn(const std::string& account_id);
  static std::string UserArn(const std::string& account_id, const std::string& path,
                             const std::string& name);
  static std::string RoleArn(const std::string& account_id, const std::string& path,
                             const std::string& name);
  static std::string PolicyArn(const std::string& account_id, const std::string& path,
                               const std::string& name);
  static std::string AssumedRoleArn(const std::string& account_id, const std::string& role_name,
                                    const std::string& session_name);

 private:
  Status InitSchema();
  Status RequireAccount(const std::string& account_id);
  Status RequireUser(const std::string& account_id, const std::string& user_name);
  Status RequireRole(const std::string& account_id, const std::string& role_name);
  // The role or user a managed policy is attached to must exist.
  Status RequireEntity(const std::string& account_id, AttachTarget target,
                       const std::string& name);
  int64_t NowNanos() const;

  // FindCredential runs on every signed request: its answers (SQLite row +
  // unsealed secret) are cached. Any change to a key's status or existence
  // bumps the generation and empties the cache; a lookup only fills it if
  // no change happened since it started reading, so no stale answer stays.
  // Unknown ids are never cached. Bounded: emptied when full.
  void ForgetCredentials();
  std::optional<auth::Credential> LoadCredential(const std::string& access_key_id);

  catalog::Db& db_;
  const crypto::Sealer& sealer_;
  const Clock& clock_;
  Status init_status_;
  std::mutex cred_mu_;
  uint64_t cred_generation_ = 0;
  std::unordered_map<std::string, auth::Credential> cred_cache_;
};

// True for names matching IAM's [\w+=,.@-]{min,max}.
bool IsValidIamName(const std::string& name, size_t min_len, size_t max_len);
// True for "/" or "/.../" with printable ASCII between (IAM pathType).
bool IsValidIamPath(const std::string& path);

}  // namespace orgtrail::iam
