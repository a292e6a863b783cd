#include "cfn/cfn_service.h"

#include <algorithm>
#include <cstdlib>
#include <set>

#include "base/ids.h"
#include "base/strings.h"
#include "cfn/template.h"

namespace orgtrail::cfn {
namespace {

using Ctx = auth::RequestContext;
using Params = auth::QueryParams;

std::optional<std::string> Opt(const Params& p, const std::string& k) {
  auto it = p.find(k);
  if (it == p.end()) return std::nullopt;
  return it->second;
}

Result<std::string> Req(const Params& p, const std::string& k) {
  auto v = Opt(p, k);
  if (!v || v->empty())
    return ValidationError("1 validation error detected: Value null at '" +
                           std::string(1, static_cast<char>(std::tolower(k[0]))) + k.substr(1) +
                           "' failed to satisfy constraint: Member must not be null");
  return *v;
}

bool OptBoolParam(const Params& p, const std::string& k) {
  auto v = Opt(p, k);
  return v && ToLower(*v) == "true";
}

std::vector<std::string> MemberList(const Params& p, const std::string& name) {
  std::vector<std::string> out;
  for (int i = 1;; ++i) {
    auto v = Opt(p, name + ".member." + std::to_string(i));
    if (!v) break;
    out.push_back(*v);
  }
  return out;
}

std::vector<ParameterInput> ParameterInputs(const Params& p) {
  std::vector<ParameterInput> out;
  for (int i = 1;; ++i) {
    std::string base = "Parameters.member." + std::to_string(i);
    auto key = Opt(p, base + ".ParameterKey");
    if (!key) break;
    ParameterInput in;
    in.key = *key;
    in.value = Opt(p, base + ".ParameterValue").value_or("");
    in.use_previous = OptBoolParam(p, base + ".UsePreviousValue");
    out.push_back(std::move(in));
  }
  return out;
}

Json TagsParam(const Params& p) {
  Json out = Json::array();
  for (int i = 1;; ++i) {
    std::string base = "Tags.member." + std::to_string(i);
    auto key = Opt(p, base + ".Key");
    if (!key) break;
    out.push_back({{"Key", *key}, {"Value", Opt(p, base + ".Value").value_or("")}});
  }
  return out;
}

Result<std::vector<std::string>> Capabilities(const Params& p) {
  auto caps = MemberList(p, "Capabilities");
  for (const auto& c : caps) {
    if (c != "CAPABILITY_IAM" && c != "CAPABILITY_NAMED_IAM" && c != "CAPABILITY_AUTO_EXPAND")
      return ValidationError("1 validation error detected: Value '[" + c +
                             "]' at 'capabilities' failed to satisfy constraint: Member must "
                             "satisfy constraint: [Member must satisfy enum value set: "
                             "[CAPABILITY_AUTO_EXPAND, CAPABILITY_NAMED_IAM, CAPABILITY_IAM]]");
  }
  return caps;
}

bool ValidName(const std::string& s) {
  if (s.empty() || s.size() > 128 || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; });
}

Status CheckName(const std::string& s, const char* member) {
  if (ValidName(s)) return Status::Ok();
  return ValidationError("1 validation error detected: Value '" + s + "' at '" + member +
                         "' failed to satisfy constraint: Member must satisfy regular expression "
                         "pattern: [a-zA-Z][-a-zA-Z0-9]*");
}

Result<std::string> TemplateBodyParam(const Params& p) {
  if (Opt(p, "TemplateURL"))
    return ValidationError("TemplateURL is not supported by this orgtrail build; pass the "
                           "template as TemplateBody");
  auto body = Opt(p, "TemplateBody");
  if (!body) return ValidationError("Either Template URL or Template Body must be specified.");
  return *body;
}

std::string Time(int64_t ms) { return FormatIso8601Millis(FromUnixSeconds(ms / 1000.0)); }

std::string Region(const Ctx& ctx) { return ctx.region.empty() ? "us-east-1" : ctx.region; }

OrderedJson ToOrdered(const Json& j) { return OrderedJson::parse(j.dump()); }

OrderedJson ParametersJson(const std::map<std::string, std::string>& params,
                           const std::vector<std::string>& no_echo) {
  OrderedJson out = OrderedJson::array();
  for (const auto& [k, v] : params) {
    bool hide = std::find(no_echo.begin(), no_echo.end(), k) != no_echo.end();
    out.push_back({{"ParameterKey", k}, {"ParameterValue", hide ? "****" : v}});
  }
  return out;
}

bool Updatable(const std::string& status) {
  return status == "CREATE_COMPLETE" || status == "UPDATE_COMPLETE" ||
         status == "UPDATE_ROLLBACK_COMPLETE";
}

}  // namespace

