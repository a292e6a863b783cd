#include "cfn/evaluator.h"

#include <algorithm>
#include <cmath>

#include "base/strings.h"
#include "cfn/pattern_match.h"
#include "cfn/template.h"

namespace orgtrail::cfn {
namespace {

constexpr int kMaxEvalDepth = 100;

const std::set<std::string>& PseudoNames() {
  static const std::set<std::string> k = {"AWS::AccountId", "AWS::Region",    "AWS::Partition",
                                          "AWS::StackName", "AWS::StackId",   "AWS::URLSuffix",
                                          "AWS::NoValue",   "AWS::NotificationARNs"};
  return k;
}

Status TemplateError(const std::string& what) { return ValidationError("Template error: " + what); }
Status FormatError(const std::string& what) {
  return ValidationError("Template format error: " + what);
}

std::string JoinNames(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// Variables named in a Fn::Sub string: "${A}", "${A.B}" (not "${!A}").
std::vector<std::string> SubVariables(const std::string& s) {
  std::vector<std::string> vars;
  size_t pos = 0;
  while ((pos = s.find("${", pos)) != std::string::npos) {
    size_t end = s.find('}', pos + 2);
    if (end == std::string::npos) break;
    std::string name = s.substr(pos + 2, end - pos - 2);
    if (!name.empty() && name[0] != '!') vars.push_back(std::string(Trim(name)));
    pos = end + 1;
  }
  return vars;
}

// Collects names referenced by Ref / Fn::GetAtt / Fn::Sub anywhere in `node`.
void CollectRefs(const Json& node, std::set<std::string>* refs, std::set<std::string>* getatts) {
  if (node.is_array()) {
    for (const auto& v : node) CollectRefs(v, refs, getatts);
    return;
  }
  if (!node.is_object()) return;
  if (node.size() == 1) {
    auto it = node.begin();
    if (it.key() == "Ref" && it->is_string()) {
      refs->insert(it->get<std::string>());
      return;
    }
    if (it.key() == "Fn::GetAtt") {
      if (it->is_array() && !it->empty() && (*it)[0].is_string()) {
        getatts->insert((*it)[0].get<std::string>());
        for (size_t i = 1; i < it->size(); ++i) CollectRefs((*it)[i], refs, getatts);
      } else if (it->is_string()) {
        std::string s = it->get<std::string>();
        getatts->insert(s.substr(0, s.find('.')));
      }
      return;
    }
    if (it.key() == "Fn::Sub") {
      const Json* text = it->is_string() ? &*it
                         : (it->is_array() && !it->empty() && (*it)[0].is_string()) ? &(*it)[0]
                                                                                     : nullptr;
      std::set<std::string> local;
      if (it->is_array() && it->size() > 1 && (*it)[1].is_object()) {
        for (const auto& [k, v] : (*it)[1].items()) {
          local.insert(k);
          CollectRefs(v, refs, getatts);
        }
      }
      if (text) {
        for (const auto& var : SubVariables(text->get<std::string>())) {
          if (local.count(var)) continue;
          size_t dot = var.find('.');
          if (dot == std::string::npos) refs->insert(var);
          else getatts->insert(var.substr(0, dot));
        }
      }
      return;
    }
  }
  for (const auto& [k, v] : node.items()) CollectRefs(v, refs, getatts);
}

Result<std::optional<double>> OptNumber(const Json& decl, const char* name,
                                        const std::string& param) {
  if (!decl.contains(name)) return std::optional<double>();
  const Json& v = decl[name];
  if (v.is_number()) return std::optional<double>(v.get<double>());
  if (v.is_string()) {
    char* end = nullptr;
    std::string s = v.get<std::string>();
    double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && end && *end == '\0') return std::optional<double>(d);
  }
  return FormatError(std::string("Invalid ") + name + " for parameter " + param);
}

bool ParseNumber(const std::string& s, double* out) {
  std::string t(Trim(s));
  if (t.empty()) return false;
  char* end = nullptr;
  *out = std::strtod(t.c_str(), &end);
  return end && *end == '\0' && std::isfinite(*out);
}

std::string FormatNumber(double d) {
  if (d == std::floor(d) && std::fabs(d) < 1e15) return std::to_string(static_cast<int64_t>(d));
  return Json(d).dump();
}

Result<Json> Array(const Json& arg, size_t min, size_t max, const std::string& fn) {
  if (!arg.is_array() || arg.size() < min || arg.size() > max)
    return TemplateError("every " + fn + " object requires " +
                         (min == max ? std::to_string(min) : std::to_string(min) + " to " +
                                                                 std::to_string(max)) +
                         " parameters");
  return arg;
}

}  // namespace

std::string ScalarToString(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
  if (v.is_number_float()) return FormatNumber(v.get<double>());
  if (v.is_null()) return "";
  return v.dump();
}

// ------------------------------------------------------------------ model

Result<TemplateModel> AnalyzeTemplate(const Json& tmpl) {
  TemplateModel m;
  m.tmpl = tmpl;
  if (tmpl.contains("Description") && tmpl["Description"].is_string())
    m.description = tmpl["Description"].get<std::string>();
  static const std::set<std::string> kTypes = {"String", "Number", "List<Number>",
                                               "CommaDelimitedList"};
  static const std::set<std::string> kParamAttrs = {
      "Type",      "Default",  "AllowedValues", "AllowedPattern", "MinLength",
      "MaxLength", "MinValue", "MaxValue",      "NoEcho",         "Description",
      "ConstraintDescription"};
  if (tmpl.contains("Parameters") && tmpl["Parameters"].is_object()) {
    if (tmpl["Parameters"].size() > 200) return FormatError("Parameters count exceeds 200.");
    for (const auto& [name, d] : tmpl["Parameters"].items()) {
      if (!d.is_object() || !d.contains("Type"))
        return FormatError("Every Parameters object must contain a Type member.");
      if (PseudoNames().count(name) || m.tmpl.value("Resources", Json::object()).contains(name))
        return FormatError("Parameter and resource names must be unique: " + name);
      ParameterDecl p;
      p.name = name;
      for (const auto& [k, v] : d.items()) {
        if (!kParamAttrs.count(k))
          return FormatError("Invalid template parameter property '" + k + "'");
      }
      if (!d["Type"].is_string()) return FormatError("Every Type member must be a string.");
      p.type = d["Type"].get<std::string>();
      if (!kTypes.count(p.type)) {
        if (StartsWith(p.type, "AWS::") || StartsWith(p.type, "List<AWS::"))
          return ValidationError("Parameter type " + p.type + " of parameter " + name +
                                 " is not supported by this orgtrail build");
        return FormatError("Unrecognized parameter type: " + p.type);
      }
      if (d.contains("Default")) p.default_value = ScalarToString(d["Default"]);
      if (d.contains("AllowedValues")) {
        if (!d["AllowedValues"].is_array())
          return FormatError("Every AllowedValues member must be a list.");
        for (const auto& v : d["AllowedValues"]) p.allowed_values.push_back(ScalarToString(v));
      }
      if (d.contains("AllowedPattern")) p.allowed_pattern = ScalarToString(d["AllowedPattern"]);
      OT_ASSIGN_OR_RETURN(auto minl, OptNumber(d, "MinLength", name));
      OT_ASSIGN_OR_RETURN(auto maxl, OptNumber(d, "MaxLength", name));
      if (minl) p.min_length = static_cast<int64_t>(*minl);
      if (maxl) p.max_length = static_cast<int64_t>(*maxl);
      OT_ASSIGN_OR_RETURN(p.min_value, OptNumber(d, "MinValue", name));
      OT_ASSIGN_OR_RETURN(p.max_value, OptNumber(d, "MaxValue", name));
      if (d.contains("NoEcho")) {
        std::string ne = ScalarToString(d["NoEcho"]);
        p.no_echo = ToLower(ne) == "true";
      }
      if (d.contains("Description")) p.description = ScalarToString(d["Description"]);
      if (d.contains("ConstraintDescription"))
        p.constraint_description = ScalarToString(d["ConstraintDescription"]);
      m.parameters.push_back(std::move(p));
    }
  }
  std::set<std::string> param_names;
  for (const auto& p : m.parameters) param_names.insert(p.name);
  std::set<std::string> condition_names;
  if (tmpl.contains("Conditions") && tmpl["Conditions"].is_object())
    for (const auto& [k, v] : tmpl["Conditions"].items()) condition_names.insert(k);

  const Json& resources = tmpl["Resources"];
  for (const auto& [id, r] : resources.items()) {
    ResourceDecl d;
    d.logical_id = id;
    bool alnum = !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    });
    if (!alnum) return FormatError("Resource name " + id + " is non alphanumeric.");
    d.type = r["Type"].get<std::string>();
    if (r.contains("Properties") && r["Properties"].is_object()) d.properties = r["Properties"];
    if (r.contains("DependsOn")) {
      const Json& dep = r["DependsOn"];
      if (dep.is_string()) {
        d.depends_on.insert(dep.get<std::string>());
      } else if (dep.is_array()) {
        for (const auto& x : dep) {
          if (!x.is_string()) return FormatError("DependsOn must be a string or list of strings.");
          d.depends_on.insert(x.get<std::string>());
        }
      } else {
        return FormatError("DependsOn must be a string or list of strings.");
      }
    }
    for (const char* policy : {"DeletionPolicy", "UpdateReplacePolicy"}) {
      if (!r.contains(policy)) continue;
      if (!r[policy].is_string()) return FormatError(std::string(policy) + " must be a string.");
      std::string v = r[policy].get<std::string>();
      if (v != "Delete" && v != "Retain" && v != "Snapshot" && v != "RetainExceptOnCreate")
        return FormatError("Unrecognized " + std::string(policy) + " " + v + " for resource " + id);
      (std::string(policy) == "DeletionPolicy" ? d.deletion_policy : d.update_replace_policy) = v;
    }
    if (r.contains("Condition")) {
      if (!r["Condition"].is_string()) return FormatError("Condition must be a string.");
      d.condition = r["Condition"].get<std::string>();
      if (!condition_names.count(d.condition))
        return FormatError("Unresolved dependencies [" + d.condition +
                           "]. Cannot reference resources in the Conditions block of the template");
    }
    std::set<std::string> refs, getatts;
    CollectRefs(d.properties, &refs, &getatts);
    std::set<std::string> unresolved;
    for (const auto& ref : refs) {
      if (param_names.count(ref) || PseudoNames().count(ref)) continue;
      if (!resources.contains(ref)) {
        unresolved.insert(ref);
        continue;
      }
      d.depends_on.insert(ref);
    }
    for (const auto& g : getatts) {
      if (!resources.contains(g))
        return TemplateError("instance of Fn::GetAtt references undefined resource " + g);
      d.depends_on.insert(g);
    }
    for (const auto& dep : d.depends_on)
      if (!resources.contains(dep)) unresolved.insert(dep);
    if (!unresolved.empty())
      return FormatError("Unresolved resource dependencies [" + JoinNames(unresolved) +
                         "] in the Resources block of the template");
    if (d.depends_on.count(id))
      return ValidationError("Circular dependency between resources: [" + id + "]");
    m.resources.emplace(id, std::move(d));
  }

  // Kahn's algorithm; ties broken by name so the order is deterministic.
  std::map<std::string, size_t> indegree;
  for (const auto& [id, d] : m.resources) indegree[id] = d.depends_on.size();
  std::set<std::string> ready;
  for (const auto& [id, n] : indegree)
    if (n == 0) ready.insert(id);
  while (!ready.empty()) {
    std::string id = *ready.begin();
    ready.erase(ready.begin());
    m.order.push_back(id);
    for (const auto& [other, d] : m.resources) {
      if (d.depends_on.count(id) && --indegree[other] == 0) ready.insert(other);
    }
  }
  if (m.order.size() != m.resources.size()) {
    std::set<std::string> cyclic;
    for (const auto& [id, n] : indegree)
      if (n > 0) cyclic.insert(id);
    return ValidationError("Circular dependency between resources: [" + JoinNames(cyclic) + "]");
  }

  if (tmpl.contains("Outputs") && tmpl["Outputs"].is_object()) {
    for (const auto& [name, o] : tmpl["Outputs"].items()) {
      if (!o.is_object() || !o.contains("Value"))
        return FormatError("Every Outputs member must contain a Value object");
      OutputDecl out;
      out.name = name;
      out.value = o["Value"];
      if (o.contains("Description")) out.description = ScalarToString(o["Description"]);
      if (o.contains("Export")) {
        if (!o["Export"].is_object() || !o["Export"].contains("Name"))
          return FormatError("Every Export member must contain a Name.");
        out.export_name = o["Export"]["Name"];
      }
      if (o.contains("Condition")) out.condition = ScalarToString(o["Condition"]);
      std::set<std::string> refs, getatts;
      CollectRefs(o, &refs, &getatts);
      std::set<std::string> unresolved;
      for (const auto& ref : refs)
        if (!param_names.count(ref) && !PseudoNames().count(ref) && !resources.contains(ref))
          unresolved.insert(ref);
      for (const auto& g : getatts)
        if (!resources.contains(g)) unresolved.insert(g);
      if (!unresolved.empty())
        return FormatError("Unresolved resource dependencies [" + JoinNames(unresolved) +
                           "] in the Outputs block of the template");
      m.outputs.push_back(std::move(out));
    }
  }
  return m;
}

