// S3Request / S3Response: the S3 REST-XML call as the S3 service sees it,
// after the HTTP layer has done SigV4, path-style / virtual-host parsing and
// payload decoding (aws-chunked). Value types.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace orgtrail::s3 {

struct S3Request {
  std::string method;  // GET, PUT, HEAD, DELETE, POST
  std::string bucket;  // "" for ListBuckets
  std::string key;     // decoded once; "" for bucket operations
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  std::map<std::string, std::string> headers;              // lower-case names
  std::string body;                                        // decoded payload
};

struct S3Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  // For HEAD the body is empty and Content-Length is set as a header.
  std::string body;
};

}  // namespace orgtrail::s3
