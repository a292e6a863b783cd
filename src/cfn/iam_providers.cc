// AWS::IAM::Role, AWS::IAM::User, AWS::IAM::Policy (and the refused
// AWS::IAM::ManagedPolicy) over the IAM Query operations.
#include <algorithm>
#include <map>

#include "cfn/provider_util.h"
#include "cfn/template.h"

namespace orgtrail::cfn::internal {
namespace {

Status Ignore(const Result<OrderedJson>& r) { return r.status(); }

// Inline policies as name -> document text.
std::map<std::string, std::string> InlinePolicies(const Json& p) {
  std::map<std::string, std::string> out;
  if (p.is_object() && p.contains("Policies") && p["Policies"].is_array())
    for (const auto& pol : p["Policies"])
      out[Str(pol, "PolicyName").value_or("")] =
          pol.contains("PolicyDocument") ? PolicyText(pol["PolicyDocument"]) : "";
  return out;
}

void AddTags(const Json& p, auth::QueryParams* q) {
  if (!p.contains("Tags") || !p["Tags"].is_array()) return;
  int i = 1;
  for (const auto& t : p["Tags"]) {
    std::string base = "Tags.member." + std::to_string(i++);
    (*q)[base + ".Key"] = Str(t, "Key").value_or("");
    (*q)[base + ".Value"] = Str(t, "Value").value_or("");
  }
}

std::string NamedCapability(const Json& p, const char* name_prop) {
  return p.is_object() && p.contains(name_prop) ? "CAPABILITY_NAMED_IAM" : "CAPABILITY_IAM";
}

// Applies the inline-policy difference old -> new with Put/Delete<Kind>Policy.
Status SyncPolicies(ProviderContext& pc, const std::string& kind, const std::string& name,
                    const std::map<std::string, std::string>& old_p,
                    const std::map<std::string, std::string>& new_p) {
  for (const auto& [pol, doc] : new_p) {
    auto it = old_p.find(pol);
    if (it != old_p.end() && it->second == doc) continue;
    OT_RETURN_IF_ERROR(Ignore(Iam(pc, "Put" + kind + "Policy",
                                  {{kind + "Name", name}, {"PolicyName", pol}, {"PolicyDocument", doc}})));
  }
  for (const auto& [pol, doc] : old_p) {
    if (new_p.count(pol)) continue;
    OT_RETURN_IF_ERROR(Ignore(Iam(pc, "Delete" + kind + "Policy", {{kind + "Name", name}, {"PolicyName", pol}})));
  }
  return Status::Ok();
}

bool NotFound(const Status& s) { return s.code() == "NoSuchEntity"; }

class RoleProvider final : public ResourceProvider {
 public:
  const std::set<std::string>& Properties() const override {
    static const std::set<std::string> k = {"RoleName", "AssumeRolePolicyDocument", "Policies",
                                            "Path", "Description", "MaxSessionDuration", "Tags"};
    return k;
  }
  std::vector<std::string> RequiredProperties() const override { return {"AssumeRolePolicyDocument"}; }
  const std::set<std::string>& ReplacementProperties() const override {
    static const std::set<std::string> k = {"RoleName", "Path"};
    return k;
  }
  std::string RequiredCapability(const Json& p) const override { return NamedCapability(p, "RoleName"); }

  Result<ResourceState> Create(ProviderContext& pc, const Json& p) override {
    std::string name = Str(p, "RoleName").value_or("");
    if (name.empty()) name = GeneratedName(pc.stack_name, pc.logical_id, 64, false);
    auth::QueryParams q = {{"RoleName", name},
                           {"AssumeRolePolicyDocument", PolicyText(p.value("AssumeRolePolicyDocument", Json()))}};
    if (auto v = Str(p, "Path")) q["Path"] = *v;
    if (auto v = Str(p, "Description")) q["Description"] = *v;
    if (auto v = Str(p, "MaxSessionDuration")) q["MaxSessionDuration"] = *v;
    AddTags(p, &q);
    OT_ASSIGN_OR_RETURN(OrderedJson out, Iam(pc, "CreateRole", q));
    ResourceState st;
    st.physical_id = name;
    const OrderedJson& role = out.contains("Role") ? out["Role"] : out;
    st.attributes = {{"Arn", role.value("Arn", "")}, {"RoleId", role.value("RoleId", "")}};
    Status s = SyncPolicies(pc, "Role", name, {}, InlinePolicies(p));
    if (!s.ok()) {
      // Leave nothing half-made behind: the stack's rollback never sees this role.
      (void)Delete(pc, st, p);
      return s;
    }
    return st;
  }