// ------------------------------------------------------------ parameters

Result<std::map<std::string, std::string>> ResolveParameters(
    const TemplateModel& model, const std::vector<ParameterInput>& given,
    const std::map<std::string, std::string>& previous) {
  std::map<std::string, const ParameterInput*> by_name;
  std::set<std::string> declared;
  for (const auto& p : model.parameters) declared.insert(p.name);
  std::set<std::string> unknown;
  for (const auto& g : given) {
    if (!declared.count(g.key)) unknown.insert(g.key);
    by_name[g.key] = &g;
  }
  if (!unknown.empty())
    return ValidationError("Parameters: [" + JoinNames(unknown) + "] do not exist in the template");
  std::map<std::string, std::string> out;
  std::set<std::string> missing;
  for (const auto& p : model.parameters) {
    std::optional<std::string> value;
    auto it = by_name.find(p.name);
    if (it != by_name.end()) {
      if (it->second->use_previous) {
        auto prev = previous.find(p.name);
        if (prev == previous.end())
          return ValidationError("Invalid input for parameter key " + p.name +
                                 ". Cannot specify usePreviousValue as true for a parameter key "
                                 "not in the previous template");
        value = prev->second;
      } else {
        value = it->second->value;
      }
    } else if (p.default_value) {
      value = p.default_value;
    }
    if (!value) {
      missing.insert(p.name);
      continue;
    }
    const std::string& v = *value;
    if (v.size() > 4096)
      return ValidationError("Parameter '" + p.name + "' exceeds the maximum length of 4096 bytes");
    auto fail = [&](const std::string& why) {
      if (!p.constraint_description.empty())
        return ValidationError("Parameter '" + p.name +
                               "' failed to satisfy constraint: " + p.constraint_description);
      return ValidationError("Parameter '" + p.name + "' " + why);
    };
    std::vector<std::string> items;
    if (p.type == "List<Number>" || p.type == "CommaDelimitedList") {
      for (const auto& s : Split(v, ',')) items.push_back(std::string(Trim(s)));
    } else {
      items.push_back(v);
    }
    for (const auto& item : items) {
      if (p.type == "Number" || p.type == "List<Number>") {
        double d = 0;
        if (!ParseNumber(item, &d)) return fail("must be a number");
        if (p.min_value && d < *p.min_value)
          return fail("must be a number not less than " + FormatNumber(*p.min_value));
        if (p.max_value && d > *p.max_value)
          return fail("must be a number not greater than " + FormatNumber(*p.max_value));
      }
    }
    if (!p.allowed_values.empty()) {
      for (const auto& item : items)
        if (std::find(p.allowed_values.begin(), p.allowed_values.end(), item) ==
            p.allowed_values.end())
          return fail("must be one of AllowedValues");
    }
    if (p.type == "String") {
      if (p.min_length && static_cast<int64_t>(v.size()) < *p.min_length)
        return fail("must contain at least " + std::to_string(*p.min_length) + " characters");
      if (p.max_length && static_cast<int64_t>(v.size()) > *p.max_length)
        return fail("must contain at most " + std::to_string(*p.max_length) + " characters");
      if (p.allowed_pattern) {
        std::optional<bool> match = FullMatch(*p.allowed_pattern, v);
        if (!match) return FormatError("Invalid AllowedPattern for parameter " + p.name);
        if (!*match) return fail("must match pattern " + *p.allowed_pattern);
      }
    }
    out[p.name] = v;
  }
  if (!missing.empty())
    return ValidationError("Parameters: [" + JoinNames(missing) + "] must have values");
  return out;
}

