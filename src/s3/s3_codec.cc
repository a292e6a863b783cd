#include "s3/s3_codec.h"

#include <zlib.h>

#include <array>
#include <charconv>

#include "base/strings.h"

namespace orgtrail::s3 {

XmlWriter::XmlWriter() { out_ = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"; }

XmlWriter& XmlWriter::Open(std::string_view name, bool ns) {
  out_ += '<';
  out_ += name;
  if (ns) {
    out_ += " xmlns=\"";
    out_ += kS3Xmlns;
    out_ += '"';
  }
  out_ += '>';
  return *this;
}

XmlWriter& XmlWriter::Close(std::string_view name) {
  out_ += "</";
  out_ += name;
  out_ += '>';
  return *this;
}

XmlWriter& XmlWriter::Leaf(std::string_view name, std::string_view text) {
  Open(name);
  out_ += XmlEscape(text);
  return Close(name);
}

XmlWriter& XmlWriter::Raw(std::string_view xml) {
  out_ += xml;
  return *this;
}

S3Response ErrorResponse(const Status& st, const S3Request& req, const std::string& request_id) {
  S3Response r;
  r.status = st.http_status();
  r.headers.emplace_back("x-amz-request-id", request_id);
  if (req.method == "HEAD") {
    r.headers.emplace_back("Content-Length", "0");
    return r;
  }
  r.headers.emplace_back("Content-Type", "application/xml");
  XmlWriter w;
  w.Open("Error").Leaf("Code", st.code()).Leaf("Message", st.message());
  const std::string& code = st.code();
  // Keys may hold bytes XML 1.0 cannot carry; only valid UTF-8 is echoed.
  if ((code == "NoSuchKey" || code == "NoSuchVersion" || code == "KeyTooLongError" ||
       code == "InvalidObjectState") &&
      IsValidUtf8(req.key) && req.key.size() <= 1024) {
    w.Leaf("Key", req.key);
  }
  if (code == "NoSuchVersion") {
    if (const std::string* v = QueryParam(req, "versionId")) w.Leaf("VersionId", *v);
  }
  if (code.rfind("NoSuch", 0) == 0 && code != "NoSuchKey" && code != "NoSuchVersion" &&
      IsValidUtf8(req.bucket)) {
    w.Leaf("BucketName", req.bucket);
  }
  if (code == "BucketAlreadyExists" || code == "BucketAlreadyOwnedByYou") {
    w.Leaf("BucketName", req.bucket);
  }
  w.Leaf("RequestId", request_id);
  r.body = w.Close("Error").Take();
  return r;
}

Result<std::unique_ptr<pugi::xml_document>> ParseXmlBody(std::string_view body,
                                                         std::string_view root) {
  if (body.size() > kMaxXmlBody) {
    return Status::Error("MaxMessageLengthExceeded", "Your request was too big.");
  }
  static const char kMalformed[] =
      "The XML you provided was not well-formed or did not validate against our published "
      "schema";
  if (Trim(body).empty()) return Status::Error("MalformedXML", kMalformed);
  auto doc = std::make_unique<pugi::xml_document>();
  // No DOCTYPE/entity expansion beyond the XML builtins (pugixml never
  // fetches external entities).
  pugi::xml_parse_result pr =
      doc->load_buffer(body.data(), body.size(), pugi::parse_default & ~pugi::parse_doctype,
                       pugi::encoding_utf8);
  if (!pr) return Status::Error("MalformedXML", kMalformed);
  pugi::xml_node r = doc->document_element();
  if (!r || std::string_view(r.name()) != root) return Status::Error("MalformedXML", kMalformed);
  return doc;
}

std::optional<std::string> ChildText(const pugi::xml_node& node, const char* name) {
  pugi::xml_node c = node.child(name);
  if (!c) return std::nullopt;
  return std::string(Trim(c.text().get()));
}

std::optional<bool> ParseXmlBool(std::string_view s) {
  if (s == "true") return true;
  if (s == "false") return false;
  return std::nullopt;
}

std::optional<int64_t> ParseNonNegative(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0 || s[0] == '+' || s[0] == '-') {
    return std::nullopt;
  }
  return v;
}

const std::string* QueryParam(const S3Request& req, std::string_view name) {
  for (const auto& [k, v] : req.query) {
    if (k == name) return &v;
  }
  return nullptr;
}

bool HasQuery(const S3Request& req, std::string_view name) {
  return QueryParam(req, name) != nullptr;
}

const std::string* Header(const S3Request& req, std::string_view lower_name) {
  auto it = req.headers.find(std::string(lower_name));
  return it == req.headers.end() ? nullptr : &it->second;
}

uint32_t Crc32(std::string_view data) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths; feed in chunks.
  while (!data.empty()) {
    size_t n = std::min<size_t>(data.size(), 1u << 30);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(n));
    data.remove_prefix(n);
  }
  return static_cast<uint32_t>(crc);
}

namespace {
std::array<std::array<uint32_t, 256>, 8> MakeCrc32cTables() {
  std::array<std::array<uint32_t, 256>, 8> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    t[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; ++i) {
    for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
  }
  return t;
}
}  // namespace

uint32_t Crc32c(std::string_view data) {
  static const auto t = MakeCrc32cTables();
  uint32_t c = 0xffffffffu;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size();
  while (n >= 8) {
    uint32_t lo = c ^ (uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 |
                       uint32_t{p[3]} << 24);
    c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
        t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
    p += 8;
    n -= 8;
  }
  while (n--) c = t[0][(c ^ *p++) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

std::string ChecksumHeaderValue(uint32_t crc) {
  char b[4] = {static_cast<char>(crc >> 24), static_cast<char>(crc >> 16),
               static_cast<char>(crc >> 8), static_cast<char>(crc)};
  return Base64Encode(std::string_view(b, 4));
}

Result<std::optional<ResolvedRange>> ResolveRange(const std::string* header, int64_t size) {
  using R = std::optional<ResolvedRange>;
  if (header == nullptr) return R();
  std::string_view h = Trim(*header);
  if (!StartsWith(h, "bytes=")) return R();
  h.remove_prefix(6);
  if (h.find(',') != std::string_view::npos) return R();
  size_t dash = h.find('-');
  if (dash == std::string_view::npos) return R();
  std::string_view a = Trim(h.substr(0, dash)), b = Trim(h.substr(dash + 1));
  auto unsatisfiable = [&]() {
    return Status::Error("InvalidRange", "The requested range is not satisfiable", 416);
  };
  ResolvedRange rr;
  if (a.empty()) {  // suffix: last n bytes
    auto n = ParseNonNegative(b);
    if (!n) return R();
    if (*n == 0 || size == 0) return unsatisfiable();
    rr.first = std::max<int64_t>(0, size - *n);
    rr.last = size - 1;
    return R(rr);
  }
  auto first = ParseNonNegative(a);
  if (!first) return R();
  std::optional<int64_t> last;
  if (!b.empty()) {
    last = ParseNonNegative(b);
    if (!last || *last < *first) return R();
  }
  if (*first >= size) return unsatisfiable();
  rr.first = *first;
  rr.last = last ? std::min(*last, size - 1) : size - 1;
  return R(rr);
}

}  // namespace orgtrail::s3
