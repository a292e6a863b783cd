#include "iam/query_input.h"

#include <cctype>
#include <charconv>

#include "iam/identity_store.h"

namespace orgtrail::iam {
namespace {
std::string LowerFirst(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}
}  // namespace

Status ValidationFailed(const std::string& member, const std::string& value,
                        const std::string& constraint) {
  return Status::Error("ValidationError", "1 validation error detected: Value " + value + " at '" +
                                              LowerFirst(member) +
                                              "' failed to satisfy constraint: " + constraint,
                       400);
}

std::optional<std::string> OptParam(const auth::QueryParams& p, const std::string& name) {
  auto it = p.find(name);
  if (it == p.end()) return std::nullopt;
  return it->second;
}

Result<std::string> ReqParam(const auth::QueryParams& p, const std::string& name) {
  auto v = OptParam(p, name);
  if (!v || v->empty()) return ValidationFailed(name, "null", "Member must not be null");
  return *v;
}

Result<std::string> ReqName(const auth::QueryParams& p, const std::string& name, size_t min_len,
                            size_t max_len) {
  OT_ASSIGN_OR_RETURN(std::string v, ReqParam(p, name));
  if (v.size() > max_len)
    return ValidationFailed(name, "'" + v + "'",
                            "Member must have length less than or equal to " +
                                std::to_string(max_len));
  if (!IsValidIamName(v, min_len, max_len))
    return ValidationFailed(name, "'" + v + "'",
                            "Member must satisfy regular expression pattern: [\\w+=,.@-]+");
  return v;
}

Result<std::optional<int64_t>> OptIntParam(const auth::QueryParams& p, const std::string& name,
                                           int64_t min_value, int64_t max_value) {
  auto v = OptParam(p, name);
  if (!v) return std::optional<int64_t>();
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || ptr != v->data() + v->size() || v->empty())
    return ValidationFailed(name, "'" + *v + "'", "Member must be an integer");
  if (n < min_value)
    return ValidationFailed(name, "'" + *v + "'",
                            "Member must have value greater than or equal to " +
                                std::to_string(min_value));
  if (n > max_value)
    return ValidationFailed(name, "'" + *v + "'",
                            "Member must have value less than or equal to " +
                                std::to_string(max_value));
  return std::optional<int64_t>(n);
}

}  // namespace orgtrail::iam