// -------------------------------------------------------------- evaluator

Evaluator::Evaluator(const TemplateModel& model, std::map<std::string, std::string> params,
                     PseudoParams pseudo, ImportLookup imports)
    : model_(model), params_(std::move(params)), pseudo_(std::move(pseudo)),
      imports_(std::move(imports)) {}

Status Evaluator::EvaluateConditions() {
  if (!model_.tmpl.contains("Conditions") || !model_.tmpl["Conditions"].is_object())
    return Status::Ok();
  for (const auto& [name, v] : model_.tmpl["Conditions"].items()) {
    OT_ASSIGN_OR_RETURN(bool b, ConditionByName(name, 0));
    (void)b;
  }
  return Status::Ok();
}

bool Evaluator::ConditionHolds(const std::string& name) const {
  if (name.empty()) return true;
  auto it = conditions_.find(name);
  return it != conditions_.end() && it->second;
}

void Evaluator::SetResource(const std::string& id, ResolvedResource r) {
  resources_[id] = std::move(r);
}
void Evaluator::RemoveResource(const std::string& id) { resources_.erase(id); }

Result<bool> Evaluator::ConditionByName(const std::string& name, int depth) {
  auto it = conditions_.find(name);
  if (it != conditions_.end()) return it->second;
  const Json& conds = model_.tmpl.value("Conditions", Json::object());
  if (!conds.is_object() || !conds.contains(name))
    return FormatError("Unresolved condition dependency " + name + " in Fn::If");
  if (evaluating_.count(name))
    return FormatError("Circular dependency between conditions: [" + name + "]");
  evaluating_.insert(name);
  auto r = EvalCondition(conds[name], depth + 1);
  evaluating_.erase(name);
  if (!r.ok()) return r.status();
  conditions_[name] = *r;
  return *r;
}

