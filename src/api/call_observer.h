// CallObserver: the hook through which every API call, once its response is
// decided (allowed, denied or failed), is reported to the CloudTrail
// recorder. The Router calls OnCall() (or OnCallAsync(), whose completion
// releases the answer) on the request's thread after the response is built
// and before it is written; implementations must be thread-safe and quick
// (hand the record off; wait for I/O only in OnCall).
#pragma once

#include <functional>
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
  // The same report for a call whose answer waits for the observer: `then`
  // must be called exactly once, possibly on another thread (the recorder:
  // after the call's event is fsync'd), and the record is only borrowed for
  // the duration of this call. Never throws. Default: OnCall, then `then`.
  // Asked before a call that will be reported is run: an error refuses the
  // call (answered with it, nothing run, nothing reported), e.g. when the
  // recorder could not keep its event. Default: OK.
  virtual Status Admission() { return Status::Ok(); }
  virtual void OnCallAsync(const CallRecord& record, std::function<void()> then) {
    try {
      OnCall(record);
    } catch (...) {
      // As with Router's synchronous path, a failing observer never keeps
      // a call from being answered.
    }
    then();
  }
};

}  // namespace orgtrail::api
