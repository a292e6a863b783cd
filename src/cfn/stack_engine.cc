#include "cfn/stack_engine.h"

#include <algorithm>
#include <set>

#include "base/ids.h"
#include "cfn/resources.h"
#include "cfn/template.h"

namespace orgtrail::cfn {
namespace {

// An output value as DescribeStacks shows it (lists comma-joined).
std::string OutputText(const Json& v) {
  if (!v.is_array()) return ScalarToString(v);
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : ",") + ScalarToString(x);
  return out;
}

std::string JoinIds(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& i : ids) out += (out.empty() ? "" : ", ") + i;
  return out;
}

// The failure text events carry: the service's error code and message.
std::string Reason(const Status& s) {
  if (s.code() == "ValidationError") return s.message();
  return "Resource handler returned message: \"" + s.message() + "\" (Service error code: " +
         s.code() + ", Status Code: " + std::to_string(s.http_status()) + ")";
}

// `resources` ordered by `order` (unknown ones last, by name).
std::vector<ResourceRecord> InOrder(std::vector<ResourceRecord> resources,
                                    const std::vector<std::string>& order) {
  auto rank = [&](const std::string& id) {
    auto it = std::find(order.begin(), order.end(), id);
    return it == order.end() ? order.size() : static_cast<size_t>(it - order.begin());
  };
  std::stable_sort(resources.begin(), resources.end(),
                   [&](const ResourceRecord& a, const ResourceRecord& b) {
                     return rank(a.logical_id) < rank(b.logical_id);
                   });
  return resources;
}

// The creation order and deletion policies recorded in a stack's template.
void TemplateOrder(const std::string& body, std::vector<std::string>* order,
                   std::map<std::string, std::string>* policies) {
  auto t = ParseTemplate(body);
  if (!t.ok()) return;
  auto m = AnalyzeTemplate(*t);
  if (!m.ok()) return;
  *order = m->order;
  for (const auto& [id, d] : m->resources) (*policies)[id] = d.deletion_policy;
}

}  // namespace

StackEngine::StackEngine(StackStore& store, ServiceInvoker& invoker, const Clock& clock)
    : store_(store), invoker_(invoker), clock_(clock) {}

int64_t StackEngine::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now().time_since_epoch())
      .count();
}

PseudoParams StackEngine::Pseudo(const StackRecord& stack) const {
  PseudoParams p;
  p.account_id = stack.account_id;
  p.region = stack.region;
  p.stack_name = stack.name;
  p.stack_id = stack.stack_id;
  return p;
}

Evaluator::ImportLookup StackEngine::Imports(const StackRecord& stack) {
  std::string account = stack.account_id, region = stack.region;
  return [this, account, region](const std::string& name) -> std::optional<std::string> {
    auto r = store_.FindExport(account, region, name);
    return r.ok() ? *r : std::nullopt;
  };
}

Status StackEngine::Event(const StackRecord& stack, const std::string& logical,
                          const std::string& physical, const std::string& type,
                          const std::string& status, const std::string& reason, const Json& props) {
  EventRecord e;
  e.event_id = logical + "-" + status + "-" + NewUuid();
  e.stack_id = stack.stack_id;
  e.stack_name = stack.name;
  e.logical_id = logical;
  e.physical_id = physical;
  e.type = type;
  e.status = status;
  e.reason = reason;
  if (!props.is_null()) e.properties = props.dump();
  e.timestamp_ms = NowMs();
  return store_.AddEvent(e);
}

Status StackEngine::StackEvent(StackRecord& stack, const std::string& status,
                               const std::string& reason) {
  stack.status = status;
  stack.status_reason = reason;
  OT_RETURN_IF_ERROR(store_.PutStack(stack));
  EventRecord e;
  e.event_id = NewUuid();
  e.stack_id = stack.stack_id;
  e.stack_name = stack.name;
  e.logical_id = stack.name;
  e.physical_id = stack.stack_id;
  e.type = "AWS::CloudFormation::Stack";
  e.status = status;
  e.reason = reason;
  e.timestamp_ms = NowMs();
  return store_.AddEvent(e);
}