Result<bool> Evaluator::EvalCondition(const Json& node, int depth) {
  if (depth > kMaxEvalDepth) return TemplateError("the template is nested too deeply");
  if (node.is_object() && node.size() == 1 && node.contains("Condition") &&
      node["Condition"].is_string())
    return ConditionByName(node["Condition"].get<std::string>(), depth);
  OT_ASSIGN_OR_RETURN(auto v, Eval(node, depth + 1));
  if (v && v->is_boolean()) return v->get<bool>();
  if (v && v->is_string()) {
    std::string s = v->get<std::string>();
    if (s == "true") return true;
    if (s == "false") return false;
  }
  return TemplateError("Conditions can only be boolean operations on parameters and other "
                       "conditions");
}

Json Evaluator::ParameterValue(const std::string& name) const {
  auto it = params_.find(name);
  if (it == params_.end()) return nullptr;
  for (const auto& p : model_.parameters) {
    if (p.name != name) continue;
    if (p.type == "List<Number>" || p.type == "CommaDelimitedList") {
      Json arr = Json::array();
      if (!it->second.empty())
        for (const auto& s : Split(it->second, ',')) arr.push_back(std::string(Trim(s)));
      return arr;
    }
  }
  return it->second;
}

Result<Json> Evaluator::Resolve(const Json& node) {
  OT_ASSIGN_OR_RETURN(auto v, Eval(node, 0));
  return v ? std::move(*v) : Json(nullptr);
}

