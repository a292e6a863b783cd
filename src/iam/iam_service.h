// IamService: the IAM operations orgtrail serves over the Query protocol
// (namespace https://iam.amazonaws.com/doc/2010-05-08/): roles and their
// trust policies, inline role policies, users and access keys. Every call
// is scoped to the caller's account (ctx.principal.account_id): a principal
// never sees or changes another account's IAM. Identity-policy
// authorization of the caller is not done yet (a later issue wires policy/).
// Policy documents in responses are RFC 3986 percent-encoded, as AWS sends
// them. Ops() hands the operation table to api/.
//
// Thread-safe: no mutable state of its own; the store is thread-safe.
#pragma once

#include "auth/service_ops.h"
#include "base/time.h"
#include "iam/identity_store.h"

namespace orgtrail::iam {

inline constexpr char kIamXmlNamespace[] = "https://iam.amazonaws.com/doc/2010-05-08/";

class IamService {
 public:
  // `store` and `clock` must outlive the service.
  IamService(IdentityStore& store, const Clock& clock);

  auth::QueryOps Ops();

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

 private:
  // The user a key operation is about: UserName if given, else the caller
  // (root -> "", IAM user -> its name); an assumed role must name a user.
  Result<std::string> KeyOwner(const auth::RequestContext& ctx, const auth::QueryParams& params);

  IdentityStore& store_;
  const Clock& clock_;
};

}  // namespace orgtrail::iam
