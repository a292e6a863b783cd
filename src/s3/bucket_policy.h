// Bucket access decision for this simple model (full IAM policy
// evaluation replaces AuthorizeBucketAccess later): the bucket owner's
// account may do everything, other principals need an Allow statement in the
// bucket policy, and an explicit Deny wins over everything, the owner
// included. Also validates bucket policy documents (MalformedPolicy).
// Pure functions, thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "auth/principal.h"
#include "base/status.h"

namespace orgtrail::s3 {

// Condition keys the request carries (aws:SourceArn, aws:SourceAccount,
// s3:x-amz-acl, ...). Keys are matched case-insensitively.
using ConditionValues = std::map<std::string, std::string>;

struct AccessRequest {
  const auth::RequestContext* ctx = nullptr;
  std::string owner_account;  // the bucket owner's account id
  std::string action;         // e.g. "s3:GetObject"
  std::string resource;       // arn:aws:s3:::bucket or arn:aws:s3:::bucket/key
  ConditionValues conditions;
};

// OK or AccessDenied (403). `policy_json` is the stored bucket policy, if any.
Status AuthorizeBucketAccess(const AccessRequest& req, const std::optional<std::string>& policy_json);

// Checks a bucket policy document for PutBucketPolicy: JSON, Statement
// present, each with Effect, Principal, Action and Resource naming this
// bucket. MalformedPolicy (400) with a reason otherwise.
Status ValidateBucketPolicy(const std::string& bucket, const std::string& policy_json);

// `*` and `?` wildcard match (case-sensitive unless `ignore_case`).
bool WildcardMatch(std::string_view pattern, std::string_view text, bool ignore_case);

}  // namespace orgtrail::s3
