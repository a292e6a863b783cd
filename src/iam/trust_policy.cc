#include "iam/trust_policy.h"

#include <cctype>
#include <vector>

#include "base/strings.h"

namespace orgtrail::iam {
namespace {

// Values of a string-or-list member; non-strings are dropped.
std::vector<std::string> Strings(const Json& v) {
  std::vector<std::string> out;
  if (v.is_string()) out.push_back(v.get<std::string>());
  if (v.is_array())
    for (const auto& e : v)
      if (e.is_string()) out.push_back(e.get<std::string>());
  return out;
}

// Condition values may be strings, numbers or booleans; compare as text.
std::vector<std::string> ConditionValues(const Json& v) {
  std::vector<std::string> out;
  auto add = [&](const Json& e) {
    if (e.is_string()) out.push_back(e.get<std::string>());
    else if (e.is_boolean() || e.is_number()) out.push_back(e.dump());
  };
  if (v.is_array()) for (const auto& e : v) add(e);
  else add(v);
  return out;
}

bool ActionMatches(const Json& actions, const std::string& action) {
  for (const auto& a : Strings(actions))
    if (WildcardMatch(a, action, /*ignore_case=*/true)) return true;
  return false;
}

std::string RootArnOf(const std::string& account) { return "arn:aws:iam::" + account + ":root"; }

bool AwsPrincipalMatches(const std::string& v, const auth::Principal& caller) {
  if (v == "*") return true;
  if (v == caller.account_id || v == RootArnOf(caller.account_id)) return true;
  if (caller.type == auth::PrincipalType::kAWSService) return false;
  if (v == caller.arn) return true;
  if (caller.type == auth::PrincipalType::kAssumedRole && v == caller.role_arn) return true;
  return false;
}

bool PrincipalMatches(const Json& principal, const auth::Principal& caller) {
  if (principal.is_string()) return principal == "*";
  if (!principal.is_object()) return false;
  for (auto it = principal.begin(); it != principal.end(); ++it) {
    if (it.key() == "AWS") {
      if (caller.type == auth::PrincipalType::kAWSService) continue;
      for (const auto& v : Strings(it.value()))
        if (AwsPrincipalMatches(v, caller)) return true;
    } else if (it.key() == "Service") {
      if (caller.type != auth::PrincipalType::kAWSService) continue;
      for (const auto& v : Strings(it.value()))
        if (v == caller.service) return true;
    }
  }
  return false;
}

enum class CondResult { kTrue, kFalse, kUnsupported };

CondResult EvaluateConditions(const Json& cond, const TrustRequest& req) {
  if (!cond.is_object()) return CondResult::kUnsupported;
  for (auto op = cond.begin(); op != cond.end(); ++op) {
    std::string name = op.key();
    bool if_exists = EndsWith(name, "IfExists");
    if (if_exists) name.resize(name.size() - 8);
    bool like;
    if (name == "StringEquals") like = false;
    else if (name == "StringLike") like = true;
    else return CondResult::kUnsupported;
    if (!op.value().is_object()) return CondResult::kUnsupported;
    for (auto kv = op.value().begin(); kv != op.value().end(); ++kv) {
      std::string key = ToLower(kv.key());
      std::optional<std::string> actual;
      if (key == "sts:externalid") actual = req.external_id;
      else if (key == "aws:principalarn") {
        const auth::Principal& c = *req.caller;
        actual = c.type == auth::PrincipalType::kAssumedRole ? c.role_arn : c.arn;
      } else {
        return CondResult::kUnsupported;
      }
      if (!actual) {
        if (if_exists) continue;
        return CondResult::kFalse;
      }
      bool any = false;
      for (const auto& want : ConditionValues(kv.value())) {
        if (like ? WildcardMatch(want, *actual) : want == *actual) {
          any = true;
          break;
        }
      }
      if (!any) return CondResult::kFalse;
    }
  }
  return CondResult::kTrue;
}

}  // namespace

bool WildcardMatch(std::string_view pattern, std::string_view value, bool ignore_case) {
  auto eq = [&](char a, char b) {
    if (ignore_case) {
      a = static_cast<char>(std::tolower(static_cast<unsigned char>(a)));
      b = static_cast<char>(std::tolower(static_cast<unsigned char>(b)));
    }
    return a == b;
  };
  // Iterative glob match with backtracking to the last '*'.
  size_t p = 0, v = 0, star = std::string_view::npos, mark = 0;
  while (v < value.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || (pattern[p] != '*' && eq(pattern[p], value[v])))) {
      ++p;
      ++v;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = v;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      v = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

TrustDecision EvaluateTrustPolicy(const Json& policy, const TrustRequest& req) {
  if (req.caller == nullptr || !policy.is_object()) return TrustDecision::kImplicitDeny;
  auto sit = policy.find("Statement");
  if (sit == policy.end()) return TrustDecision::kImplicitDeny;
  std::vector<Json> statements;
  if (sit->is_array()) statements.assign(sit->begin(), sit->end());
  else statements.push_back(*sit);

  bool allowed = false;
  for (const auto& st : statements) {
    if (!st.is_object()) continue;
    auto eff = st.find("Effect");
    if (eff == st.end() || !eff->is_string()) continue;
    bool deny = *eff == "Deny";
    if (!deny && *eff != "Allow") continue;

    bool action_ok;
    if (auto a = st.find("Action"); a != st.end()) action_ok = ActionMatches(*a, req.action);
    else if (auto na = st.find("NotAction"); na != st.end())
      action_ok = !ActionMatches(*na, req.action);
    else continue;
    if (!action_ok) continue;

    bool principal_ok;
    if (auto p = st.find("Principal"); p != st.end()) principal_ok = PrincipalMatches(*p, *req.caller);
    else if (auto np = st.find("NotPrincipal"); np != st.end())
      // NotPrincipal with Allow is not something we grant on (fail closed).
      principal_ok = deny && !PrincipalMatches(*np, *req.caller);
    else continue;
    if (!principal_ok) continue;

    CondResult cond = CondResult::kTrue;
    if (auto c = st.find("Condition"); c != st.end()) cond = EvaluateConditions(*c, req);
    if (deny) {
      // An unsupported condition on a Deny makes the Deny apply (fail closed).
      if (cond != CondResult::kFalse) return TrustDecision::kExplicitDeny;
    } else if (cond == CondResult::kTrue) {
      allowed = true;
    }
  }
  return allowed ? TrustDecision::kAllow : TrustDecision::kImplicitDeny;
}

}  // namespace orgtrail::iam
