// StackEngine: runs stack operations — create (with rollback), update (only
// what changed, replacement where the type requires it, rollback on
// failure), delete (keeping Retain resources) and change-set previews —
// against a StackStore, provisioning through ResourceProviders and a
// ServiceInvoker as the caller. Operations run synchronously to a terminal
// state. Called by CfnService under its mutex; not thread-safe by itself.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "auth/principal.h"
#include "base/time.h"
#include "cfn/evaluator.h"
#include "cfn/service_invoker.h"
#include "cfn/stack_store.h"

namespace orgtrail::cfn {

// A template checked and ready to run with its resolved parameters.
struct PreparedTemplate {
  std::string body;
  TemplateModel model;
  std::map<std::string, std::string> params;
  std::vector<std::string> no_echo;
};

// What ValidateTemplate reports.
struct TemplateSummary {
  TemplateModel model;
  std::vector<std::string> capabilities;  // required
  std::string capabilities_reason;
};

class StackEngine {
 public:
  StackEngine(StackStore& store, ServiceInvoker& invoker, const Clock& clock);

  // Parses and checks a template (types, properties, dependencies) and
  // reports the capabilities it needs.
  Result<TemplateSummary> Summarize(const std::string& body);
  // Summarize + parameter resolution + the capabilities check
  // (InsufficientCapabilitiesException "Requires capabilities : [...]").
  Result<PreparedTemplate> Prepare(const std::string& body, const std::vector<ParameterInput>& given,
                                   const std::map<std::string, std::string>& previous,
                                   const std::vector<std::string>& capabilities);

  // Each runs to a terminal state, recording events and the stack's status
  // in the store; a failed operation is reported through the stack status,
  // not the Status (which is for store failures).
  Status Create(const auth::RequestContext& ctx, StackRecord& stack, const PreparedTemplate& t);
  Status Update(const auth::RequestContext& ctx, StackRecord& stack, const PreparedTemplate& t);
  Status Delete(const auth::RequestContext& ctx, StackRecord& stack);

  // The resource changes applying `t` to `stack` would make, as
  // DescribeChangeSet's Changes list. `same_inputs` reports whether outputs
  // and parameters would also stay as they are.
  Result<Json> Changes(const auth::RequestContext& ctx, const StackRecord& stack,
                       const PreparedTemplate& t, bool* nothing_else_changes);

 private:
  Status Event(const StackRecord& stack, const std::string& logical, const std::string& physical,
               const std::string& type, const std::string& status, const std::string& reason,
               const Json& props = Json());
  Status StackEvent(StackRecord& stack, const std::string& status, const std::string& reason);
  PseudoParams Pseudo(const StackRecord& stack) const;
  Evaluator::ImportLookup Imports(const StackRecord& stack);
  // Evaluates outputs and registers exports into `stack`.
  Status FinishOutputs(StackRecord& stack, Evaluator& ev, const TemplateModel& model);
  // Deletes resources (reverse of `order`), honouring DeletionPolicy;
  // returns the logical ids that failed.
  std::vector<std::string> DeleteAll(const auth::RequestContext& ctx, const StackRecord& stack,
                                     const std::vector<ResourceRecord>& resources,
                                     const std::map<std::string, std::string>& policies,
                                     std::map<std::string, std::string>* errors);
  int64_t NowMs() const;

  StackStore& store_;
  ServiceInvoker& invoker_;
  const Clock& clock_;
};

}  // namespace orgtrail::cfn