Result<Json> Evaluator::EvalRef(const std::string& name) {
  if (params_.count(name)) return ParameterValue(name);
  if (name == "AWS::AccountId") return Json(pseudo_.account_id);
  if (name == "AWS::Region") return Json(pseudo_.region);
  if (name == "AWS::Partition") return Json(pseudo_.partition);
  if (name == "AWS::URLSuffix") return Json(pseudo_.url_suffix);
  if (name == "AWS::StackName") return Json(pseudo_.stack_name);
  if (name == "AWS::StackId") return Json(pseudo_.stack_id);
  if (name == "AWS::NotificationARNs") return Json::array();
  auto it = resources_.find(name);
  if (it != resources_.end()) return Json(it->second.physical_id);
  if (model_.resources.count(name)) {
    if (allow_unresolved_) return Json("{{unresolved:" + name + "}}");
    return TemplateError("resource " + name + " is not available for Ref (its condition is false "
                         "or it has not been created)");
  }
  return FormatError("Unresolved resource dependencies [" + name +
                     "] in the Resources block of the template");
}

Result<Json> Evaluator::EvalGetAtt(const std::string& resource, const std::string& attr) {
  auto it = resources_.find(resource);
  if (it == resources_.end()) {
    if (model_.resources.count(resource) && allow_unresolved_)
      return Json("{{unresolved:" + resource + "." + attr + "}}");
    if (!model_.resources.count(resource))
      return TemplateError("instance of Fn::GetAtt references undefined resource " + resource);
    return TemplateError("resource " + resource + " is not available for Fn::GetAtt");
  }
  if (!it->second.attributes.contains(attr))
    return TemplateError("resource " + resource + " does not support attribute type " + attr +
                         " in Fn::GetAtt");
  return it->second.attributes[attr];
}

