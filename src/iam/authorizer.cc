#include "iam/authorizer.h"

#include <memory>

#include "base/time.h"
#include "iam/identity_store.h"

namespace orgtrail::iam {
namespace {

// The root user's implicit permissions: everything its account owns (and,
// cross-account, whatever the other side's resource policy grants).
const policy::Policy& RootAllowAll() {
  static const policy::Policy* p = [] {
    auto r = policy::ParsePolicy(
        R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})",
        policy::PolicyKind::kIdentity);
    return new policy::Policy(r.ok() ? std::move(r).value() : policy::Policy{});
  }();
  return *p;
}

bool IsAnonymous(const auth::Principal& p) {
  return p.type != auth::PrincipalType::kAWSService && p.account_id.empty() && p.arn.empty();
}

std::string CallerArnForMessage(const auth::Principal& p) {
  if (p.type == auth::PrincipalType::kAWSService) return p.service;
  if (IsAnonymous(p)) return "anonymous";
  return p.arn;
}

}  // namespace

Authorizer::Authorizer(IdentityStore& store)
    : fetch_([&store](const auth::Principal& p) -> Result<std::vector<IdentityPolicyText>> {
        OT_ASSIGN_OR_RETURN(auto inl, store.InlinePoliciesOf(p));
        OT_ASSIGN_OR_RETURN(auto managed, store.ManagedPoliciesOf(p));
        std::vector<IdentityPolicyText> out;
        out.reserve(inl.size() + managed.size());
        for (auto& i : inl) out.push_back({std::move(i.policy_name), std::move(i.document), ""});
        for (auto& m : managed)
          out.push_back({std::move(m.policy_name), std::move(m.document), std::move(m.policy_arn)});
        return out;
      }) {}

Authorizer::Authorizer(IdentityPolicyFetcher fetcher) : fetch_(std::move(fetcher)) {}

const Authorizer& Authorizer::Default() {
  static const Authorizer* a = new Authorizer();
  return *a;
}

policy::Caller Authorizer::CallerOf(const auth::Principal& p) const {
  policy::Caller c;
  if (p.type == auth::PrincipalType::kAWSService) {
    c.service = p.service;
    return c;
  }
  if (IsAnonymous(p)) {
    c.anonymous = true;
    return c;
  }
  c.account_id = p.account_id;
  c.arn = p.arn;
  if (p.type == auth::PrincipalType::kAssumedRole) c.role_arn = p.role_arn;
  if (org_of_) c.org_id = org_of_(p.account_id);
  return c;
}

Result<policy::Decision> Authorizer::Decide(const auth::RequestContext& ctx,
                                            const AuthzCheck& check,
                                            policy::Explanation* why) const {
  const auth::Principal& p = ctx.principal;
  policy::Request req;
  req.caller = CallerOf(p);
  req.action = check.action;
  req.resource = check.resource;
  req.resource_account = check.resource_account.empty() ? p.account_id : check.resource_account;
  req.context = check.context;
  auto add = [&](const char* key, const std::string& value) {
    if (!value.empty() && req.context.find(key) == req.context.end()) req.context[key] = {value};
  };
  add("aws:SourceArn", ctx.source_arn);
  add("aws:SourceAccount", ctx.source_account);
  add("aws:SourceIp", ctx.source_ip);
  add("aws:UserAgent", ctx.user_agent);
  add("aws:SecureTransport", ctx.secure_transport ? "true" : "false");
  if (ctx.now != TimePoint{}) {
    add("aws:CurrentTime", FormatIso8601(ctx.now));
    add("aws:EpochTime", std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                            ctx.now.time_since_epoch())
                                            .count()));
  }
  if (p.type == auth::PrincipalType::kAssumedRole)
    add("aws:MultiFactorAuthPresent", "false");  // sessions here never carry MFA
  if (!req.caller.anonymous && req.caller.service.empty())
    add("aws:userid", p.principal_id);

  policy::PolicySet set;
  std::vector<policy::Policy> owned;  // parsed identity policies
  std::vector<std::string> labels;
  if (!req.caller.anonymous && req.caller.service.empty()) {
    if (p.IsRoot()) {
      set.identity.push_back(&RootAllowAll());
      labels.push_back("the root user's implicit permissions");
    } else if (fetch_ && (p.type == auth::PrincipalType::kIAMUser ||
                          p.type == auth::PrincipalType::kAssumedRole)) {
      OT_ASSIGN_OR_RETURN(auto texts, fetch_(p));
      owned.reserve(texts.size());
      for (const auto& t : texts) {
        auto parsed = policy::ParsePolicy(t.document, policy::PolicyKind::kIdentity);
        if (!parsed.ok()) continue;  // validated on write; an unreadable one never allows
        owned.push_back(std::move(parsed).value());
        std::string owner = p.type == auth::PrincipalType::kIAMUser ? "user " + p.user_name
                                                                     : "role " + p.role_name;
        labels.push_back(t.managed_arn.empty()
                             ? "inline policy '" + t.name + "' of " + owner
                             : "managed policy " + t.managed_arn + " attached to " + owner);
      }
      for (const auto& o : owned) set.identity.push_back(&o);
    }
  }
  set.identity_labels = labels;
  set.resource = check.resource_policy;
  set.resource_is_key_policy = check.kind == ResourcePolicyKind::kKey;
  set.resource_is_trust_policy = check.kind == ResourcePolicyKind::kTrust;
  set.caller_is_resource_owner_account =
      req.caller.service.empty() && !req.caller.anonymous && !p.account_id.empty() &&
      p.account_id == req.resource_account;
  set.resource_label = check.resource_label;
  return policy::Authorize(set, req, why);
}

Status Authorizer::Authorize(const auth::RequestContext& ctx, const AuthzCheck& check) const {
  policy::Explanation why;
  OT_ASSIGN_OR_RETURN(policy::Decision d, Decide(ctx, check, &why));
  if (d == policy::Decision::kAllow) return Status::Ok();
  const std::string because = why.Message();
  switch (check.style) {
    case DenyStyle::kS3:
      return Status::AccessDenied("Access Denied: " + because);
    case DenyStyle::kQuery:
    case DenyStyle::kJson: {
      std::string msg = "User: " + CallerArnForMessage(ctx.principal) +
                        " is not authorized to perform: " + check.action;
      if (!check.resource.empty()) msg += " on resource: " + check.resource;
      msg += " because " + because;
      if (check.style == DenyStyle::kQuery) return Status::AccessDenied(msg);
      return Status::Error("AccessDeniedException", msg, 400);
    }
  }
  return Status::AccessDenied(because);
}

}  // namespace orgtrail::iam
