// S3 front: turns an authenticated HTTP request into an S3Call (bucket and
// key split from the raw path, path-style or virtual-host style; decoded
// query; lower-cased headers) for the S3 service, and renders S3-style XML
// errors for failures that happen before the service (auth, bad URI, size).
// The api module keeps its own S3Call/S3Reply types so that it compiles and
// tests without the s3 module; server/ adapts them to s3::S3Service.
// Pure functions, thread-safe.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http_types.h"
#include "auth/principal.h"
#include "base/status.h"

namespace orgtrail::api {

struct S3Call {
  std::string method;
  std::string bucket;  // empty for service-level calls (ListBuckets)
  std::string key;     // decoded once; empty for bucket-level calls
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  std::map<std::string, std::string> headers;              // lower-case names
  std::string body;
};

struct S3Reply {
  int status = 200;
  HeaderList headers;
  std::string body;
};

using S3Handler = std::function<S3Reply(const auth::RequestContext&, const S3Call&)>;

struct S3Address {
  std::string bucket;
  std::string key;
  bool virtual_host = false;
};

// Splits bucket and key. `host` is the Host header (port allowed); when it is
// "<bucket>.<base_domain>" the request is virtual-host style and the whole
// path is the key. Invalid escapes → 400 "InvalidURI".
Result<S3Address> ParseS3Address(std::string_view host, std::string_view raw_path,
                                 std::string_view base_domain);

// Lower-cases names; repeated headers are joined with ",".
std::map<std::string, std::string> LowerCaseHeaders(const HeaderList& headers);

// A rough S3 operation name from method, address and query (for the call record).
std::string S3OperationName(std::string_view method, const S3Address& address,
                            const std::vector<std::pair<std::string, std::string>>& query,
                            const std::map<std::string, std::string>& headers);

// <Error><Code/><Message/>[<Resource/>]<RequestId/><HostId/></Error>
HttpResponse S3Error(const Status& status, std::string_view resource, std::string_view request_id,
                     std::string_view host_id);

}  // namespace orgtrail::api
