#include "api/router.h"

#include <spdlog/spdlog.h>

#include <future>
#include <memory>

#include "base/ids.h"
#include "base/strings.h"

namespace orgtrail::api {
namespace {

bool IsFormContentType(std::string_view ct) {
  return StartsWith(ToLower(ct), "application/x-www-form-urlencoded");
}

// The Action parameter of a form/query string, or empty.
std::string FindAction(std::string_view form) {
  size_t pos = 0;
  while (pos < form.size()) {
    size_t amp = form.find('&', pos);
    if (amp == std::string_view::npos) amp = form.size();
    std::string_view part = form.substr(pos, amp - pos);
    if (StartsWith(part, "Action=")) {
      auto v = UriDecode(part.substr(7), true);
      return v ? *v : std::string();
    }
    pos = amp + 1;
  }
  return {};
}

std::string NewHostId() { return Base64Encode(RandomBytes(48)); }

std::string ExtractXmlCode(std::string_view body) {
  size_t b = body.find("<Code>");
  if (b == std::string_view::npos) return {};
  b += 6;
  size_t e = body.find("</Code>", b);
  if (e == std::string_view::npos) return {};
  return std::string(body.substr(b, e - b));
}

std::string ExtractXmlMessage(std::string_view body) {
  size_t b = body.find("<Message>");
  if (b == std::string_view::npos) return {};
  b += 9;
  size_t e = body.find("</Message>", b);
  if (e == std::string_view::npos) return {};
  return std::string(body.substr(b, e - b));
}


}  // namespace

Router::Router(Options options, Authenticator& authenticator, const Clock& clock)
    : options_(std::move(options)), authenticator_(authenticator), clock_(clock) {}

void Router::AddJsonService(JsonService service) { json_.push_back(std::move(service)); }
void Router::AddQueryService(QueryService service) { query_.push_back(std::move(service)); }
void Router::SetInternalHandler(std::string path, HttpHandler handler) {
  for (auto& [p, h] : internal_) {
    if (p == path) {
      h = std::move(handler);
      return;
    }
  }
  internal_.emplace_back(std::move(path), std::move(handler));
}

uint64_t Router::BodyLimit(std::string_view method, std::string_view target,
                           const HeaderList& headers) const {
  std::string_view path = target.substr(0, target.find('?'));
  if (path == "/PutAuditEvents") return options_.rest_json_body_limit;
  if (StartsWith(path, "/_orgtrail/")) return options_.api_body_limit;
  for (const auto& [n, v] : headers) {
    if (EqualsIgnoreCase(n, "X-Amz-Target")) return options_.api_body_limit;
    if (EqualsIgnoreCase(n, "Content-Type") && IsFormContentType(v) && path == "/")
      return options_.api_body_limit;
  }
  (void)method;
  return options_.s3_body_limit;
}

Route Router::Classify(const HttpRequest& req) const {
  Route r;
  std::string_view path = req.Path();
  if (path == "/_orgtrail/health") {
    r.kind = Route::Kind::kHealth;
    return r;
  }
  if (StartsWith(path, "/_orgtrail/") || path == "/_orgtrail") {
    for (const auto& [p, h] : internal_) {
      if (p == path) {
        r.kind = Route::Kind::kInternal;
        r.internal = &h;
        return r;
      }
    }
    r.kind = Route::Kind::kInternalNotFound;
    return r;
  }
  std::string_view target = req.Header("X-Amz-Target");
  if (!target.empty()) {
    r.kind = Route::Kind::kJson;
    std::string prefix;
    if (SplitTarget(target, &prefix, &r.operation)) {
      for (const auto& s : json_) {
        if (s.target_prefix == prefix) {
          r.json = &s;
          r.service = s.signing_name;
          return r;
        }
      }
    } else {
      r.operation = std::string(target);
    }
    r.service = PeekScope(req).service;
    return r;
  }
  if (path == "/") {
    std::string action;
    if (req.method == "POST" && IsFormContentType(req.Header("Content-Type")))
      action = FindAction(req.body);
    if (action.empty() && (req.method == "GET" || req.method == "POST"))
      action = FindAction(req.Query());
    if (!action.empty()) {
      r.kind = Route::Kind::kQuery;
      r.operation = std::move(action);
      r.service = PeekScope(req).service;
      for (const auto& s : query_) {
        if (s.signing_name == r.service) {
          r.query = &s;
          break;
        }
      }
      return r;
    }
  }
  if (req.method == "POST" && path == "/PutAuditEvents") {
    r.kind = Route::Kind::kRestJson;
    r.operation = "PutAuditEvents";
    r.service = "cloudtrail-data";
    return r;
  }
  r.kind = Route::Kind::kS3;
  r.service = "s3";
  return r;
}

HttpResponse Router::ErrorFor(const Route& route, const Status& status,
                              const std::string& request_id, const std::string& host_id,
                              std::string_view resource) {
  switch (route.kind) {
    case Route::Kind::kJson:
      return JsonError(status, request_id, route.json ? route.json->message_key : "message");
    case Route::Kind::kQuery:
      return QueryError(route.query ? route.query->xml_namespace : kIamNamespace, status,
                        request_id);
    case Route::Kind::kRestJson:
      return RestJsonError(status, request_id);
    default:
      return S3Error(status, resource, request_id, host_id);
  }
}

void Router::Notify(const CallRecord& rec) {
  if (!observer_) return;
  try {
    observer_->OnCall(rec);
  } catch (const std::exception& e) {
    spdlog::error("call observer threw: {}", e.what());
  } catch (...) {
    spdlog::error("call observer threw a non-standard exception");
  }
}

Status Router::Authenticate(const HttpRequest& req, Protocol protocol, const std::string& service,
                            CallRecord& rec, std::optional<std::string>* decoded_body) {
  AuthResult a = authenticator_.Authenticate(req, protocol, service);
  rec.access_key_id = a.access_key_id;
  if (!a.status.ok()) {
    rec.auth_failed = true;
    rec.context.region = a.region.empty() ? PeekScope(req).region : a.region;
    return a.status;
  }
  rec.context.principal = std::move(a.principal);
  rec.context.region = std::move(a.region);
  if (decoded_body) *decoded_body = std::move(a.decoded_body);
  return Status::Ok();
}

HttpResponse Router::Handle(const HttpRequest& req) {
  CallRecord rec;
  bool record = false;
  RestJsonCommit commit;
  HttpResponse resp = Respond(req, rec, &record, &commit);
  if (commit) {
    std::promise<Status> committed;
    commit([&committed](Status s) { committed.set_value(std::move(s)); });
    Status s = committed.get_future().get();
    if (!s.ok()) FailCommitted(s, rec, resp);
  }
  if (record) Notify(rec);
  return resp;
}

void Router::FailCommitted(const Status& status, CallRecord& rec, HttpResponse& resp) {
  rec.error_code = status.code();
  rec.error_message = status.message();
  rec.http_status = status.http_status();
  rec.response = nullptr;
  resp = RestJsonError(status, rec.context.request_id);
}

void Router::HandleAsync(const HttpRequest& req, HttpResponder respond) {
  CallRecord rec;
  bool record = false;
  RestJsonCommit commit;
  HttpResponse resp = Respond(req, rec, &record, &commit);
  if (commit) {
    // The answer waits for the durable step (PutAuditEvents: its events'
    // fsync), then for the observer, without holding this thread.
    struct Pending {
      CallRecord rec;
      bool record;
      HttpResponse resp;
      HttpResponder respond;
    };
    auto p = std::make_shared<Pending>(
        Pending{std::move(rec), record, std::move(resp), std::move(respond)});
    commit([this, p](Status s) {
      if (!s.ok()) FailCommitted(s, p->rec, p->resp);
      AnswerAsync(p->rec, p->record, std::move(p->resp), std::move(p->respond));
    });
    return;
  }
  AnswerAsync(rec, record, std::move(resp), std::move(respond));
}

void Router::AnswerAsync(const CallRecord& rec, bool record, HttpResponse resp,
                         HttpResponder respond) {
  if (!record || !observer_) return respond(std::move(resp));
  // The answer waits for the observer (the recorder: until the call's event
  // is durable) without holding this thread.
  auto answer = std::make_shared<HttpResponse>(std::move(resp));
  observer_->OnCallAsync(rec, [answer, respond = std::move(respond)] {
    respond(std::move(*answer));
  });
}

HttpResponse Router::Respond(const HttpRequest& req, CallRecord& rec, bool* record,
                             RestJsonCommit* commit) {
  const std::string request_id = NewUuid();
  Route route;
  std::string host_id;
  rec.context.request_id = request_id;
  rec.context.source_ip = req.remote_ip;
  rec.context.user_agent = std::string(req.Header("User-Agent"));
  rec.context.now = clock_.Now();
  HttpResponse resp;
  try {
    route = Classify(req);
    if (route.kind == Route::Kind::kS3) host_id = NewHostId();
    rec.operation = route.operation;
    switch (route.kind) {
      case Route::Kind::kHealth: {
        resp.status = 200;
        resp.headers.emplace_back("Content-Type", "application/json");
        resp.headers.emplace_back("x-amzn-RequestId", request_id);
        resp.body = "{\"status\":\"ok\"}";
        return resp;
      }
      case Route::Kind::kInternal: {
        // orgtrail's own paths are not AWS calls: no record, and a throwing
        // handler must not produce one either.
        try {
          resp = (*route.internal)(req);
        } catch (const std::exception& e) {
          spdlog::error("request {} to {} failed: {}", request_id, req.Path(), e.what());
          resp = HttpResponse{};
          resp.status = 500;
          resp.headers.emplace_back("Content-Type", "application/json");
          resp.body = "{\"message\":\"internal error\"}";
        }
        resp.SetHeader("x-amzn-RequestId", request_id);
        return resp;
      }
      case Route::Kind::kInternalNotFound: {
        resp.status = 404;
        resp.headers.emplace_back("Content-Type", "application/json");
        resp.headers.emplace_back("x-amzn-RequestId", request_id);
        resp.body = "{\"message\":\"Not Found\"}";
        return resp;
      }
      default:
        break;
    }
    if (req.body_too_large) {
      Status st = Status::Error(
          route.kind == Route::Kind::kS3 ? "EntityTooLarge" : "RequestEntityTooLarge",
          route.kind == Route::Kind::kS3
              ? "Your proposed upload exceeds the maximum allowed size"
              : "Request body exceeds the maximum allowed size of " +
                    std::to_string(req.body_limit) + " bytes",
          route.kind == Route::Kind::kS3 ? 400 : 413);
      rec.auth_failed = true;  // the signature could not be checked without the body
      rec.access_key_id = PeekScope(req).access_key_id;
      rec.error_code = st.code();
      rec.error_message = st.message();
      rec.http_status = st.http_status();
      resp = ErrorFor(route, st, request_id, host_id, req.Path());
      resp.close = true;
    } else if (Status admitted = observer_ ? observer_->Admission() : Status::Ok();
               !admitted.ok()) {
      // The call's event could not be kept (full disk, delivery far behind,
      // failed log): refuse the call before anything runs rather than run it
      // unrecorded. Nothing ran, so nothing is reported.
      spdlog::warn("request {} ({}) refused: {}", request_id, route.operation,
                   admitted.ToString());
      return ErrorFor(route, admitted, request_id, host_id, req.Path());
    } else {
      switch (route.kind) {
        case Route::Kind::kJson:
          rec.event_source = route.json ? route.json->event_source : "";
          resp = HandleJson(req, route, rec);
          break;
        case Route::Kind::kQuery:
          rec.event_source = route.query ? route.query->event_source : "";
          resp = HandleQuery(req, route, rec);
          break;
        case Route::Kind::kRestJson:
          rec.event_source = "cloudtrail-data.amazonaws.com";
          resp = HandleRestJson(req, route, rec, commit);
          break;
        default:
          rec.event_source = "s3.amazonaws.com";
          resp = HandleS3(req, rec, host_id);
          break;
      }
    }
  } catch (const std::exception& e) {
    spdlog::error("request {} failed with an exception: {}", request_id, e.what());
    Status st = Status::Internal("We encountered an internal error. Please try again.");
    resp = ErrorFor(route, st, request_id, host_id, req.Path());
    rec.error_code = st.code();
    rec.error_message = st.message();
    rec.http_status = st.http_status();
    rec.response = nullptr;
  } catch (...) {
    spdlog::error("request {} failed with a non-standard exception", request_id);
    Status st = Status::Internal("We encountered an internal error. Please try again.");
    resp = ErrorFor(route, st, request_id, host_id, req.Path());
    rec.error_code = st.code();
    rec.error_message = st.message();
    rec.http_status = st.http_status();
    rec.response = nullptr;
  }
  *record = true;
  return resp;
}

HttpResponse Router::HandleJson(const HttpRequest& req, const Route& route, CallRecord& rec) {
  const std::string& rid = rec.context.request_id;
  auto fail = [&](const Status& st) {
    rec.error_code = st.code();
    rec.error_message = st.message();
    rec.http_status = st.http_status();
    return ErrorFor(route, st, rid, "", "");
  };
  Status auth = Authenticate(req, Protocol::kJson, route.service, rec, nullptr);
  if (!auth.ok()) return fail(auth);
  auto body = ParseJsonBody(req.body);
  if (!body.ok()) return fail(body.status());
  rec.request_parameters = *body;
  if (!route.json) {
    return fail(Status::Error("UnknownOperationException",
                              "The target " + std::string(req.Header("X-Amz-Target")) +
                                  " is not recognized"));
  }
  auto it = route.json->ops.find(route.operation);
  if (it == route.json->ops.end())
    return fail(Status::Error("UnknownOperationException",
                              "Operation " + route.operation + " is not supported"));
  Result<Json> out = it->second(rec.context, *body);
  if (!out.ok()) return fail(out.status());
  rec.response = *out;
  return JsonSuccess(*out, rid);
}

HttpResponse Router::HandleQuery(const HttpRequest& req, const Route& route, CallRecord& rec) {
  const std::string& rid = rec.context.request_id;
  auto fail = [&](const Status& st) {
    rec.error_code = st.code();
    rec.error_message = st.message();
    rec.http_status = st.http_status();
    return ErrorFor(route, st, rid, "", "");
  };
  Status auth = Authenticate(req, Protocol::kQuery, route.service, rec, nullptr);
  if (!auth.ok()) return fail(auth);
  bool form = req.method == "POST" && IsFormContentType(req.Header("Content-Type"));
  auto params = form ? DecodeQueryForm(req.body) : DecodeQueryForm(req.Query(), true);
  if (!params.ok()) return fail(params.status());
  Json rp = Json::object();
  for (const auto& [k, v] : *params)
    if (k != "Action" && k != "Version") rp[k] = v;
  rec.request_parameters = std::move(rp);
  if (!params->count("Version"))
    return fail(Status::Error("MissingParameter",
                              "The request must contain the parameter Version"));
  if (!route.query)
    return fail(Status::Error("InvalidAction", "The action " + route.operation +
                                                   " is not valid for this web service."));
  auto it = route.query->ops.find(route.operation);
  if (it == route.query->ops.end())
    return fail(Status::Error("InvalidAction", "Could not find operation " + route.operation +
                                                   " for version " + params->at("Version")));
  Result<OrderedJson> out = it->second(rec.context, *params);
  if (!out.ok()) return fail(out.status());
  if (observer_)
    rec.response = Json::parse(out->dump(-1, ' ', false, OrderedJson::error_handler_t::replace),
                               nullptr, false);
  return QuerySuccess(route.operation, route.query->xml_namespace, *out, rid);
}

HttpResponse Router::HandleRestJson(const HttpRequest& req, const Route& route, CallRecord& rec,
                                    RestJsonCommit* commit) {
  auto fail = [&](const Status& st) {
    rec.error_code = st.code();
    rec.error_message = st.message();
    rec.http_status = st.http_status();
    return ErrorFor(route, st, rec.context.request_id, "", "");
  };
  Status auth = Authenticate(req, Protocol::kRestJson, route.service, rec, nullptr);
  if (!auth.ok()) return fail(auth);
  auto pairs = ParseQueryString(req.Query(), /*plus_as_space=*/false);
  if (!pairs) return fail(Status::Error("SerializationException", "Malformed query string"));
  auth::QueryParams query;
  for (auto& [k, v] : *pairs) query[k] = std::move(v);
  // The call record keeps the parameters, never the events themselves (up
  // to a megabyte, and recorded on their own).
  Json params = Json::object();
  for (const char* name : {"channelArn", "externalId"}) {
    auto it = query.find(name);
    if (it != query.end()) params[name] = it->second;
  }
  rec.request_parameters = std::move(params);
  if (!rest_json_)
    return fail(Status::Error("UnsupportedOperationException",
                              route.operation + " is not implemented by orgtrail yet"));
  RestJsonCommit later;
  Result<std::string> out = rest_json_(rec.context, route.operation, query, req.body, &later);
  if (!out.ok()) return fail(out.status());
  HttpResponse resp;
  resp.status = 200;
  resp.headers.emplace_back("Content-Type", "application/json");
  resp.headers.emplace_back("x-amzn-RequestId", rec.context.request_id);
  resp.body = std::move(*out);
  // Last, so that nothing after it can turn the call into an error whose
  // events would still be committed.
  *commit = std::move(later);
  return resp;
}

HttpResponse Router::HandleS3(const HttpRequest& req, CallRecord& rec, const std::string& host_id) {
  const std::string& rid = rec.context.request_id;
  Route route;
  route.kind = Route::Kind::kS3;
  std::string_view path = req.Path();
  auto fail = [&](const Status& st) {
    rec.error_code = st.code();
    rec.error_message = st.message();
    rec.http_status = st.http_status();
    return ErrorFor(route, st, rid, host_id, path);
  };
  std::optional<std::string> decoded;
  Status auth = Authenticate(req, Protocol::kRestXml, "s3", rec, &decoded);
  auto addr = ParseS3Address(req.Header("Host"), path, options_.s3_base_domain);
  auto query = ParseQueryString(req.Query(), /*plus_as_space=*/true);
  if (addr.ok()) {
    rec.request_parameters["bucketName"] = addr->bucket;
    if (!addr->key.empty()) rec.request_parameters["key"] = addr->key;
  }
  S3Call call;
  call.headers = LowerCaseHeaders(req.headers);
  if (addr.ok() && query) rec.operation = S3OperationName(req.method, *addr, *query, call.headers);
  if (!auth.ok()) return fail(auth);
  if (!addr.ok()) return fail(addr.status());
  if (!query) return fail(Status::Error("InvalidURI", "Couldn't parse the specified URI."));
  if (!s3_) return fail(Status::NotImplemented("S3"));
  call.method = req.method;
  call.bucket = std::move(addr->bucket);
  call.key = std::move(addr->key);
  call.query = std::move(*query);
  call.body = decoded ? std::move(*decoded) : req.body;
  S3Reply reply = s3_(rec.context, call);
  HttpResponse resp;
  resp.status = reply.status;
  resp.headers = std::move(reply.headers);
  resp.body = std::move(reply.body);
  resp.SetHeader("x-amz-request-id", rid);
  resp.SetHeader("x-amz-id-2", host_id);
  rec.http_status = reply.status;
  if (reply.status >= 300) {
    rec.error_code = ExtractXmlCode(resp.body);
    rec.error_message = ExtractXmlMessage(resp.body);
    if (rec.error_code.empty()) rec.error_code = std::to_string(reply.status);
  }
  return resp;
}

}  // namespace orgtrail::api