Result<Json> Evaluator::EvalSub(const std::string& text, const Json& vars, int depth) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t start = text.find("${", pos);
    if (start == std::string::npos) {
      out += text.substr(pos);
      break;
    }
    out += text.substr(pos, start - pos);
    size_t end = text.find('}', start + 2);
    if (end == std::string::npos) {
      out += text.substr(start);
      break;
    }
    std::string name = text.substr(start + 2, end - start - 2);
    pos = end + 1;
    if (!name.empty() && name[0] == '!') {
      out += "${" + name.substr(1) + "}";
      continue;
    }
    name = std::string(Trim(name));
    Json value;
    if (vars.is_object() && vars.contains(name)) {
      OT_ASSIGN_OR_RETURN(auto v, Eval(vars[name], depth + 1));
      value = v ? *v : Json("");
    } else if (size_t dot = name.find('.'); dot != std::string::npos &&
                                            !params_.count(name) && !PseudoNames().count(name)) {
      OT_ASSIGN_OR_RETURN(value, EvalGetAtt(name.substr(0, dot), name.substr(dot + 1)));
    } else {
      OT_ASSIGN_OR_RETURN(value, EvalRef(name));
    }
    if (value.is_array() || value.is_object())
      return TemplateError("variable " + name + " in Fn::Sub expression does not resolve to a "
                           "string");
    out += ScalarToString(value);
  }
  return Json(out);
}

Result<std::optional<Json>> Evaluator::Eval(const Json& node, int depth) {
  if (depth > kMaxEvalDepth) return TemplateError("the template is nested too deeply");
  if (node.is_array()) {
    Json arr = Json::array();
    for (const auto& v : node) {
      OT_ASSIGN_OR_RETURN(auto r, Eval(v, depth + 1));
      if (r) arr.push_back(std::move(*r));
    }
    return std::optional<Json>(std::move(arr));
  }
  if (!node.is_object()) return std::optional<Json>(node);
  if (node.size() == 1) {
    auto it = node.begin();
    const std::string& k = it.key();
    if (k == "Ref" || k == "Condition" || StartsWith(k, "Fn::")) return EvalFn(k, *it, depth);
  }
  Json obj = Json::object();
  for (const auto& [k, v] : node.items()) {
    OT_ASSIGN_OR_RETURN(auto r, Eval(v, depth + 1));
    if (r) obj[k] = std::move(*r);
  }
  return std::optional<Json>(std::move(obj));
}

