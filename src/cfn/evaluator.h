// The template engine: the model of a parsed template (parameters,
// resources with their explicit and implicit dependencies in topological
// order, conditions, mappings, outputs) and the Evaluator that resolves
// intrinsic functions (Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Select,
// Fn::Split, Fn::If, Fn::Equals, Fn::Not, Fn::And, Fn::Or, Fn::FindInMap,
// Fn::GetAZs, Fn::ImportValue, Fn::Base64, Fn::Length, Fn::ToJsonString,
// Condition) against parameter values, pseudo parameters and the physical
// ids/attributes of resources created so far. Used by CfnService for one
// stack operation at a time. Errors are ValidationError Statuses phrased as
// AWS phrases them. Thread-compatible (one operation owns an Evaluator).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace orgtrail::cfn {

struct PseudoParams {
  std::string account_id;
  std::string region;
  std::string partition = "aws";
  std::string url_suffix = "amazonaws.com";
  std::string stack_name;
  std::string stack_id;
};

struct ParameterDecl {
  std::string name;
  std::string type;  // String, Number, List<Number>, CommaDelimitedList
  std::optional<std::string> default_value;
  std::vector<std::string> allowed_values;
  std::optional<std::string> allowed_pattern;
  std::optional<int64_t> min_length, max_length;
  std::optional<double> min_value, max_value;
  bool no_echo = false;
  std::string description;
  std::string constraint_description;
};

struct ResourceDecl {
  std::string logical_id;
  std::string type;
  Json properties = Json::object();  // unevaluated
  std::set<std::string> depends_on;   // explicit DependsOn + implicit references
  std::string condition;              // "" = always
  std::string deletion_policy = "Delete";         // Delete | Retain | Snapshot
  std::string update_replace_policy = "Delete";   // Delete | Retain | Snapshot
};

struct OutputDecl {
  std::string name;
  Json value;
  std::string description;
  std::optional<Json> export_name;  // unevaluated Export.Name
  std::string condition;
};

struct TemplateModel {
  Json tmpl;
  std::string description;
  std::vector<ParameterDecl> parameters;  // template order
  std::map<std::string, ResourceDecl> resources;
  std::vector<std::string> order;  // topological (dependencies first)
  std::vector<OutputDecl> outputs;
};

// Builds the model from a ParseTemplate() tree: parameter declarations,
// DependsOn/implicit dependencies (unresolved names and cycles are errors:
// "Circular dependency between resources: [A, B]"), policies, outputs.
Result<TemplateModel> AnalyzeTemplate(const Json& tmpl);

// One Parameters.member.N of a call.
struct ParameterInput {
  std::string key;
  std::string value;
  bool use_previous = false;
};

// Resolves every declared parameter from `given` (then `previous` when
// use_previous, then the Default) and checks its constraints. Returns
// name -> raw string value.
Result<std::map<std::string, std::string>> ResolveParameters(
    const TemplateModel& model, const std::vector<ParameterInput>& given,
    const std::map<std::string, std::string>& previous);

// A resource known to the evaluator: its Ref value and GetAtt attributes.
struct ResolvedResource {
  std::string physical_id;
  Json attributes = Json::object();
};

class Evaluator {
 public:
  // Looks an export up for Fn::ImportValue; nullopt when none has that name.
  using ImportLookup = std::function<std::optional<std::string>(const std::string&)>;

  // `model` must outlive the evaluator.
  Evaluator(const TemplateModel& model, std::map<std::string, std::string> params,
            PseudoParams pseudo, ImportLookup imports);

  // Evaluates every entry of Conditions; call before anything else.
  Status EvaluateConditions();
  // Whether the named condition holds ("" holds). Unknown names are false.
  bool ConditionHolds(const std::string& name) const;

  // Records a resource's physical id and attributes for later references.
  void SetResource(const std::string& logical_id, ResolvedResource r);
  void RemoveResource(const std::string& logical_id);
  // When set, references to resources not yet known resolve to a placeholder
  // "{{unresolved:<id>}}" instead of failing (change set previews).
  void SetAllowUnresolved(bool allow) { allow_unresolved_ = allow; }

  // Resolves every intrinsic in `node`. AWS::NoValue removes the containing
  // object member or array element; a NoValue at the top gives null.
  Result<Json> Resolve(const Json& node);

  // Ref value of a parameter as templates see it (lists become arrays).
  Json ParameterValue(const std::string& name) const;
  const std::map<std::string, std::string>& parameters() const { return params_; }

 private:
  Result<std::optional<Json>> Eval(const Json& node, int depth);
  Result<std::optional<Json>> EvalFn(const std::string& fn, const Json& arg, int depth);
  Result<Json> EvalRef(const std::string& name);
  Result<Json> EvalGetAtt(const std::string& resource, const std::string& attr);
  Result<Json> EvalSub(const std::string& text, const Json& vars, int depth);
  Result<bool> EvalCondition(const Json& node, int depth);
  Result<bool> ConditionByName(const std::string& name, int depth);

  const TemplateModel& model_;
  std::map<std::string, std::string> params_;
  PseudoParams pseudo_;
  ImportLookup imports_;
  std::map<std::string, ResolvedResource> resources_;
  std::map<std::string, bool> conditions_;
  std::set<std::string> evaluating_;  // condition cycle guard
  bool allow_unresolved_ = false;
};

// Converts a resolved scalar to the string CloudFormation would use.
std::string ScalarToString(const Json& v);

}  // namespace orgtrail::cfn
