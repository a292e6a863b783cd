#include "policy/explain.h"

#include <algorithm>

namespace orgtrail::policy {
namespace {

std::string Join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out += sep;
    out += v[i];
  }
  return out;
}

// "A", "A and B", "A, B and C"
std::string JoinAnd(const std::vector<std::string>& v, const std::string& last = " and ") {
  if (v.empty()) return "";
  if (v.size() == 1) return v[0];
  std::vector<std::string> head(v.begin(), v.end() - 1);
  return Join(head, ", ") + last + v.back();
}

std::string DescribePrincipals(const Statement& st) {
  const PrincipalSet& p = st.principals;
  std::vector<std::string> parts;
  if (p.any) parts.push_back("\"*\"");
  if (!p.aws.empty()) parts.push_back("AWS " + Join(p.aws, ", "));
  if (!p.service.empty()) parts.push_back("Service " + Join(p.service, ", "));
  if (!p.federated.empty()) parts.push_back("Federated " + Join(p.federated, ", "));
  if (!p.canonical_user.empty()) parts.push_back("CanonicalUser " + Join(p.canonical_user, ", "));
  return std::string(st.not_principal ? "it excludes " : "it names ") + Join(parts, "; ");
}

std::string DescribeActions(const Statement& st) {
  return std::string(st.not_action ? "it excludes " : "it covers ") + Join(st.actions, ", ");
}

std::string DescribeResources(const Statement& st, const StatementTrace& tr) {
  std::string out =
      std::string(st.not_resource ? "it excludes " : "it covers ") + Join(st.resources, ", ");
  if (!tr.resource_missing_variable.empty())
    out += "; the policy variable ${" + tr.resource_missing_variable + "} is not in the request";
  return out;
}

std::string DescribeConditionFailure(const ConditionFailure& f) {
  std::string out = "its condition " + f.op + " " + f.key + " = " + Join(f.expected, " or ") +
                    " failed: ";
  if (!f.missing_variable.empty()) {
    out += "the policy variable ${" + f.missing_variable + "} is not in the request";
  } else if (f.key_missing) {
    out += "the request has no " + f.key;
  } else {
    out += "the request has " + f.key + " = " + Join(f.actual, ", ");
  }
  return out;
}

std::string DescribeRequest(const Explanation& e) {
  std::string out = e.action + " for " + e.principal;
  if (!e.resource.empty()) out += " on " + e.resource;
  return out;
}

int Score(const StatementTrace& st) {
  return (st.principal_matched ? 1 : 0) + (st.action_matched ? 1 : 0) +
         (st.resource_matched ? 1 : 0);
}

// "no statement in <label> allows <request>; <closest statements>".
std::string NoAllow(const Explanation& e, const PolicyVerdict& v) {
  std::string out = "no statement in " + v.label + " allows " + DescribeRequest(e);
  int best = 0;
  for (const auto& st : v.trace.statements)
    if (st.effect == Effect::kAllow) best = std::max(best, Score(st));
  if (best == 0) return out;
  int shown = 0;
  for (const auto& st : v.trace.statements) {
    if (st.effect != Effect::kAllow || Score(st) != best || st.applies()) continue;
    if (st.index >= v.policy.statements.size()) continue;
    out += "; " + DescribeStatementMismatch(v.policy, st);
    if (++shown == 3) break;
  }
  return out;
}

// The applying statements of `v` with the given effect, described.
std::vector<std::string> Applying(const PolicyVerdict& v, Effect effect) {
  std::vector<std::string> out;
  for (const auto& st : v.trace.statements) {
    if (!st.applies() || st.effect != effect || st.index >= v.policy.statements.size()) continue;
    out.push_back(v.policy.statements[st.index].Describe() + " of " + v.label);
  }
  return out;
}

std::string IdentitySide(const Explanation& e) {
  std::vector<std::string> parts;
  for (const auto& v : e.policies)
    if (!v.is_resource_policy) parts.push_back(NoAllow(e, v));
  if (parts.empty()) return e.principal + " has no identity policy that allows " + e.action;
  return Join(parts, "; ");
}

