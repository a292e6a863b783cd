// IamService: the IAM operations orgtrail serves over the Query protocol
// (namespace https://iam.amazonaws.com/doc/2010-05-08/): roles and their
// trust policies, inline role and user policies, customer managed policies
// (with versions, attached to roles and users), users and access keys.
// Every call is scoped to the caller's account (ctx.principal.account_id): a
// principal never sees or changes another account's IAM. Every call is
// authorized by the Authorizer as iam:<Operation> on the role, user or
// managed-policy ARN it is about ("*" for ListRoles/ListUsers/ListPolicies;
// Attach/Detach on the role or user, with iam:PolicyARN in the request
// context, as AWS), against the caller's identity
// policies (root: implicit allow-all); denials answer AccessDenied (403).
// Policy documents in responses are RFC 3986 percent-encoded, as AWS sends
// them. Ops() hands the operation table to api/.
//
// Thread-safe: no mutable state of its own; the store is thread-safe.
#pragma once

#include "auth/service_ops.h"
#include "base/time.h"
#include "iam/authorizer.h"
#include "iam/identity_store.h"

namespace orgtrail::iam {

inline constexpr char kIamXmlNamespace[] = "https://iam.amazonaws.com/doc/2010-05-08/";

class IamService {
 public:
  // `store` and `clock` must outlive the service.
  IamService(IdentityStore& store, const Clock& clock);

  auth::QueryOps Ops();

  // The authorizer to use (Authorizer::Default() when unset); must outlive
  // the service. Call before serving requests.
  void SetAuthorizer(const Authorizer* authorizer) { authorizer_ = authorizer; }

  using Handler = Result<OrderedJson> (IamService::*)(const auth::RequestContext&,
                                                      const auth::QueryParams&);
  Result<OrderedJson> CreateRole(const auth::RequestContext&, const auth::QueryParams&);
  Result<OrderedJson> GetRole(const auth::RequestContext&, const auth::QueryParams&);
  Result<OrderedJson> DeleteRole(const auth::RequestContext&, const auth::QueryParams&);
  Result<OrderedJson> ListRoles(const auth::RequestContext&, const auth::QueryParams&);
  Result<OrderedJson> UpdateAssumeRolePolicy(const auth::RequestContext&,
                                             const auth::QueryParams&);
  Result<OrderedJson> PutRolePolicy(const auth::RequestContext&, const auth::QueryParams&);
  Result<OrderedJson> GetRolePolicy(const auth::RequestContext&, const auth::QueryParams&);
  Result<OrderedJson> DeleteRolePolicy(const auth::RequestContext&, const auth::QueryParams&);
  Result<OrderedJson> ListRolePolicies(const auth::RequestContext&, const auth::QueryParams&);
  Result<OrderedJson> PutUserPolicy(const auth::RequestContext&, const auth::QueryParams&);
  Result<OrderedJson> GetUserPolicy(const auth::RequestContext&, const auth::QueryParams&);
  Result<OrderedJson> DeleteUserPolicy(const auth::RequestContext&, const auth::QueryParams&);
  Result<OrderedJson> ListUserPolicies(const auth::RequestContext&, const auth::QueryParams&);
  Result<OrderedJson> CreatePolicy(const auth::RequestContext&, const auth::QueryParams&);
  Result<OrderedJson> GetPolicy(const auth::RequestContext&, const auth::QueryParams&);
  Result<OrderedJson> DeletePolicy(const auth::RequestContext&, const auth::QueryParams&);
  Result<OrderedJson> ListPolicies(const auth::RequestContext&, const auth::QueryParams&);
  Result<OrderedJson> CreatePolicyVersion(const auth::RequestContext&, const auth::QueryParams&);
  Result<OrderedJson> GetPolicyVersion(const auth::RequestContext&, const auth::QueryParams&);
  Result<OrderedJson> ListPolicyVersions(const auth::RequestContext&, const auth::QueryParams&);
  Result<OrderedJson> DeletePolicyVersion(const auth::RequestContext&, const auth::QueryParams&);
  Result<OrderedJson> ListEntitiesForPolicy(const auth::RequestContext&, const auth::QueryParams&);
  Result<OrderedJson> AttachRolePolicy(const auth::RequestContext&, const auth::QueryParams&);
  Result<OrderedJson> DetachRolePolicy(const auth::RequestContext&, const auth::QueryParams&);
  Result<OrderedJson> ListAttachedRolePolicies(const auth::RequestContext&,
                                               const auth::QueryParams&);
  Result<OrderedJson> AttachUserPolicy(const auth::RequestContext&, const auth::QueryParams&);
  Result<OrderedJson> DetachUserPolicy(const auth::RequestContext&, const auth::QueryParams&);
  Result<OrderedJson> ListAttachedUserPolicies(const auth::RequestContext&,
                                               const auth::QueryParams&);
  Result<OrderedJson> CreateUser(const auth::RequestContext&, const auth::QueryParams&);
  Result<OrderedJson> GetUser(const auth::RequestContext&, const auth::QueryParams&);
  Result<OrderedJson> DeleteUser(const auth::RequestContext&, const auth::QueryParams&);
  Result<OrderedJson> ListUsers(const auth::RequestContext&, const auth::QueryParams&);
  Result<OrderedJson> CreateAccessKey(const auth::RequestContext&, const auth::QueryParams&);
  Result<OrderedJson> DeleteAccessKey(const auth::RequestContext&, const auth::QueryParams&);
  Result<OrderedJson> UpdateAccessKey(const auth::RequestContext&, const auth::QueryParams&);
  Result<OrderedJson> ListAccessKeys(const auth::RequestContext&, const auth::QueryParams&);

  // Role/user as the IAM model's Role/User structures.
  static OrderedJson RoleToJson(const RoleRecord& role);
  static OrderedJson UserToJson(const UserRecord& user);
  // A managed policy as the IAM model's Policy structure.
  static OrderedJson PolicyToJson(const ManagedPolicyRecord& policy);

 private:
  // What an operation's resource ARN names: nothing ("*"), the RoleName's
  // role, the UserName's user, the UserName's user else the caller, the
  // PolicyArn's policy, or the policy PolicyName/Path would create.
  enum class Target { kNone, kRole, kUser, kKeyOwner, kPolicy, kNewPolicy };
  std::string TargetArn(const auth::RequestContext& ctx, const auth::QueryParams& p,
                        Target target);
  Status AuthorizeCall(const auth::RequestContext& ctx, const auth::QueryParams& p,
                       const std::string& action, Target target);
  const Authorizer& authorizer() const;

  // The user a key operation is about: UserName if given, else the caller
  // (root -> "", IAM user -> its name); an assumed role must name a user.
  Result<std::string> KeyOwner(const auth::RequestContext& ctx, const auth::QueryParams& params);
  Result<OrderedJson> Attach(const auth::RequestContext& ctx, const auth::QueryParams& p,
                             AttachTarget target, bool attach);
  Result<OrderedJson> ListAttached(const auth::RequestContext& ctx, const auth::QueryParams& p,
                                   AttachTarget target);

  IdentityStore& store_;
  const Clock& clock_;
  const Authorizer* authorizer_ = nullptr;
};

}  // namespace orgtrail::iam
