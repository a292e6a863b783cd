#include "api/json_codec.h"

namespace orgtrail::api {

bool SplitTarget(std::string_view target, std::string* prefix, std::string* op) {
  size_t dot = target.rfind('.');
  if (dot == std::string_view::npos) return false;
  *prefix = std::string(target.substr(0, dot));
  *op = std::string(target.substr(dot + 1));
  return true;
}

Result<Json> ParseJsonBody(std::string_view body) {
  size_t i = 0;
  while (i < body.size() && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t'))
    ++i;
  if (i == body.size()) return Json::object();
  Json j = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return Status::Error("SerializationException", "Start of structure or map found where not expected, or the body is not valid JSON");
  if (!j.is_object())
    return Status::Error("SerializationException", "The request body must be a JSON object");
  return j;
}

std::string DumpJson(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

HttpResponse JsonSuccess(const Json& body, std::string_view request_id) {
  HttpResponse r;
  r.status = 200;
  r.headers.emplace_back("Content-Type", "application/x-amz-json-1.1");
  r.headers.emplace_back("x-amzn-RequestId", std::string(request_id));
  r.body = body.is_null() ? std::string("{}") : DumpJson(body);
  return r;
}

HttpResponse JsonError(const Status& status, std::string_view request_id,
                       std::string_view message_key) {
  HttpResponse r;
  r.status = status.http_status();
  r.headers.emplace_back("Content-Type", "application/x-amz-json-1.1");
  r.headers.emplace_back("x-amzn-RequestId", std::string(request_id));
  r.headers.emplace_back("X-Amzn-ErrorType", status.code());
  Json body = Json::object();
  body["__type"] = status.code();
  body[std::string(message_key)] = status.message();
  r.body = DumpJson(body);
  return r;
}

HttpResponse RestJsonError(const Status& status, std::string_view request_id) {
  HttpResponse r;
  r.status = status.http_status();
  r.headers.emplace_back("Content-Type", "application/json");
  r.headers.emplace_back("x-amzn-RequestId", std::string(request_id));
  r.headers.emplace_back("X-Amzn-ErrorType", status.code());
  Json body = Json::object();
  body["__type"] = status.code();
  body["code"] = status.code();
  body["message"] = status.message();
  r.body = DumpJson(body);
  return r;
}

}  // namespace orgtrail::api