CfnService::CfnService(catalog::Db& db, ServiceInvoker& invoker, const Clock& clock)
    : invoker_(invoker), clock_(clock) {
  auto store = StackStore::Open(db);
  if (!store.ok()) std::abort();  // the catalog is unusable: nothing can work
  store_ = std::move(store).value();
  engine_ = std::make_unique<StackEngine>(*store_, invoker_, clock_);
}

auth::QueryOps CfnService::Ops() {
  using Handler = Result<OrderedJson> (CfnService::*)(const Ctx&, const Params&);
  static const std::pair<const char*, Handler> kTable[] = {
      {"CreateStack", &CfnService::CreateStack},
      {"UpdateStack", &CfnService::UpdateStack},
      {"DeleteStack", &CfnService::DeleteStack},
      {"DescribeStacks", &CfnService::DescribeStacks},
      {"DescribeStackEvents", &CfnService::DescribeStackEvents},
      {"DescribeStackResources", &CfnService::DescribeStackResources},
      {"DescribeStackResource", &CfnService::DescribeStackResource},
      {"ListStacks", &CfnService::ListStacks},
      {"ListStackResources", &CfnService::ListStackResources},
      {"GetTemplate", &CfnService::GetTemplate},
      {"ValidateTemplate", &CfnService::ValidateTemplate},
      {"CreateChangeSet", &CfnService::CreateChangeSet},
      {"DescribeChangeSet", &CfnService::DescribeChangeSet},
      {"ExecuteChangeSet", &CfnService::ExecuteChangeSet},
      {"DeleteChangeSet", &CfnService::DeleteChangeSet},
      {"ListChangeSets", &CfnService::ListChangeSets},
  };
  auth::QueryOps ops;
  for (const auto& [name, fn] : kTable) {
    Handler h = fn;
    ops[name] = [this, h](const Ctx& c, const Params& p) -> Result<OrderedJson> {
      if (c.principal.account_id.empty() || c.principal.type == auth::PrincipalType::kAWSService)
        return Status::AccessDenied("The caller is not an IAM principal of an account.");
      std::lock_guard<std::mutex> lock(mu_);
      return (this->*h)(c, p);
    };
  }
  return ops;
}

Result<StackRecord> CfnService::RequireStack(const Ctx& ctx, const std::string& name_or_id,
                                             bool include_deleted) {
  OT_ASSIGN_OR_RETURN(auto s, store_->FindStack(ctx.principal.account_id, Region(ctx), name_or_id));
  if (!s || (!include_deleted && s->status == "DELETE_COMPLETE"))
    return ValidationError("Stack with id " + name_or_id + " does not exist");
  return *s;
}

OrderedJson CfnService::StackJson(const StackRecord& s) const {
  OrderedJson j = OrderedJson::object();
  j["StackId"] = s.stack_id;
  j["StackName"] = s.name;
  if (!s.change_set_id.empty()) j["ChangeSetId"] = s.change_set_id;
  if (!s.description.empty()) j["Description"] = s.description;
  j["Parameters"] = ParametersJson(s.parameters, s.no_echo);
  j["CreationTime"] = Time(s.created_ms);
  if (s.deleted_ms) j["DeletionTime"] = Time(s.deleted_ms);
  if (s.updated_ms) j["LastUpdatedTime"] = Time(s.updated_ms);
  j["StackStatus"] = s.status;
  if (!s.status_reason.empty()) j["StackStatusReason"] = s.status_reason;
  j["DisableRollback"] = s.disable_rollback;
  j["NotificationARNs"] = OrderedJson::array();
  j["Capabilities"] = s.capabilities;
  j["Outputs"] = ToOrdered(s.outputs);
  j["Tags"] = ToOrdered(s.tags);
  j["EnableTerminationProtection"] = false;
  j["DriftInformation"] = {{"StackDriftStatus", "NOT_CHECKED"}};
  return j;
}

