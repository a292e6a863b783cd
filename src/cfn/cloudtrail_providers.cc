// AWS::CloudTrail::Trail over the CloudTrail JSON operations.
#include "cfn/provider_util.h"
#include "cfn/template.h"

namespace orgtrail::cfn::internal {
namespace {

// CloudFormation passes booleans as strings when they come from parameters;
// the CloudTrail API wants JSON booleans.
Json Booleans(Json v) {
  static const std::set<std::string> kBools = {"IncludeManagementEvents"};
  if (v.is_array()) {
    for (auto& x : v) x = Booleans(x);
  } else if (v.is_object()) {
    for (auto& [k, x] : v.items()) {
      if (kBools.count(k) && x.is_string()) x = x.get<std::string>() == "true";
      else x = Booleans(x);
    }
  }
  return v;
}

Json TagList(const Json& p) {
  Json out = Json::array();
  for (const auto& t : p.value("Tags", Json::array()))
    out.push_back({{"Key", Str(t, "Key").value_or("")}, {"Value", Str(t, "Value").value_or("")}});
  return out;
}

class TrailProvider final : public ResourceProvider {
 public:
  const std::set<std::string>& Properties() const override {
    static const std::set<std::string> k = {
        "TrailName", "S3BucketName", "S3KeyPrefix", "IsLogging", "IsMultiRegionTrail",
        "IsOrganizationTrail", "EnableLogFileValidation", "IncludeGlobalServiceEvents", "KMSKeyId",
        "EventSelectors", "AdvancedEventSelectors", "Tags"};
    return k;
  }
  std::vector<std::string> RequiredProperties() const override { return {"S3BucketName", "IsLogging"}; }
  const std::set<std::string>& ReplacementProperties() const override {
    static const std::set<std::string> k = {"TrailName"};
    return k;
  }

  // The CreateTrail/UpdateTrail members for the properties in `names`.
  static Json TrailInput(const Json& p, const std::string& name, const std::set<std::string>& names) {
    Json in = {{"Name", name}};
    auto want = [&](const char* k) { return names.count(k) > 0; };
    if (want("S3BucketName")) in["S3BucketName"] = Str(p, "S3BucketName").value_or("");
    if (want("S3KeyPrefix")) in["S3KeyPrefix"] = Str(p, "S3KeyPrefix").value_or("");
    if (want("KMSKeyId")) in["KmsKeyId"] = Str(p, "KMSKeyId").value_or("");
    for (const char* b : {"IsMultiRegionTrail", "IsOrganizationTrail", "EnableLogFileValidation",
                          "IncludeGlobalServiceEvents"}) {
      if (want(b) && p.contains(b)) in[b] = *Bool(p, b);
    }
    if (want("IncludeGlobalServiceEvents") && !p.contains("IncludeGlobalServiceEvents"))
      in["IncludeGlobalServiceEvents"] = true;
    for (const char* b : {"IsMultiRegionTrail", "IsOrganizationTrail", "EnableLogFileValidation"})
      if (want(b) && !p.contains(b)) in[b] = false;
    return in;
  }

  Result<ResourceState> Create(ProviderContext& pc, const Json& p) override {
    std::string name = Str(p, "TrailName").value_or("");
    if (name.empty()) name = GeneratedName(pc.stack_name, pc.logical_id, 128, false);
    std::set<std::string> all;
    for (const auto& [k, v] : p.items()) all.insert(k);
    all.insert("IncludeGlobalServiceEvents");
    Json in = TrailInput(p, name, all);
    if (in.contains("S3KeyPrefix") && in["S3KeyPrefix"] == "") in.erase("S3KeyPrefix");
    if (in.contains("KmsKeyId") && in["KmsKeyId"] == "") in.erase("KmsKeyId");
    if (p.contains("Tags")) in["TagsList"] = TagList(p);
    OT_ASSIGN_OR_RETURN(Json out, Trail(pc, "CreateTrail", in));
    ResourceState st;
    st.physical_id = name;
    st.attributes = {{"Arn", out.value("TrailARN", "")}};
    Status s = Selectors(pc, name, p);
    if (s.ok() && Bool(p, "IsLogging").value_or(false)) s = Trail(pc, "StartLogging", {{"Name", name}}).status();
    if (!s.ok()) {
      (void)Trail(pc, "DeleteTrail", {{"Name", name}});
      return s;
    }
    return st;
  }

