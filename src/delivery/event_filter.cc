#include "delivery/event_filter.h"

#include <algorithm>
#include <array>

#include "base/strings.h"

namespace orgtrail::delivery {
namespace {

constexpr size_t kMaxBasicSelectors = 5;
constexpr size_t kMaxAdvancedValues = 500;
constexpr size_t kMaxValueLength = 2048;
constexpr std::array<std::string_view, 7> kFields = {
    "eventCategory", "readOnly", "eventSource", "eventName", "eventType", "resources.type",
    "resources.ARN"};

Status BadSelectors(std::string message) {
  return Status::Error("InvalidEventSelectorsException", std::move(message));
}

Result<std::vector<std::string>> StringList(const Json& obj, const char* name, bool& present) {
  std::vector<std::string> out;
  auto it = obj.find(name);
  present = it != obj.end() && !it->is_null();
  if (!present) return out;
  if (!it->is_array()) return BadSelectors(std::string(name) + " must be a list of strings");
  for (const Json& v : *it) {
    if (!v.is_string()) return BadSelectors(std::string(name) + " must be a list of strings");
    const std::string& s = v.get_ref<const std::string&>();
    if (s.empty() || s.size() > kMaxValueLength) {
      return BadSelectors(std::string(name) + " values must have 1 to 2048 characters");
    }
    out.push_back(s);
  }
  return out;
}

Result<BasicSelector> ParseBasic(const Json& j) {
  if (!j.is_object()) return BadSelectors("each EventSelector must be an object");
  BasicSelector s;
  if (auto it = j.find("ReadWriteType"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) return BadSelectors("ReadWriteType must be ReadOnly, WriteOnly or All");
    const std::string& rw = it->get_ref<const std::string&>();
    if (rw == "All") {
      s.read_write = ReadWriteType::kAll;
    } else if (rw == "ReadOnly") {
      s.read_write = ReadWriteType::kReadOnly;
    } else if (rw == "WriteOnly") {
      s.read_write = ReadWriteType::kWriteOnly;
    } else {
      return BadSelectors("ReadWriteType must be ReadOnly, WriteOnly or All");
    }
  }
  if (auto it = j.find("IncludeManagementEvents"); it != j.end() && !it->is_null()) {
    if (!it->is_boolean()) return BadSelectors("IncludeManagementEvents must be a boolean");
    s.include_management_events = it->get<bool>();
  }
  bool present = false;
  OT_ASSIGN_OR_RETURN(s.exclude_management_event_sources,
                      StringList(j, "ExcludeManagementEventSources", present));
  if (auto it = j.find("DataResources"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return BadSelectors("DataResources must be a list");
    for (const Json& dr : *it) {
      if (!dr.is_object()) return BadSelectors("each DataResource must be an object");
      DataResource d;
      auto type = dr.find("Type");
      if (type == dr.end() || !type->is_string() || type->get_ref<const std::string&>().empty()) {
        return BadSelectors("DataResource Type is required");
      }
      d.type = type->get<std::string>();
      OT_ASSIGN_OR_RETURN(d.values, StringList(dr, "Values", present));
      s.data_resources.push_back(std::move(d));
    }
  }
  return s;
}

Result<AdvancedSelector> ParseAdvanced(const Json& j, size_t& values) {
  if (!j.is_object()) return BadSelectors("each AdvancedEventSelector must be an object");
  AdvancedSelector s;
  if (auto it = j.find("Name"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) return BadSelectors("Name must be a string");
    s.name = it->get<std::string>();
  }
  auto fs = j.find("FieldSelectors");
  if (fs == j.end() || !fs->is_array() || fs->empty()) {
    return BadSelectors("FieldSelectors is required and must not be empty");
  }
  bool has_category = false;
  for (const Json& f : *fs) {
    if (!f.is_object()) return BadSelectors("each FieldSelector must be an object");
    FieldSelector sel;
    auto field = f.find("Field");
    if (field == f.end() || !field->is_string()) return BadSelectors("Field is required");
    sel.field = field->get<std::string>();
    if (std::find(kFields.begin(), kFields.end(), sel.field) == kFields.end()) {
      return BadSelectors("Field " + sel.field + " is not supported; use one of eventCategory, "
                          "readOnly, eventSource, eventName, eventType, resources.type, "
                          "resources.ARN");
    }
    bool any = false, present = false;
    struct Op {
      const char* name;
      std::vector<std::string>* out;
    } ops[] = {{"Equals", &sel.equals},          {"NotEquals", &sel.not_equals},
               {"StartsWith", &sel.starts_with}, {"NotStartsWith", &sel.not_starts_with},
               {"EndsWith", &sel.ends_with},     {"NotEndsWith", &sel.not_ends_with}};
    for (Op& op : ops) {
      OT_ASSIGN_OR_RETURN(*op.out, StringList(f, op.name, present));
      if (present && op.out->empty()) {
        return BadSelectors(std::string(op.name) + " for " + sel.field + " must not be empty");
      }
      any = any || present;
      values += op.out->size();
    }
    if (!any) return BadSelectors("FieldSelector " + sel.field + " has no operator");
    if (sel.field == "readOnly") {
      for (const auto* list : {&sel.equals, &sel.not_equals}) {
        for (const std::string& v : *list) {
          if (v != "true" && v != "false") return BadSelectors("readOnly values must be true or false");
        }
      }
    }
    if (sel.field == "eventCategory") has_category = !sel.equals.empty();
    s.field_selectors.push_back(std::move(sel));
  }
  if (!has_category) {
    return BadSelectors("each AdvancedEventSelector needs an eventCategory field selector with Equals");
  }
  return s;
}

bool ReadWriteMatches(ReadWriteType rw, const ingest::Event& e) {
  switch (rw) {
    case ReadWriteType::kAll:
      return true;
    case ReadWriteType::kReadOnly:
      return e.read_only.value_or(false);
    case ReadWriteType::kWriteOnly:
      return !e.read_only.value_or(false);
  }
  return false;
}

bool BasicMatches(const BasicSelector& s, const ingest::Event& e) {
  if (!ReadWriteMatches(s.read_write, e)) return false;
  if (e.management_event) {
    if (!s.include_management_events) return false;
    const auto& ex = s.exclude_management_event_sources;
    return std::find(ex.begin(), ex.end(), e.event_source) == ex.end();
  }
  for (const DataResource& dr : s.data_resources) {
    if (std::find(e.resource_types.begin(), e.resource_types.end(), dr.type) ==
        e.resource_types.end()) {
      continue;
    }
    for (const std::string& prefix : dr.values) {
      for (const std::string& arn : e.resource_arns) {
        if (StartsWith(arn, prefix)) return true;
      }
    }
  }
  return false;
}

bool AnyOf(const std::vector<std::string>& list, const std::string& v,
           bool (*pred)(std::string_view, std::string_view)) {
  for (const std::string& x : list) {
    if (pred(v, x)) return true;
  }
  return false;
}

bool Eq(std::string_view a, std::string_view b) { return a == b; }
bool Sw(std::string_view a, std::string_view b) { return StartsWith(a, b); }
bool Ew(std::string_view a, std::string_view b) { return EndsWith(a, b); }

bool ValueMatches(const FieldSelector& f, const std::string& v) {
  if (!f.equals.empty() && !AnyOf(f.equals, v, Eq)) return false;
  if (!f.starts_with.empty() && !AnyOf(f.starts_with, v, Sw)) return false;
  if (!f.ends_with.empty() && !AnyOf(f.ends_with, v, Ew)) return false;
  if (AnyOf(f.not_equals, v, Eq)) return false;
  if (AnyOf(f.not_starts_with, v, Sw)) return false;
  if (AnyOf(f.not_ends_with, v, Ew)) return false;
  return true;
}

std::vector<std::string> FieldValues(const std::string& field, const ingest::Event& e) {
  if (field == "eventCategory") return {e.event_category};
  if (field == "readOnly") {
    if (!e.read_only) return {};
    return {*e.read_only ? "true" : "false"};
  }
  if (field == "eventSource") return {e.event_source};
  if (field == "eventName") return {e.event_name};
  if (field == "eventType") return {e.event_type};
  if (field == "resources.type") return e.resource_types;
  if (field == "resources.ARN") return e.resource_arns;
  return {};
}

// A field selector holds if some value of the field satisfies all its
// operators; a field without values satisfies only purely negative ones.
bool FieldMatches(const FieldSelector& f, const ingest::Event& e) {
  std::vector<std::string> values = FieldValues(f.field, e);
  if (values.empty()) {
    return f.equals.empty() && f.starts_with.empty() && f.ends_with.empty();
  }
  for (const std::string& v : values) {
    if (ValueMatches(f, v)) return true;
  }
  return false;
}

Json List(const std::vector<std::string>& v) { return Json(v); }

}  // namespace

Result<EventFilter> EventFilter::FromJson(const Json& event_selectors,
                                          const Json& advanced_event_selectors) {
  const bool has_basic = !event_selectors.is_null() && !event_selectors.is_discarded();
  const bool has_advanced =
      !advanced_event_selectors.is_null() && !advanced_event_selectors.is_discarded();
  if (has_basic && has_advanced) {
    return Status::Error("InvalidParameterCombinationException",
                         "Specify either EventSelectors or AdvancedEventSelectors, not both.");
  }
  if (has_basic) {
    if (!event_selectors.is_array()) return BadSelectors("EventSelectors must be a list");
    if (event_selectors.size() > kMaxBasicSelectors) {
      return BadSelectors("a trail can have at most 5 event selectors");
    }
    std::vector<BasicSelector> out;
    for (const Json& j : event_selectors) {
      OT_ASSIGN_OR_RETURN(BasicSelector s, ParseBasic(j));
      out.push_back(std::move(s));
    }
    return FromBasic(std::move(out));
  }
  if (has_advanced) {
    if (!advanced_event_selectors.is_array()) {
      return BadSelectors("AdvancedEventSelectors must be a list");
    }
    std::vector<AdvancedSelector> out;
    size_t values = 0;
    for (const Json& j : advanced_event_selectors) {
      OT_ASSIGN_OR_RETURN(AdvancedSelector s, ParseAdvanced(j, values));
      out.push_back(std::move(s));
    }
    if (values > kMaxAdvancedValues) {
      return BadSelectors("advanced event selectors can have at most 500 values in total");
    }
    return FromAdvanced(std::move(out));
  }
  return EventFilter();
}

EventFilter EventFilter::FromBasic(std::vector<BasicSelector> selectors) {
  EventFilter f;
  f.basic_ = std::move(selectors);
  return f;
}

EventFilter EventFilter::FromAdvanced(std::vector<AdvancedSelector> selectors) {
  EventFilter f;
  f.advanced_ = true;
  f.basic_.clear();
  f.advanced_selectors_ = std::move(selectors);
  return f;
}

bool EventFilter::Matches(const ingest::Event& e) const {
  if (e.event_category == "Insight") return false;
  if (!advanced_) {
    for (const BasicSelector& s : basic_) {
      if (BasicMatches(s, e)) return true;
    }
    return false;
  }
  for (const AdvancedSelector& s : advanced_selectors_) {
    bool all = true;
    for (const FieldSelector& f : s.field_selectors) {
      if (!FieldMatches(f, e)) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return false;
}

Json EventFilter::ToJson() const {
  Json out = Json::object();
  if (!advanced_) {
    Json list = Json::array();
    for (const BasicSelector& s : basic_) {
      Json j = Json::object();
      j["ReadWriteType"] = s.read_write == ReadWriteType::kAll        ? "All"
                           : s.read_write == ReadWriteType::kReadOnly ? "ReadOnly"
                                                                      : "WriteOnly";
      j["IncludeManagementEvents"] = s.include_management_events;
      Json drs = Json::array();
      for (const DataResource& dr : s.data_resources) {
        drs.push_back(Json{{"Type", dr.type}, {"Values", List(dr.values)}});
      }
      j["DataResources"] = std::move(drs);
      j["ExcludeManagementEventSources"] = List(s.exclude_management_event_sources);
      list.push_back(std::move(j));
    }
    out["EventSelectors"] = std::move(list);
    return out;
  }
  Json list = Json::array();
  for (const AdvancedSelector& s : advanced_selectors_) {
    Json j = Json::object();
    if (!s.name.empty()) j["Name"] = s.name;
    Json fields = Json::array();
    for (const FieldSelector& f : s.field_selectors) {
      Json fj = Json::object();
      fj["Field"] = f.field;
      if (!f.equals.empty()) fj["Equals"] = List(f.equals);
      if (!f.starts_with.empty()) fj["StartsWith"] = List(f.starts_with);
      if (!f.ends_with.empty()) fj["EndsWith"] = List(f.ends_with);
      if (!f.not_equals.empty()) fj["NotEquals"] = List(f.not_equals);
      if (!f.not_starts_with.empty()) fj["NotStartsWith"] = List(f.not_starts_with);
      if (!f.not_ends_with.empty()) fj["NotEndsWith"] = List(f.not_ends_with);
      fields.push_back(std::move(fj));
    }
    j["FieldSelectors"] = std::move(fields);
    list.push_back(std::move(j));
  }
  out["AdvancedEventSelectors"] = std::move(list);
  return out;
}

}  // namespace orgtrail::delivery