// ------------------------------------------------------------------ stacks

Result<OrderedJson> CfnService::CreateStack(const Ctx& ctx, const Params& p) {
  OT_ASSIGN_OR_RETURN(std::string name, Req(p, "StackName"));
  OT_RETURN_IF_ERROR(CheckName(name, "stackName"));
  OT_ASSIGN_OR_RETURN(std::string body, TemplateBodyParam(p));
  OT_ASSIGN_OR_RETURN(auto caps, Capabilities(p));
  std::string on_failure = Opt(p, "OnFailure").value_or("ROLLBACK");
  if (on_failure != "ROLLBACK" && on_failure != "DO_NOTHING" && on_failure != "DELETE")
    return ValidationError("1 validation error detected: Value '" + on_failure +
                           "' at 'onFailure' failed to satisfy constraint: Member must satisfy "
                           "enum value set: [DO_NOTHING, ROLLBACK, DELETE]");
  OT_ASSIGN_OR_RETURN(auto existing, store_->FindStack(ctx.principal.account_id, Region(ctx), name));
  if (existing) return Status::Error("AlreadyExistsException", "Stack [" + name + "] already exists");
  OT_ASSIGN_OR_RETURN(PreparedTemplate t, engine_->Prepare(body, ParameterInputs(p), {}, caps));

  StackRecord s;
  s.name = name;
  s.account_id = ctx.principal.account_id;
  s.region = Region(ctx);
  s.stack_id = "arn:aws:cloudformation:" + s.region + ":" + s.account_id + ":stack/" + name + "/" + NewUuid();
  s.capabilities = caps;
  s.tags = TagsParam(p);
  s.disable_rollback = OptBoolParam(p, "DisableRollback") || on_failure == "DO_NOTHING";
  s.created_ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now().time_since_epoch()).count();
  OT_RETURN_IF_ERROR(engine_->Create(ctx, s, t));
  if (on_failure == "DELETE" && s.status == "ROLLBACK_COMPLETE") OT_RETURN_IF_ERROR(engine_->Delete(ctx, s));
  OrderedJson out = OrderedJson::object();
  out["StackId"] = s.stack_id;
  return out;
}

Result<OrderedJson> CfnService::UpdateStack(const Ctx& ctx, const Params& p) {
  OT_ASSIGN_OR_RETURN(std::string name, Req(p, "StackName"));
  OT_ASSIGN_OR_RETURN(StackRecord s, RequireStack(ctx, name, false));
  if (!Updatable(s.status))
    return ValidationError("Stack:" + s.stack_id + " is in " + s.status +
                           " state and can not be updated.");
  std::string body;
  if (OptBoolParam(p, "UsePreviousTemplate")) {
    body = s.template_body;
  } else {
    OT_ASSIGN_OR_RETURN(body, TemplateBodyParam(p));
  }
  OT_ASSIGN_OR_RETURN(auto caps, Capabilities(p));
  OT_ASSIGN_OR_RETURN(PreparedTemplate t, engine_->Prepare(body, ParameterInputs(p), s.parameters, caps));
  Json tags = Opt(p, "Tags.member.1.Key") ? TagsParam(p) : s.tags;
  bool same = false;
  OT_ASSIGN_OR_RETURN(Json changes, engine_->Changes(ctx, s, t, &same));
  if (changes.empty() && same && tags == s.tags)
    return ValidationError("No updates are to be performed.");
  s.capabilities = caps;
  s.tags = tags;
  OT_RETURN_IF_ERROR(engine_->Update(ctx, s, t));
  OrderedJson out = OrderedJson::object();
  out["StackId"] = s.stack_id;
  return out;
}

