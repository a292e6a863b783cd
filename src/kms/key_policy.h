// Key policies: validation of a policy document for CreateKey/PutKeyPolicy
// (KMS's own checks, then policy::ParsePolicy so every stored key policy can
// be evaluated) and the AWS default key policy. Evaluation is
// iam::Authorizer's (KmsService::Authorize).
// Called by KmsService. Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "auth/principal.h"
#include "base/json.h"
#include "base/status.h"
#include "kms/data_key_provider.h"

namespace orgtrail::kms {

constexpr size_t kMaxKeyPolicySize = 32768;

// Checks that `text` is a JSON object with a Statement (object or non-empty
// array) whose statements have Effect Allow|Deny, a Principal, an Action or
// NotAction and a Resource, and that policy::ParsePolicy accepts it as a
// resource policy. Returns the parsed document, or
// MalformedPolicyDocumentException with the reason.
Result<Json> ValidateKeyPolicy(std::string_view text);

// The policy AWS attaches when CreateKey has no Policy: the account's root
// (and so its IAM identities) may do kms:* on the key.
std::string DefaultKeyPolicy(const std::string& account_id);

// Glob match with '*' and '?' (IAM wildcard semantics); case-insensitive if asked.
bool WildcardMatch(std::string_view pattern, std::string_view text, bool ignore_case);

}  // namespace orgtrail::kms