Result<TemplateSummary> StackEngine::Summarize(const std::string& body) {
  OT_ASSIGN_OR_RETURN(Json tmpl, ParseTemplate(body));
  OT_ASSIGN_OR_RETURN(TemplateModel model, AnalyzeTemplate(tmpl));
  std::set<std::string> unknown;
  for (const auto& [id, d] : model.resources)
    if (!FindProvider(d.type)) unknown.insert(d.type);
  if (!unknown.empty()) {
    std::string list;
    for (const auto& u : unknown) list += (list.empty() ? "" : ", ") + u;
    return ValidationError("Template format error: Unrecognized resource types: [" + list + "]");
  }
  TemplateSummary s;
  std::set<std::string> iam_types;
  bool named = false, iam = false;
  for (const auto& [id, d] : model.resources) {
    OT_RETURN_IF_ERROR(ValidateResourceProperties(id, d.type, d.properties));
    std::string cap = FindProvider(d.type)->RequiredCapability(d.properties);
    if (cap.empty()) continue;
    iam = true;
    named = named || cap == "CAPABILITY_NAMED_IAM";
    iam_types.insert(d.type);
  }
  if (iam) {
    s.capabilities.push_back(named ? "CAPABILITY_NAMED_IAM" : "CAPABILITY_IAM");
    std::string list;
    for (const auto& t : iam_types) list += (list.empty() ? "" : ", ") + t;
    s.capabilities_reason = "The following resource(s) require capabilities: [" + list + "]";
  }
  s.model = std::move(model);
  return s;
}

Result<PreparedTemplate> StackEngine::Prepare(const std::string& body,
                                              const std::vector<ParameterInput>& given,
                                              const std::map<std::string, std::string>& previous,
                                              const std::vector<std::string>& capabilities) {
  OT_ASSIGN_OR_RETURN(TemplateSummary s, Summarize(body));
  PreparedTemplate t;
  t.body = body;
  OT_ASSIGN_OR_RETURN(t.params, ResolveParameters(s.model, given, previous));
  for (const auto& p : s.model.parameters)
    if (p.no_echo) t.no_echo.push_back(p.name);
  auto has = [&](const char* c) {
    return std::find(capabilities.begin(), capabilities.end(), c) != capabilities.end();
  };
  for (const auto& c : s.capabilities) {
    bool ok = c == "CAPABILITY_IAM" ? (has("CAPABILITY_IAM") || has("CAPABILITY_NAMED_IAM"))
                                    : has("CAPABILITY_NAMED_IAM");
    if (!ok)
      return Status::Error("InsufficientCapabilitiesException",
                           "Requires capabilities : [" + c + "]");
  }
  t.model = std::move(s.model);
  return t;
}

Status StackEngine::FinishOutputs(StackRecord& stack, Evaluator& ev, const TemplateModel& model) {
  Json outs = Json::array();
  std::vector<std::pair<std::string, std::string>> exports;
  for (const auto& o : model.outputs) {
    if (!ev.ConditionHolds(o.condition)) continue;
    OT_ASSIGN_OR_RETURN(Json v, ev.Resolve(o.value));
    std::string value = OutputText(v);
    Json entry = {{"OutputKey", o.name}, {"OutputValue", value}};
    if (!o.description.empty()) entry["Description"] = o.description;
    if (o.export_name) {
      OT_ASSIGN_OR_RETURN(Json name, ev.Resolve(*o.export_name));
      std::string n = ScalarToString(name);
      entry["ExportName"] = n;
      exports.emplace_back(n, value);
    }
    outs.push_back(std::move(entry));
  }
  OT_RETURN_IF_ERROR(store_.DeleteExports(stack.stack_id));
  for (const auto& [name, value] : exports)
    OT_RETURN_IF_ERROR(store_.PutExport(stack.account_id, stack.region, name, value, stack.stack_id));
  stack.outputs = std::move(outs);
  return Status::Ok();
}