Result<OrderedJson> CfnService::DeleteStack(const Ctx& ctx, const Params& p) {
  OT_ASSIGN_OR_RETURN(std::string name, Req(p, "StackName"));
  OT_ASSIGN_OR_RETURN(auto s, store_->FindStack(ctx.principal.account_id, Region(ctx), name));
  if (s && s->status != "DELETE_COMPLETE") {
    OT_RETURN_IF_ERROR(engine_->Delete(ctx, *s));
    if (s->status == "DELETE_COMPLETE") {
      OT_ASSIGN_OR_RETURN(auto sets, store_->ListChangeSets(s->stack_id));
      for (const auto& c : sets) OT_RETURN_IF_ERROR(store_->DeleteChangeSet(c.id));
    }
  }
  return OrderedJson::object();
}

Result<OrderedJson> CfnService::DescribeStacks(const Ctx& ctx, const Params& p) {
  OrderedJson list = OrderedJson::array();
  if (auto name = Opt(p, "StackName")) {
    OT_ASSIGN_OR_RETURN(StackRecord s, RequireStack(ctx, *name, true));
    list.push_back(StackJson(s));
  } else {
    OT_ASSIGN_OR_RETURN(auto all, store_->ListStacks(ctx.principal.account_id, Region(ctx)));
    for (const auto& s : all)
      if (s.status != "DELETE_COMPLETE") list.push_back(StackJson(s));
  }
  OrderedJson out = OrderedJson::object();
  out["Stacks"] = std::move(list);
  return out;
}

Result<OrderedJson> CfnService::DescribeStackEvents(const Ctx& ctx, const Params& p) {
  OT_ASSIGN_OR_RETURN(std::string name, Req(p, "StackName"));
  OT_ASSIGN_OR_RETURN(StackRecord s, RequireStack(ctx, name, true));
  OT_ASSIGN_OR_RETURN(auto events, store_->ListEvents(s.stack_id));
  OrderedJson list = OrderedJson::array();
  for (const auto& e : events) {
    OrderedJson j = OrderedJson::object();
    j["StackId"] = s.stack_id;
    j["EventId"] = e.event_id;
    j["StackName"] = s.name;
    j["LogicalResourceId"] = e.logical_id;
    j["PhysicalResourceId"] = e.physical_id;
    j["ResourceType"] = e.type;
    j["Timestamp"] = Time(e.timestamp_ms);
    j["ResourceStatus"] = e.status;
    if (!e.reason.empty()) j["ResourceStatusReason"] = e.reason;
    if (!e.properties.empty()) j["ResourceProperties"] = e.properties;
    list.push_back(std::move(j));
  }
  OrderedJson out = OrderedJson::object();
  out["StackEvents"] = std::move(list);
  return out;
}

namespace {
OrderedJson ResourceJson(const StackRecord& s, const ResourceRecord& r, bool detail) {
  OrderedJson j = OrderedJson::object();
  j["StackName"] = s.name;
  j["StackId"] = s.stack_id;
  j["LogicalResourceId"] = r.logical_id;
  j["PhysicalResourceId"] = r.physical_id;
  j["ResourceType"] = r.type;
  j[detail ? "LastUpdatedTimestamp" : "Timestamp"] = Time(r.updated_ms);
  j["ResourceStatus"] = r.status;
  if (!r.status_reason.empty()) j["ResourceStatusReason"] = r.status_reason;
  j["DriftInformation"] = {{"StackResourceDriftStatus", "NOT_CHECKED"}};
  return j;
}
}  // namespace

Result<OrderedJson> CfnService::DescribeStackResources(const Ctx& ctx, const Params& p) {
  auto name = Opt(p, "StackName");
  auto physical = Opt(p, "PhysicalResourceId");
  auto logical = Opt(p, "LogicalResourceId");
  std::vector<StackRecord> stacks;
  if (name) {
    OT_ASSIGN_OR_RETURN(StackRecord s, RequireStack(ctx, *name, true));
    stacks.push_back(s);
  } else if (physical) {
    OT_ASSIGN_OR_RETURN(auto all, store_->ListStacks(ctx.principal.account_id, Region(ctx)));
    stacks = all;
  } else {
    return ValidationError("Either StackName or PhysicalResourceId must be specified.");
  }
  OrderedJson list = OrderedJson::array();
  for (const auto& s : stacks) {
    OT_ASSIGN_OR_RETURN(auto resources, store_->ListResources(s.stack_id));
    for (const auto& r : resources) {
      if (logical && r.logical_id != *logical) continue;
      if (physical && r.physical_id != *physical) continue;
      list.push_back(ResourceJson(s, r, false));
    }
  }
  if (physical && !name && list.empty())
    return ValidationError("Stack for " + *physical + " does not exist");
  OrderedJson out = OrderedJson::object();
  out["StackResources"] = std::move(list);
  return out;
}

