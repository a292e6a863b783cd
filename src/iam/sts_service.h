// StsService: the STS operations orgtrail serves over the Query protocol —
// GetCallerIdentity and AssumeRole. AssumeRole is decided by the Authorizer
// (the role's trust policy must allow; a cross-account caller's identity
// policy must allow sts:AssumeRole on the role too) and issues session credentials through
// the IdentityStore. Ops() hands the operation table to api/, whose Query
// codec renders results under <Op>Result in the namespace
// https://sts.amazonaws.com/doc/2011-06-15/.
//
// Thread-safe: no mutable state of its own; the store is thread-safe.
#pragma once

#include "auth/service_ops.h"
#include "base/time.h"
#include "iam/authorizer.h"
#include "iam/identity_store.h"

namespace orgtrail::iam {

inline constexpr char kStsXmlNamespace[] = "https://sts.amazonaws.com/doc/2011-06-15/";

class StsService {
 public:
  // `store` and `clock` must outlive the service.
  StsService(IdentityStore& store, const Clock& clock);

  auth::QueryOps Ops();

  // The authorizer to use (Authorizer::Default() when unset); must outlive
  // the service. Call before serving requests.
  void SetAuthorizer(const Authorizer* authorizer) { authorizer_ = authorizer; }

  // {"UserId","Account","Arn"} as AWS shows them for root, user, role.
  Result<OrderedJson> GetCallerIdentity(const auth::RequestContext& ctx,
                                        const auth::QueryParams& params);
  // {"Credentials":{...},"AssumedRoleUser":{...}}. Errors: ValidationError
  // (bad RoleSessionName, DurationSeconds, ExternalId), AccessDenied (403)
  // when the role is unknown or its trust policy does not allow the caller.
  Result<OrderedJson> AssumeRole(const auth::RequestContext& ctx, const auth::QueryParams& params);

 private:
  const Authorizer& authorizer() const;

  IdentityStore& store_;
  const Clock& clock_;
  const Authorizer* authorizer_ = nullptr;
};

}  // namespace orgtrail::iam
