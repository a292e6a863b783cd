#include "iam/iam_service.h"

#include <algorithm>

#include "base/strings.h"
#include "iam/policy_document.h"
#include "iam/query_input.h"

namespace orgtrail::iam {
namespace {

constexpr int64_t kDefaultMaxItems = 100;

Status RequireAccountCaller(const auth::RequestContext& ctx) {
  if (ctx.principal.account_id.empty() ||
      ctx.principal.type == auth::PrincipalType::kAWSService)
    return Status::AccessDenied("The caller is not an IAM principal of an account.");
  return Status::Ok();
}

// PolicyArn: required, arnType's 20..2048 characters.
Result<std::string> ReqPolicyArn(const auth::QueryParams& p) {
  OT_ASSIGN_OR_RETURN(std::string arn, ReqParam(p, "PolicyArn"));
  if (arn.size() < 20 || arn.size() > 2048)
    return ValidationFailed("PolicyArn", "'" + arn + "'",
                            "Member must have length greater than or equal to 20");
  return arn;
}

// VersionId: v<digits>, as policyVersionIdType.
Result<std::string> ReqVersionId(const auth::QueryParams& p) {
  OT_ASSIGN_OR_RETURN(std::string v, ReqParam(p, "VersionId"));
  if (v.size() < 2 || v[0] != 'v' || v.find_first_not_of("0123456789", 1) != std::string::npos)
    return ValidationFailed("VersionId", "'" + v + "'",
                            "Member must satisfy regular expression pattern: "
                            "v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?");
  return v;
}

Result<bool> OptBoolParam(const auth::QueryParams& p, const std::string& name) {
  auto v = OptParam(p, name);
  if (!v) return false;
  std::string lower = ToLower(*v);
  if (lower == "true") return true;
  if (lower == "false") return false;
  return ValidationFailed(name, "'" + *v + "'", "Member must be a boolean");
}

OrderedJson VersionToJson(const PolicyVersionRecord& v, bool with_document) {
  OrderedJson j = OrderedJson::object();
  if (with_document) j["Document"] = UriEncode(v.document);
  j["VersionId"] = v.version_id;
  j["IsDefaultVersion"] = v.is_default;
  j["CreateDate"] = FormatIso8601(v.created);
  return j;
}

Result<std::string> OptPath(const auth::QueryParams& p, const std::string& member) {
  auto path = OptParam(p, member);
  if (!path) return std::string("/");
  if (!IsValidIamPath(*path))
    return ValidationFailed(member, "'" + *path + "'",
                            "Member must satisfy regular expression pattern: "
                            "(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)");
  return *path;
}

// One page of `items` (sorted by `key`), starting at the item whose key is
// the Marker. Adds the list under `list_name`, IsTruncated and Marker.
template <typename T, typename KeyFn, typename ToJson>
Result<OrderedJson> Page(const auth::QueryParams& p, const std::vector<T>& items, KeyFn key,
                         const char* list_name, ToJson to_json) {
  OT_ASSIGN_OR_RETURN(auto max_items, OptIntParam(p, "MaxItems", 1, 1000));
  auto marker = OptParam(p, "Marker");
  size_t start = 0;
  if (marker) {
    while (start < items.size() && key(items[start]) < *marker) ++start;
  }
  size_t n = static_cast<size_t>(max_items.value_or(kDefaultMaxItems));
  size_t end = std::min(items.size(), start + n);
  OrderedJson out = OrderedJson::object();
  OrderedJson list = OrderedJson::array();
  for (size_t i = start; i < end; ++i) list.push_back(to_json(items[i]));
  out[list_name] = std::move(list);
  out["IsTruncated"] = end < items.size();
  if (end < items.size()) out["Marker"] = key(items[end]);
  return out;
}

}  // namespace

IamService::IamService(IdentityStore& store, const Clock& clock) : store_(store), clock_(clock) {}

auth::QueryOps IamService::Ops() {
  struct Entry {
    const char* name;
    Handler handler;
    Target target;
  };
  static const Entry kTable[] = {
      {"CreateRole", &IamService::CreateRole, Target::kRole},
      {"GetRole", &IamService::GetRole, Target::kRole},
      {"DeleteRole", &IamService::DeleteRole, Target::kRole},
      {"ListRoles", &IamService::ListRoles, Target::kNone},
      {"UpdateAssumeRolePolicy", &IamService::UpdateAssumeRolePolicy, Target::kRole},
      {"PutRolePolicy", &IamService::PutRolePolicy, Target::kRole},
      {"GetRolePolicy", &IamService::GetRolePolicy, Target::kRole},
      {"DeleteRolePolicy", &IamService::DeleteRolePolicy, Target::kRole},
      {"ListRolePolicies", &IamService::ListRolePolicies, Target::kRole},
      {"CreatePolicy", &IamService::CreatePolicy, Target::kNewPolicy},
      {"GetPolicy", &IamService::GetPolicy, Target::kPolicy},
      {"DeletePolicy", &IamService::DeletePolicy, Target::kPolicy},
      {"ListPolicies", &IamService::ListPolicies, Target::kNone},
      {"CreatePolicyVersion", &IamService::CreatePolicyVersion, Target::kPolicy},
      {"GetPolicyVersion", &IamService::GetPolicyVersion, Target::kPolicy},
      {"ListPolicyVersions", &IamService::ListPolicyVersions, Target::kPolicy},
      {"DeletePolicyVersion", &IamService::DeletePolicyVersion, Target::kPolicy},
      {"ListEntitiesForPolicy", &IamService::ListEntitiesForPolicy, Target::kPolicy},
      {"AttachRolePolicy", &IamService::AttachRolePolicy, Target::kRole},
      {"DetachRolePolicy", &IamService::DetachRolePolicy, Target::kRole},
      {"ListAttachedRolePolicies", &IamService::ListAttachedRolePolicies, Target::kRole},
      {"AttachUserPolicy", &IamService::AttachUserPolicy, Target::kUser},
      {"DetachUserPolicy", &IamService::DetachUserPolicy, Target::kUser},
      {"ListAttachedUserPolicies", &IamService::ListAttachedUserPolicies, Target::kUser},
      {"CreateUser", &IamService::CreateUser, Target::kUser},
      {"GetUser", &IamService::GetUser, Target::kKeyOwner},
      {"DeleteUser", &IamService::DeleteUser, Target::kUser},
      {"ListUsers", &IamService::ListUsers, Target::kNone},
      {"PutUserPolicy", &IamService::PutUserPolicy, Target::kUser},
      {"GetUserPolicy", &IamService::GetUserPolicy, Target::kUser},
      {"DeleteUserPolicy", &IamService::DeleteUserPolicy, Target::kUser},
      {"ListUserPolicies", &IamService::ListUserPolicies, Target::kUser},
      {"CreateAccessKey", &IamService::CreateAccessKey, Target::kKeyOwner},
      {"DeleteAccessKey", &IamService::DeleteAccessKey, Target::kKeyOwner},
      {"UpdateAccessKey", &IamService::UpdateAccessKey, Target::kKeyOwner},
      {"ListAccessKeys", &IamService::ListAccessKeys, Target::kKeyOwner},
  };
  auth::QueryOps ops;
  for (const auto& e : kTable) {
    Handler h = e.handler;
    std::string action = std::string("iam:") + e.name;
    Target target = e.target;
    ops[e.name] = [this, h, action, target](const auth::RequestContext& c,
                                            const auth::QueryParams& p) -> Result<OrderedJson> {
      OT_RETURN_IF_ERROR(RequireAccountCaller(c));
      OT_RETURN_IF_ERROR(AuthorizeCall(c, p, action, target));
      return (this->*h)(c, p);
    };
  }
  return ops;
}

const Authorizer& IamService::authorizer() const {
  return authorizer_ != nullptr ? *authorizer_ : Authorizer::Default();
}

std::string IamService::TargetArn(const auth::RequestContext& ctx, const auth::QueryParams& p,
                                  Target target) {
  const std::string& account = ctx.principal.account_id;
  auto path_of = [&]() {
    auto path = OptParam(p, "Path");
    return path && IsValidIamPath(*path) ? *path : std::string("/");
  };
  switch (target) {
    case Target::kNone:
      return "*";
    case Target::kRole: {
      auto name = OptParam(p, "RoleName");
      if (!name) return "*";
      auto role = store_.GetRole(account, *name);
      if (role.ok()) return role->arn;
      return IdentityStore::RoleArn(account, path_of(), *name);
    }
    case Target::kUser:
    case Target::kKeyOwner: {
      auto name = OptParam(p, "UserName");
      if (!name) {
        if (target != Target::kKeyOwner) return "*";
        // Without UserName a session names nobody: the operation answers
        // ValidationError before anything is authorized.
        if (ctx.principal.type == auth::PrincipalType::kAssumedRole) return "";
        return ctx.principal.arn;  // the caller itself
      }
      auto user = store_.GetUser(account, *name);
      if (user.ok()) return user->arn;
      return IdentityStore::UserArn(account, path_of(), *name);
    }
    case Target::kPolicy: {
      auto arn = OptParam(p, "PolicyArn");
      return arn && !arn->empty() ? *arn : "*";
    }
    case Target::kNewPolicy: {
      auto name = OptParam(p, "PolicyName");
      if (!name) return "*";
      return IdentityStore::PolicyArn(account, path_of(), *name);
    }
  }
  return "*";
}

Status IamService::AuthorizeCall(const auth::RequestContext& ctx, const auth::QueryParams& p,
                                 const std::string& action, Target target) {
  AuthzCheck check;
  check.action = action;
  check.resource = TargetArn(ctx, p, target);
  if (check.resource.empty()) return Status::Ok();  // the handler refuses the input
  check.resource_account = ctx.principal.account_id;
  check.style = DenyStyle::kQuery;
  // Attach/Detach are about the role or user; which policy is a condition
  // key, so a policy can limit the policies a principal may hand out.
  if (target == Target::kRole || target == Target::kUser) {
    if (auto arn = OptParam(p, "PolicyArn")) check.context["iam:PolicyARN"] = {*arn};
  }
  return authorizer().Authorize(ctx, check);
}

OrderedJson IamService::RoleToJson(const RoleRecord& role) {
  OrderedJson j = OrderedJson::object();
  j["Path"] = role.path;
  j["RoleName"] = role.name;
  j["RoleId"] = role.role_id;
  j["Arn"] = role.arn;
  j["CreateDate"] = FormatIso8601(role.created);
  j["AssumeRolePolicyDocument"] = UriEncode(role.assume_role_policy_document);
  if (!role.description.empty()) j["Description"] = role.description;
  j["MaxSessionDuration"] = role.max_session_duration;
  return j;
}

OrderedJson IamService::UserToJson(const UserRecord& user) {
  OrderedJson j = OrderedJson::object();
  j["Path"] = user.path;
  j["UserName"] = user.name;
  j["UserId"] = user.user_id;
  j["Arn"] = user.arn;
  j["CreateDate"] = FormatIso8601(user.created);
  return j;
}

OrderedJson IamService::PolicyToJson(const ManagedPolicyRecord& policy) {
  OrderedJson j = OrderedJson::object();
  j["PolicyName"] = policy.name;
  j["PolicyId"] = policy.policy_id;
  j["Arn"] = policy.arn;
  j["Path"] = policy.path;
  j["DefaultVersionId"] = policy.default_version_id;
  j["AttachmentCount"] = policy.attachment_count;
  j["PermissionsBoundaryUsageCount"] = 0;
  j["IsAttachable"] = true;
  if (!policy.description.empty()) j["Description"] = policy.description;
  j["CreateDate"] = FormatIso8601(policy.created);
  j["UpdateDate"] = FormatIso8601(policy.updated);
  return j;
}

// ---------------------------------------------------------------- roles

Result<OrderedJson> IamService::CreateRole(const auth::RequestContext& ctx,
                                           const auth::QueryParams& p) {
  RoleSpec spec;
  spec.account_id = ctx.principal.account_id;
  OT_ASSIGN_OR_RETURN(spec.name, ReqName(p, "RoleName", 1, 64));
  OT_ASSIGN_OR_RETURN(spec.path, OptPath(p, "Path"));
  OT_ASSIGN_OR_RETURN(spec.assume_role_policy_document, ReqParam(p, "AssumeRolePolicyDocument"));
  auto desc = OptParam(p, "Description");
  if (desc && desc->size() > 1000)
    return ValidationFailed("Description", "'" + *desc + "'",
                            "Member must have length less than or equal to 1000");
  spec.description = desc.value_or("");
  OT_ASSIGN_OR_RETURN(auto max_session, OptIntParam(p, "MaxSessionDuration", 3600, 43200));
  spec.max_session_duration = max_session.value_or(3600);
  OT_ASSIGN_OR_RETURN(auto doc,
                      ValidatePolicyDocument(spec.assume_role_policy_document, PolicyKind::kTrust));
  (void)doc;
  OT_ASSIGN_OR_RETURN(auto role, store_.CreateRole(spec));
  OrderedJson out = OrderedJson::object();
  out["Role"] = RoleToJson(role);
  return out;
}

Result<OrderedJson> IamService::GetRole(const auth::RequestContext& ctx,
                                        const auth::QueryParams& p) {
  OT_ASSIGN_OR_RETURN(std::string name, ReqName(p, "RoleName", 1, 64));
  OT_ASSIGN_OR_RETURN(auto role, store_.GetRole(ctx.principal.account_id, name));
  OrderedJson out = OrderedJson::object();
  out["Role"] = RoleToJson(role);
  return out;
}

Result<OrderedJson> IamService::DeleteRole(const auth::RequestContext& ctx,
                                           const auth::QueryParams& p) {
  OT_ASSIGN_OR_RETURN(std::string name, ReqName(p, "RoleName", 1, 64));
  OT_RETURN_IF_ERROR(store_.DeleteRole(ctx.principal.account_id, name));
  return OrderedJson::object();
}

Result<OrderedJson> IamService::ListRoles(const auth::RequestContext& ctx,
                                          const auth::QueryParams& p) {
  OT_ASSIGN_OR_RETURN(auto roles, store_.ListRoles(ctx.principal.account_id));
  if (auto prefix = OptParam(p, "PathPrefix")) {
    std::erase_if(roles, [&](const RoleRecord& r) { return !StartsWith(r.path, *prefix); });
  }
  return Page(
      p, roles, [](const RoleRecord& r) { return ToLower(r.name); }, "Roles", RoleToJson);
}

Result<OrderedJson> IamService::UpdateAssumeRolePolicy(const auth::RequestContext& ctx,
                                                       const auth::QueryParams& p) {
  OT_ASSIGN_OR_RETURN(std::string name, ReqName(p, "RoleName", 1, 64));
  OT_ASSIGN_OR_RETURN(std::string doc, ReqParam(p, "PolicyDocument"));
  OT_ASSIGN_OR_RETURN(auto parsed, ValidatePolicyDocument(doc, PolicyKind::kTrust));
  (void)parsed;
  OT_RETURN_IF_ERROR(store_.UpdateAssumeRolePolicy(ctx.principal.account_id, name, doc));
  return OrderedJson::object();
}

// ---------------------------------------------------------------- role policies

Result<OrderedJson> IamService::PutRolePolicy(const auth::RequestContext& ctx,
                                              const auth::QueryParams& p) {
  OT_ASSIGN_OR_RETURN(std::string role, ReqName(p, "RoleName", 1, 64));
  OT_ASSIGN_OR_RETURN(std::string policy, ReqName(p, "PolicyName", 1, 128));
  OT_ASSIGN_OR_RETURN(std::string doc, ReqParam(p, "PolicyDocument"));
  OT_ASSIGN_OR_RETURN(auto parsed, ValidatePolicyDocument(doc, PolicyKind::kIdentity));
  (void)parsed;
  OT_RETURN_IF_ERROR(store_.PutRolePolicy(ctx.principal.account_id, role, policy, doc));
  return OrderedJson::object();
}

Result<OrderedJson> IamService::GetRolePolicy(const auth::RequestContext& ctx,
                                              const auth::QueryParams& p) {
  OT_ASSIGN_OR_RETURN(std::string role, ReqName(p, "RoleName", 1, 64));
  OT_ASSIGN_OR_RETURN(std::string policy, ReqName(p, "PolicyName", 1, 128));
  OT_ASSIGN_OR_RETURN(auto rp, store_.GetRolePolicy(ctx.principal.account_id, role, policy));
  OrderedJson out = OrderedJson::object();
  out["RoleName"] = rp.role_name;
  out["PolicyName"] = rp.policy_name;
  out["PolicyDocument"] = UriEncode(rp.document);
  return out;
}

Result<OrderedJson> IamService::DeleteRolePolicy(const auth::RequestContext& ctx,
                                                 const auth::QueryParams& p) {
  OT_ASSIGN_OR_RETURN(std::string role, ReqName(p, "RoleName", 1, 64));
  OT_ASSIGN_OR_RETURN(std::string policy, ReqName(p, "PolicyName", 1, 128));
  OT_RETURN_IF_ERROR(store_.DeleteRolePolicy(ctx.principal.account_id, role, policy));
  return OrderedJson::object();
}

Result<OrderedJson> IamService::ListRolePolicies(const auth::RequestContext& ctx,
                                                 const auth::QueryParams& p) {
  OT_ASSIGN_OR_RETURN(std::string role, ReqName(p, "RoleName", 1, 64));
  OT_ASSIGN_OR_RETURN(auto names, store_.ListRolePolicies(ctx.principal.account_id, role));
  return Page(
      p, names, [](const std::string& n) { return ToLower(n); }, "PolicyNames",
      [](const std::string& n) { return OrderedJson(n); });
}

// ---------------------------------------------------------------- user policies

Result<OrderedJson> IamService::PutUserPolicy(const auth::RequestContext& ctx,
                                              const auth::QueryParams& p) {
  OT_ASSIGN_OR_RETURN(std::string user, ReqName(p, "UserName", 1, 128));
  OT_ASSIGN_OR_RETURN(std::string policy, ReqName(p, "PolicyName", 1, 128));
  OT_ASSIGN_OR_RETURN(std::string doc, ReqParam(p, "PolicyDocument"));
  OT_ASSIGN_OR_RETURN(auto parsed, ValidatePolicyDocument(doc, PolicyKind::kIdentity));
  (void)parsed;
  OT_RETURN_IF_ERROR(store_.PutUserPolicy(ctx.principal.account_id, user, policy, doc));
  return OrderedJson::object();
}

Result<OrderedJson> IamService::GetUserPolicy(const auth::RequestContext& ctx,
                                              const auth::QueryParams& p) {
  OT_ASSIGN_OR_RETURN(std::string user, ReqName(p, "UserName", 1, 128));
  OT_ASSIGN_OR_RETURN(std::string policy, ReqName(p, "PolicyName", 1, 128));
  OT_ASSIGN_OR_RETURN(auto up, store_.GetUserPolicy(ctx.principal.account_id, user, policy));
  OrderedJson out = OrderedJson::object();
  out["UserName"] = up.user_name;
  out["PolicyName"] = up.policy_name;
  out["PolicyDocument"] = UriEncode(up.document);
  return out;
}

Result<OrderedJson> IamService::DeleteUserPolicy(const auth::RequestContext& ctx,
                                                 const auth::QueryParams& p) {
  OT_ASSIGN_OR_RETURN(std::string user, ReqName(p, "UserName", 1, 128));
  OT_ASSIGN_OR_RETURN(std::string policy, ReqName(p, "PolicyName", 1, 128));
  OT_RETURN_IF_ERROR(store_.DeleteUserPolicy(ctx.principal.account_id, user, policy));
  return OrderedJson::object();
}

Result<OrderedJson> IamService::ListUserPolicies(const auth::RequestContext& ctx,
                                                 const auth::QueryParams& p) {
  OT_ASSIGN_OR_RETURN(std::string user, ReqName(p, "UserName", 1, 128));
  OT_ASSIGN_OR_RETURN(auto names, store_.ListUserPolicies(ctx.principal.account_id, user));
  return Page(
      p, names, [](const std::string& n) { return ToLower(n); }, "PolicyNames",
      [](const std::string& n) { return OrderedJson(n); });
}

// ---------------------------------------------------------------- managed policies

Result<OrderedJson> IamService::CreatePolicy(const auth::RequestContext& ctx,
                                             const auth::QueryParams& p) {
  OT_ASSIGN_OR_RETURN(std::string name, ReqName(p, "PolicyName", 1, 128));
  OT_ASSIGN_OR_RETURN(std::string path, OptPath(p, "Path"));
  OT_ASSIGN_OR_RETURN(std::string doc, ReqParam(p, "PolicyDocument"));
  auto desc = OptParam(p, "Description");
  if (desc && desc->size() > 1000)
    return ValidationFailed("Description", "'" + *desc + "'",
                            "Member must have length less than or equal to 1000");
  OT_ASSIGN_OR_RETURN(auto parsed, ValidatePolicyDocument(doc, PolicyKind::kIdentity));
  (void)parsed;
  OT_ASSIGN_OR_RETURN(
      auto pol, store_.CreatePolicy(ctx.principal.account_id, name, path, desc.value_or(""), doc));
  OrderedJson out = OrderedJson::object();
  out["Policy"] = PolicyToJson(pol);
  return out;
}

Result<OrderedJson> IamService::GetPolicy(const auth::RequestContext& ctx,
                                          const auth::QueryParams& p) {
  OT_ASSIGN_OR_RETURN(std::string arn, ReqPolicyArn(p));
  OT_ASSIGN_OR_RETURN(auto pol, store_.GetPolicy(ctx.principal.account_id, arn));
  OrderedJson out = OrderedJson::object();
  out["Policy"] = PolicyToJson(pol);
  return out;
}

Result<OrderedJson> IamService::DeletePolicy(const auth::RequestContext& ctx,
                                             const auth::QueryParams& p) {
  OT_ASSIGN_OR_RETURN(std::string arn, ReqPolicyArn(p));
  OT_RETURN_IF_ERROR(store_.DeletePolicy(ctx.principal.account_id, arn));
  return OrderedJson::object();
}

Result<OrderedJson> IamService::ListPolicies(const auth::RequestContext& ctx,
                                             const auth::QueryParams& p) {
  std::string scope = OptParam(p, "Scope").value_or("All");
  if (scope != "All" && scope != "AWS" && scope != "Local")
    return ValidationFailed("Scope", "'" + scope + "'",
                            "Member must satisfy enum value set: [All, AWS, Local]");
  OT_ASSIGN_OR_RETURN(bool only_attached, OptBoolParam(p, "OnlyAttached"));
  std::vector<ManagedPolicyRecord> pols;
  // There are no AWS managed policies here: Scope=AWS is always empty.
  if (scope != "AWS") {
    OT_ASSIGN_OR_RETURN(pols, store_.ListPolicies(ctx.principal.account_id));
  }
  auto prefix = OptParam(p, "PathPrefix");
  std::erase_if(pols, [&](const ManagedPolicyRecord& m) {
    return (prefix && !StartsWith(m.path, *prefix)) || (only_attached && m.attachment_count == 0);
  });
  return Page(
      p, pols, [](const ManagedPolicyRecord& m) { return ToLower(m.name); }, "Policies",
      PolicyToJson);
}

Result<OrderedJson> IamService::CreatePolicyVersion(const auth::RequestContext& ctx,
                                                    const auth::QueryParams& p) {
  OT_ASSIGN_OR_RETURN(std::string arn, ReqPolicyArn(p));
  OT_ASSIGN_OR_RETURN(std::string doc, ReqParam(p, "PolicyDocument"));
  OT_ASSIGN_OR_RETURN(bool set_default, OptBoolParam(p, "SetAsDefault"));
  OT_ASSIGN_OR_RETURN(auto parsed, ValidatePolicyDocument(doc, PolicyKind::kIdentity));
  (void)parsed;
  OT_ASSIGN_OR_RETURN(auto v,
                      store_.CreatePolicyVersion(ctx.principal.account_id, arn, doc, set_default));
  OrderedJson out = OrderedJson::object();
  out["PolicyVersion"] = VersionToJson(v, false);
  return out;
}

Result<OrderedJson> IamService::GetPolicyVersion(const auth::RequestContext& ctx,
                                                 const auth::QueryParams& p) {
  OT_ASSIGN_OR_RETURN(std::string arn, ReqPolicyArn(p));
  OT_ASSIGN_OR_RETURN(std::string version, ReqVersionId(p));
  OT_ASSIGN_OR_RETURN(auto v, store_.GetPolicyVersion(ctx.principal.account_id, arn, version));
  OrderedJson out = OrderedJson::object();
  out["PolicyVersion"] = VersionToJson(v, true);
  return out;
}

Result<OrderedJson> IamService::ListPolicyVersions(const auth::RequestContext& ctx,
                                                   const auth::QueryParams& p) {
  OT_ASSIGN_OR_RETURN(std::string arn, ReqPolicyArn(p));
  OT_ASSIGN_OR_RETURN(auto versions, store_.ListPolicyVersions(ctx.principal.account_id, arn));
  OrderedJson out = OrderedJson::object();
  OrderedJson list = OrderedJson::array();
  for (const auto& v : versions) list.push_back(VersionToJson(v, false));
  out["Versions"] = std::move(list);
  out["IsTruncated"] = false;  // at most kMaxPolicyVersions
  return out;
}

Result<OrderedJson> IamService::DeletePolicyVersion(const auth::RequestContext& ctx,
                                                    const auth::QueryParams& p) {
  OT_ASSIGN_OR_RETURN(std::string arn, ReqPolicyArn(p));
  OT_ASSIGN_OR_RETURN(std::string version, ReqVersionId(p));
  OT_RETURN_IF_ERROR(store_.DeletePolicyVersion(ctx.principal.account_id, arn, version));
  return OrderedJson::object();
}

Result<OrderedJson> IamService::ListEntitiesForPolicy(const auth::RequestContext& ctx,
                                                      const auth::QueryParams& p) {
  OT_ASSIGN_OR_RETURN(std::string arn, ReqPolicyArn(p));
  auto filter = OptParam(p, "EntityFilter");
  if (filter && *filter != "User" && *filter != "Role" && *filter != "Group" &&
      *filter != "LocalManagedPolicy" && *filter != "AWSManagedPolicy")
    return ValidationFailed("EntityFilter", "'" + *filter + "'",
                            "Member must satisfy enum value set: [User, Role, Group, "
                            "LocalManagedPolicy, AWSManagedPolicy]");
  OT_ASSIGN_OR_RETURN(auto entities, store_.ListEntitiesForPolicy(ctx.principal.account_id, arn));
  auto want = [&](const char* kind) { return !filter || *filter == kind; };
  OrderedJson out = OrderedJson::object();
  out["PolicyGroups"] = OrderedJson::array();  // no IAM groups here
  OrderedJson users = OrderedJson::array();
  if (want("User")) {
    for (const auto& u : entities.users) {
      OrderedJson j = OrderedJson::object();
      j["UserName"] = u.name;
      j["UserId"] = u.user_id;
      users.push_back(std::move(j));
    }
  }
  out["PolicyUsers"] = std::move(users);
  OrderedJson roles = OrderedJson::array();
  if (want("Role")) {
    for (const auto& r : entities.roles) {
      OrderedJson j = OrderedJson::object();
      j["RoleName"] = r.name;
      j["RoleId"] = r.role_id;
      roles.push_back(std::move(j));
    }
  }
  out["PolicyRoles"] = std::move(roles);
  out["IsTruncated"] = false;
  return out;
}

Result<OrderedJson> IamService::Attach(const auth::RequestContext& ctx, const auth::QueryParams& p,
                                       AttachTarget target, bool attach) {
  const bool role = target == AttachTarget::kRole;
  OT_ASSIGN_OR_RETURN(std::string name,
                      ReqName(p, role ? "RoleName" : "UserName", 1, role ? 64 : 128));
  OT_ASSIGN_OR_RETURN(std::string arn, ReqPolicyArn(p));
  if (attach) {
    OT_RETURN_IF_ERROR(store_.AttachPolicy(ctx.principal.account_id, target, name, arn));
  } else {
    OT_RETURN_IF_ERROR(store_.DetachPolicy(ctx.principal.account_id, target, name, arn));
  }
  return OrderedJson::object();
}

Result<OrderedJson> IamService::ListAttached(const auth::RequestContext& ctx,
                                             const auth::QueryParams& p, AttachTarget target) {
  const bool role = target == AttachTarget::kRole;
  OT_ASSIGN_OR_RETURN(std::string name,
                      ReqName(p, role ? "RoleName" : "UserName", 1, role ? 64 : 128));
  OT_ASSIGN_OR_RETURN(auto attached,
                      store_.ListAttachedPolicies(ctx.principal.account_id, target, name));
  if (auto prefix = OptParam(p, "PathPrefix")) {
    // The path is the part of the ARN between "policy" and the name.
    std::erase_if(attached, [&](const AttachedPolicy& a) {
      size_t at = a.policy_arn.find(":policy");
      std::string path = at == std::string::npos ? "" : a.policy_arn.substr(at + 7);
      return !StartsWith(path, *prefix);
    });
  }
  return Page(
      p, attached, [](const AttachedPolicy& a) { return ToLower(a.policy_name); },
      "AttachedPolicies",
      [](const AttachedPolicy& a) {
        OrderedJson j = OrderedJson::object();
        j["PolicyName"] = a.policy_name;
        j["PolicyArn"] = a.policy_arn;
        return j;
      });
}

Result<OrderedJson> IamService::AttachRolePolicy(const auth::RequestContext& ctx,
                                                 const auth::QueryParams& p) {
  return Attach(ctx, p, AttachTarget::kRole, true);
}
Result<OrderedJson> IamService::DetachRolePolicy(const auth::RequestContext& ctx,
                                                 const auth::QueryParams& p) {
  return Attach(ctx, p, AttachTarget::kRole, false);
}
Result<OrderedJson> IamService::ListAttachedRolePolicies(const auth::RequestContext& ctx,
                                                         const auth::QueryParams& p) {
  return ListAttached(ctx, p, AttachTarget::kRole);
}
Result<OrderedJson> IamService::AttachUserPolicy(const auth::RequestContext& ctx,
                                                 const auth::QueryParams& p) {
  return Attach(ctx, p, AttachTarget::kUser, true);
}
Result<OrderedJson> IamService::DetachUserPolicy(const auth::RequestContext& ctx,
                                                 const auth::QueryParams& p) {
  return Attach(ctx, p, AttachTarget::kUser, false);
}
Result<OrderedJson> IamService::ListAttachedUserPolicies(const auth::RequestContext& ctx,
                                                         const auth::QueryParams& p) {
  return ListAttached(ctx, p, AttachTarget::kUser);
}

// ---------------------------------------------------------------- users

Result<OrderedJson> IamService::CreateUser(const auth::RequestContext& ctx,
                                           const auth::QueryParams& p) {
  OT_ASSIGN_OR_RETURN(std::string name, ReqName(p, "UserName", 1, 64));
  OT_ASSIGN_OR_RETURN(std::string path, OptPath(p, "Path"));
  OT_ASSIGN_OR_RETURN(auto user, store_.CreateUser(ctx.principal.account_id, name, path));
  OrderedJson out = OrderedJson::object();
  out["User"] = UserToJson(user);
  return out;
}

Result<OrderedJson> IamService::GetUser(const auth::RequestContext& ctx,
                                        const auth::QueryParams& p) {
  const auth::Principal& caller = ctx.principal;
  OrderedJson out = OrderedJson::object();
  if (OptParam(p, "UserName")) {
    OT_ASSIGN_OR_RETURN(std::string name, ReqName(p, "UserName", 1, 128));
    OT_ASSIGN_OR_RETURN(auto user, store_.GetUser(caller.account_id, name));
    out["User"] = UserToJson(user);
    return out;
  }
  switch (caller.type) {
    case auth::PrincipalType::kIAMUser: {
      OT_ASSIGN_OR_RETURN(auto user, store_.GetUser(caller.account_id, caller.user_name));
      out["User"] = UserToJson(user);
      return out;
    }
    case auth::PrincipalType::kRoot: {
      // AWS answers the root user with its id and ARN only.
      OT_ASSIGN_OR_RETURN(auto account, store_.GetAccount(caller.account_id));
      OrderedJson u = OrderedJson::object();
      u["UserId"] = caller.account_id;
      u["Arn"] = caller.arn;
      u["CreateDate"] = FormatIso8601(account.created);
      out["User"] = std::move(u);
      return out;
    }
    default:
      return Status::Error("ValidationError",
                           "Must specify userName when calling with non-User credentials", 400);
  }
}

Result<OrderedJson> IamService::DeleteUser(const auth::RequestContext& ctx,
                                           const auth::QueryParams& p) {
  OT_ASSIGN_OR_RETURN(std::string name, ReqName(p, "UserName", 1, 128));
  OT_RETURN_IF_ERROR(store_.DeleteUser(ctx.principal.account_id, name));
  return OrderedJson::object();
}

Result<OrderedJson> IamService::ListUsers(const auth::RequestContext& ctx,
                                          const auth::QueryParams& p) {
  OT_ASSIGN_OR_RETURN(auto users, store_.ListUsers(ctx.principal.account_id));
  if (auto prefix = OptParam(p, "PathPrefix")) {
    std::erase_if(users, [&](const UserRecord& u) { return !StartsWith(u.path, *prefix); });
  }
  return Page(
      p, users, [](const UserRecord& u) { return ToLower(u.name); }, "Users", UserToJson);
}

// ---------------------------------------------------------------- access keys

Result<std::string> IamService::KeyOwner(const auth::RequestContext& ctx,
                                         const auth::QueryParams& p) {
  if (OptParam(p, "UserName")) {
    OT_ASSIGN_OR_RETURN(std::string name, ReqName(p, "UserName", 1, 128));
    OT_ASSIGN_OR_RETURN(auto user, store_.GetUser(ctx.principal.account_id, name));
    return user.name;
  }
  switch (ctx.principal.type) {
    case auth::PrincipalType::kRoot: return std::string();
    case auth::PrincipalType::kIAMUser: return ctx.principal.user_name;
    default:
      return Status::Error("ValidationError",
                           "Must specify userName when calling with non-User credentials", 400);
  }
}

Result<OrderedJson> IamService::CreateAccessKey(const auth::RequestContext& ctx,
                                                const auth::QueryParams& p) {
  OT_ASSIGN_OR_RETURN(std::string owner, KeyOwner(ctx, p));
  OT_ASSIGN_OR_RETURN(auto key, store_.CreateAccessKey(ctx.principal.account_id, owner));
  OrderedJson k = OrderedJson::object();
  if (!owner.empty()) k["UserName"] = key.key.user_name;
  k["AccessKeyId"] = key.key.access_key_id;
  k["Status"] = key.key.status;
  k["SecretAccessKey"] = key.secret_access_key;
  k["CreateDate"] = FormatIso8601(key.key.created);
  OrderedJson out = OrderedJson::object();
  out["AccessKey"] = std::move(k);
  return out;
}

Result<OrderedJson> IamService::DeleteAccessKey(const auth::RequestContext& ctx,
                                                const auth::QueryParams& p) {
  OT_ASSIGN_OR_RETURN(std::string key_id, ReqParam(p, "AccessKeyId"));
  OT_ASSIGN_OR_RETURN(std::string owner, KeyOwner(ctx, p));
  OT_RETURN_IF_ERROR(store_.DeleteAccessKey(ctx.principal.account_id, owner, key_id));
  return OrderedJson::object();
}

Result<OrderedJson> IamService::UpdateAccessKey(const auth::RequestContext& ctx,
                                                const auth::QueryParams& p) {
  OT_ASSIGN_OR_RETURN(std::string key_id, ReqParam(p, "AccessKeyId"));
  OT_ASSIGN_OR_RETURN(std::string status, ReqParam(p, "Status"));
  if (status != "Active" && status != "Inactive")
    return ValidationFailed("Status", "'" + status + "'",
                            "Member must satisfy enum value set: [Active, Inactive]");
  OT_ASSIGN_OR_RETURN(std::string owner, KeyOwner(ctx, p));
  OT_RETURN_IF_ERROR(store_.SetAccessKeyStatus(ctx.principal.account_id, owner, key_id, status));
  return OrderedJson::object();
}

Result<OrderedJson> IamService::ListAccessKeys(const auth::RequestContext& ctx,
                                               const auth::QueryParams& p) {
  OT_ASSIGN_OR_RETURN(std::string owner, KeyOwner(ctx, p));
  OT_ASSIGN_OR_RETURN(auto keys, store_.ListAccessKeys(ctx.principal.account_id, owner));
  std::sort(keys.begin(), keys.end(), [](const AccessKeyRecord& a, const AccessKeyRecord& b) {
    return a.access_key_id < b.access_key_id;
  });
  return Page(
      p, keys, [](const AccessKeyRecord& k) { return k.access_key_id; }, "AccessKeyMetadata",
      [&](const AccessKeyRecord& k) {
        OrderedJson j = OrderedJson::object();
        if (!owner.empty()) j["UserName"] = k.user_name;
        j["AccessKeyId"] = k.access_key_id;
        j["Status"] = k.status;
        j["CreateDate"] = FormatIso8601(k.created);
        return j;
      });
}

}  // namespace orgtrail::iam
