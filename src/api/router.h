// Router: the AWS front of orgtraild. Takes every HTTP request from the
// HttpServer, gives it a request id, answers orgtrail's own paths
// (/_orgtrail/health, and the paths given to SetInternalHandler, such as
// /_orgtrail/clock/advance under --simulated-clock), authenticates everything
// else with SigV4 (failure → the protocol's auth error, nothing executed),
// picks the protocol and service (aws-compat.md §1.1: X-Amz-Target → JSON
// 1.1; Action → Query by the scope's service; POST /PutAuditEvents →
// REST-JSON; otherwise S3), calls
// the service's handler with a RequestContext, renders the answer or error in
// the protocol's shape, and reports the call to the CallObserver (HandleAsync:
// answering only once the observer is done with it, without a waiting thread).
//
// Configure (Add*/Set*) before serving; Handle() and BodyLimit() are then
// thread-safe. Handler exceptions become 500 InternalError in the protocol's
// shape; the server stays up.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "api/authenticator.h"
#include "api/call_observer.h"
#include "api/http_types.h"
#include "api/json_codec.h"
#include "api/query_codec.h"
#include "api/s3_front.h"
#include "base/time.h"

namespace orgtrail::api {

inline constexpr char kCloudTrailTargetPrefix[] =
    "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101";
inline constexpr char kOrganizationsTargetPrefix[] = "AWSOrganizationsV20161128";
inline constexpr char kKmsTargetPrefix[] = "TrentService";
inline constexpr char kStsNamespace[] = "https://sts.amazonaws.com/doc/2011-06-15/";
inline constexpr char kIamNamespace[] = "https://iam.amazonaws.com/doc/2010-05-08/";
inline constexpr char kCloudFormationNamespace[] =
    "http://cloudformation.amazonaws.com/doc/2010-05-15/";

// What Classify() decided about a request (before authentication).
struct Route {
  enum class Kind { kHealth, kInternal, kInternalNotFound, kJson, kQuery, kRestJson, kS3 };
  Kind kind = Kind::kS3;
  const JsonService* json = nullptr;    // kJson; null for an unknown target prefix
  const QueryService* query = nullptr;  // kQuery; null for an unknown scope service
  std::string operation;                // kJson: from the target; kQuery: Action
  std::string service;                  // SigV4 signing name to verify against
  const HttpHandler* internal = nullptr;  // kInternal: the handler of the path
};

// The durable step of a REST-JSON call, left to run after its handler
// returned (PutAuditEvents: the write-ahead log append of its events): calls
// `done` exactly once, possibly on another thread, with OK (answer what the
// handler returned) or the error to answer instead. HandleAsync answers from
// `done` without a waiting thread; Handle waits for it.
using RestJsonCommit = std::function<void(std::function<void(Status)> done)>;
// A REST-JSON operation (CloudTrail Data's PutAuditEvents): the decoded
// query-string parameters (the last of repeated names wins) and the raw body;
// returns the response body, JSON text (written directly: PutAuditEvents
// answers an entry per event, and building it as a Json object and dumping
// it cost ~7 % of the server's CPU under load); it may leave a durable step
// in *commit (never null; empty: none).
using RestJsonHandler = std::function<Result<std::string>(
    const auth::RequestContext&, const std::string& operation, const auth::QueryParams& query,
    std::string_view body, RestJsonCommit* commit)>;

class Router {
 public:
  struct Options {
    std::string s3_base_domain = "s3.localhost";
    uint64_t api_body_limit = 1 << 20;   // JSON, Query
    uint64_t rest_json_body_limit = 1 << 20;  // POST /PutAuditEvents
    uint64_t s3_body_limit = 64 << 20;   // S3 uploads
  };

  Router(Options options, Authenticator& authenticator, const Clock& clock);

  void AddJsonService(JsonService service);
  void AddQueryService(QueryService service);
  void SetS3Handler(S3Handler handler) { s3_ = std::move(handler); }
  // Unset: REST-JSON calls answer UnsupportedOperationException.
  void SetRestJsonHandler(RestJsonHandler handler) { rest_json_ = std::move(handler); }
  // Not owned; may be null. Must outlive the router.
  void SetObserver(CallObserver* observer) { observer_ = observer; }
  // Answers `path` (exactly, e.g. "/_orgtrail/clock/advance"; must start
  // with "/_orgtrail/") with `handler`, without SigV4 and without a call
  // record. Paths under /_orgtrail/ without a handler answer 404.
  void SetInternalHandler(std::string path, HttpHandler handler);

  // Answers `request`, after the observer's OnCall has returned.
  HttpResponse Handle(const HttpRequest& request);
  // Same, answering through `respond` once the observer's OnCallAsync has
  // finished with the call (for orgtraild's recorder: once its event is
  // fsync'd), possibly on another thread; this thread does not wait.
  void HandleAsync(const HttpRequest& request, HttpResponder respond);
  // For HttpServer::Options::body_limit.
  uint64_t BodyLimit(std::string_view method, std::string_view target,
                     const HeaderList& headers) const;
  // The routing decision alone (exposed for tests).
  Route Classify(const HttpRequest& request) const;

 private:
  // The response to `req`; fills `rec` and sets *record when the call is to
  // be reported to the observer (every call but orgtrail's own paths).
  // *commit: set by a deferred REST-JSON handler (run it before answering).
  HttpResponse Respond(const HttpRequest& req, CallRecord& rec, bool* record,
                       RestJsonCommit* commit);
  HttpResponse HandleJson(const HttpRequest& req, const Route& route, CallRecord& rec);
  HttpResponse HandleQuery(const HttpRequest& req, const Route& route, CallRecord& rec);
  HttpResponse HandleRestJson(const HttpRequest& req, const Route& route, CallRecord& rec,
                              RestJsonCommit* commit);
  // A failed commit: the call's error answer and record.
  static void FailCommitted(const Status& status, CallRecord& rec, HttpResponse& resp);
  // Answers `resp` once the observer is done with `rec` (HandleAsync's tail).
  void AnswerAsync(const CallRecord& rec, bool record, HttpResponse resp,
                   HttpResponder respond);
  HttpResponse HandleS3(const HttpRequest& req, CallRecord& rec, const std::string& host_id);
  HttpResponse ErrorFor(const Route& route, const Status& status, const std::string& request_id,
                        const std::string& host_id, std::string_view resource);
  // Authenticates; on success fills rec.context. On failure fills rec and
  // returns the status.
  Status Authenticate(const HttpRequest& req, Protocol protocol, const std::string& service,
                      CallRecord& rec, std::optional<std::string>* decoded_body);
  void Notify(const CallRecord& rec);

  const Options options_;
  Authenticator& authenticator_;
  const Clock& clock_;
  std::vector<JsonService> json_;
  std::vector<QueryService> query_;
  S3Handler s3_;
  RestJsonHandler rest_json_;
  CallObserver* observer_ = nullptr;
  std::vector<std::pair<std::string, HttpHandler>> internal_;
};

}  // namespace orgtrail::api
