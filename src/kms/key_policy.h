// Key policies: validation of a policy document for CreateKey/PutKeyPolicy,
// the AWS default key policy, and KeyPolicyAllows — the minimal evaluation
// KmsService uses for cross-account callers and AWS service principals until
// policy/ provides full IAM evaluation (then this function is replaced).
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
// array) whose statements have Effect Allow|Deny, a Principal and an Action or
// NotAction. Returns the parsed document, or MalformedPolicyDocumentException.
Result<Json> ValidateKeyPolicy(std::string_view text);

// The policy AWS attaches when CreateKey has no Policy: the account's root
// (and so its IAM identities) may do kms:* on the key.
std::string DefaultKeyPolicy(const std::string& account_id);

// What KeyPolicyAllows needs to know about the call.
struct KeyPolicyRequest {
  const auth::Principal* principal = nullptr;
  std::string action;                       // "kms:Decrypt"
  const EncryptionContext* context = nullptr;  // may be null (no context)
};

// True if some Allow statement matches the caller (Principal AWS: account
// root ARN, bare account id, exact user/role ARN, "*"; Service: the service
// principal's name), the action (wildcards allowed) and all its conditions,
// and no Deny statement matches. Supported conditions: StringEquals,
// StringLike, StringNotEquals, StringNotLike and Null on
// kms:EncryptionContext:<key>, kms:CallerAccount, aws:SourceAccount and (for
// CloudTrail) aws:SourceArn, taken from the aws:cloudtrail:arn context value.
// Anything else fails closed: an Allow with it does not apply, a Deny with it
// does.
bool KeyPolicyAllows(const Json& policy, const KeyPolicyRequest& request);

// Glob match with '*' and '?' (IAM wildcard semantics); case-insensitive if asked.
bool WildcardMatch(std::string_view pattern, std::string_view text, bool ignore_case);

}  // namespace orgtrail::kms
