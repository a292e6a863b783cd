// AWS::IAM::Role, AWS::IAM::User, AWS::IAM::Policy and
// AWS::IAM::ManagedPolicy over the IAM Query operations.
#include <algorithm>
#include <map>
#include <tuple>

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

// A customer managed policy, attached to the listed roles and users; Ref is
// its ARN. A PolicyDocument change is an update, as on AWS: a new default
// version (CreatePolicyVersion), after which the older versions are deleted
// so the policy never reaches the five-version limit. Name, Path and
// Description changes replace the policy. Groups do not exist here and are
// refused. Delete detaches the listed roles and users and then whatever
// else ListEntitiesForPolicy still names, and deletes the policy.
class ManagedPolicyProvider final : public ResourceProvider {
 public:
  const std::set<std::string>& Properties() const override {
    static const std::set<std::string> k = {"ManagedPolicyName", "PolicyDocument", "Roles", "Users",
                                            "Groups", "Path", "Description"};
    return k;
  }
  std::vector<std::string> RequiredProperties() const override { return {"PolicyDocument"}; }
  const std::set<std::string>& ReplacementProperties() const override {
    static const std::set<std::string> k = {"ManagedPolicyName", "Path", "Description"};
    return k;
  }
  std::string RequiredCapability(const Json& p) const override {
    return NamedCapability(p, "ManagedPolicyName");
  }

  Result<ResourceState> Create(ProviderContext& pc, const Json& p) override {
    if (p.contains("Groups") && p["Groups"].is_array() && !p["Groups"].empty())
      return ValidationError("Groups are not supported: this orgtrail build has no IAM groups");
    std::string name = Str(p, "ManagedPolicyName").value_or("");
    if (name.empty()) name = GeneratedName(pc.stack_name, pc.logical_id, 128, false);
    auth::QueryParams q = {{"PolicyName", name},
                           {"PolicyDocument", PolicyText(p.value("PolicyDocument", Json()))}};
    if (auto v = Str(p, "Path")) q["Path"] = *v;
    if (auto v = Str(p, "Description")) q["Description"] = *v;
    OT_ASSIGN_OR_RETURN(OrderedJson out, Iam(pc, "CreatePolicy", q));
    const OrderedJson& pol = out.contains("Policy") ? out["Policy"] : out;
    ResourceState st;
    st.physical_id = pol.value("Arn", "");
    st.attributes = {{"PolicyArn", st.physical_id},
                     {"PolicyId", pol.value("PolicyId", "")},
                     {"DefaultVersionId", pol.value("DefaultVersionId", "v1")}};
    Status s = SyncAttachments(pc, st.physical_id, {}, PolicyProvider::Targets(p));
    if (!s.ok()) {
      // Leave nothing half-made behind: the stack's rollback never sees this policy.
      (void)Delete(pc, st, p);
      return s;
    }
    return st;
  }

  Result<ResourceState> Update(ProviderContext& pc, const ResourceState& cur, const Json& o,
                               const Json& n) override {
    ResourceState next = cur;
    if (Changed(o, n, "PolicyDocument")) {
      OT_ASSIGN_OR_RETURN(OrderedJson out,
                          Iam(pc, "CreatePolicyVersion",
                              {{"PolicyArn", cur.physical_id},
                               {"PolicyDocument", PolicyText(n.value("PolicyDocument", Json()))},
                               {"SetAsDefault", "true"}}));
      const OrderedJson& v = out.contains("PolicyVersion") ? out["PolicyVersion"] : out;
      next.attributes["DefaultVersionId"] = v.value("VersionId", "");
      OT_RETURN_IF_ERROR(DeleteOldVersions(pc, cur.physical_id));
    }
    OT_RETURN_IF_ERROR(SyncAttachments(pc, cur.physical_id, PolicyProvider::Targets(o),
                                       PolicyProvider::Targets(n)));
    return next;
  }

  Status Delete(ProviderContext& pc, const ResourceState& cur, const Json& p) override {
    if (cur.physical_id.empty()) return Status::Ok();
    OT_RETURN_IF_ERROR(SyncAttachments(pc, cur.physical_id, PolicyProvider::Targets(p), {}));
    // Attachments made outside the stack would block DeletePolicy: detach
    // everything still attached, as CloudFormation does.
    auto ents = Iam(pc, "ListEntitiesForPolicy", {{"PolicyArn", cur.physical_id}});
    if (!ents.ok()) return NotFound(ents.status()) ? Status::Ok() : ents.status();
    Targets rest;
    for (const auto& [list, kind, key] : {std::tuple{"PolicyRoles", "Role", "RoleName"},
                                          std::tuple{"PolicyUsers", "User", "UserName"}}) {
      if (!ents->contains(list) || !(*ents)[list].is_array()) continue;
      for (const auto& e : (*ents)[list]) rest.emplace_back(kind, e.value(key, ""));
    }
    OT_RETURN_IF_ERROR(SyncAttachments(pc, cur.physical_id, rest, {}));
    Status s = DeleteOldVersions(pc, cur.physical_id);
    if (!s.ok()) return NotFound(s) ? Status::Ok() : s;
    s = Ignore(Iam(pc, "DeletePolicy", {{"PolicyArn", cur.physical_id}}));
    return NotFound(s) ? Status::Ok() : s;
  }

 private:
  using Targets = std::vector<std::pair<std::string, std::string>>;

  // Attaches to the targets only in `new_t`, detaches from those only in
  // `old_t` (already detached counts as done).
  static Status SyncAttachments(ProviderContext& pc, const std::string& arn, const Targets& old_t,
                                const Targets& new_t) {
    for (const auto& t : new_t) {
      if (std::find(old_t.begin(), old_t.end(), t) != old_t.end()) continue;
      OT_RETURN_IF_ERROR(Ignore(Iam(pc, "Attach" + t.first + "Policy",
                                    {{t.first + "Name", t.second}, {"PolicyArn", arn}})));
    }
    for (const auto& t : old_t) {
      if (std::find(new_t.begin(), new_t.end(), t) != new_t.end()) continue;
      Status s = Ignore(Iam(pc, "Detach" + t.first + "Policy",
                            {{t.first + "Name", t.second}, {"PolicyArn", arn}}));
      if (!s.ok() && !NotFound(s)) return s;
    }
    return Status::Ok();
  }

  // Deletes every non-default version (DeletePolicy refuses while any remain).
  static Status DeleteOldVersions(ProviderContext& pc, const std::string& arn) {
    OT_ASSIGN_OR_RETURN(OrderedJson out, Iam(pc, "ListPolicyVersions", {{"PolicyArn", arn}}));
    if (!out.contains("Versions") || !out["Versions"].is_array()) return Status::Ok();
    for (const auto& v : out["Versions"]) {
      if (v.value("IsDefaultVersion", false)) continue;
      Status s = Ignore(Iam(pc, "DeletePolicyVersion",
                            {{"PolicyArn", arn}, {"VersionId", v.value("VersionId", "")}}));
      if (!s.ok() && !NotFound(s)) return s;
    }
    return Status::Ok();
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
