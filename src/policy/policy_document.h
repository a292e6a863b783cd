// Policy: the parsed, validated form of an IAM policy document (identity
// policy, resource policy such as an S3 bucket policy or a KMS key policy, or
// an IAM role trust policy), and ParsePolicy, which turns JSON text into it
// with the structural checks AWS makes before it stores a policy.
//
// Called by the services that store policies (IAM, S3, KMS) and by anything
// that evaluates one (policy/evaluator.h). A Policy is an immutable value
// after parsing: share it freely between threads. ParsePolicy is a pure
// function, thread-safe, never throws and bounds its recursion, so it is
// safe on arbitrary client bytes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "policy/conditions.h"

namespace orgtrail::policy {

// Where a document is used; decides which elements are required/forbidden.
enum class PolicyKind {
  kIdentity,  // attached to a user/role/group: no Principal, Resource required
  kResource,  // S3 bucket policy, KMS key policy: Principal and Resource required
  kTrust,     // IAM role trust policy: Principal required, no Resource, sts: actions
};

enum class Effect { kAllow, kDeny };

// The value of a Principal or NotPrincipal element. Values are kept as
// written (account ids stay account ids); matching normalises.
struct PrincipalSet {
  bool any = false;                          // "*" or {"AWS": "*"} (also in a list)
  std::vector<std::string> aws;              // account ids and IAM/STS ARNs (not "*")
  std::vector<std::string> service;          // "cloudtrail.amazonaws.com"
  std::vector<std::string> federated;        // identity providers
  std::vector<std::string> canonical_user;   // S3 canonical user ids
};

struct Statement {
  size_t index = 0;          // position in the Statement array (0 when an object)
  std::string sid;           // may be empty
  Effect effect = Effect::kAllow;

  bool not_action = false;   // NotAction instead of Action
  std::vector<std::string> actions;

  bool has_resource = false;  // false: no Resource/NotResource (trust policies)
  bool not_resource = false;
  std::vector<std::string> resources;

  bool has_principal = false;  // false: identity policy (principal is implied)
  bool not_principal = false;
  PrincipalSet principals;

  std::vector<ConditionClause> conditions;  // AND of all clauses

  // "statement 'Sid' (index 1)" or "statement index 1" for messages.
  std::string Describe() const;
};

struct Policy {
  PolicyKind kind = PolicyKind::kIdentity;
  std::string version;  // "2012-10-17", "2008-10-17" or "" (absent)
  std::string id;       // the optional top-level Id
  std::vector<Statement> statements;

  // Policy variables (${aws:username}) are only interpreted in version
  // 2012-10-17 documents; in older or unversioned ones they are literal text,
  // as on AWS.
  bool variables_enabled() const { return version == "2012-10-17"; }
};

// Nesting deeper than this is refused before parsing (no legitimate policy
// comes close: the deepest valid path is Condition/op/key/[values]).
inline constexpr int kMaxPolicyJsonDepth = 32;

// Parses and validates `json` as a policy of `kind`.
// On success returns the Policy. On failure returns
// Status::Error("MalformedPolicyDocument", reason) where the reason names the
// statement (index and Sid), the element and what is wrong, e.g.
//   "Statement 2 (Sid 'AllowRead'): Effect must be \"Allow\" or \"Deny\", got \"allow\"".
// Callers remap the code for their protocol (S3: MalformedPolicy, KMS:
// MalformedPolicyDocumentException). Size limits are the caller's business.
Result<Policy> ParsePolicy(std::string_view json, PolicyKind kind);

}  // namespace orgtrail::policy