Result<OrderedJson> CfnService::DescribeStackResource(const Ctx& ctx, const Params& p) {
  OT_ASSIGN_OR_RETURN(std::string name, Req(p, "StackName"));
  OT_ASSIGN_OR_RETURN(std::string logical, Req(p, "LogicalResourceId"));
  OT_ASSIGN_OR_RETURN(StackRecord s, RequireStack(ctx, name, true));
  OT_ASSIGN_OR_RETURN(auto resources, store_->ListResources(s.stack_id));
  for (const auto& r : resources) {
    if (r.logical_id != logical) continue;
    OrderedJson out = OrderedJson::object();
    out["StackResourceDetail"] = ResourceJson(s, r, true);
    return out;
  }
  return ValidationError("Resource " + logical + " does not exist for stack " + name);
}

Result<OrderedJson> CfnService::ListStacks(const Ctx& ctx, const Params& p) {
  auto filter = MemberList(p, "StackStatusFilter");
  OT_ASSIGN_OR_RETURN(auto all, store_->ListStacks(ctx.principal.account_id, Region(ctx)));
  OrderedJson list = OrderedJson::array();
  for (const auto& s : all) {
    if (!filter.empty() && std::find(filter.begin(), filter.end(), s.status) == filter.end()) continue;
    OrderedJson j = OrderedJson::object();
    j["StackId"] = s.stack_id;
    j["StackName"] = s.name;
    if (!s.description.empty()) j["TemplateDescription"] = s.description;
    j["CreationTime"] = Time(s.created_ms);
    if (s.updated_ms) j["LastUpdatedTime"] = Time(s.updated_ms);
    if (s.deleted_ms) j["DeletionTime"] = Time(s.deleted_ms);
    j["StackStatus"] = s.status;
    if (!s.status_reason.empty()) j["StackStatusReason"] = s.status_reason;
    j["DriftInformation"] = {{"StackDriftStatus", "NOT_CHECKED"}};
    list.push_back(std::move(j));
  }
  OrderedJson out = OrderedJson::object();
  out["StackSummaries"] = std::move(list);
  return out;
}

Result<OrderedJson> CfnService::ListStackResources(const Ctx& ctx, const Params& p) {
  OT_ASSIGN_OR_RETURN(std::string name, Req(p, "StackName"));
  OT_ASSIGN_OR_RETURN(StackRecord s, RequireStack(ctx, name, true));
  OT_ASSIGN_OR_RETURN(auto resources, store_->ListResources(s.stack_id));
  OrderedJson list = OrderedJson::array();
  for (const auto& r : resources) {
    OrderedJson j = OrderedJson::object();
    j["LogicalResourceId"] = r.logical_id;
    j["PhysicalResourceId"] = r.physical_id;
    j["ResourceType"] = r.type;
    j["LastUpdatedTimestamp"] = Time(r.updated_ms);
    j["ResourceStatus"] = r.status;
    if (!r.status_reason.empty()) j["ResourceStatusReason"] = r.status_reason;
    j["DriftInformation"] = {{"StackResourceDriftStatus", "NOT_CHECKED"}};
    list.push_back(std::move(j));
  }
  OrderedJson out = OrderedJson::object();
  out["StackResourceSummaries"] = std::move(list);
  return out;
}

Result<OrderedJson> CfnService::GetTemplate(const Ctx& ctx, const Params& p) {
  std::string body;
  if (Opt(p, "ChangeSetName")) {
    OT_ASSIGN_OR_RETURN(ChangeSetRecord c, RequireChangeSet(ctx, p));
    body = c.template_body;
  } else {
    OT_ASSIGN_OR_RETURN(std::string name, Req(p, "StackName"));
    OT_ASSIGN_OR_RETURN(StackRecord s, RequireStack(ctx, name, true));
    body = s.template_body;
  }
  OrderedJson out = OrderedJson::object();
  out["TemplateBody"] = body;
  out["StagesAvailable"] = {"Original", "Processed"};
  return out;
}

