#include "iam/sts_service.h"

#include "base/strings.h"
#include "iam/policy_document.h"
#include "iam/query_input.h"
#include "policy/policy_document.h"

namespace orgtrail::iam {
namespace {

constexpr int64_t kMinDuration = 900;
constexpr int64_t kMaxDuration = 43200;
constexpr int64_t kDefaultDuration = 3600;
constexpr int64_t kRoleChainingMax = 3600;

bool IsValidExternalId(const std::string& s) {
  if (s.size() < 2 || s.size() > 1224) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string_view("_+=,.@:/-").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

}  // namespace

StsService::StsService(IdentityStore& store, const Clock& clock) : store_(store), clock_(clock) {}

const Authorizer& StsService::authorizer() const {
  return authorizer_ != nullptr ? *authorizer_ : Authorizer::Default();
}

auth::QueryOps StsService::Ops() {
  auth::QueryOps ops;
  ops["GetCallerIdentity"] = [this](const auth::RequestContext& c, const auth::QueryParams& p) {
    return GetCallerIdentity(c, p);
  };
  ops["AssumeRole"] = [this](const auth::RequestContext& c, const auth::QueryParams& p) {
    return AssumeRole(c, p);
  };
  return ops;
}

Result<OrderedJson> StsService::GetCallerIdentity(const auth::RequestContext& ctx,
                                                  const auth::QueryParams&) {
  const auth::Principal& p = ctx.principal;
  OrderedJson out = OrderedJson::object();
  out["UserId"] = p.principal_id;
  out["Account"] = p.account_id;
  out["Arn"] = p.arn;
  return out;
}

Result<OrderedJson> StsService::AssumeRole(const auth::RequestContext& ctx,
                                           const auth::QueryParams& params) {
  const auth::Principal& caller = ctx.principal;
  OT_ASSIGN_OR_RETURN(std::string role_arn, ReqParam(params, "RoleArn"));
  if (role_arn.size() < 20 || role_arn.size() > 2048)
    return ValidationFailed("RoleArn", "'" + role_arn + "'",
                            "Member must have length greater than or equal to 20");
  OT_ASSIGN_OR_RETURN(std::string session_name, ReqParam(params, "RoleSessionName"));
  if (!IsValidIamName(session_name, 2, 64))
    return ValidationFailed("RoleSessionName", "'" + session_name + "'",
                            session_name.size() < 2 || session_name.size() > 64
                                ? "Member must have length between 2 and 64"
                                : "Member must satisfy regular expression pattern: [\\w+=,.@-]*");
  OT_ASSIGN_OR_RETURN(auto duration_opt,
                      OptIntParam(params, "DurationSeconds", kMinDuration, kMaxDuration));
  auto external_id = OptParam(params, "ExternalId");
  if (external_id && !IsValidExternalId(*external_id))
    return ValidationFailed("ExternalId", "'" + *external_id + "'",
                            "Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*");
  // Session policies would narrow the session; ignoring them would grant
  // more than asked, so refuse until policy/ can evaluate them.
  for (const auto& [k, v] : params) {
    (void)v;
    if (k == "Policy" || StartsWith(k, "PolicyArns.") || k == "SerialNumber" || k == "TokenCode")
      return Status::NotImplemented("AssumeRole parameter " + k.substr(0, k.find('.')));
  }

  const std::string denied = "User: " + caller.arn +
                             " is not authorized to perform: sts:AssumeRole on resource: " +
                             role_arn;
  auto role = store_.GetRoleByArn(role_arn);
  if (!role.ok()) {
    if (role.status().code() == "NoSuchEntity") return Status::AccessDenied(denied);
    return role.status();
  }
  // The trust policy must allow the caller; a caller from another account
  // also needs its own identity policy to allow sts:AssumeRole on the role.
  auto trust = policy::ParsePolicy(role->assume_role_policy_document, policy::PolicyKind::kTrust);
  if (!trust.ok()) return Status::AccessDenied(denied);
  AuthzCheck check;
  check.action = "sts:AssumeRole";
  check.resource = role->arn;
  check.resource_account = role->account_id;
  check.resource_policy = &*trust;
  check.kind = ResourcePolicyKind::kTrust;
  check.resource_label = "the trust policy of role " + role->name;
  if (external_id) check.context["sts:ExternalId"] = {*external_id};
  check.style = DenyStyle::kQuery;
  OT_RETURN_IF_ERROR(authorizer().Authorize(ctx, check));

  int64_t duration = duration_opt.value_or(kDefaultDuration);
  if (duration > role->max_session_duration)
    return Status::Error("ValidationError",
                         "The requested DurationSeconds exceeds the MaxSessionDuration set for "
                         "this role.",
                         400);
  if (caller.type == auth::PrincipalType::kAssumedRole && duration > kRoleChainingMax)
    return Status::Error("ValidationError",
                         "The requested DurationSeconds exceeds the 1 hour session limit for "
                         "roles assumed by role chaining.",
                         400);

  OT_ASSIGN_OR_RETURN(auth::Credential cred,
                      store_.CreateSession(*role, session_name, std::chrono::seconds(duration)));
  OrderedJson out = OrderedJson::object();
  OrderedJson creds = OrderedJson::object();
  creds["AccessKeyId"] = cred.access_key_id;
  creds["SecretAccessKey"] = cred.secret_access_key;
  creds["SessionToken"] = cred.session_token;
  creds["Expiration"] = FormatIso8601(*cred.expiration);
  out["Credentials"] = std::move(creds);
  OrderedJson user = OrderedJson::object();
  user["AssumedRoleId"] = cred.principal.principal_id;
  user["Arn"] = cred.principal.arn;
  out["AssumedRoleUser"] = std::move(user);
  return out;
}

}  // namespace orgtrail::iam
