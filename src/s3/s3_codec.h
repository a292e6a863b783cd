// S3 REST-XML codec helpers: building XML response bodies, rendering errors
// in S3's <Error> shape, parsing request XML bodies with size limits and
// S3's error codes, query/header access, and the wire checksums S3 checks
// (Content-MD5, CRC32, CRC32C, SHA-256). No business rules here; the
// S3Service decides what to answer. Pure functions, thread-safe.
#pragma once

#include <pugixml.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "s3/s3_types.h"

namespace orgtrail::s3 {

inline constexpr char kS3Xmlns[] = "http://s3.amazonaws.com/doc/2006-03-01/";
// Request bodies larger than this are refused (MaxMessageLengthExceeded).
inline constexpr size_t kMaxXmlBody = 1 << 20;

// Appends well-formed XML. Text is escaped; element names are trusted.
class XmlWriter {
 public:
  // Starts the document with the XML declaration.
  XmlWriter();
  // Opens <name> (with the S3 namespace when `ns`).
  XmlWriter& Open(std::string_view name, bool ns = false);
  XmlWriter& Close(std::string_view name);
  XmlWriter& Leaf(std::string_view name, std::string_view text);
  XmlWriter& Raw(std::string_view xml);
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// Renders `st` as an S3 error. For HEAD requests the body is omitted. Adds
// x-amz-request-id and, by error code, the <Key>/<BucketName> fields.
S3Response ErrorResponse(const Status& st, const S3Request& req, const std::string& request_id);

// Parses a request XML body. Empty, oversize or malformed input fails with
// MalformedXML / MaxMessageLengthExceeded. The root element must be `root`.
Result<std::unique_ptr<pugi::xml_document>> ParseXmlBody(std::string_view body,
                                                         std::string_view root);
// Text of child `name`, trimmed; nullopt if absent.
std::optional<std::string> ChildText(const pugi::xml_node& node, const char* name);
// Parses "true"/"false" (S3 XML booleans).
std::optional<bool> ParseXmlBool(std::string_view s);
// Parses a non-negative decimal integer without sign or junk.
std::optional<int64_t> ParseNonNegative(std::string_view s);

// Query parameter access.
const std::string* QueryParam(const S3Request& req, std::string_view name);
bool HasQuery(const S3Request& req, std::string_view name);
const std::string* Header(const S3Request& req, std::string_view lower_name);

uint32_t Crc32(std::string_view data);
uint32_t Crc32c(std::string_view data);
// Base64 of the big-endian 4 bytes, as x-amz-checksum-crc32[c] carry them.
std::string ChecksumHeaderValue(uint32_t crc);

// A parsed Range header resolved against an object size.
struct ResolvedRange {
  int64_t first = 0;
  int64_t last = 0;
};
// nullopt when the header is absent, malformed or multi-range (S3 then
// serves the whole object); InvalidRange (416) when unsatisfiable.
Result<std::optional<ResolvedRange>> ResolveRange(const std::string* header, int64_t size);

}  // namespace orgtrail::s3
