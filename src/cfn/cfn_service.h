// CfnService: the CloudFormation Query API (namespace
// http://cloudformation.amazonaws.com/doc/2010-05-15/): stacks, their
// events and resources, templates, change sets. Stacks belong to the
// caller's (account, region); resources are provisioned as the caller
// through the ServiceInvoker. Operations run synchronously to a terminal
// state, so the CLI's waiters see CREATE_COMPLETE / ROLLBACK_COMPLETE / ...
// at their first poll. Client faults are ValidationError (400) unless the
// model names another error (AlreadyExistsException,
// InsufficientCapabilitiesException, ChangeSetNotFound,
// InvalidChangeSetStatus). Ops() hands the operation table to api/.
//
// Thread-safe: every operation runs under one mutex (stack operations are
// rare and must not interleave on the same stack).
#pragma once

#include <memory>
#include <mutex>

#include "auth/service_ops.h"
#include "base/time.h"
#include "catalog/db.h"
#include "cfn/service_invoker.h"
#include "cfn/stack_engine.h"
#include "cfn/stack_store.h"

namespace orgtrail::cfn {

inline constexpr char kCfnXmlNamespace[] = "http://cloudformation.amazonaws.com/doc/2010-05-15/";

class CfnService {
 public:
  // Creates the catalog tables (aborts if the catalog cannot). `db`,
  // `invoker` and `clock` must outlive the service.
  CfnService(catalog::Db& db, ServiceInvoker& invoker, const Clock& clock);
  CfnService(const CfnService&) = delete;
  CfnService& operator=(const CfnService&) = delete;

  auth::QueryOps Ops();

  using Ctx = auth::RequestContext;
  using Params = auth::QueryParams;
  Result<OrderedJson> CreateStack(const Ctx&, const Params&);
  Result<OrderedJson> UpdateStack(const Ctx&, const Params&);
  Result<OrderedJson> DeleteStack(const Ctx&, const Params&);
  Result<OrderedJson> DescribeStacks(const Ctx&, const Params&);
  Result<OrderedJson> DescribeStackEvents(const Ctx&, const Params&);
  Result<OrderedJson> DescribeStackResources(const Ctx&, const Params&);
  Result<OrderedJson> DescribeStackResource(const Ctx&, const Params&);
  Result<OrderedJson> ListStacks(const Ctx&, const Params&);
  Result<OrderedJson> ListStackResources(const Ctx&, const Params&);
  Result<OrderedJson> GetTemplate(const Ctx&, const Params&);
  Result<OrderedJson> ValidateTemplate(const Ctx&, const Params&);
  Result<OrderedJson> CreateChangeSet(const Ctx&, const Params&);
  Result<OrderedJson> DescribeChangeSet(const Ctx&, const Params&);
  Result<OrderedJson> ExecuteChangeSet(const Ctx&, const Params&);
  Result<OrderedJson> DeleteChangeSet(const Ctx&, const Params&);
  Result<OrderedJson> ListChangeSets(const Ctx&, const Params&);

 private:
  // The live stack `name_or_id` names, or ValidationError "Stack with id X does not exist".
  Result<StackRecord> RequireStack(const Ctx& ctx, const std::string& name_or_id,
                                   bool include_deleted);
  Result<ChangeSetRecord> RequireChangeSet(const Ctx& ctx, const Params& p);
  OrderedJson StackJson(const StackRecord& s) const;

  std::mutex mu_;
  std::unique_ptr<StackStore> store_;
  ServiceInvoker& invoker_;
  const Clock& clock_;
  std::unique_ptr<StackEngine> engine_;
};

}  // namespace orgtrail::cfn
