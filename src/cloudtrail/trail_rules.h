// Input rules of the CloudTrail control plane that do not need state: trail
// names, trail ARNs, S3 key prefixes and tag lists, each turning bad input
// into the exact error shape of model cloudtrail/2013-11-01. Called by
// CloudTrailService. Thread-safe (pure functions).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace orgtrail::cloudtrail {

inline constexpr size_t kMaxS3PrefixLength = 200;
inline constexpr size_t kMaxTagsPerTrail = 50;

// 3-128 chars of [A-Za-z0-9._-], alphanumeric at both ends, no two adjacent
// '.', '_' or '-', not shaped like an IPv4 address. Else InvalidTrailNameException.
Status ValidateTrailName(const std::string& name);

struct TrailArn {
  std::string region;
  std::string account;
  std::string name;
};

// True when `ref` is meant as an ARN (starts with "arn:").
bool IsArnReference(const std::string& ref);
// Parses arn:<partition>:cloudtrail:<region>:<12 digits>:trail/<name>;
// anything else is CloudTrailARNInvalidException.
Result<TrailArn> ParseTrailArn(const std::string& arn);
std::string MakeTrailArn(const std::string& region, const std::string& account,
                         const std::string& name);

// Validates an S3KeyPrefix: at most 200 characters, valid UTF-8, no leading
// or trailing '/' and no empty path segment (delivery builds keys as
// prefix + "/AWSLogs/..." verbatim). Else InvalidS3PrefixException.
// An empty prefix is valid and means "no prefix".
Status ValidateS3Prefix(const std::string& prefix);

using Tag = std::pair<std::string, std::string>;  // Key, Value

// Reads a TagsList member ([{"Key":..,"Value":..}]). Keys: 1-128 chars, not
// starting with "aws:"; values: at most 256 chars; at most 50 tags.
// Errors: InvalidTagParameterException, TagsLimitExceededException.
// A missing member gives an empty list.
Result<std::vector<Tag>> ParseTagsList(const Json& input, const char* member);

}  // namespace orgtrail::cloudtrail
