// Reading Query-protocol (IAM, STS) request parameters with the validation
// errors AWS answers for them: code ValidationError (400) and messages like
// "1 validation error detected: Value null at 'roleName' failed to satisfy
// constraint: Member must not be null". Used by IamService and StsService.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "auth/service_ops.h"
#include "base/status.h"

namespace orgtrail::iam {

// A ValidationError for `member` (model name, e.g. "RoleName") with `value`.
Status ValidationFailed(const std::string& member, const std::string& value,
                        const std::string& constraint);

// Absent parameter -> nullopt (an empty value counts as present).
std::optional<std::string> OptParam(const auth::QueryParams& p, const std::string& name);
// Absent or empty -> ValidationError "Member must not be null".
Result<std::string> ReqParam(const auth::QueryParams& p, const std::string& name);
// Required parameter matching IAM's [\w+=,.@-]{min,max} name pattern.
Result<std::string> ReqName(const auth::QueryParams& p, const std::string& name, size_t min_len,
                            size_t max_len);
// Optional integer; not a number or outside [min,max] -> ValidationError.
Result<std::optional<int64_t>> OptIntParam(const auth::QueryParams& p, const std::string& name,
                                           int64_t min_value, int64_t max_value);

}  // namespace orgtrail::iam
