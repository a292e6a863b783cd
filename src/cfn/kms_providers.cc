// AWS::KMS::Key and AWS::KMS::Alias over the KMS JSON operations.
#include "cfn/provider_util.h"
#include "cfn/template.h"

namespace orgtrail::cfn::internal {
namespace {

Json KmsTags(const Json& tags) {
  Json out = Json::array();
  if (tags.is_array())
    for (const auto& t : tags)
      out.push_back({{"TagKey", Str(t, "Key").value_or("")}, {"TagValue", Str(t, "Value").value_or("")}});
  return out;
}

class KmsKeyProvider final : public ResourceProvider {
 public:
  const std::set<std::string>& Properties() const override {
    static const std::set<std::string> k = {
        "Description", "EnableKeyRotation", "Enabled", "KeyPolicy", "KeySpec", "KeyUsage",
        "MultiRegion", "PendingWindowInDays", "Tags", "BypassPolicyLockoutSafetyCheck"};
    return k;
  }
  const std::set<std::string>& ReplacementProperties() const override {
    static const std::set<std::string> k = {"KeySpec", "KeyUsage", "MultiRegion"};
    return k;
  }

  Result<ResourceState> Create(ProviderContext& pc, const Json& p) override {
    Json in = Json::object();
    if (auto d = Str(p, "Description")) in["Description"] = *d;
    if (auto u = Str(p, "KeyUsage")) in["KeyUsage"] = *u;
    if (auto s = Str(p, "KeySpec")) in["KeySpec"] = *s;
    if (auto m = Bool(p, "MultiRegion")) in["MultiRegion"] = *m;
    if (auto b = Bool(p, "BypassPolicyLockoutSafetyCheck")) in["BypassPolicyLockoutSafetyCheck"] = *b;
    if (p.contains("KeyPolicy")) in["Policy"] = PolicyText(p["KeyPolicy"]);
    if (p.contains("Tags")) in["Tags"] = KmsTags(p["Tags"]);
    OT_ASSIGN_OR_RETURN(Json out, Kms(pc, "CreateKey", in));
    const Json& md = out.value("KeyMetadata", Json::object());
    ResourceState st;
    st.physical_id = md.value("KeyId", "");
    st.attributes = {{"Arn", md.value("Arn", "")}, {"KeyId", st.physical_id}};
    if (Bool(p, "EnableKeyRotation").value_or(false)) {
      OT_ASSIGN_OR_RETURN(Json r, Kms(pc, "EnableKeyRotation", {{"KeyId", st.physical_id}}));
      (void)r;
    }
    if (!Bool(p, "Enabled").value_or(true)) {
      OT_ASSIGN_OR_RETURN(Json r, Kms(pc, "DisableKey", {{"KeyId", st.physical_id}}));
      (void)r;
    }
    return st;
  }

