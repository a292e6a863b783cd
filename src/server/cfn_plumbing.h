// CloudFormation's plumbing inside orgtraild.
//
//   ServiceCallInvoker  cfn::ServiceInvoker over the services' own operation
//                       tables: KMS and CloudTrail JsonOps, IAM QueryOps and
//                       s3::S3Service::Handle — the very handlers the Router
//                       dispatches to — called with the stack caller's
//                       RequestContext, so a resource gets the validation and
//                       authorization of a direct API call by that caller.
//                       Each call is also reported to an optional
//                       api::CallObserver (the CloudTrail recorder) with the
//                       user agent "cloudformation.amazonaws.com", as AWS
//                       records calls CloudFormation makes for a stack.
//
// Constructed and owned by server::Server. Thread-safe: the tables are
// immutable after construction and the services are thread-safe.
#pragma once

#include <string>

#include "api/call_observer.h"
#include "auth/service_ops.h"
#include "cfn/service_invoker.h"

namespace orgtrail::cfn {
class CfnService;
}

namespace orgtrail::s3 {
class S3Service;
}

namespace orgtrail::server {

// The user agent (and CloudTrail invokedBy) of calls made by stacks.
inline constexpr char kCloudFormationAgent[] = "cloudformation.amazonaws.com";

class ServiceCallInvoker final : public cfn::ServiceInvoker {
 public:
  // `s3` must outlive the invoker; `observer` may be null (nothing recorded).
  ServiceCallInvoker(auth::JsonOps kms_ops, auth::JsonOps cloudtrail_ops, auth::QueryOps iam_ops,
                     s3::S3Service& s3, api::CallObserver* observer);

  // Unknown service: InternalError (a provider bug); unknown operation:
  // UnknownOperationException / InvalidAction, as the Router answers.
  Result<Json> CallJson(const auth::RequestContext& ctx, const std::string& service,
                        const std::string& op, const Json& input) override;
  Result<OrderedJson> CallQuery(const auth::RequestContext& ctx, const std::string& service,
                                const std::string& op, const auth::QueryParams& params) override;
  s3::S3Response CallS3(const auth::RequestContext& ctx, const s3::S3Request& req) override;

 private:
  void Record(const auth::RequestContext& ctx, const std::string& event_source,
              const std::string& op, Json request_parameters, Json response,
              const Status& status) const;

  const auth::JsonOps kms_ops_;
  const auth::JsonOps cloudtrail_ops_;
  const auth::QueryOps iam_ops_;
  s3::S3Service& s3_;
  api::CallObserver* observer_;
};

// `cfn.Ops()` plus GetTemplateSummary (which `aws cloudformation deploy`
// calls on an existing stack), composed of the service's GetTemplate and
// ValidateTemplate operations: TemplateBody or StackName (or
// ChangeSetName) in, Parameters / Description / Capabilities out.
// `cfn` must outlive the table.
auth::QueryOps CloudFormationOps(cfn::CfnService& cfn);

}  // namespace orgtrail::server