  Result<ResourceState> Update(ProviderContext& pc, const ResourceState& cur, const Json& o,
                               const Json& n) override {
    if (Changed(o, n, "AssumeRolePolicyDocument"))
      OT_RETURN_IF_ERROR(Ignore(Iam(pc, "UpdateAssumeRolePolicy",
                                    {{"RoleName", cur.physical_id},
                                     {"PolicyDocument", PolicyText(n.value("AssumeRolePolicyDocument", Json()))}})));
    if (Changed(o, n, "Description") || Changed(o, n, "MaxSessionDuration")) {
      auth::QueryParams q = {{"RoleName", cur.physical_id}};
      q["Description"] = Str(n, "Description").value_or("");
      q["MaxSessionDuration"] = Str(n, "MaxSessionDuration").value_or("3600");
      OT_RETURN_IF_ERROR(Ignore(Iam(pc, "UpdateRole", q)));
    }
    OT_RETURN_IF_ERROR(SyncPolicies(pc, "Role", cur.physical_id, InlinePolicies(o), InlinePolicies(n)));
    return cur;
  }

  Status Delete(ProviderContext& pc, const ResourceState& cur, const Json& p) override {
    for (const auto& [pol, doc] : InlinePolicies(p)) {
      Status s = Ignore(Iam(pc, "DeleteRolePolicy", {{"RoleName", cur.physical_id}, {"PolicyName", pol}}));
      if (!s.ok() && !NotFound(s)) return s;
    }
    Status s = Ignore(Iam(pc, "DeleteRole", {{"RoleName", cur.physical_id}}));
    return NotFound(s) ? Status::Ok() : s;
  }
};

class UserProvider final : public ResourceProvider {
 public:
  const std::set<std::string>& Properties() const override {
    static const std::set<std::string> k = {"UserName", "Path", "Policies", "Tags"};
    return k;
  }
  const std::set<std::string>& ReplacementProperties() const override {
    static const std::set<std::string> k = {"UserName", "Path"};
    return k;
  }
  std::string RequiredCapability(const Json& p) const override { return NamedCapability(p, "UserName"); }

  Result<ResourceState> Create(ProviderContext& pc, const Json& p) override {
    std::string name = Str(p, "UserName").value_or("");
    if (name.empty()) name = GeneratedName(pc.stack_name, pc.logical_id, 64, false);
    auth::QueryParams q = {{"UserName", name}};
    if (auto v = Str(p, "Path")) q["Path"] = *v;
    AddTags(p, &q);
    OT_ASSIGN_OR_RETURN(OrderedJson out, Iam(pc, "CreateUser", q));
    ResourceState st;
    st.physical_id = name;
    const OrderedJson& user = out.contains("User") ? out["User"] : out;
    st.attributes = {{"Arn", user.value("Arn", "")}};
    Status s = SyncPolicies(pc, "User", name, {}, InlinePolicies(p));
    if (!s.ok()) {
      (void)Delete(pc, st, p);
      return s;
    }
    return st;
  }
  Result<ResourceState> Update(ProviderContext& pc, const ResourceState& cur, const Json& o,
                               const Json& n) override {
    OT_RETURN_IF_ERROR(SyncPolicies(pc, "User", cur.physical_id, InlinePolicies(o), InlinePolicies(n)));
    return cur;
  }
  Status Delete(ProviderContext& pc, const ResourceState& cur, const Json& p) override {
    for (const auto& [pol, doc] : InlinePolicies(p)) {
      Status s = Ignore(Iam(pc, "DeleteUserPolicy", {{"UserName", cur.physical_id}, {"PolicyName", pol}}));
      if (!s.ok() && !NotFound(s)) return s;
    }
    Status s = Ignore(Iam(pc, "DeleteUser", {{"UserName", cur.physical_id}}));
    return NotFound(s) ? Status::Ok() : s;
  }
};

// An inline policy put on each listed role and user.
class PolicyProvider final : public ResourceProvider {
 public:
  const std::set<std::string>& Properties() const override {
    static const std::set<std::string> k = {"PolicyName", "PolicyDocument", "Roles", "Users"};
    return k;
  }
  std::vector<std::string> RequiredProperties() const override { return {"PolicyName", "PolicyDocument"}; }
  const std::set<std::string>& ReplacementProperties() const override {
    static const std::set<std::string> k = {"PolicyName"};
    return k;
  }
  std::string RequiredCapability(const Json&) const override { return "CAPABILITY_IAM"; }