const PolicyVerdict* ResourceVerdict(const Explanation& e) {
  for (const auto& v : e.policies)
    if (v.is_resource_policy) return &v;
  return nullptr;
}

}  // namespace

std::string DescribeStatementMismatch(const Policy& policy, const StatementTrace& tr) {
  if (tr.index >= policy.statements.size()) return "statement index " + std::to_string(tr.index);
  const Statement& st = policy.statements[tr.index];
  std::string out = st.Describe();
  if (tr.principal_matched && tr.action_matched && tr.resource_matched) {
    out += std::string(" matches the ") + (st.has_principal ? "principal, " : "") + "action" +
           (st.has_resource ? " and resource" : "");
    if (tr.failed_condition) {
      out += " but " + DescribeConditionFailure(*tr.failed_condition);
    } else if (tr.applies()) {
      out += " and its conditions";
    }
    return out;
  }
  std::vector<std::string> matched, unmatched;
  if (st.has_principal) {
    if (tr.principal_matched) {
      matched.push_back("principal");
    } else {
      unmatched.push_back("the principal (" + DescribePrincipals(st) + ")");
    }
  }
  if (tr.action_matched) {
    matched.push_back("action");
  } else {
    unmatched.push_back("the action (" + DescribeActions(st) + ")");
  }
  if (st.has_resource) {
    if (tr.resource_matched) {
      matched.push_back("resource");
    } else {
      unmatched.push_back("the resource (" + DescribeResources(st, tr) + ")");
    }
  }
  if (matched.empty()) return out + " matches neither " + JoinAnd(unmatched, " nor ");
  return out + " matches the " + JoinAnd(matched) + " but not " + JoinAnd(unmatched, " or ");
}

std::string Explanation::Message() const {
  const std::string req = DescribeRequest(*this);
  if (decision == Decision::kExplicitDeny) {
    std::vector<std::string> denies;
    for (const auto& v : policies) {
      auto d = Applying(v, Effect::kDeny);
      denies.insert(denies.end(), d.begin(), d.end());
    }
    return JoinAnd(denies) + " explicitly denies " + req;
  }
  if (decision == Decision::kAllow) {
    std::vector<std::string> allows;
    for (const auto& v : policies) {
      auto a = Applying(v, Effect::kAllow);
      allows.insert(allows.end(), a.begin(), a.end());
    }
    return req + " is allowed by " + JoinAnd(allows);
  }

  const PolicyVerdict* res = ResourceVerdict(*this);
  const std::string no_resource =
      "there is no " + (resource_label.rfind("the ", 0) == 0 ? resource_label.substr(4)
                                                              : resource_label) +
      " to allow " + req;
  auto resource_side = [&]() { return res != nullptr ? NoAllow(*this, *res) : no_resource; };
  auto delegation = [&]() {
    std::string out = resource_label + " grants " + action + " only to the account of " +
                      principal + ", which delegates to its IAM policies";
    if (res != nullptr) {
      auto a = Applying(*res, Effect::kAllow);
      if (!a.empty()) out += " (" + JoinAnd(a) + ")";
    }
    return out + ", but " + IdentitySide(*this);
  };

  if (resource_only) return resource_side();
  if (resource_policy_required) {
    if (resource_allows_directly)  // only possible cross-account
      return "cross-account request: " + resource_label + " allows it, but " + IdentitySide(*this);
    if (resource_delegates_to_account) return delegation();
    return resource_label + " must allow the request and " + resource_side();
  }
  if (cross_account) {
    std::string out =
        "cross-account request: both an identity policy of the caller and " + resource_label +
        " must allow it";
    if (!identity_allows) out += "; " + IdentitySide(*this);
    if (!resource_allows_directly && !resource_delegates_to_account) out += "; " + resource_side();
    return out;
  }
  if (resource_delegates_to_account) return delegation();
  std::string out = IdentitySide(*this);
  if (res != nullptr) out += "; and " + NoAllow(*this, *res);
  return out;
}

}  // namespace orgtrail::policy