Result<OrderedJson> CfnService::ValidateTemplate(const Ctx&, const Params& p) {
  OT_ASSIGN_OR_RETURN(std::string body, TemplateBodyParam(p));
  OT_ASSIGN_OR_RETURN(TemplateSummary s, engine_->Summarize(body));
  OrderedJson params = OrderedJson::array();
  for (const auto& d : s.model.parameters) {
    OrderedJson j = OrderedJson::object();
    j["ParameterKey"] = d.name;
    if (d.default_value) j["DefaultValue"] = *d.default_value;
    j["NoEcho"] = d.no_echo;
    if (!d.description.empty()) j["Description"] = d.description;
    params.push_back(std::move(j));
  }
  OrderedJson out = OrderedJson::object();
  out["Parameters"] = std::move(params);
  if (!s.model.description.empty()) out["Description"] = s.model.description;
  out["Capabilities"] = s.capabilities;
  if (!s.capabilities_reason.empty()) out["CapabilitiesReason"] = s.capabilities_reason;
  out["DeclaredTransforms"] = OrderedJson::array();
  return out;
}

// ------------------------------------------------------------- change sets

Result<ChangeSetRecord> CfnService::RequireChangeSet(const Ctx& ctx, const Params& p) {
  OT_ASSIGN_OR_RETURN(std::string name, Req(p, "ChangeSetName"));
  std::string stack_id;
  if (!StartsWith(name, "arn:")) {
    auto stack_name = Opt(p, "StackName");
    if (!stack_name)
      return ValidationError("StackName must be specified if ChangeSetName is not specified as an ARN.");
    auto s = RequireStack(ctx, *stack_name, true);
    if (!s.ok())
      return Status::Error("ChangeSetNotFound", "ChangeSet [" + name + "] does not exist", 404);
    stack_id = s->stack_id;
  }
  OT_ASSIGN_OR_RETURN(auto c, store_->FindChangeSet(ctx.principal.account_id, Region(ctx), name, stack_id));
  if (!c) return Status::Error("ChangeSetNotFound", "ChangeSet [" + name + "] does not exist", 404);
  return *c;
}

