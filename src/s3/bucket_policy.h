// Bucket policy documents: validation for PutBucketPolicy (S3's own checks,
// then policy::ParsePolicy so every stored policy can be evaluated). The
// access decision itself is S3Service::Authorize (iam::Authorizer).
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

// Checks a bucket policy document for PutBucketPolicy: JSON, Statement
// present, each with Effect, Principal, Action and Resource naming this
// bucket. MalformedPolicy (400) with a reason otherwise.
Status ValidateBucketPolicy(const std::string& bucket, const std::string& policy_json);

// `*` and `?` wildcard match (case-sensitive unless `ignore_case`).
bool WildcardMatch(std::string_view pattern, std::string_view text, bool ignore_case);

}  // namespace orgtrail::s3