  Result<ResourceState> Update(ProviderContext& pc, const ResourceState& cur, const Json& o,
                               const Json& n) override {
    const Json id = cur.physical_id;
    if (Changed(o, n, "Enabled") && Bool(n, "Enabled").value_or(true)) {
      OT_ASSIGN_OR_RETURN(Json r, Kms(pc, "EnableKey", {{"KeyId", id}}));
      (void)r;
    }
    if (Changed(o, n, "Description")) {
      OT_ASSIGN_OR_RETURN(Json r, Kms(pc, "UpdateKeyDescription",
                                      {{"KeyId", id}, {"Description", Str(n, "Description").value_or("")}}));
      (void)r;
    }
    if (Changed(o, n, "KeyPolicy") && n.contains("KeyPolicy")) {
      OT_ASSIGN_OR_RETURN(Json r, Kms(pc, "PutKeyPolicy", {{"KeyId", id}, {"PolicyName", "default"},
                                                           {"Policy", PolicyText(n["KeyPolicy"])}}));
      (void)r;
    }
    if (Changed(o, n, "EnableKeyRotation")) {
      bool on = Bool(n, "EnableKeyRotation").value_or(false);
      OT_ASSIGN_OR_RETURN(Json r, Kms(pc, on ? "EnableKeyRotation" : "DisableKeyRotation", {{"KeyId", id}}));
      (void)r;
    }
    if (Changed(o, n, "Tags")) {
      Json old_tags = KmsTags(o.value("Tags", Json::array()));
      Json new_tags = KmsTags(n.value("Tags", Json::array()));
      Json remove = Json::array();
      for (const auto& t : old_tags) {
        bool kept = false;
        for (const auto& u : new_tags) kept = kept || u["TagKey"] == t["TagKey"];
        if (!kept) remove.push_back(t["TagKey"]);
      }
      if (!remove.empty()) {
        OT_ASSIGN_OR_RETURN(Json r, Kms(pc, "UntagResource", {{"KeyId", id}, {"TagKeys", remove}}));
        (void)r;
      }
      if (!new_tags.empty()) {
        OT_ASSIGN_OR_RETURN(Json r, Kms(pc, "TagResource", {{"KeyId", id}, {"Tags", new_tags}}));
        (void)r;
      }
    }
    if (Changed(o, n, "Enabled") && !Bool(n, "Enabled").value_or(true)) {
      OT_ASSIGN_OR_RETURN(Json r, Kms(pc, "DisableKey", {{"KeyId", id}}));
      (void)r;
    }
    return cur;
  }

  Status Delete(ProviderContext& pc, const ResourceState& cur, const Json& p) override {
    Json in = {{"KeyId", cur.physical_id}};
    if (auto w = Str(p, "PendingWindowInDays")) {
      try {
        in["PendingWindowInDays"] = std::stoi(*w);
      } catch (const std::exception&) {
        return ValidationError("Property PendingWindowInDays must be an integer");
      }
    }
    auto r = Kms(pc, "ScheduleKeyDeletion", in);
    if (!r.ok() && r.status().code() == "NotFoundException") return Status::Ok();
    return r.status();
  }
};

class KmsAliasProvider final : public ResourceProvider {
 public:
  const std::set<std::string>& Properties() const override {
    static const std::set<std::string> k = {"AliasName", "TargetKeyId"};
    return k;
  }
  std::vector<std::string> RequiredProperties() const override { return {"AliasName", "TargetKeyId"}; }
  const std::set<std::string>& ReplacementProperties() const override {
    static const std::set<std::string> k = {"AliasName"};
    return k;
  }
  Result<ResourceState> Create(ProviderContext& pc, const Json& p) override {
    std::string name = Str(p, "AliasName").value_or("");
    OT_ASSIGN_OR_RETURN(Json r, Kms(pc, "CreateAlias", {{"AliasName", name},
                                                        {"TargetKeyId", Str(p, "TargetKeyId").value_or("")}}));
    (void)r;
    ResourceState st;
    st.physical_id = name;
    return st;
  }
  Result<ResourceState> Update(ProviderContext& pc, const ResourceState& cur, const Json& o,
                               const Json& n) override {
    if (Changed(o, n, "TargetKeyId")) {
      OT_ASSIGN_OR_RETURN(Json r, Kms(pc, "UpdateAlias", {{"AliasName", cur.physical_id},
                                                          {"TargetKeyId", Str(n, "TargetKeyId").value_or("")}}));
      (void)r;
    }
    return cur;
  }
  Status Delete(ProviderContext& pc, const ResourceState& cur, const Json&) override {
    auto r = Kms(pc, "DeleteAlias", {{"AliasName", cur.physical_id}});
    if (!r.ok() && r.status().code() == "NotFoundException") return Status::Ok();
    return r.status();
  }
};

}  // namespace

std::unique_ptr<ResourceProvider> MakeKmsKeyProvider() { return std::make_unique<KmsKeyProvider>(); }
std::unique_ptr<ResourceProvider> MakeKmsAliasProvider() {
  return std::make_unique<KmsAliasProvider>();
}

}  // namespace orgtrail::cfn::internal
