// Trust-policy evaluation for sts:AssumeRole: decides whether a caller may
// assume a role from the role's assume-role (trust) policy alone. This is a
// deliberately small evaluator that a later issue replaces with the full
// IAM evaluation in policy/ (identity policies, SCPs, more conditions).
//
// Rules: an explicit Deny wins over any Allow; no matching Allow denies.
// Principal {"AWS": v} matches when v is "*", the caller's account id, the
// account root ARN arn:aws:iam::A:root (any principal of account A), the
// exact user/role ARN, or — for an assumed-role caller — its role ARN or its
// session ARN. {"Service"/"Federated"/...} never match a user or role.
// Conditions: StringEquals / StringLike (and their IfExists forms) on
// sts:ExternalId and aws:PrincipalArn. Any other operator or key fails
// closed: an Allow with it does not apply, a Deny with it applies.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "auth/principal.h"
#include "base/json.h"

namespace orgtrail::iam {

struct TrustRequest {
  const auth::Principal* caller = nullptr;  // required
  std::string action = "sts:AssumeRole";
  std::optional<std::string> external_id;
};

enum class TrustDecision { kAllow, kExplicitDeny, kImplicitDeny };

// `policy` must be a document accepted by ValidatePolicyDocument(kTrust);
// anything unexpected in it is treated as not matching (fail closed).
TrustDecision EvaluateTrustPolicy(const Json& policy, const TrustRequest& request);

// IAM wildcard match: '*' any run (also empty), '?' exactly one character.
// Case-sensitive unless `ignore_case`.
bool WildcardMatch(std::string_view pattern, std::string_view value, bool ignore_case = false);

}  // namespace orgtrail::iam