  static Status Selectors(ProviderContext& pc, const std::string& name, const Json& p) {
    if (p.contains("AdvancedEventSelectors"))
      return Trail(pc, "PutEventSelectors", {{"TrailName", name},
                                             {"AdvancedEventSelectors", Booleans(p["AdvancedEventSelectors"])}})
          .status();
    if (p.contains("EventSelectors"))
      return Trail(pc, "PutEventSelectors", {{"TrailName", name},
                                             {"EventSelectors", Booleans(p["EventSelectors"])}})
          .status();
    return Status::Ok();
  }

  Result<ResourceState> Update(ProviderContext& pc, const ResourceState& cur, const Json& o,
                               const Json& n) override {
    std::set<std::string> changed;
    for (const char* k : {"S3BucketName", "S3KeyPrefix", "KMSKeyId", "IsMultiRegionTrail",
                          "IsOrganizationTrail", "EnableLogFileValidation", "IncludeGlobalServiceEvents"})
      if (Changed(o, n, k)) changed.insert(k);
    if (!changed.empty()) {
      OT_ASSIGN_OR_RETURN(Json r, Trail(pc, "UpdateTrail", TrailInput(n, cur.physical_id, changed)));
      (void)r;
    }
    if (Changed(o, n, "EventSelectors") || Changed(o, n, "AdvancedEventSelectors")) {
      if (n.contains("EventSelectors") || n.contains("AdvancedEventSelectors")) {
        OT_RETURN_IF_ERROR(Selectors(pc, cur.physical_id, n));
      } else {
        // Back to the default: all management events.
        OT_RETURN_IF_ERROR(Trail(pc, "PutEventSelectors",
                                 {{"TrailName", cur.physical_id},
                                  {"EventSelectors", Json::array({{{"ReadWriteType", "All"},
                                                                   {"IncludeManagementEvents", true}}})}})
                               .status());
      }
    }
    if (Changed(o, n, "Tags")) {
      std::string arn = cur.attributes.value("Arn", "");
      Json old_tags = TagList(o), new_tags = TagList(n);
      Json removed = Json::array();
      for (const auto& t : old_tags) {
        bool kept = false;
        for (const auto& u : new_tags) kept = kept || u["Key"] == t["Key"];
        if (!kept) removed.push_back({{"Key", t["Key"]}});
      }
      if (!removed.empty())
        OT_RETURN_IF_ERROR(Trail(pc, "RemoveTags", {{"ResourceId", arn}, {"TagsList", removed}}).status());
      if (!new_tags.empty())
        OT_RETURN_IF_ERROR(Trail(pc, "AddTags", {{"ResourceId", arn}, {"TagsList", new_tags}}).status());
    }
    if (Changed(o, n, "IsLogging")) {
      bool on = Bool(n, "IsLogging").value_or(false);
      OT_RETURN_IF_ERROR(Trail(pc, on ? "StartLogging" : "StopLogging", {{"Name", cur.physical_id}}).status());
    }
    return cur;
  }

  Status Delete(ProviderContext& pc, const ResourceState& cur, const Json&) override {
    Status s = Trail(pc, "DeleteTrail", {{"Name", cur.physical_id}}).status();
    return s.code() == "TrailNotFoundException" ? Status::Ok() : s;
  }
};

}  // namespace

std::unique_ptr<ResourceProvider> MakeTrailProvider() { return std::make_unique<TrailProvider>(); }

}  // namespace orgtrail::cfn::internal