std::vector<std::string> StackEngine::DeleteAll(const auth::RequestContext& ctx,
                                                const StackRecord& stack,
                                                const std::vector<ResourceRecord>& resources,
                                                const std::map<std::string, std::string>& policies,
                                                std::map<std::string, std::string>* errors) {
  std::vector<std::string> failed;
  for (auto it = resources.rbegin(); it != resources.rend(); ++it) {
    const ResourceRecord& r = *it;
    auto pol = policies.find(r.logical_id);
    std::string policy = pol == policies.end() ? "Delete" : pol->second;
    if (policy == "Retain" || policy == "Snapshot") {
      (void)Event(stack, r.logical_id, r.physical_id, r.type, "DELETE_SKIPPED", "");
      (void)store_.DeleteResource(stack.stack_id, r.logical_id);
      continue;
    }
    (void)Event(stack, r.logical_id, r.physical_id, r.type, "DELETE_IN_PROGRESS", "");
    ResourceProvider* p = FindProvider(r.type);
    ProviderContext pc{invoker_, ctx, stack.name, r.logical_id};
    ResourceState st{r.physical_id, r.attributes};
    Status s = p ? p->Delete(pc, st, r.properties) : Status::Ok();
    if (!s.ok()) {
      (void)Event(stack, r.logical_id, r.physical_id, r.type, "DELETE_FAILED", Reason(s));
      ResourceRecord keep = r;
      keep.status = "DELETE_FAILED";
      keep.status_reason = Reason(s);
      (void)store_.PutResource(keep);
      failed.push_back(r.logical_id);
      if (errors) (*errors)[r.logical_id] = Reason(s);
      continue;
    }
    (void)Event(stack, r.logical_id, r.physical_id, r.type, "DELETE_COMPLETE", "");
    (void)store_.DeleteResource(stack.stack_id, r.logical_id);
  }
  return failed;
}

Status StackEngine::Create(const auth::RequestContext& ctx, StackRecord& stack,
                           const PreparedTemplate& t) {
  stack.template_body = t.body;
  stack.parameters = t.params;
  stack.no_echo = t.no_echo;
  stack.description = t.model.description;
  OT_RETURN_IF_ERROR(StackEvent(stack, "CREATE_IN_PROGRESS", "User Initiated"));
  Evaluator ev(t.model, t.params, Pseudo(stack), Imports(stack));
  std::vector<ResourceRecord> created;
  std::string failed_id, failure;
  Status cond = ev.EvaluateConditions();
  if (!cond.ok()) failure = cond.message();
  for (const auto& id : t.model.order) {
    if (!failure.empty()) break;
    const ResourceDecl& d = t.model.resources.at(id);
    if (!ev.ConditionHolds(d.condition)) continue;
    auto props = ev.Resolve(d.properties);
    if (!props.ok()) {
      failed_id = id;
      failure = props.status().message();
      OT_RETURN_IF_ERROR(Event(stack, id, "", d.type, "CREATE_FAILED", failure));
      break;
    }
    OT_RETURN_IF_ERROR(Event(stack, id, "", d.type, "CREATE_IN_PROGRESS", "", *props));
    ProviderContext pc{invoker_, ctx, stack.name, id};
    auto st = FindProvider(d.type)->Create(pc, *props);
    if (!st.ok()) {
      failed_id = id;
      failure = Reason(st.status());
      OT_RETURN_IF_ERROR(Event(stack, id, "", d.type, "CREATE_FAILED", failure, *props));
      break;
    }
    ResourceRecord r;
    r.stack_id = stack.stack_id;
    r.logical_id = id;
    r.physical_id = st->physical_id;
    r.type = d.type;
    r.status = "CREATE_COMPLETE";
    r.properties = *props;
    r.attributes = st->attributes;
    r.updated_ms = NowMs();
    OT_RETURN_IF_ERROR(Event(stack, id, r.physical_id, d.type, "CREATE_IN_PROGRESS",
                             "Resource creation Initiated", *props));
    OT_RETURN_IF_ERROR(store_.PutResource(r));
    OT_RETURN_IF_ERROR(Event(stack, id, r.physical_id, d.type, "CREATE_COMPLETE", "", *props));
    ev.SetResource(id, {r.physical_id, r.attributes});
    created.push_back(std::move(r));
  }
  if (failure.empty()) {
    Status s = FinishOutputs(stack, ev, t.model);
    if (!s.ok()) failure = s.message();
  }
  if (failure.empty()) return StackEvent(stack, "CREATE_COMPLETE", "");

  std::string reason =
      failed_id.empty() ? failure
                        : "The following resource(s) failed to create: [" + failed_id + "]. ";
  if (stack.disable_rollback) return StackEvent(stack, "CREATE_FAILED", reason);
  OT_RETURN_IF_ERROR(StackEvent(stack, "ROLLBACK_IN_PROGRESS", reason + "Rollback requested by user."));
  std::map<std::string, std::string> policies;
  for (const auto& [id, d] : t.model.resources)
    policies[id] = d.deletion_policy == "RetainExceptOnCreate" ? "Delete" : d.deletion_policy;
  auto failed = DeleteAll(ctx, stack, created, policies, nullptr);
  OT_RETURN_IF_ERROR(store_.DeleteExports(stack.stack_id));
  stack.outputs = Json::array();
  if (!failed.empty())
    return StackEvent(stack, "ROLLBACK_FAILED",
                      "The following resource(s) failed to delete: [" + JoinIds(failed) + "]. ");
  return StackEvent(stack, "ROLLBACK_COMPLETE", "");
}

