// JSON 1.1 codec (CloudTrail, Organizations, KMS): request body parsing and
// the response/error shapes botocore expects (aws-compat.md §1.2). Also the
// REST-JSON error shape (CloudTrail Data). Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "api/http_types.h"
#include "auth/service_ops.h"
#include "base/json.h"
#include "base/status.h"

namespace orgtrail::api {

// A JSON 1.1 service as registered with the Router.
struct JsonService {
  std::string target_prefix;  // X-Amz-Target before the last '.', e.g. "TrentService"
  std::string signing_name;   // SigV4 service, e.g. "kms"
  std::string event_source;   // e.g. "kms.amazonaws.com"
  std::string message_key = "message";  // Organizations uses "Message"
  auth::JsonOps ops;
};

// Splits "Prefix.Op" at the last '.'; false if there is no '.'.
bool SplitTarget(std::string_view target, std::string* prefix, std::string* op);

// Parses a JSON 1.1 request body: empty → {}, malformed or not an object →
// SerializationException (400).
Result<Json> ParseJsonBody(std::string_view body);

// Serialises without throwing (invalid UTF-8 is replaced).
std::string DumpJson(const Json& j);

HttpResponse JsonSuccess(const Json& body, std::string_view request_id);
// {"__type":"<Code>","<message_key>":"..."} with X-Amzn-ErrorType.
HttpResponse JsonError(const Status& status, std::string_view request_id,
                       std::string_view message_key = "message");
// REST-JSON error: X-Amzn-ErrorType header plus "__type", "code" and "message".
HttpResponse RestJsonError(const Status& status, std::string_view request_id);

}  // namespace orgtrail::api
