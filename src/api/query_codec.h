// AWS Query codec (STS, IAM, CloudFormation): form decoding and the XML
// response/error documents botocore parses (aws-compat.md §1.3). The
// handler's OrderedJson result becomes the <OpResult> element: objects become
// child elements in order, arrays become <member> children, scalars escaped
// text, booleans true/false, nulls are omitted. Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "api/http_types.h"
#include "auth/service_ops.h"
#include "base/json.h"
#include "base/status.h"

namespace orgtrail::api {

// A Query service as registered with the Router; chosen by the SigV4 scope.
struct QueryService {
  std::string signing_name;   // "sts", "iam", "cloudformation"
  std::string xml_namespace;  // e.g. https://sts.amazonaws.com/doc/2011-06-15/
  std::string event_source;   // e.g. sts.amazonaws.com
  auth::QueryOps ops;
};

// Decodes a form body or query string ('+' is a space). Malformed escapes →
// 400 "MalformedQueryString". Later duplicates win. With skip_signing, the
// presigned-URL parameters (X-Amz-Algorithm, X-Amz-Signature, ...) are dropped.
Result<auth::QueryParams> DecodeQueryForm(std::string_view form, bool skip_signing = false);

// Appends the XML rendering of `value`'s children/text (not the element itself).
void AppendQueryXmlValue(const OrderedJson& value, std::string* out);

// <OpResponse xmlns=ns><OpResult>…</OpResult><ResponseMetadata>…</ResponseMetadata></OpResponse>
std::string RenderQueryResponse(std::string_view op, std::string_view xml_namespace,
                                const OrderedJson& result, std::string_view request_id);
// <ErrorResponse xmlns=ns><Error><Type>Sender|Receiver</Type>…</Error><RequestId>…</RequestId></ErrorResponse>
std::string RenderQueryError(std::string_view xml_namespace, const Status& status,
                             std::string_view request_id);

HttpResponse QuerySuccess(std::string_view op, std::string_view xml_namespace,
                          const OrderedJson& result, std::string_view request_id);
HttpResponse QueryError(std::string_view xml_namespace, const Status& status,
                        std::string_view request_id);

}  // namespace orgtrail::api
