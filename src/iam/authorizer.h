// Authorizer: the one authorization entry point every service calls before
// it acts. It gathers the caller's identity policies (an IAM user's inline
// and attached managed policies, an assumed-role session's role's inline and
// attached managed policies; the root user
// holds an implicit allow-all), takes the resource's own policy (bucket,
// key or trust policy) from the caller of Authorize, and asks
// policy::Authorize for the AWS decision (explicit deny wins, key and trust
// policies must allow, cross-account needs both sides, service principals
// and anonymous callers are judged by the resource policy alone).
//
// A denial comes back as the service's own AccessDenied error, whose
// message says who was refused what and why (policy::Explanation::Message):
//   AccessDeniedException (JSON services: KMS, Organizations, CloudTrail)
//   AccessDenied (Query services IAM/STS, and S3), HTTP 403.
//
// Built once by the server's wiring over the IdentityStore and handed to the
// services; services built without one (unit tests) use Default(), which has
// no identity store (root: allow-all; everyone else: no identity policies).
//
// Thread-safe: no mutable state; the policy fetcher must be thread-safe
// (IdentityStore is).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "auth/principal.h"
#include "base/status.h"
#include "policy/evaluator.h"
#include "policy/explain.h"
#include "policy/policy_document.h"

namespace orgtrail::iam {

class IdentityStore;

// Which error shape a denial takes.
enum class DenyStyle {
  kJson,   // AccessDeniedException, "User: <arn> is not authorized to perform: ..."
  kQuery,  // AccessDenied, same message (IAM, STS)
  kS3,     // AccessDenied, "Access Denied: <explanation>"
};

// What kind of resource policy accompanies the check.
enum class ResourcePolicyKind {
  kNone,    // the resource has no policy of its own (IAM, Organizations, CloudTrail)
  kBucket,  // S3 bucket policy (optional; identity OR resource in the same account)
  kKey,     // KMS key policy (must allow, directly or by delegation to the account)
  kTrust,   // IAM role trust policy (must allow, same rule as key policies)
};

struct AuthzCheck {
  std::string action;            // "s3:GetObject"
  std::string resource;          // the resource ARN ("*" for account-wide actions)
  std::string resource_account;  // account owning the resource (caller's own when empty)
  const policy::Policy* resource_policy = nullptr;  // null = none (denies for kKey/kTrust)
  ResourcePolicyKind kind = ResourcePolicyKind::kNone;
  std::string resource_label;    // "the bucket policy of b" (defaults by kind)
  // Extra condition keys (s3:x-amz-acl, kms:EncryptionContext:k, sts:ExternalId ...).
  // aws:SourceArn/aws:SourceAccount/aws:SourceIp/aws:SecureTransport/
  // aws:CurrentTime/aws:MultiFactorAuthPresent come from the RequestContext.
  std::map<std::string, std::vector<std::string>> context;
  DenyStyle style = DenyStyle::kJson;
};

// A caller's identity policy as stored: name and JSON text; `managed_arn`
// is set for an attached managed policy (its default version), empty for
// an inline one.
struct IdentityPolicyText {
  std::string name;
  std::string document;
  std::string managed_arn{};
};

// Returns the stored identity policies of a user or assumed-role caller.
using IdentityPolicyFetcher =
    std::function<Result<std::vector<IdentityPolicyText>>(const auth::Principal&)>;
// The organization id of an account ("" when none): aws:PrincipalOrgID.
using OrgIdLookup = std::function<std::string(const std::string& account_id)>;

class Authorizer {
 public:
  // No identity store: root callers hold allow-all, users and roles hold no
  // identity policy.
  Authorizer() = default;
  // Over the IdentityStore's inline and attached managed user and role
  // policies; `store` must
  // outlive the authorizer.
  explicit Authorizer(IdentityStore& store);
  // For tests: any policy source.
  explicit Authorizer(IdentityPolicyFetcher fetcher);

  // Sets how aws:PrincipalOrgID is found. Call before serving requests.
  void SetOrgIdLookup(OrgIdLookup lookup) { org_of_ = std::move(lookup); }

  // OK when allowed; otherwise the AccessDenied error of `check.style`.
  // A stored identity policy that no longer parses is ignored (it can never
  // allow), as is a fetch failure (InternalError is returned instead).
  Status Authorize(const auth::RequestContext& ctx, const AuthzCheck& check) const;

  // The decision with its explanation (for messages that are not plain
  // AccessDenied, e.g. CloudTrail's policy errors). Errors only when the
  // identity policies cannot be read.
  Result<policy::Decision> Decide(const auth::RequestContext& ctx, const AuthzCheck& check,
                                  policy::Explanation* why) const;

  // The policy::Caller a principal is evaluated as.
  policy::Caller CallerOf(const auth::Principal& p) const;

  // The shared no-store authorizer services use when none was given.
  static const Authorizer& Default();

 private:
  IdentityPolicyFetcher fetch_;
  OrgIdLookup org_of_;
};

}  // namespace orgtrail::iam