Result<OrderedJson> CfnService::CreateChangeSet(const Ctx& ctx, const Params& p) {
  OT_ASSIGN_OR_RETURN(std::string stack_name, Req(p, "StackName"));
  OT_ASSIGN_OR_RETURN(std::string cs_name, Req(p, "ChangeSetName"));
  OT_RETURN_IF_ERROR(CheckName(cs_name, "changeSetName"));
  std::string type = Opt(p, "ChangeSetType").value_or("UPDATE");
  if (type == "IMPORT")
    return ValidationError("ChangeSetType IMPORT is not supported by this orgtrail build");
  if (type != "CREATE" && type != "UPDATE")
    return ValidationError("1 validation error detected: Value '" + type +
                           "' at 'changeSetType' failed to satisfy constraint: Member must "
                           "satisfy enum value set: [UPDATE, IMPORT, CREATE]");
  OT_ASSIGN_OR_RETURN(auto caps, Capabilities(p));
  OT_ASSIGN_OR_RETURN(auto existing,
                      store_->FindStack(ctx.principal.account_id, Region(ctx), stack_name));
  if (existing && existing->status == "DELETE_COMPLETE") existing.reset();
  StackRecord s;
  if (type == "CREATE") {
    OT_RETURN_IF_ERROR(CheckName(stack_name, "stackName"));
    if (existing && existing->status != "REVIEW_IN_PROGRESS")
      return Status::Error("AlreadyExistsException", "Stack [" + stack_name +
                                                         "] already exists and cannot be created "
                                                         "again with the changeSet [" + cs_name + "].");
  } else {
    if (!existing) return ValidationError("Stack [" + stack_name + "] does not exist");
    if (existing->status == "REVIEW_IN_PROGRESS" || !Updatable(existing->status))
      return ValidationError("Stack:" + existing->stack_id + " is in " + existing->status +
                             " state and can not be updated.");
  }
  std::string body;
  if (OptBoolParam(p, "UsePreviousTemplate") && existing) {
    body = existing->template_body;
  } else {
    OT_ASSIGN_OR_RETURN(body, TemplateBodyParam(p));
  }
  std::map<std::string, std::string> previous;
  if (existing) previous = existing->parameters;
  OT_ASSIGN_OR_RETURN(PreparedTemplate t, engine_->Prepare(body, ParameterInputs(p), previous, caps));

  if (existing) {
    s = *existing;
    OT_ASSIGN_OR_RETURN(auto dup, store_->FindChangeSet(s.account_id, s.region, cs_name, s.stack_id));
    if (dup) return Status::Error("AlreadyExistsException", "ChangeSet [" + cs_name + "] already exists");
  } else {
    s.name = stack_name;
    s.account_id = ctx.principal.account_id;
    s.region = Region(ctx);
    s.stack_id = "arn:aws:cloudformation:" + s.region + ":" + s.account_id + ":stack/" + stack_name + "/" + NewUuid();
    s.capabilities = caps;
    s.tags = TagsParam(p);
    s.created_ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now().time_since_epoch()).count();
    s.status = "REVIEW_IN_PROGRESS";
    s.status_reason = "User Initiated";
    OT_RETURN_IF_ERROR(store_->PutStack(s));
    EventRecord e;
    e.event_id = NewUuid();
    e.stack_id = s.stack_id;
    e.stack_name = s.name;
    e.logical_id = s.name;
    e.physical_id = s.stack_id;
    e.type = "AWS::CloudFormation::Stack";
    e.status = "REVIEW_IN_PROGRESS";
    e.reason = "User Initiated";
    e.timestamp_ms = s.created_ms;
    OT_RETURN_IF_ERROR(store_->AddEvent(e));
  }
  bool same = false;
  OT_ASSIGN_OR_RETURN(Json changes, engine_->Changes(ctx, s, t, &same));

  ChangeSetRecord c;
  c.id = "arn:aws:cloudformation:" + s.region + ":" + s.account_id + ":changeSet/" + cs_name + "/" + NewUuid();
  c.name = cs_name;
  c.stack_id = s.stack_id;
  c.stack_name = s.name;
  c.account_id = s.account_id;
  c.region = s.region;
  c.type = type;
  c.description = Opt(p, "Description").value_or("");
  c.template_body = body;
  Json given = Json::array();
  for (const auto& in : ParameterInputs(p))
    given.push_back({{"ParameterKey", in.key}, {"ParameterValue", in.value}, {"UsePreviousValue", in.use_previous}});
  c.parameters = {{"given", given}, {"resolved", t.params}, {"no_echo", t.no_echo}};
  c.capabilities = caps;
  c.tags = Opt(p, "Tags.member.1.Key") ? TagsParam(p) : s.tags;
  c.changes = changes;
  c.created_ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now().time_since_epoch()).count();
  if (type == "UPDATE" && changes.empty() && same && c.tags == s.tags) {
    c.status = "FAILED";
    c.execution_status = "UNAVAILABLE";
    c.status_reason = "The submitted information didn't contain changes. Submit different "
                      "information to create a change set.";
  } else {
    c.status = "CREATE_COMPLETE";
    c.execution_status = "AVAILABLE";
  }
  OT_RETURN_IF_ERROR(store_->PutChangeSet(c));
  OrderedJson out = OrderedJson::object();
  out["Id"] = c.id;
  out["StackId"] = s.stack_id;
  return out;
}

Result<OrderedJson> CfnService::DescribeChangeSet(const Ctx& ctx, const Params& p) {
  OT_ASSIGN_OR_RETURN(ChangeSetRecord c, RequireChangeSet(ctx, p));
  OrderedJson j = OrderedJson::object();
  j["ChangeSetName"] = c.name;
  j["ChangeSetId"] = c.id;
  j["StackId"] = c.stack_id;
  j["StackName"] = c.stack_name;
  if (!c.description.empty()) j["Description"] = c.description;
  j["Parameters"] = ParametersJson(c.parameters.value("resolved", std::map<std::string, std::string>()),
                                   c.parameters.value("no_echo", std::vector<std::string>()));
  j["CreationTime"] = Time(c.created_ms);
  j["ExecutionStatus"] = c.execution_status;
  j["Status"] = c.status;
  if (!c.status_reason.empty()) j["StatusReason"] = c.status_reason;
  j["NotificationARNs"] = OrderedJson::array();
  j["Capabilities"] = c.capabilities;
  j["Tags"] = ToOrdered(c.tags);
  j["Changes"] = ToOrdered(c.changes);
  j["IncludeNestedStacks"] = false;
  return j;
}

