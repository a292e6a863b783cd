// Policy evaluation: Evaluate decides what one policy says about a request
// (with a per-statement Trace), Authorize makes the whole AWS decision from
// the caller's identity policies and the resource's policy (bucket, key or
// trust policy):
//   1. an explicit Deny in any policy wins;
//   2. a service principal (cloudtrail.amazonaws.com) and an anonymous caller
//      are judged by the resource policy alone;
//   3. key and trust policies must allow: naming the caller (or "*") allows
//      directly, naming the caller's account (root ARN or account id)
//      delegates to the caller's identity policies;
//   4. otherwise, same account: identity policy OR resource policy (naming the
//      caller; naming only the account delegates to identity policies);
//   5. cross-account: identity policy AND resource policy.
// Called by the services (and the CLI's explain tools). Pure functions over
// immutable Policies; thread-safe.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "policy/conditions.h"
#include "policy/policy_document.h"

namespace orgtrail::policy {

// Who is calling. Exactly one of: anonymous, a service principal (service
// set), or an IAM identity (arn set; account_id its account).
struct Caller {
  std::string account_id;
  std::string arn;       // user/role/assumed-role session/root ARN
  std::string role_arn;  // for assumed-role sessions: the role's ARN
  std::string service;   // "cloudtrail.amazonaws.com" for service principals
  std::string org_id;    // the caller account's organization, if any
  bool anonymous = false;
};

struct Request {
  Caller caller;
  std::string action;            // "s3:PutObject"
  std::string resource;          // the resource ARN ("" for actions without one)
  std::string resource_account;  // the account that owns the resource
  // Condition keys (case-insensitive lookup). When absent, these are derived
  // from the caller: aws:PrincipalAccount, aws:PrincipalArn (the role ARN for
  // sessions), aws:PrincipalOrgID, aws:username (IAM users),
  // aws:PrincipalServiceName, aws:ResourceAccount.
  std::map<std::string, std::vector<std::string>> context;
};

enum class Decision { kAllow, kExplicitDeny, kImplicitDeny };
const char* DecisionName(Decision d);  // "Allow", "ExplicitDeny", "ImplicitDeny"

// How a statement's Principal matched the caller.
enum class PrincipalMatch {
  kNone,
  kImplied,      // identity policy: no Principal element, the holder is the principal
  kAny,          // "*" or {"AWS": "*"}
  kExact,        // the caller's ARN, its role ARN, or the root of its account when it is root
  kService,      // {"Service": ...} naming the calling service
  kAccount,      // the caller's account (id or root ARN): delegation to IAM policies
  kNotListed,    // NotPrincipal that does not list the caller
};

struct StatementTrace {
  size_t index = 0;
  std::string sid;
  Effect effect = Effect::kAllow;
  PrincipalMatch principal = PrincipalMatch::kNone;
  bool principal_matched = false;
  bool action_matched = false;
  bool resource_matched = false;
  std::string resource_missing_variable;  // a ${var} in Resource that the request lacks
  bool conditions_evaluated = false;      // only when principal, action, resource matched
  bool conditions_matched = false;
  std::optional<ConditionFailure> failed_condition;  // the first clause that failed

  bool applies() const {
    return principal_matched && action_matched && resource_matched && conditions_matched;
  }
};

struct Trace {
  Decision decision = Decision::kImplicitDeny;
  bool allow_direct = false;       // an applying Allow names the caller, "*" or its service
  bool allow_via_account = false;  // an applying Allow names only the caller's account
  std::vector<StatementTrace> statements;
};

// What one policy says: kExplicitDeny if an applying Deny statement exists,
// else kAllow if an applying Allow exists, else kImplicitDeny. Statements of
// an identity policy always match the principal. Fills `trace` if given.
Decision Evaluate(const Policy& policy, const Request& request, Trace* trace = nullptr);

struct PolicySet {
  std::vector<const Policy*> identity;  // caller's identity policies (+ session policies)
  const Policy* resource = nullptr;     // bucket/key/trust policy, if any
  bool resource_is_key_policy = false;  // KMS: key policy must allow (directly or via root)
  bool resource_is_trust_policy = false;  // IAM role trust: same rule as key policies
  bool caller_is_resource_owner_account = false;  // false (the safe default) = cross-account

  // Names used in explanations; defaults: "identity policy #<i>", "the
  // resource policy" / "the key policy" / "the trust policy".
  std::vector<std::string> identity_labels;
  std::string resource_label;  // e.g. "the bucket policy of my-bucket"
};

struct Explanation;

// The AWS decision for one request (rules in the file comment). Null
// entries in `identity` are ignored. Fills `why` (explain.h) if given.
Decision Authorize(const PolicySet& set, const Request& request, Explanation* why = nullptr);

// The request context with the derived keys added (see Request::context).
ContextValues EffectiveContext(const Request& request);

}  // namespace orgtrail::policy
