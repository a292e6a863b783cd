#include "cloudtrail/trail_rules.h"

#include <cctype>

#include "base/strings.h"

namespace orgtrail::cloudtrail {
namespace {

Status NameError(const std::string& message) {
  return Status::Error("InvalidTrailNameException", message);
}

bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool IsSpecial(char c) { return c == '.' || c == '_' || c == '-'; }

bool LooksLikeIpv4(const std::string& s) {
  int groups = 0;
  size_t i = 0;
  while (i <= s.size()) {
    size_t start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == start || i - start > 3) return false;
    ++groups;
    if (i == s.size()) break;
    if (s[i] != '.') return false;
    ++i;
  }
  return groups == 4;
}

bool IsTwelveDigits(const std::string& s) {
  if (s.size() != 12) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

}  // namespace

Status ValidateTrailName(const std::string& name) {
  if (name.size() < 3)
    return NameError(
        "Trail name too short. Minimum allowed length: 3 characters. Specified name "
        "length: " +
        std::to_string(name.size()) + " characters.");
  if (name.size() > 128)
    return NameError(
        "Trail name too long. Maximum allowed length: 128 characters. Specified name "
        "length: " +
        std::to_string(name.size()) + " characters.");
  for (char c : name) {
    if (!IsAlnum(c) && !IsSpecial(c))
      return NameError(
          "Trail name or ARN can only contain uppercase letters, lowercase letters, "
          "numbers, periods (.), hyphens (-), and underscores (_).");
  }
  if (!IsAlnum(name.front()) || !IsAlnum(name.back()))
    return NameError("Trail name must start and end with a letter or number.");
  for (size_t i = 1; i < name.size(); ++i) {
    if (IsSpecial(name[i]) && IsSpecial(name[i - 1]))
      return NameError("Trail name cannot have adjacent periods, underscores or dashes.");
  }
  if (LooksLikeIpv4(name)) return NameError("Trail name cannot be formatted as an IP address.");
  return Status::Ok();
}

bool IsArnReference(const std::string& ref) { return ref.rfind("arn:", 0) == 0; }

Result<TrailArn> ParseTrailArn(const std::string& arn) {
  auto invalid = [&] {
    return Status::Error("CloudTrailARNInvalidException",
                         "Invalid CloudTrail ARN: " + arn +
                             " (expected arn:aws:cloudtrail:<region>:<account>:trail/<name>)");
  };
  // arn : partition : service : region : account : resource
  std::vector<std::string> parts;
  size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    size_t colon = arn.find(':', start);
    if (colon == std::string::npos) return invalid();
    parts.push_back(arn.substr(start, colon - start));
    start = colon + 1;
  }
  parts.push_back(arn.substr(start));
  if (parts[0] != "arn" || parts[1].empty() || parts[2] != "cloudtrail" || parts[3].empty() ||
      !IsTwelveDigits(parts[4]) || parts[5].rfind("trail/", 0) != 0)
    return invalid();
  TrailArn out{parts[3], parts[4], parts[5].substr(6)};
  if (!ValidateTrailName(out.name).ok()) return invalid();
  return out;
}

std::string MakeTrailArn(const std::string& region, const std::string& account,
                         const std::string& name) {
  return "arn:aws:cloudtrail:" + region + ":" + account + ":trail/" + name;
}

Status ValidateS3Prefix(const std::string& prefix) {
  auto bad = [](const std::string& why) {
    return Status::Error("InvalidS3PrefixException", "Invalid S3 key prefix: " + why);
  };
  if (prefix.size() > kMaxS3PrefixLength)
    return bad("the prefix is " + std::to_string(prefix.size()) +
               " characters long; the maximum is 200.");
  if (prefix.empty()) return Status::Ok();
  if (!IsValidUtf8(prefix)) return bad("the prefix is not valid UTF-8.");
  if (prefix.front() == '/' || prefix.back() == '/')
    return bad("the prefix must not start or end with '/' (log keys are <prefix>/AWSLogs/...).");
  if (prefix.find("//") != std::string::npos) return bad("the prefix must not contain '//'.");
  for (char c : prefix) {
    if (static_cast<unsigned char>(c) < 0x20)
      return bad("the prefix contains a control character.");
  }
  return Status::Ok();
}

Result<std::vector<Tag>> ParseTagsList(const Json& input, const char* member) {
  std::vector<Tag> tags;
  auto it = input.find(member);
  if (it == input.end() || it->is_null()) return tags;
  auto bad = [](const std::string& why) {
    return Status::Error("InvalidTagParameterException", why);
  };
  if (!it->is_array())
    return Status::Error("SerializationException",
                         std::string("Member '") + member + "' must be a list");
  for (const Json& t : *it) {
    if (!t.is_object()) return bad("Each tag must be an object with Key and Value.");
    OT_ASSIGN_OR_RETURN(auto key, OptString(t, "Key"));
    OT_ASSIGN_OR_RETURN(auto value, OptString(t, "Value"));
    if (!key || key->empty() || key->size() > 128)
      return bad("Tag key must be between 1 and 128 characters.");
    if (key->rfind("aws:", 0) == 0) return bad("Tag keys must not start with 'aws:'.");
    if (value && value->size() > 256) return bad("Tag value must be at most 256 characters.");
    if (!IsValidUtf8(*key) || (value && !IsValidUtf8(*value)))
      return bad("Tags must be valid UTF-8.");
    tags.emplace_back(*key, value.value_or(""));
  }
  if (tags.size() > kMaxTagsPerTrail)
    return Status::Error("TagsLimitExceededException",
                         "The number of tags exceeds the limit of 50 per trail.");
  return tags;
}

}  // namespace orgtrail::cloudtrail