Result<OrderedJson> CfnService::ExecuteChangeSet(const Ctx& ctx, const Params& p) {
  OT_ASSIGN_OR_RETURN(ChangeSetRecord c, RequireChangeSet(ctx, p));
  if (c.status != "CREATE_COMPLETE" || c.execution_status != "AVAILABLE")
    return Status::Error("InvalidChangeSetStatus",
                         "ChangeSet [" + c.id + "] cannot be executed in its current status of [" +
                             c.status + "] and execution status of [" + c.execution_status + "]");
  OT_ASSIGN_OR_RETURN(StackRecord s, RequireStack(ctx, c.stack_id, false));
  std::vector<ParameterInput> given;
  for (const auto& g : c.parameters.value("given", Json::array()))
    given.push_back({g.value("ParameterKey", ""), g.value("ParameterValue", ""), g.value("UsePreviousValue", false)});
  OT_ASSIGN_OR_RETURN(PreparedTemplate t, engine_->Prepare(c.template_body, given, s.parameters, c.capabilities));
  s.change_set_id = c.id;
  s.capabilities = c.capabilities;
  s.tags = c.tags;
  if (c.type == "CREATE") {
    s.disable_rollback = OptBoolParam(p, "DisableRollback");
    OT_RETURN_IF_ERROR(engine_->Create(ctx, s, t));
  } else {
    if (!Updatable(s.status))
      return ValidationError("Stack:" + s.stack_id + " is in " + s.status + " state and can not be updated.");
    OT_RETURN_IF_ERROR(engine_->Update(ctx, s, t));
  }
  OT_ASSIGN_OR_RETURN(auto sets, store_->ListChangeSets(s.stack_id));
  for (const auto& other : sets)
    if (other.id != c.id) OT_RETURN_IF_ERROR(store_->DeleteChangeSet(other.id));
  bool ok = s.status == "CREATE_COMPLETE" || s.status == "UPDATE_COMPLETE";
  c.execution_status = ok ? "EXECUTE_COMPLETE" : "EXECUTE_FAILED";
  OT_RETURN_IF_ERROR(store_->PutChangeSet(c));
  return OrderedJson::object();
}

Result<OrderedJson> CfnService::DeleteChangeSet(const Ctx& ctx, const Params& p) {
  OT_ASSIGN_OR_RETURN(ChangeSetRecord c, RequireChangeSet(ctx, p));
  OT_RETURN_IF_ERROR(store_->DeleteChangeSet(c.id));
  return OrderedJson::object();
}

Result<OrderedJson> CfnService::ListChangeSets(const Ctx& ctx, const Params& p) {
  OT_ASSIGN_OR_RETURN(std::string name, Req(p, "StackName"));
  OT_ASSIGN_OR_RETURN(StackRecord s, RequireStack(ctx, name, true));
  OT_ASSIGN_OR_RETURN(auto sets, store_->ListChangeSets(s.stack_id));
  OrderedJson list = OrderedJson::array();
  for (const auto& c : sets) {
    OrderedJson j = OrderedJson::object();
    j["StackId"] = c.stack_id;
    j["StackName"] = c.stack_name;
    j["ChangeSetId"] = c.id;
    j["ChangeSetName"] = c.name;
    j["ExecutionStatus"] = c.execution_status;
    j["Status"] = c.status;
    if (!c.status_reason.empty()) j["StatusReason"] = c.status_reason;
    j["CreationTime"] = Time(c.created_ms);
    if (!c.description.empty()) j["Description"] = c.description;
    j["IncludeNestedStacks"] = false;
    list.push_back(std::move(j));
  }
  OrderedJson out = OrderedJson::object();
  out["Summaries"] = std::move(list);
  return out;
}

}  // namespace orgtrail::cfn