Status StackEngine::Update(const auth::RequestContext& ctx, StackRecord& stack,
                           const PreparedTemplate& t) {
  const StackRecord before = stack;
  OT_RETURN_IF_ERROR(StackEvent(stack, "UPDATE_IN_PROGRESS", "User Initiated"));
  OT_ASSIGN_OR_RETURN(auto old_list, store_.ListResources(stack.stack_id));
  std::map<std::string, ResourceRecord> old;
  for (auto& r : old_list) old[r.logical_id] = r;

  struct Touched {
    enum Kind { kCreated, kUpdated, kReplaced } kind;
    ResourceRecord now;
    ResourceRecord was;  // kUpdated / kReplaced
  };
  std::vector<Touched> touched;
  Evaluator ev(t.model, t.params, Pseudo(stack), Imports(stack));
  std::string failed_id, failure;
  Status cond = ev.EvaluateConditions();
  if (!cond.ok()) failure = cond.message();
  std::set<std::string> kept;
  for (const auto& id : t.model.order) {
    if (!failure.empty()) break;
    const ResourceDecl& d = t.model.resources.at(id);
    if (!ev.ConditionHolds(d.condition)) continue;
    auto props = ev.Resolve(d.properties);
    if (!props.ok()) {
      failed_id = id;
      failure = props.status().message();
      (void)Event(stack, id, "", d.type, "UPDATE_FAILED", failure);
      break;
    }
    ResourceProvider* p = FindProvider(d.type);
    ProviderContext pc{invoker_, ctx, stack.name, id};
    auto it = old.find(id);
    bool exists = it != old.end() && it->second.type == d.type;
    if (exists && it->second.properties == *props) {
      kept.insert(id);
      ev.SetResource(id, {it->second.physical_id, it->second.attributes});
      continue;
    }
    bool replace = exists && p->NeedsReplacement(it->second.properties, *props);
    Result<ResourceState> st = Status::Internal("unset");
    if (exists && !replace) {
      OT_RETURN_IF_ERROR(Event(stack, id, it->second.physical_id, d.type, "UPDATE_IN_PROGRESS", "", *props));
      st = p->Update(pc, {it->second.physical_id, it->second.attributes}, it->second.properties, *props);
    } else {
      if (replace)
        OT_RETURN_IF_ERROR(Event(stack, id, it->second.physical_id, d.type, "UPDATE_IN_PROGRESS",
                                 "Requested update requires the creation of a new physical "
                                 "resource; hence creating one.", *props));
      else
        OT_RETURN_IF_ERROR(Event(stack, id, "", d.type, "CREATE_IN_PROGRESS", "", *props));
      st = p->Create(pc, *props);
    }
    if (!st.ok()) {
      failed_id = id;
      failure = Reason(st.status());
      (void)Event(stack, id, exists ? it->second.physical_id : "", d.type,
                  exists ? "UPDATE_FAILED" : "CREATE_FAILED", failure, *props);
      break;
    }
    ResourceRecord r;
    r.stack_id = stack.stack_id;
    r.logical_id = id;
    r.physical_id = st->physical_id;
    r.type = d.type;
    r.status = exists ? "UPDATE_COMPLETE" : "CREATE_COMPLETE";
    r.properties = *props;
    r.attributes = st->attributes;
    r.updated_ms = NowMs();
    OT_RETURN_IF_ERROR(store_.PutResource(r));
    OT_RETURN_IF_ERROR(Event(stack, id, r.physical_id, d.type, r.status, "", *props));
    ev.SetResource(id, {r.physical_id, r.attributes});
    kept.insert(id);
    touched.push_back({exists ? (replace ? Touched::kReplaced : Touched::kUpdated) : Touched::kCreated,
                       r, exists ? it->second : ResourceRecord{}});
  }
  if (failure.empty()) {
    Status s = FinishOutputs(stack, ev, t.model);
    if (!s.ok()) failure = s.message();
  }

  if (!failure.empty()) {
    std::string reason = failed_id.empty()
                             ? failure
                             : "The following resource(s) failed to update: [" + failed_id + "]. ";
    OT_RETURN_IF_ERROR(StackEvent(stack, "UPDATE_ROLLBACK_IN_PROGRESS", reason));
    std::vector<std::string> failed;
    for (auto it = touched.rbegin(); it != touched.rend(); ++it) {
      ResourceProvider* p = FindProvider(it->now.type);
      ProviderContext pc{invoker_, ctx, stack.name, it->now.logical_id};
      ResourceState now{it->now.physical_id, it->now.attributes};
      if (it->kind == Touched::kUpdated) {
        (void)Event(stack, it->now.logical_id, it->now.physical_id, it->now.type, "UPDATE_IN_PROGRESS", "");
        auto r = p->Update(pc, now, it->now.properties, it->was.properties);
        if (!r.ok()) {
          failed.push_back(it->now.logical_id);
          (void)Event(stack, it->now.logical_id, it->now.physical_id, it->now.type, "UPDATE_FAILED", Reason(r.status()));
          continue;
        }
        (void)Event(stack, it->now.logical_id, it->now.physical_id, it->now.type, "UPDATE_COMPLETE", "");
        (void)store_.PutResource(it->was);
      } else {
        std::map<std::string, std::string> pol = {{it->now.logical_id, "Delete"}};
        auto f = DeleteAll(ctx, stack, {it->now}, pol, nullptr);
        failed.insert(failed.end(), f.begin(), f.end());
        if (it->kind == Touched::kReplaced) (void)store_.PutResource(it->was);
      }
    }
    StackRecord restored = before;
    restored.status = stack.status;
    stack = restored;
    OT_RETURN_IF_ERROR(store_.DeleteExports(stack.stack_id));
    for (const auto& o : stack.outputs)
      if (o.contains("ExportName"))
        (void)store_.PutExport(stack.account_id, stack.region, o["ExportName"], o["OutputValue"], stack.stack_id);
    if (!failed.empty())
      return StackEvent(stack, "UPDATE_ROLLBACK_FAILED",
                        "The following resource(s) failed to roll back: [" + JoinIds(failed) + "]. ");
    OT_RETURN_IF_ERROR(StackEvent(stack, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", ""));
    return StackEvent(stack, "UPDATE_ROLLBACK_COMPLETE", "");
  }

  stack.template_body = t.body;
  stack.parameters = t.params;
  stack.no_echo = t.no_echo;
  stack.description = t.model.description;
  stack.updated_ms = NowMs();
  OT_RETURN_IF_ERROR(StackEvent(stack, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", ""));
  // Old physical resources of replacements, then resources no longer declared.
  std::vector<std::string> old_order;
  std::map<std::string, std::string> old_policies;
  TemplateOrder(before.template_body, &old_order, &old_policies);
  for (auto tr_it = touched.rbegin(); tr_it != touched.rend(); ++tr_it) {
    const Touched& tr = *tr_it;
    if (tr.kind != Touched::kReplaced) continue;
    const ResourceDecl& d = t.model.resources.at(tr.now.logical_id);
    ResourceRecord was = tr.was;
    if (d.update_replace_policy == "Retain") {
      (void)Event(stack, was.logical_id, was.physical_id, was.type, "DELETE_SKIPPED", "");
      continue;
    }
    (void)Event(stack, was.logical_id, was.physical_id, was.type, "DELETE_IN_PROGRESS", "");
    ProviderContext pc{invoker_, ctx, stack.name, was.logical_id};
    Status s = FindProvider(was.type)->Delete(pc, {was.physical_id, was.attributes}, was.properties);
    (void)Event(stack, was.logical_id, was.physical_id, was.type,
                s.ok() ? "DELETE_COMPLETE" : "DELETE_FAILED", s.ok() ? "" : Reason(s));
  }
  std::vector<ResourceRecord> removed;
  for (const auto& [id, r] : old)
    if (!kept.count(id)) removed.push_back(r);
  (void)DeleteAll(ctx, stack, InOrder(removed, old_order), old_policies, nullptr);
  return StackEvent(stack, "UPDATE_COMPLETE", "");
}

Status StackEngine::Delete(const auth::RequestContext& ctx, StackRecord& stack) {
  OT_RETURN_IF_ERROR(StackEvent(stack, "DELETE_IN_PROGRESS", "User Initiated"));
  std::vector<std::string> order;
  std::map<std::string, std::string> policies;
  TemplateOrder(stack.template_body, &order, &policies);
  OT_ASSIGN_OR_RETURN(auto resources, store_.ListResources(stack.stack_id));
  auto failed = DeleteAll(ctx, stack, InOrder(resources, order), policies, nullptr);
  if (!failed.empty())
    return StackEvent(stack, "DELETE_FAILED",
                      "The following resource(s) failed to delete: [" + JoinIds(failed) + "]. ");
  OT_RETURN_IF_ERROR(store_.DeleteExports(stack.stack_id));
  stack.deleted_ms = NowMs();
  return StackEvent(stack, "DELETE_COMPLETE", "");
}

Result<Json> StackEngine::Changes(const auth::RequestContext&, const StackRecord& stack,
                                  const PreparedTemplate& t, bool* nothing_else_changes) {
  OT_ASSIGN_OR_RETURN(auto old_list, store_.ListResources(stack.stack_id));
  std::map<std::string, ResourceRecord> old;
  for (auto& r : old_list) old[r.logical_id] = r;
  Evaluator ev(t.model, t.params, Pseudo(stack), Imports(stack));
  ev.SetAllowUnresolved(true);
  OT_RETURN_IF_ERROR(ev.EvaluateConditions());
  Json changes = Json::array();
  std::set<std::string> present;
  for (const auto& id : t.model.order) {
    const ResourceDecl& d = t.model.resources.at(id);
    if (!ev.ConditionHolds(d.condition)) continue;
    OT_ASSIGN_OR_RETURN(Json props, ev.Resolve(d.properties));
    present.insert(id);
    auto it = old.find(id);
    Json rc = {{"LogicalResourceId", id}, {"ResourceType", d.type}};
    if (it == old.end() || it->second.type != d.type) {
      rc["Action"] = "Add";
      rc["Scope"] = Json::array();
      rc["Details"] = Json::array();
      changes.push_back({{"Type", "Resource"}, {"ResourceChange", rc}});
      continue;
    }
    const ResourceRecord& was = it->second;
    if (was.properties == props) {
      ev.SetResource(id, {was.physical_id, was.attributes});
      continue;
    }
    ResourceProvider* p = FindProvider(d.type);
    bool replace = p->NeedsReplacement(was.properties, props);
    std::set<std::string> keys;
    for (const auto& [k, v] : was.properties.items()) keys.insert(k);
    for (const auto& [k, v] : props.items()) keys.insert(k);
    Json details = Json::array();
    for (const auto& k : keys) {
      bool a = was.properties.contains(k), b = props.contains(k);
      if (a && b && was.properties[k] == props[k]) continue;
      bool recreate = p->ReplacementProperties().count(k) > 0;
      details.push_back({{"Target", {{"Attribute", "Properties"}, {"Name", k},
                                     {"RequiresRecreation", recreate ? "Always" : "Never"}}},
                         {"Evaluation", "Static"},
                         {"ChangeSource", "DirectModification"}});
    }
    rc["Action"] = "Modify";
    rc["PhysicalResourceId"] = was.physical_id;
    rc["Replacement"] = replace ? "True" : "False";
    rc["Scope"] = Json::array({"Properties"});
    rc["Details"] = details;
    changes.push_back({{"Type", "Resource"}, {"ResourceChange", rc}});
    if (!replace) ev.SetResource(id, {was.physical_id, was.attributes});
  }
  for (const auto& [id, r] : old) {
    if (present.count(id)) continue;
    changes.push_back({{"Type", "Resource"},
                       {"ResourceChange", {{"Action", "Remove"}, {"LogicalResourceId", id},
                                           {"PhysicalResourceId", r.physical_id},
                                           {"ResourceType", r.type}, {"Scope", Json::array()},
                                           {"Details", Json::array()}}}});
  }
  if (nothing_else_changes) {
    bool same = t.params == stack.parameters && t.model.description == stack.description;
    if (same) {
      Json outs = Json::array();
      for (const auto& o : t.model.outputs) {
        if (!ev.ConditionHolds(o.condition)) continue;
        auto v = ev.Resolve(o.value);
        Json entry = {{"OutputKey", o.name}, {"OutputValue", v.ok() ? OutputText(*v) : ""}};
        outs.push_back(entry);
      }
      Json old_outs = Json::array();
      for (const auto& o : stack.outputs)
        old_outs.push_back({{"OutputKey", o.value("OutputKey", "")}, {"OutputValue", o.value("OutputValue", "")}});
      same = outs == old_outs;
    }
    *nothing_else_changes = same;
  }
  return changes;
}

}  // namespace orgtrail::cfn
