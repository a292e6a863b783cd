#include "policy/evaluator.h"

#include "policy/explain.h"

namespace orgtrail::policy {
namespace {

char Fold(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (Fold(a[i]) != Fold(b[i])) return false;
  return true;
}

bool IsAccountId(std::string_view s) {
  if (s.size() != 12) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// "arn:<partition>:iam::<account>:root" -> account; otherwise "".
std::string_view RootArnAccount(std::string_view arn) {
  if (arn.rfind("arn:", 0) != 0) return {};
  size_t p1 = arn.find(':', 4);  // after partition
  if (p1 == std::string_view::npos || arn.substr(p1, 6) != ":iam::") return {};
  std::string_view rest = arn.substr(p1 + 6);
  size_t colon = rest.find(':');
  if (colon == std::string_view::npos || rest.substr(colon + 1) != "root") return {};
  std::string_view account = rest.substr(0, colon);
  return IsAccountId(account) ? account : std::string_view();
}

bool CallerIsRoot(const Caller& c) {
  return !c.account_id.empty() && RootArnAccount(c.arn) == c.account_id;
}

PrincipalMatch MatchPrincipals(const PrincipalSet& p, const Caller& c) {
  if (p.any) return PrincipalMatch::kAny;
  if (c.anonymous) return PrincipalMatch::kNone;
  if (!c.service.empty()) {
    for (const auto& s : p.service)
      if (EqualsIgnoreCase(s, c.service)) return PrincipalMatch::kService;
    return PrincipalMatch::kNone;
  }
  PrincipalMatch best = PrincipalMatch::kNone;
  for (const auto& a : p.aws) {
    if ((!c.arn.empty() && a == c.arn) || (!c.role_arn.empty() && a == c.role_arn))
      return PrincipalMatch::kExact;
    std::string_view account = IsAccountId(a) ? std::string_view(a) : RootArnAccount(a);
    if (!account.empty() && account == c.account_id) {
      if (CallerIsRoot(c)) return PrincipalMatch::kExact;
      best = PrincipalMatch::kAccount;
    }
  }
  return best;
}

bool MatchActions(const Statement& st, const std::string& action) {
  bool any = false;
  for (const auto& a : st.actions) {
    if (GlobMatch(a, action, /*ignore_case=*/true)) {
      any = true;
      break;
    }
  }
  return st.not_action ? !any : any;
}

bool MatchResources(const Statement& st, const std::string& resource, const ContextValues& ctx,
                    bool variables, std::string* missing_variable) {
  if (!st.has_resource) return true;
  bool any = false;
  for (const auto& r : st.resources) {
    if (r == "*") {
      any = true;
      break;
    }
    std::string missing;
    auto pattern = ExpandVariables(r, ctx, variables, &missing);
    if (!pattern) {
      if (missing_variable->empty()) *missing_variable = missing;
      // A NotResource whose variable cannot be resolved cannot be relied on:
      // the statement does not match.
      if (st.not_resource) return false;
      continue;
    }
    if (GlobMatch(*pattern, resource, /*ignore_case=*/false)) {
      any = true;
      break;
    }
  }
  return st.not_resource ? !any : any;
}

void EvaluateStatement(const Policy& policy, const Statement& st, const Request& req,
                       const ContextValues& ctx, StatementTrace* out) {
  out->index = st.index;
  out->sid = st.sid;
  out->effect = st.effect;
  if (!st.has_principal) {
    out->principal = PrincipalMatch::kImplied;
  } else {
    PrincipalMatch m = MatchPrincipals(st.principals, req.caller);
    if (st.not_principal) m = m == PrincipalMatch::kNone ? PrincipalMatch::kNotListed
                                                          : PrincipalMatch::kNone;
    out->principal = m;
  }
  out->principal_matched = out->principal != PrincipalMatch::kNone;
  out->action_matched = MatchActions(st, req.action);
  out->resource_matched = MatchResources(st, req.resource, ctx, policy.variables_enabled(),
                                         &out->resource_missing_variable);
  if (!(out->principal_matched && out->action_matched && out->resource_matched)) return;
  out->conditions_evaluated = true;
  out->conditions_matched = true;
  for (const auto& clause : st.conditions) {
    ConditionFailure failure;
    if (!EvaluateCondition(clause, ctx, policy.variables_enabled(), &failure)) {
      out->conditions_matched = false;
      out->failed_condition = std::move(failure);
      break;
    }
  }
}

Trace EvaluateWithContext(const Policy& policy, const Request& req, const ContextValues& ctx) {
  Trace trace;
  trace.statements.resize(policy.statements.size());
  bool deny = false, allow = false;
  for (size_t i = 0; i < policy.statements.size(); ++i) {
    StatementTrace& st = trace.statements[i];
    EvaluateStatement(policy, policy.statements[i], req, ctx, &st);
    if (!st.applies()) continue;
    if (st.effect == Effect::kDeny) {
      deny = true;
    } else {
      allow = true;
      if (st.principal == PrincipalMatch::kAccount) {
        trace.allow_via_account = true;
      } else {
        trace.allow_direct = true;
      }
    }
  }
  trace.decision = deny ? Decision::kExplicitDeny
                        : (allow ? Decision::kAllow : Decision::kImplicitDeny);
  return trace;
}

std::string DescribeCaller(const Caller& c) {
  if (c.anonymous) return "an anonymous caller";
  if (!c.service.empty()) return "Service " + c.service;
  if (!c.arn.empty()) return c.arn;
  return "account " + c.account_id;
}

}  // namespace

const char* DecisionName(Decision d) {
  switch (d) {
    case Decision::kAllow: return "Allow";
    case Decision::kExplicitDeny: return "ExplicitDeny";
    case Decision::kImplicitDeny: return "ImplicitDeny";
  }
  return "?";
}

ContextValues EffectiveContext(const Request& request) {
  ContextValues ctx = request.context;
  auto add = [&](const char* key, const std::string& value) {
    if (value.empty() || LookupContext(ctx, key) != nullptr) return;
    ctx[key] = {value};
  };
  const Caller& c = request.caller;
  if (!c.anonymous) {
    if (!c.service.empty()) {
      add("aws:PrincipalServiceName", c.service);
    } else {
      add("aws:PrincipalAccount", c.account_id);
      add("aws:PrincipalArn", c.role_arn.empty() ? c.arn : c.role_arn);
      add("aws:PrincipalOrgID", c.org_id);
      size_t user = c.arn.find(":user/");
      if (user != std::string::npos && c.arn.rfind("arn:", 0) == 0) {
        std::string name = c.arn.substr(c.arn.rfind('/') + 1);
        add("aws:username", name);
      }
    }
  }
  add("aws:ResourceAccount", request.resource_account);
  return ctx;
}

Decision Evaluate(const Policy& policy, const Request& request, Trace* trace) {
  Trace t = EvaluateWithContext(policy, request, EffectiveContext(request));
  Decision d = t.decision;
  if (trace != nullptr) *trace = std::move(t);
  return d;
}

Decision Authorize(const PolicySet& set, const Request& request, Explanation* why) {
  const ContextValues ctx = EffectiveContext(request);
  const Caller& caller = request.caller;
  const bool principal_only_resource = caller.anonymous || !caller.service.empty();
  const bool resource_required = set.resource_is_key_policy || set.resource_is_trust_policy;
  const bool same_account = set.caller_is_resource_owner_account;

  std::string resource_label = set.resource_label;
  if (resource_label.empty()) {
    resource_label = set.resource_is_key_policy     ? "the key policy"
                     : set.resource_is_trust_policy ? "the trust policy"
                                                    : "the resource policy";
  }

  std::vector<PolicyVerdict> verdicts;
  bool identity_allows = false, explicit_deny = false;
  if (!principal_only_resource) {
    for (size_t i = 0; i < set.identity.size(); ++i) {
      if (set.identity[i] == nullptr) continue;
      PolicyVerdict v;
      v.label = i < set.identity_labels.size() && !set.identity_labels[i].empty()
                    ? set.identity_labels[i]
                    : "identity policy #" + std::to_string(i);
      v.trace = EvaluateWithContext(*set.identity[i], request, ctx);
      if (v.trace.decision == Decision::kExplicitDeny) explicit_deny = true;
      if (v.trace.decision == Decision::kAllow) identity_allows = true;
      if (why != nullptr) v.policy = *set.identity[i];
      verdicts.push_back(std::move(v));
    }
  }
  Trace resource_trace;
  if (set.resource != nullptr) {
    PolicyVerdict v;
    v.label = resource_label;
    v.is_resource_policy = true;
    v.trace = EvaluateWithContext(*set.resource, request, ctx);
    if (v.trace.decision == Decision::kExplicitDeny) explicit_deny = true;
    resource_trace = v.trace;
    if (why != nullptr) v.policy = *set.resource;
    verdicts.push_back(std::move(v));
  }
  const bool res_direct = resource_trace.decision == Decision::kAllow && resource_trace.allow_direct;
  const bool res_account =
      resource_trace.decision == Decision::kAllow && resource_trace.allow_via_account;

  Decision decision = Decision::kImplicitDeny;
  if (explicit_deny) {
    decision = Decision::kExplicitDeny;
  } else if (principal_only_resource) {
    if (res_direct) decision = Decision::kAllow;
  } else if (resource_required) {
    if ((res_direct && (same_account || identity_allows)) || (res_account && identity_allows))
      decision = Decision::kAllow;
  } else if (same_account) {
    if (identity_allows || res_direct) decision = Decision::kAllow;
  } else {
    if (identity_allows && (res_direct || res_account)) decision = Decision::kAllow;
  }

  if (why != nullptr) {
    why->decision = decision;
    why->action = request.action;
    why->resource = request.resource;
    why->principal = DescribeCaller(caller);
    why->cross_account = !same_account && !principal_only_resource;
    why->policies = std::move(verdicts);
    why->resource_label = resource_label;
    why->has_resource_policy = set.resource != nullptr;
    why->resource_only = principal_only_resource;
    why->resource_policy_required = resource_required;
    why->identity_allows = identity_allows;
    why->resource_allows_directly = res_direct;
    why->resource_delegates_to_account = res_account;
  }
  return decision;
}

}  // namespace orgtrail::policy
