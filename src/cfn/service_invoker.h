// ServiceInvoker: how CloudFormation provisions resources — as API calls of
// the stack's caller into the real services' operation tables, so every
// resource gets the same validation, authorization and recording as if the
// caller had made the call. Implemented by the lead over the services'
// JsonOps/QueryOps and the S3 service; tests use a recording fake.
// Implementations must be thread-safe (stacks of different callers run
// concurrently).
#pragma once

#include <string>

#include "auth/principal.h"
#include "auth/service_ops.h"
#include "base/json.h"
#include "base/status.h"
#include "s3/s3_types.h"

namespace orgtrail::cfn {

class ServiceInvoker {
 public:
  virtual ~ServiceInvoker() = default;
  // A JSON 1.1 operation of "kms" or "cloudtrail".
  virtual Result<Json> CallJson(const auth::RequestContext& ctx, const std::string& service,
                                const std::string& op, const Json& input) = 0;
  // A Query operation of "iam".
  virtual Result<OrderedJson> CallQuery(const auth::RequestContext& ctx,
                                        const std::string& service, const std::string& op,
                                        const auth::QueryParams& params) = 0;
  // One S3 REST call; a non-2xx response carries the S3 error XML.
  virtual s3::S3Response CallS3(const auth::RequestContext& ctx, const s3::S3Request& req) = 0;
};

}  // namespace orgtrail::cfn
