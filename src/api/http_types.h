// HttpRequest / HttpResponse: the protocol-neutral HTTP messages that
// api::HttpServer hands to its handler and writes back. The server knows
// nothing about AWS; the Router turns these into service calls. Value types.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace orgtrail::api {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;   // "GET", "PUT", ...
  std::string target;   // path + query exactly as received
  HeaderList headers;   // names and values as received, in order
  std::string body;     // decoded from Transfer-Encoding: chunked if it was
  std::string remote_ip;
  // Set when the body exceeded the limit chosen for this request; `body` is
  // then empty and the connection is closed after the response.
  bool body_too_large = false;
  uint64_t body_limit = 0;  // the limit that applied (for the error message)

  // First header with this name (case-insensitive), or empty view.
  std::string_view Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
  std::string_view Path() const;   // target before '?'
  std::string_view Query() const;  // target after '?', empty if none
};

struct HttpResponse {
  int status = 200;
  HeaderList headers;
  std::string body;
  // For HEAD responses: the Content-Length to announce without a body.
  int64_t content_length_override = -1;
  bool close = false;  // close the connection after writing

  void SetHeader(std::string name, std::string value);
  std::string_view Header(std::string_view name) const;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;
// Sends the response of one request; callable once, from any thread.
using HttpResponder = std::function<void(HttpResponse)>;
// A handler that answers later: it must call `respond` exactly once, from any
// thread, before or after it returns. The request is valid only until the
// handler returns.
using AsyncHttpHandler = std::function<void(const HttpRequest&, HttpResponder respond)>;

// Chooses the body limit for a request from its start line and headers,
// before the body is read.
using BodyLimitFn =
    std::function<uint64_t(std::string_view method, std::string_view target, const HeaderList&)>;

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace orgtrail::api
