// CallObserver: the hook through which every API call, once its response is
// decided (allowed, denied or failed), is reported to the CloudTrail
// recorder. The Router calls OnCall() synchronously on the request's thread
// after the response is built and before it is written; implementations must
// be thread-safe and quick (hand the record off, do not do I/O inline).
#pragma once

#include <string>

#include "auth/principal.h"
#include "base/json.h"

namespace orgtrail::api {

struct CallRecord {
  auth::RequestContext context;   // principal is empty when auth_failed
  std::string event_source;       // kms.amazonaws.com, s3.amazonaws.com, ...
  std::string operation;          // ListKeys, AssumeRole, GetObject, ...
  Json request_parameters = Json::object();  // JSON body / Query params / S3 bucket+key
  Json response;                  // null on error (and for S3 bodies)
  std::string error_code;         // empty on success
  std::string error_message;
  int http_status = 200;
  bool auth_failed = false;       // SigV4 refused the request; nothing was executed
  std::string access_key_id;      // as presented (kept even when auth failed)
};

class CallObserver {
 public:
  virtual ~CallObserver() = default;
  virtual void OnCall(const CallRecord& record) = 0;
};

}  // namespace orgtrail::api
