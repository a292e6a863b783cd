// Explanation: why Authorize decided what it did, in terms a user can act on
// — which policy, which statement (Sid and index), which element did not
// match (and what it covers) or which condition failed (operator, key,
// expected and actual values). Filled by Authorize (evaluator.h); printed by
// services into AccessDenied messages, CreateTrail's policy errors and
// GetTrailStatus's LatestDeliveryError. A plain value; thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "policy/evaluator.h"

namespace orgtrail::policy {

// One policy's part in the decision.
struct PolicyVerdict {
  std::string label;  // "the bucket policy of b", "identity policy #0"
  bool is_resource_policy = false;
  Policy policy;  // a copy, so the explanation outlives the PolicySet
  Trace trace;
};

struct Explanation {
  Decision decision = Decision::kImplicitDeny;
  std::string action;
  std::string resource;
  std::string principal;  // "Service cloudtrail.amazonaws.com", an ARN, "an anonymous caller"
  bool cross_account = false;
  std::vector<PolicyVerdict> policies;  // identity policies first, then the resource policy

  // The inputs of the final rule (see evaluator.h).
  std::string resource_label;             // "the bucket policy of b"
  bool has_resource_policy = false;
  bool resource_only = false;             // service principal or anonymous caller
  bool resource_policy_required = false;  // key or trust policy
  bool identity_allows = false;
  bool resource_allows_directly = false;
  bool resource_delegates_to_account = false;

  // One paragraph, e.g.
  //   "no statement in the bucket policy of b allows s3:PutObject for Service
  //   cloudtrail.amazonaws.com on arn:aws:s3:::b/AWSLogs/o-1/111/x;
  //   statement 'AWSCloudTrailWrite20150319' (index 1) matches the principal
  //   and action but not the resource (it covers arn:aws:s3:::b/AWSLogs/222/*)"
  std::string Message() const;
};

// Describes why statement `st` of `policy` does not apply, e.g. "matches the
// principal and action but not the resource (it covers arn:...)": used by
// Message(), exposed for the CLI.
std::string DescribeStatementMismatch(const Policy& policy, const StatementTrace& st);

}  // namespace orgtrail::policy