Result<std::optional<Json>> Evaluator::EvalFn(const std::string& fn, const Json& arg, int depth) {
  using R = std::optional<Json>;
  auto str_arg = [&](const Json& a, const std::string& what) -> Result<std::string> {
    OT_ASSIGN_OR_RETURN(auto v, Eval(a, depth + 1));
    if (!v || v->is_array() || v->is_object())
      return TemplateError("every " + fn + " object requires a string " + what);
    return ScalarToString(*v);
  };
  if (fn == "Ref") {
    if (!arg.is_string()) return TemplateError("every Ref object must have a single String value.");
    std::string name = arg.get<std::string>();
    if (name == "AWS::NoValue") return R();
    OT_ASSIGN_OR_RETURN(Json v, EvalRef(name));
    return R(std::move(v));
  }
  if (fn == "Condition") {
    if (!arg.is_string()) return TemplateError("every Condition must name a condition");
    OT_ASSIGN_OR_RETURN(bool b, ConditionByName(arg.get<std::string>(), depth));
    return R(Json(b));
  }
  if (fn == "Fn::GetAtt") {
    Json a = arg;
    if (a.is_string()) {
      std::string s = a.get<std::string>();
      size_t dot = s.find('.');
      if (dot == std::string::npos) return TemplateError("every Fn::GetAtt object requires two non-empty parameters");
      a = Json::array({s.substr(0, dot), s.substr(dot + 1)});
    }
    if (!a.is_array() || a.size() != 2 || !a[0].is_string())
      return TemplateError("every Fn::GetAtt object requires two non-empty parameters");
    OT_ASSIGN_OR_RETURN(std::string attr, str_arg(a[1], "attribute name"));
    OT_ASSIGN_OR_RETURN(Json v, EvalGetAtt(a[0].get<std::string>(), attr));
    return R(std::move(v));
  }
  if (fn == "Fn::Sub") {
    if (arg.is_string()) {
      OT_ASSIGN_OR_RETURN(Json v, EvalSub(arg.get<std::string>(), Json::object(), depth));
      return R(std::move(v));
    }
    if (arg.is_array() && arg.size() == 2 && arg[0].is_string() && arg[1].is_object()) {
      OT_ASSIGN_OR_RETURN(Json v, EvalSub(arg[0].get<std::string>(), arg[1], depth));
      return R(std::move(v));
    }
    return TemplateError("One or more Fn::Sub intrinsic functions don't specify expected "
                         "arguments. Specify a string as first argument, and an optional second "
                         "argument to specify a mapping of values to replace in the string");
  }
  if (fn == "Fn::Join") {
    OT_ASSIGN_OR_RETURN(Json a, Array(arg, 2, 2, fn));
    OT_ASSIGN_OR_RETURN(std::string delim, str_arg(a[0], "delimiter"));
    OT_ASSIGN_OR_RETURN(auto list, Eval(a[1], depth + 1));
    if (!list || !list->is_array()) return TemplateError("every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list of strings to be joined or a function that returns a list of strings (such as Fn::GetAZs) to be joined.");
    std::string out;
    bool first = true;
    for (const auto& v : *list) {
      if (v.is_array() || v.is_object())
        return TemplateError("every Fn::Join object requires a list of strings");
      if (!first) out += delim;
      out += ScalarToString(v);
      first = false;
    }
    return R(Json(out));
  }
  if (fn == "Fn::Select") {
    OT_ASSIGN_OR_RETURN(Json a, Array(arg, 2, 2, fn));
    OT_ASSIGN_OR_RETURN(std::string idx_s, str_arg(a[0], "index"));
    OT_ASSIGN_OR_RETURN(auto list, Eval(a[1], depth + 1));
    double idx = 0;
    if (!ParseNumber(idx_s, &idx) || idx < 0 || idx != std::floor(idx))
      return TemplateError("Fn::Select requires a non-negative integer index");
    if (!list || !list->is_array()) return TemplateError("Fn::Select requires a list");
    if (idx >= static_cast<double>(list->size()))
      return TemplateError("Fn::Select cannot select nonexistent value at index " + idx_s);
    return R((*list)[static_cast<size_t>(idx)]);
  }
  if (fn == "Fn::Split") {
    OT_ASSIGN_OR_RETURN(Json a, Array(arg, 2, 2, fn));
    OT_ASSIGN_OR_RETURN(std::string delim, str_arg(a[0], "delimiter"));
    OT_ASSIGN_OR_RETURN(std::string s, str_arg(a[1], "source string"));
    if (delim.empty()) return TemplateError("Fn::Split requires a non-empty delimiter");
    Json out = Json::array();
    size_t pos = 0;
    while (true) {
      size_t next = s.find(delim, pos);
      out.push_back(s.substr(pos, next == std::string::npos ? std::string::npos : next - pos));
      if (next == std::string::npos) break;
      pos = next + delim.size();
    }
    return R(std::move(out));
  }
  if (fn == "Fn::If") {
    OT_ASSIGN_OR_RETURN(Json a, Array(arg, 3, 3, fn));
    if (!a[0].is_string()) return TemplateError("Fn::If requires a condition name");
    OT_ASSIGN_OR_RETURN(bool b, ConditionByName(a[0].get<std::string>(), depth));
    return Eval(b ? a[1] : a[2], depth + 1);
  }
  if (fn == "Fn::Equals") {
    OT_ASSIGN_OR_RETURN(Json a, Array(arg, 2, 2, fn));
    OT_ASSIGN_OR_RETURN(auto x, Eval(a[0], depth + 1));
    OT_ASSIGN_OR_RETURN(auto y, Eval(a[1], depth + 1));
    Json xv = x ? *x : Json(nullptr), yv = y ? *y : Json(nullptr);
    bool eq = (xv.is_array() || xv.is_object() || yv.is_array() || yv.is_object())
                  ? xv == yv
                  : ScalarToString(xv) == ScalarToString(yv);
    return R(Json(eq));
  }
  if (fn == "Fn::Not") {
    OT_ASSIGN_OR_RETURN(Json a, Array(arg, 1, 1, fn));
    OT_ASSIGN_OR_RETURN(bool b, EvalCondition(a[0], depth + 1));
    return R(Json(!b));
  }
  if (fn == "Fn::And" || fn == "Fn::Or") {
    OT_ASSIGN_OR_RETURN(Json a, Array(arg, 2, 10, fn));
    bool is_and = fn == "Fn::And";
    bool acc = is_and;
    for (const auto& c : a) {
      OT_ASSIGN_OR_RETURN(bool b, EvalCondition(c, depth + 1));
      acc = is_and ? (acc && b) : (acc || b);
    }
    return R(Json(acc));
  }
  if (fn == "Fn::FindInMap") {
    OT_ASSIGN_OR_RETURN(Json a, Array(arg, 3, 3, fn));
    OT_ASSIGN_OR_RETURN(std::string map, str_arg(a[0], "map name"));
    OT_ASSIGN_OR_RETURN(std::string top, str_arg(a[1], "top-level key"));
    OT_ASSIGN_OR_RETURN(std::string second, str_arg(a[2], "second-level key"));
    const Json& maps = model_.tmpl.value("Mappings", Json::object());
    if (!maps.is_object() || !maps.contains(map))
      return TemplateError("Unable to get mapping for " + map + "::" + top + "::" + second);
    const Json& m = maps[map];
    if (!m.is_object() || !m.contains(top) || !m[top].is_object() || !m[top].contains(second))
      return TemplateError("Unable to get mapping for " + map + "::" + top + "::" + second);
    return R(m[top][second]);
  }
  if (fn == "Fn::GetAZs") {
    OT_ASSIGN_OR_RETURN(std::string region, str_arg(arg, "region"));
    if (region.empty()) region = pseudo_.region;
    return R(Json::array({region + "a", region + "b", region + "c"}));
  }
  if (fn == "Fn::ImportValue") {
    OT_ASSIGN_OR_RETURN(std::string name, str_arg(arg, "export name"));
    std::optional<std::string> v = imports_ ? imports_(name) : std::nullopt;
    if (!v) return ValidationError("No export named " + name + " found. Rollback requested by user.");
    return R(Json(*v));
  }
  if (fn == "Fn::Base64") {
    OT_ASSIGN_OR_RETURN(std::string s, str_arg(arg, "value"));
    return R(Json(Base64Encode(s)));
  }
  if (fn == "Fn::Length") {
    OT_ASSIGN_OR_RETURN(auto list, Eval(arg, depth + 1));
    if (!list || !list->is_array()) return TemplateError("Fn::Length requires a list");
    return R(Json(static_cast<int64_t>(list->size())));
  }
  if (fn == "Fn::ToJsonString") {
    OT_ASSIGN_OR_RETURN(auto v, Eval(arg, depth + 1));
    return R(Json(v ? v->dump() : "null"));
  }
  return TemplateError("Unrecognized function " + fn + " is not supported by this orgtrail build");
}

}  // namespace orgtrail::cfn
