#include "s3/bucket_policy.h"

#include <cctype>
#include <vector>

#include "base/json.h"
#include "base/strings.h"
#include "policy/policy_document.h"

namespace orgtrail::s3 {

namespace {

std::vector<std::string> StringOrList(const Json& j) {
  std::vector<std::string> out;
  if (j.is_string()) {
    out.push_back(j.get<std::string>());
  } else if (j.is_array()) {
    for (const auto& e : j) {
      if (e.is_string()) out.push_back(e.get<std::string>());
    }
  }
  return out;
}

}  // namespace

bool WildcardMatch(std::string_view pat, std::string_view text, bool ignore_case) {
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  auto eq = [&](char a, char b) {
    return ignore_case ? std::tolower(static_cast<unsigned char>(a)) ==
                             std::tolower(static_cast<unsigned char>(b))
                       : a == b;
  };
  while (t < text.size()) {
    if (p < pat.size() && (pat[p] == '?' || eq(pat[p], text[t]))) {
      ++p;
      ++t;
    } else if (p < pat.size() && pat[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

Status ValidateBucketPolicy(const std::string& bucket, const std::string& policy_json) {
  auto bad = [](const std::string& why) { return Status::Error("MalformedPolicy", why); };
  if (policy_json.size() > 20 * 1024) return bad("Policy exceeds the maximum allowed document size.");
  Json doc = Json::parse(policy_json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return bad("Policies must be valid JSON and the first byte must be '{'");
  if (doc.contains("Version") && doc["Version"] != "2012-10-17" && doc["Version"] != "2008-10-17") {
    return bad("The policy must contain a valid version string");
  }
  if (!doc.contains("Statement")) return bad("Missing required field Statement");
  Json stmts = doc["Statement"];
  if (stmts.is_object()) stmts = Json::array({stmts});
  if (!stmts.is_array() || stmts.empty()) return bad("Missing required field Statement");
  const std::string bucket_arn = "arn:aws:s3:::" + bucket;
  for (const auto& s : stmts) {
    if (!s.is_object()) return bad("Statement is not an object");
    std::string effect = s.value("Effect", "");
    if (effect != "Allow" && effect != "Deny") return bad("Invalid effect: " + effect);
    if (!s.contains("Principal") && !s.contains("NotPrincipal")) {
      return bad("Missing required field Principal");
    }
    const Json& pr = s.contains("Principal") ? s["Principal"] : s["NotPrincipal"];
    if (!(pr.is_string() && pr == "*") && !pr.is_object()) return bad("Invalid principal in policy");
    const char* action_field = s.contains("Action") ? "Action" : "NotAction";
    if (!s.contains(action_field)) return bad("Missing required field Action");
    auto actions = StringOrList(s[action_field]);
    if (actions.empty()) return bad("Missing required field Action");
    for (const auto& a : actions) {
      if (a != "*" && !StartsWith(ToLower(a), "s3:")) return bad("Policy has invalid action");
    }
    const char* res_field = s.contains("Resource") ? "Resource" : "NotResource";
    if (!s.contains(res_field)) return bad("Missing required field Resource");
    auto resources = StringOrList(s[res_field]);
    if (resources.empty()) return bad("Missing required field Resource");
    for (const auto& r : resources) {
      if (r != bucket_arn && !StartsWith(r, bucket_arn + "/") &&
          !WildcardMatch(r, bucket_arn, false)) {
        return bad("Policy has invalid resource");
      }
    }
    if (s.contains("Condition") && !s["Condition"].is_object()) {
      return bad("Invalid Condition block");
    }
  }
  // Everything the evaluator reads must parse (principals, operators, keys).
  auto parsed = policy::ParsePolicy(policy_json, policy::PolicyKind::kResource);
  if (!parsed.ok()) return bad(parsed.status().message());
  return Status::Ok();
}

}  // namespace orgtrail::s3
