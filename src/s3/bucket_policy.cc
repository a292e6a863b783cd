#include "s3/bucket_policy.h"

#include <cctype>
#include <vector>

#include "base/json.h"
#include "base/strings.h"

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

bool PrincipalMatches(const Json& principal, const auth::Principal& p) {
  if (principal.is_string()) return principal.get<std::string>() == "*";
  if (!principal.is_object()) return false;
  bool service = p.type == auth::PrincipalType::kAWSService;
  if (auto it = principal.find("Service"); it != principal.end() && service) {
    for (const auto& s : StringOrList(*it)) {
      if (s == p.service) return true;
    }
  }
  if (auto it = principal.find("AWS"); it != principal.end()) {
    for (const auto& a : StringOrList(*it)) {
      if (a == "*") return true;
      if (service) continue;
      if (a == p.account_id || a == "arn:aws:iam::" + p.account_id + ":root") return true;
      if (!p.arn.empty() && a == p.arn) return true;
      if (!p.role_arn.empty() && a == p.role_arn) return true;
    }
  }
  return false;
}

bool AnyMatches(const Json& patterns, std::string_view value, bool ignore_case) {
  for (const auto& pat : StringOrList(patterns)) {
    if (WildcardMatch(pat, value, ignore_case)) return true;
  }
  return false;
}

// Returns true/false for supported conditions; nullopt when the statement
// uses a condition this simple evaluator does not understand.
std::optional<bool> ConditionsHold(const Json& cond, const AccessRequest& req) {
  if (!cond.is_object()) return std::nullopt;
  auto lookup = [&](const std::string& key) -> std::optional<std::string> {
    std::string k = ToLower(key);
    for (const auto& [name, v] : req.conditions) {
      if (ToLower(name) == k) return v;
    }
    if (k == "aws:securetransport" && req.ctx) {
      return std::string(req.ctx->secure_transport ? "true" : "false");
    }
    return std::nullopt;
  };
  for (const auto& [op, body] : cond.items()) {
    if (!body.is_object()) return std::nullopt;
    for (const auto& [key, values] : body.items()) {
      std::string k = ToLower(key);
      if (op == "StringEquals" &&
          (k == "aws:sourcearn" || k == "aws:sourceaccount" || k == "s3:x-amz-acl")) {
        auto v = lookup(key);
        if (!v) return false;
        bool any = false;
        for (const auto& want : StringOrList(values)) any = any || want == *v;
        if (!any) return false;
      } else if (op == "Bool" && k == "aws:securetransport") {
        auto v = lookup(key);
        bool any = false;
        for (const auto& want : StringOrList(values)) any = any || ToLower(want) == *v;
        if (!any) return false;
      } else {
        return std::nullopt;
      }
    }
  }
  return true;
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

Status AuthorizeBucketAccess(const AccessRequest& req,
                             const std::optional<std::string>& policy_json) {
  const auth::Principal& p = req.ctx->principal;
  bool allowed = p.type != auth::PrincipalType::kAWSService && !p.account_id.empty() &&
                 p.account_id == req.owner_account;
  if (policy_json) {
    Json doc = Json::parse(*policy_json, nullptr, /*allow_exceptions=*/false);
    Json stmts = doc.is_object() && doc.contains("Statement") ? doc["Statement"] : Json();
    if (stmts.is_object()) stmts = Json::array({stmts});
    if (stmts.is_array()) {
      for (const auto& s : stmts) {
        if (!s.is_object()) continue;
        bool deny = s.value("Effect", "") == "Deny";
        // Shapes this evaluator does not model fail closed: an Allow does
        // not apply, a Deny does.
        bool exotic = s.contains("NotPrincipal") || s.contains("NotAction") ||
                      s.contains("NotResource");
        if (exotic) {
          if (deny) return Status::AccessDenied("Access Denied");
          continue;
        }
        if (!s.contains("Principal") || !PrincipalMatches(s["Principal"], p)) continue;
        if (!s.contains("Action") || !AnyMatches(s["Action"], req.action, true)) continue;
        if (!s.contains("Resource") || !AnyMatches(s["Resource"], req.resource, false)) continue;
        std::optional<bool> holds = true;
        if (s.contains("Condition")) holds = ConditionsHold(s["Condition"], req);
        if (deny) {
          if (!holds.has_value() || *holds) return Status::AccessDenied("Access Denied");
        } else if (holds.value_or(false)) {
          allowed = true;
        }
      }
    }
  }
  return allowed ? Status::Ok() : Status::AccessDenied("Access Denied");
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
  return Status::Ok();
}

}  // namespace orgtrail::s3
