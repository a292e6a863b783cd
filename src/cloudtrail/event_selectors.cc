#include "cloudtrail/event_selectors.h"

#include <set>
#include <string>

namespace orgtrail::cloudtrail {
namespace {

Status Invalid(const std::string& message) {
  return Status::Error("InvalidEventSelectorsException", message);
}

const std::set<std::string>& BasicDataResourceTypes() {
  static const std::set<std::string> k = {"AWS::S3::Object", "AWS::Lambda::Function",
                                          "AWS::DynamoDB::Table"};
  return k;
}

const std::set<std::string>& AdvancedFields() {
  static const std::set<std::string> k = {
      "eventCategory",    "eventSource",  "eventName",
      "eventType",        "readOnly",     "resources.type",
      "resources.ARN",    "errorCode",    "sessionCredentialFromConsole",
      "userIdentity.arn", "vpcEndpointId"};
  return k;
}

const char* const kOperators[] = {"Equals",    "StartsWith",    "EndsWith",
                                  "NotEquals", "NotStartsWith", "NotEndsWith"};

Result<Json> StringList(const Json& v, const std::string& what) {
  if (!v.is_array()) return Invalid(what + " must be a list of strings.");
  Json out = Json::array();
  for (const Json& s : v) {
    if (!s.is_string()) return Invalid(what + " must be a list of strings.");
    out.push_back(s);
  }
  return out;
}

Result<Json> ParseBasic(const Json& list) {
  if (!list.is_array()) return Invalid("EventSelectors must be a list.");
  if (list.empty()) return Invalid("EventSelectors must contain at least one selector.");
  if (list.size() > kMaxEventSelectors)
    return Invalid("A trail can have at most 5 event selectors; " + std::to_string(list.size()) +
                   " were given.");
  Json out = Json::array();
  size_t total_values = 0;
  for (size_t i = 0; i < list.size(); ++i) {
    const Json& sel = list[i];
    std::string where = "EventSelectors[" + std::to_string(i) + "]";
    if (!sel.is_object()) return Invalid(where + " must be an object.");
    Json n = Json::object();
    std::string rw = "All";
    if (auto it = sel.find("ReadWriteType"); it != sel.end() && !it->is_null()) {
      if (!it->is_string()) return Invalid(where + ".ReadWriteType must be a string.");
      rw = it->get<std::string>();
      if (rw != "ReadOnly" && rw != "WriteOnly" && rw != "All")
        return Invalid(where + ".ReadWriteType must be one of ReadOnly, WriteOnly, All; got '" +
                       rw + "'.");
    }
    n["ReadWriteType"] = rw;
    bool mgmt = true;
    if (auto it = sel.find("IncludeManagementEvents"); it != sel.end() && !it->is_null()) {
      if (!it->is_boolean()) return Invalid(where + ".IncludeManagementEvents must be a boolean.");
      mgmt = it->get<bool>();
    }
    n["IncludeManagementEvents"] = mgmt;
    Json resources = Json::array();
    if (auto it = sel.find("DataResources"); it != sel.end() && !it->is_null()) {
      if (!it->is_array()) return Invalid(where + ".DataResources must be a list.");
      for (const Json& dr : *it) {
        if (!dr.is_object() || !dr.contains("Type") || !dr["Type"].is_string())
          return Invalid(where + ".DataResources entries need a Type.");
        std::string type = dr["Type"].get<std::string>();
        if (!BasicDataResourceTypes().count(type))
          return Invalid(where + ": data resource type '" + type +
                         "' is not supported by basic event selectors (use "
                         "AWS::S3::Object, AWS::Lambda::Function or AWS::DynamoDB::Table, or "
                         "advanced event selectors).");
        Json values = Json::array();
        if (auto v = dr.find("Values"); v != dr.end() && !v->is_null()) {
          OT_ASSIGN_OR_RETURN(values, StringList(*v, where + ".DataResources.Values"));
        }
        std::string want = type == "AWS::S3::Object"         ? "arn:aws:s3"
                           : type == "AWS::Lambda::Function" ? "arn:aws:lambda"
                                                             : "arn:aws:dynamodb";
        for (const Json& v : values) {
          const std::string s = v.get<std::string>();
          if (s.rfind(want, 0) != 0)
            return Invalid(where + ": value '" + s + "' is not a valid " + type +
                           " ARN (must start with '" + want + "').");
        }
        total_values += values.size();
        resources.push_back({{"Type", type}, {"Values", values}});
      }
    }
    n["DataResources"] = resources;
    Json excluded = Json::array();
    if (auto it = sel.find("ExcludeManagementEventSources"); it != sel.end() && !it->is_null()) {
      OT_ASSIGN_OR_RETURN(excluded, StringList(*it, where + ".ExcludeManagementEventSources"));
      for (const Json& s : excluded) {
        const std::string v = s.get<std::string>();
        if (v != "kms.amazonaws.com" && v != "rdsdata.amazonaws.com")
          return Invalid(where + ".ExcludeManagementEventSources: '" + v +
                         "' is not supported (kms.amazonaws.com, rdsdata.amazonaws.com).");
      }
    }
    n["ExcludeManagementEventSources"] = excluded;
    out.push_back(std::move(n));
  }
  if (total_values > kMaxDataResourceValues)
    return Invalid("A trail can have at most 250 data resource values; " +
                   std::to_string(total_values) + " were given.");
  return out;
}

Result<Json> ParseAdvanced(const Json& list) {
  if (!list.is_array()) return Invalid("AdvancedEventSelectors must be a list.");
  if (list.empty()) return Invalid("AdvancedEventSelectors must contain at least one selector.");
  Json out = Json::array();
  size_t total_values = 0;
  for (size_t i = 0; i < list.size(); ++i) {
    const Json& sel = list[i];
    std::string where = "AdvancedEventSelectors[" + std::to_string(i) + "]";
    if (!sel.is_object()) return Invalid(where + " must be an object.");
    Json n = Json::object();
    if (auto it = sel.find("Name"); it != sel.end() && !it->is_null()) {
      if (!it->is_string() || it->get<std::string>().size() > 1000)
        return Invalid(where + ".Name must be a string of at most 1000 characters.");
      n["Name"] = *it;
    }
    auto fs = sel.find("FieldSelectors");
    if (fs == sel.end() || !fs->is_array() || fs->empty())
      return Invalid(where + ".FieldSelectors must be a non-empty list.");
    Json fields = Json::array();
    bool has_category = false;
    for (size_t j = 0; j < fs->size(); ++j) {
      const Json& f = (*fs)[j];
      std::string fwhere = where + ".FieldSelectors[" + std::to_string(j) + "]";
      if (!f.is_object() || !f.contains("Field") || !f["Field"].is_string())
        return Invalid(fwhere + " needs a Field.");
      std::string field = f["Field"].get<std::string>();
      if (!AdvancedFields().count(field))
        return Invalid(fwhere + ": field '" + field + "' is not supported.");
      if (field == "eventCategory") has_category = true;
      Json nf = {{"Field", field}};
      bool any = false;
      for (const char* op : kOperators) {
        auto v = f.find(op);
        if (v == f.end() || v->is_null()) continue;
        OT_ASSIGN_OR_RETURN(Json values, StringList(*v, fwhere + "." + op));
        if (values.empty()) return Invalid(fwhere + "." + op + " must not be empty.");
        for (const Json& s : values) {
          const std::string sv = s.get<std::string>();
          if (sv.empty() || sv.size() > 2048)
            return Invalid(fwhere + "." + op + " values must be 1-2048 characters.");
          if (field == "readOnly" &&
              (std::string(op) != "Equals" || (sv != "true" && sv != "false")))
            return Invalid(fwhere + ": readOnly supports only Equals \"true\" or \"false\".");
        }
        total_values += values.size();
        nf[op] = values;
        any = true;
      }
      if (!any) return Invalid(fwhere + " ('" + field + "') needs at least one operator.");
      fields.push_back(std::move(nf));
    }
    if (!has_category) return Invalid(where + " must include a field selector for eventCategory.");
    n["FieldSelectors"] = fields;
    out.push_back(std::move(n));
  }
  if (total_values > kMaxAdvancedSelectorValues)
    return Invalid("Advanced event selectors can have at most 500 values in total; " +
                   std::to_string(total_values) + " were given.");
  return out;
}

}  // namespace

SelectorSet DefaultSelectors() {
  SelectorSet s;
  s.advanced = false;
  s.selectors = Json::array({Json{{"ReadWriteType", "All"},
                                  {"IncludeManagementEvents", true},
                                  {"DataResources", Json::array()},
                                  {"ExcludeManagementEventSources", Json::array()}}});
  return s;
}

Result<SelectorSet> ParseSelectors(const Json& input) {
  auto basic = input.find("EventSelectors");
  auto adv = input.find("AdvancedEventSelectors");
  bool has_basic = basic != input.end() && !basic->is_null();
  bool has_adv = adv != input.end() && !adv->is_null();
  if (has_basic && has_adv)
    return Invalid("Specify either EventSelectors or AdvancedEventSelectors, not both.");
  if (!has_basic && !has_adv)
    return Invalid("Specify either EventSelectors or AdvancedEventSelectors.");
  SelectorSet s;
  s.advanced = has_adv;
  if (has_adv) {
    OT_ASSIGN_OR_RETURN(s.selectors, ParseAdvanced(*adv));
  } else {
    OT_ASSIGN_OR_RETURN(s.selectors, ParseBasic(*basic));
  }
  return s;
}

}  // namespace orgtrail::cloudtrail