  static std::vector<std::pair<std::string, std::string>> Targets(const Json& p) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const char* list : {"Roles", "Users"}) {
      if (!p.contains(list) || !p[list].is_array()) continue;
      for (const auto& v : p[list])
        out.emplace_back(std::string(list) == "Roles" ? "Role" : "User", v.is_string() ? v.get<std::string>() : v.dump());
    }
    return out;
  }

  Result<ResourceState> Create(ProviderContext& pc, const Json& p) override {
    auto targets = Targets(p);
    if (targets.empty())
      return ValidationError("At least one of [Groups,Roles,Users] must be non-empty.");
    std::string name = Str(p, "PolicyName").value_or("");
    std::string doc = PolicyText(p.value("PolicyDocument", Json()));
    for (const auto& [kind, who] : targets)
      OT_RETURN_IF_ERROR(Ignore(Iam(pc, "Put" + kind + "Policy",
                                    {{kind + "Name", who}, {"PolicyName", name}, {"PolicyDocument", doc}})));
    ResourceState st;
    st.physical_id = GeneratedName(pc.stack_name, pc.logical_id.substr(0, 5), 32, false);
    return st;
  }
  Result<ResourceState> Update(ProviderContext& pc, const ResourceState& cur, const Json& o,
                               const Json& n) override {
    std::string name = Str(n, "PolicyName").value_or("");
    std::string doc = PolicyText(n.value("PolicyDocument", Json()));
    auto old_targets = Targets(o), new_targets = Targets(n);
    bool doc_changed = Changed(o, n, "PolicyDocument");
    for (const auto& t : new_targets) {
      bool had = std::find(old_targets.begin(), old_targets.end(), t) != old_targets.end();
      if (had && !doc_changed) continue;
      OT_RETURN_IF_ERROR(Ignore(Iam(pc, "Put" + t.first + "Policy",
                                    {{t.first + "Name", t.second}, {"PolicyName", name}, {"PolicyDocument", doc}})));
    }
    for (const auto& t : old_targets) {
      if (std::find(new_targets.begin(), new_targets.end(), t) != new_targets.end()) continue;
      Status s = Ignore(Iam(pc, "Delete" + t.first + "Policy", {{t.first + "Name", t.second}, {"PolicyName", name}}));
      if (!s.ok() && !NotFound(s)) return s;
    }
    return cur;
  }
  Status Delete(ProviderContext& pc, const ResourceState&, const Json& p) override {
    std::string name = Str(p, "PolicyName").value_or("");
    for (const auto& [kind, who] : Targets(p)) {
      Status s = Ignore(Iam(pc, "Delete" + kind + "Policy", {{kind + "Name", who}, {"PolicyName", name}}));
      if (!s.ok() && !NotFound(s)) return s;
    }
    return Status::Ok();
  }
};

// IAM in this build has no managed policies: refuse the type by name.
class ManagedPolicyProvider final : public ResourceProvider {
 public:
  const std::set<std::string>& Properties() const override {
    static const std::set<std::string> k = {"ManagedPolicyName", "PolicyDocument", "Roles", "Users",
                                            "Groups", "Path", "Description"};
    return k;
  }
  const std::set<std::string>& ReplacementProperties() const override { return Properties(); }
  std::string RequiredCapability(const Json& p) const override {
    return NamedCapability(p, "ManagedPolicyName");
  }
  Status TypeSupported(const std::string& type) const override {
    return ValidationError("Resource type " + type +
                           " is not supported by this orgtrail build: IAM managed policies are "
                           "not implemented; use AWS::IAM::Policy (inline) instead");
  }
  Result<ResourceState> Create(ProviderContext&, const Json&) override {
    return TypeSupported("AWS::IAM::ManagedPolicy");
  }
  Result<ResourceState> Update(ProviderContext&, const ResourceState&, const Json&, const Json&) override {
    return TypeSupported("AWS::IAM::ManagedPolicy");
  }
  Status Delete(ProviderContext&, const ResourceState&, const Json&) override {
    return TypeSupported("AWS::IAM::ManagedPolicy");
  }
};

}  // namespace

std::unique_ptr<ResourceProvider> MakeIamRoleProvider() { return std::make_unique<RoleProvider>(); }
std::unique_ptr<ResourceProvider> MakeIamUserProvider() { return std::make_unique<UserProvider>(); }
std::unique_ptr<ResourceProvider> MakeIamPolicyProvider() { return std::make_unique<PolicyProvider>(); }
std::unique_ptr<ResourceProvider> MakeIamManagedPolicyProvider() {
  return std::make_unique<ManagedPolicyProvider>();
}

}  // namespace orgtrail::cfn::internal
