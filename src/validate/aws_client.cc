#include "validate/aws_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <pugixml.hpp>

#include <cstdlib>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>

#include "base/env.h"
#include "base/strings.h"

namespace orgtrail::validate {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

constexpr char kCloudTrailTarget[] = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.";
constexpr char kOrganizationsTarget[] = "AWSOrganizationsV20161128.";

std::string GetEnv(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

using IniFile = std::map<std::string, std::map<std::string, std::string>>;

// A minimal INI reader for the AWS CLI files: [section], key = value, '#'/';'
// comments. Nested (indented) sub-sections such as `s3 =` are skipped.
IniFile ReadIni(const std::string& path) {
  IniFile out;
  std::ifstream in(path);
  std::string line, section;
  bool nested = false;
  while (std::getline(in, line)) {
    bool indented = !line.empty() && (line[0] == ' ' || line[0] == '\t');
    std::string t(TrimAll(line));
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t.front() == '[' && t.back() == ']') {
      section = std::string(TrimAll(t.substr(1, t.size() - 2)));
      nested = false;
      continue;
    }
    size_t eq = t.find('=');
    if (eq == std::string::npos) continue;
    std::string k(TrimAll(t.substr(0, eq))), v(TrimAll(t.substr(eq + 1)));
    if (indented && nested) continue;
    nested = v.empty();
    if (!indented) out[section][ToLower(k)] = v;
  }
  return out;
}

std::string HomePath(const std::string& rel) {
  std::string home = GetEnv("HOME");
  return home.empty() ? rel : home + "/" + rel;
}

const std::map<std::string, std::string>* Section(const IniFile& f, const std::string& name) {
  auto it = f.find(name);
  return it == f.end() ? nullptr : &it->second;
}

std::string Get(const std::map<std::string, std::string>* s, const std::string& k) {
  if (!s) return "";
  auto it = s->find(k);
  return it == s->end() ? "" : it->second;
}

std::string XmlText(const pugi::xml_node& n, const char* child) {
  return n.child(child).text().as_string();
}

Status XmlError(const HttpReply& r) {
  pugi::xml_document doc;
  std::string code = "HttpError" + std::to_string(r.status), message = r.body;
  if (doc.load_buffer(r.body.data(), r.body.size())) {
    pugi::xml_node e = doc.child("Error");
    if (!e) e = doc.child("ErrorResponse").child("Error");
    if (e) {
      if (!XmlText(e, "Code").empty()) code = XmlText(e, "Code");
      message = XmlText(e, "Message");
    }
  }
  if (r.status == 404 && code.rfind("HttpError", 0) == 0) code = "NoSuchKey";
  return Status::Error(code, message, r.status);
}

}  // namespace

// ----------------------------------------------------------------- profiles

Result<AwsProfile> LoadAwsProfile(const std::string& requested) {
  AwsProfile p;
  p.name = requested.empty() ? GetEnv("AWS_PROFILE") : requested;
  // Environment keys win when no profile was asked for (as in the CLI).
  if (p.name.empty() && !GetEnv("AWS_ACCESS_KEY_ID").empty()) {
    p.name = "env";
    p.credentials = {GetEnv("AWS_ACCESS_KEY_ID"), GetEnv("AWS_SECRET_ACCESS_KEY"),
                     GetEnv("AWS_SESSION_TOKEN")};
    p.region = GetEnv("AWS_REGION").empty() ? GetEnv("AWS_DEFAULT_REGION") : GetEnv("AWS_REGION");
    p.endpoint_url = GetEnv("AWS_ENDPOINT_URL");
    return p;
  }
  if (p.name.empty()) p.name = "default";
  std::string config_path = GetEnv("AWS_CONFIG_FILE");
  if (config_path.empty()) config_path = HomePath(".aws/config");
  std::string creds_path = GetEnv("AWS_SHARED_CREDENTIALS_FILE");
  if (creds_path.empty()) creds_path = HomePath(".aws/credentials");
  IniFile config = ReadIni(config_path), creds = ReadIni(creds_path);

  auto config_section = [&](const std::string& name) {
    return Section(config, name == "default" ? "default" : "profile " + name);
  };
  const auto* conf = config_section(p.name);
  const auto* cred = Section(creds, p.name);
  if (!conf && !cred) {
    return Status::Error("ProfileNotFound",
                         "The config profile (" + p.name + ") could not be found");
  }
  p.region = Get(conf, "region");
  p.endpoint_url = Get(conf, "endpoint_url");
  p.role_arn = Get(conf, "role_arn");
  p.role_session_name = Get(conf, "role_session_name");
  std::string key_profile = p.name;
  if (!p.role_arn.empty()) {
    key_profile = Get(conf, "source_profile");
    if (key_profile.empty()) {
      return Status::Error("MissingCredentials", "profile " + p.name +
                                                     " has role_arn but no source_profile");
    }
    if (!Get(config_section(key_profile), "role_arn").empty()) {
      return Status::Error("MissingCredentials",
                           "chained role profiles are not supported (" + key_profile + ")");
    }
  }
  const auto* kc = Section(creds, key_profile);
  const auto* kf = config_section(key_profile);
  auto pick = [&](const char* k) {
    std::string v = Get(kc, k);
    return v.empty() ? Get(kf, k) : v;
  };
  p.credentials = {pick("aws_access_key_id"), pick("aws_secret_access_key"),
                   pick("aws_session_token")};
  if (p.credentials.access_key_id.empty() || p.credentials.secret_access_key.empty()) {
    return Status::Error("MissingCredentials",
                         "Unable to locate credentials for profile " + key_profile);
  }
  if (p.endpoint_url.empty()) p.endpoint_url = Get(kf, "endpoint_url");
  return p;
}

Status AssumeRoleProfile(AwsProfile& profile, const std::string& endpoint_url) {
  if (profile.role_arn.empty()) return Status::Ok();
  OT_ASSIGN_OR_RETURN(auto client, AwsClient::Create(endpoint_url, profile.credentials));
  std::string session = profile.role_session_name.empty() ? "orgtrail-validate-logs"
                                                          : profile.role_session_name;
  OT_ASSIGN_OR_RETURN(profile.credentials,
                      client->AssumeRole(profile.region.empty() ? "us-east-1" : profile.region,
                                         profile.role_arn, session));
  return Status::Ok();
}

// ------------------------------------------------------------------- client

Result<std::unique_ptr<AwsClient>> AwsClient::Create(const std::string& endpoint_url,
                                                     auth::SigningCredentials credentials) {
  constexpr std::string_view kHttp = "http://";
  if (endpoint_url.rfind(kHttp, 0) != 0) {
    return Status::Error("InvalidParameterValue",
                         "--endpoint-url must be http://HOST[:PORT], got '" + endpoint_url + "'");
  }
  std::string rest = endpoint_url.substr(kHttp.size());
  if (size_t slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
  std::string host = rest, port = "80";
  size_t colon = rest.rfind(':');
  if (colon != std::string::npos && rest.find(']', colon) == std::string::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty() || port.empty()) {
    return Status::Error("InvalidParameterValue", "bad endpoint URL '" + endpoint_url + "'");
  }
  return std::unique_ptr<AwsClient>(new AwsClient(host, port, std::move(credentials)));
}

struct AwsClient::Connection {
  boost::asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
};

AwsClient::AwsClient(std::string host, std::string port, auth::SigningCredentials c)
    : host_(std::move(host)), port_(std::move(port)), credentials_(std::move(c)) {
  host_header_ = host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_;
  if (port_ != "80") host_header_ += ":" + port_;
}

AwsClient::~AwsClient() = default;

Result<std::unique_ptr<AwsClient::Connection>> AwsClient::Acquire(bool* reused) const {
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (!idle_.empty()) {
      std::unique_ptr<Connection> c = std::move(idle_.back());
      idle_.pop_back();
      *reused = true;
      return c;
    }
  }
  *reused = false;
  auto c = std::make_unique<Connection>();
  boost::system::error_code ec;
  tcp::resolver resolver(c->ioc);
  auto endpoints = resolver.resolve(host_, port_, ec);
  if (ec) return Status::Error("EndpointConnectionError", "cannot resolve " + host_ + ": " + ec.message());
  c->stream.connect(endpoints, ec);
  if (ec) {
    return Status::Error("EndpointConnectionError",
                         "Could not connect to the endpoint URL http://" + host_header_ + ": " +
                             ec.message());
  }
  // Small requests and replies: do not wait for Nagle.
  c->stream.socket().set_option(tcp::no_delay(true), ec);
  return c;
}

void AwsClient::Release(std::unique_ptr<Connection> c) const {
  std::lock_guard<std::mutex> lock(pool_mu_);
  idle_.push_back(std::move(c));
}

Result<HttpReply> AwsClient::Send(const std::string& service, const std::string& region,
                                  const std::string& method, const std::string& target,
                                  std::map<std::string, std::string> headers,
                                  const std::string& body, bool is_s3) const {
  auth::HeaderList signed_headers;
  signed_headers.emplace_back("host", host_header_);
  for (auto& [k, v] : headers) signed_headers.emplace_back(k, v);
  auth::SignOptions so;
  so.region = region;
  so.service = service;
  so.time = RealClock::Default()->Now();
  so.is_s3 = is_s3;
  auth::SignRequest(credentials_, so, method, target, signed_headers, body);

  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  for (const auto& [k, v] : signed_headers) req.set(k, v);
  req.set(http::field::user_agent, "orgtrail-validate-logs");
  req.keep_alive(true);
  req.body() = body;
  req.prepare_payload();

  // A pooled connection may have been closed by the server while idle; the
  // request is then sent once more on a fresh connection (every request this
  // client sends is a read or an idempotent STS call).
  std::unique_ptr<Connection> conn;
  std::optional<http::response_parser<http::string_body>> parser;
  for (int attempt = 0;; ++attempt) {
    bool reused = false;
    OT_ASSIGN_OR_RETURN(conn, Acquire(&reused));
    boost::system::error_code ec;
    const char* step = "write: ";
    http::write(conn->stream, req, ec);
    if (!ec) {
      step = "read: ";
      parser.emplace();
      parser->body_limit(std::numeric_limits<std::uint64_t>::max());
      conn->buffer.clear();
      // Beast reads at most the buffer's free capacity per read_some and a
      // flat_buffer it was not asked to grow stays at its first size: room
      // for a log file (tens of KB) makes one read of what took dozens.
      if (conn->buffer.capacity() < (256u << 10)) conn->buffer.reserve(256u << 10);
      http::read(conn->stream, conn->buffer, *parser, ec);
    }
    if (!ec) break;
    if (reused && attempt == 0) continue;  // stale keep-alive connection
    return Status::Error("EndpointConnectionError", step + ec.message());
  }
  if (parser->get().keep_alive()) Release(std::move(conn));
  HttpReply out;
  auto& res = parser->get();
  out.status = static_cast<int>(res.result_int());
  for (const auto& f : res) out.headers[ToLower(std::string(f.name_string()))] = std::string(f.value());
  out.body = std::move(res.body());
  return out;
}

Result<Json> AwsClient::CallJson(const std::string& service, const std::string& region,
                                 const std::string& target, const Json& input) const {
  std::map<std::string, std::string> h = {{"content-type", "application/x-amz-json-1.1"},
                                          {"x-amz-target", target}};
  OT_ASSIGN_OR_RETURN(HttpReply r, Send(service, region, "POST", "/", h, input.dump(), false));
  auto parsed = ParseJson(r.body.empty() ? std::string("{}") : r.body);
  if (r.status / 100 != 2) {
    std::string code = "HttpError" + std::to_string(r.status), message = r.body;
    if (parsed.ok() && parsed->is_object()) {
      std::string type = parsed->value("__type", std::string());
      if (size_t hash = type.rfind('#'); hash != std::string::npos) type = type.substr(hash + 1);
      if (!type.empty()) code = type;
      if (parsed->contains("message") && (*parsed)["message"].is_string())
        message = (*parsed)["message"].get<std::string>();
      else if (parsed->contains("Message") && (*parsed)["Message"].is_string())
        message = (*parsed)["Message"].get<std::string>();
    }
    return Status::Error(code, message, r.status);
  }
  if (!parsed.ok() || !parsed->is_object()) {
    return Status::Internal(target + ": response is not a JSON object");
  }
  return std::move(parsed).value();
}

Result<auth::SigningCredentials> AwsClient::AssumeRole(const std::string& region,
                                                       const std::string& role_arn,
                                                       const std::string& session_name) const {
  std::string body = "Action=AssumeRole&Version=2011-06-15&RoleArn=" + UriEncode(role_arn) +
                     "&RoleSessionName=" + UriEncode(session_name);
  std::map<std::string, std::string> h = {
      {"content-type", "application/x-www-form-urlencoded; charset=utf-8"}};
  OT_ASSIGN_OR_RETURN(HttpReply r, Send("sts", region, "POST", "/", h, body, false));
  if (r.status / 100 != 2) return XmlError(r);
  pugi::xml_document doc;
  if (!doc.load_buffer(r.body.data(), r.body.size()))
    return Status::Internal("AssumeRole: malformed XML response");
  pugi::xml_node c =
      doc.child("AssumeRoleResponse").child("AssumeRoleResult").child("Credentials");
  auth::SigningCredentials out{XmlText(c, "AccessKeyId"), XmlText(c, "SecretAccessKey"),
                               XmlText(c, "SessionToken")};
  if (out.access_key_id.empty()) return Status::Internal("AssumeRole: no credentials returned");
  return out;
}

// --------------------------------------------------------------- CloudTrail

Result<TrailDescription> CloudTrailClient::DescribeTrail(const std::string& region,
                                                         const std::string& arn) const {
  Json in = {{"trailNameList", Json::array({arn})}, {"includeShadowTrails", true}};
  OT_ASSIGN_OR_RETURN(Json out, client_.CallJson("cloudtrail", region,
                                                 std::string(kCloudTrailTarget) + "DescribeTrails",
                                                 in));
  if (out.contains("trailList") && out["trailList"].is_array()) {
    for (const Json& t : out["trailList"]) {
      if (!t.is_object() || t.value("TrailARN", std::string()) != arn) continue;
      TrailDescription d;
      d.arn = arn;
      d.bucket = t.value("S3BucketName", std::string());
      d.prefix = t.value("S3KeyPrefix", std::string());
      d.is_org = t.value("IsOrganizationTrail", false);
      return d;
    }
  }
  return Status::Error("TrailNotFoundException", "Unknown trail: " + arn);
}

Result<std::vector<PublicKey>> CloudTrailClient::Keys(const std::string& region, TimePoint start,
                                                      TimePoint end) {
  Json in = {{"StartTime", ToUnixSeconds(start)}, {"EndTime", ToUnixSeconds(end)}};
  OT_ASSIGN_OR_RETURN(Json out, client_.CallJson("cloudtrail", region,
                                                 std::string(kCloudTrailTarget) + "ListPublicKeys",
                                                 in));
  std::vector<PublicKey> keys;
  if (!out.contains("PublicKeyList") || !out["PublicKeyList"].is_array()) return keys;
  for (const Json& k : out["PublicKeyList"]) {
    if (!k.is_object()) continue;
    auto der = Base64Decode(k.value("Value", std::string()));
    if (!der) return Status::Internal("ListPublicKeys: Value is not base64");
    keys.push_back(PublicKey{k.value("Fingerprint", std::string()), *der});
  }
  return keys;
}

Result<std::string> DescribeOrganizationId(const AwsClient& client) {
  OT_ASSIGN_OR_RETURN(Json out,
                      client.CallJson("organizations", "us-east-1",
                                      std::string(kOrganizationsTarget) + "DescribeOrganization",
                                      Json::object()));
  if (out.contains("Organization") && out["Organization"].is_object()) {
    std::string id = out["Organization"].value("Id", std::string());
    if (!id.empty()) return id;
  }
  return Status::Internal("DescribeOrganization: no organization id in the response");
}

// ----------------------------------------------------------------------- S3

Result<ListPage> S3BucketReader::List(const std::string& bucket, const std::string& prefix,
                                      const std::string& marker, const std::string& delimiter) {
  std::string target = "/" + UriEncode(bucket) + "?prefix=" + UriEncode(prefix);
  if (!marker.empty()) target += "&marker=" + UriEncode(marker);
  if (!delimiter.empty()) target += "&delimiter=" + UriEncode(delimiter);
  OT_ASSIGN_OR_RETURN(HttpReply r, client_.Send("s3", region_, "GET", target, {}, "", true));
  if (r.status / 100 != 2) return XmlError(r);
  pugi::xml_document doc;
  if (!doc.load_buffer(r.body.data(), r.body.size()))
    return Status::Internal("ListObjects: malformed XML response");
  pugi::xml_node root = doc.child("ListBucketResult");
  ListPage page;
  for (pugi::xml_node c : root.children("Contents")) page.keys.push_back(XmlText(c, "Key"));
  for (pugi::xml_node c : root.children("CommonPrefixes"))
    page.common_prefixes.push_back(XmlText(c, "Prefix"));
  page.truncated = std::string(root.child("IsTruncated").text().as_string()) == "true";
  if (page.truncated) {
    page.next_marker = XmlText(root, "NextMarker");
    if (page.next_marker.empty()) {
      std::string last_key = page.keys.empty() ? "" : page.keys.back();
      std::string last_cp = page.common_prefixes.empty() ? "" : page.common_prefixes.back();
      page.next_marker = std::max(last_key, last_cp);
    }
    if (page.next_marker.empty()) page.truncated = false;  // cannot advance
  }
  return page;
}

Result<std::string> S3BucketReader::LifecycleXml(const std::string& bucket) {
  OT_ASSIGN_OR_RETURN(HttpReply r, client_.Send("s3", region_, "GET",
                                                "/" + UriEncode(bucket) + "?lifecycle=", {}, "", true));
  if (r.status / 100 == 2) return r.body;
  return std::string();  // NoSuchLifecycleConfiguration, AccessDenied: nothing to go by
}

Status S3BucketReader::Get(const std::string& bucket, const std::string& key,
                           std::map<std::string, std::string>* metadata,
                           const std::function<void(std::string_view)>& on_bytes) {
  std::string target = "/" + UriEncode(bucket) + "/" + UriEncode(key, /*keep_slash=*/true);
  OT_ASSIGN_OR_RETURN(HttpReply r, client_.Send("s3", region_, "GET", target, {}, "", true));
  if (r.status / 100 != 2) return XmlError(r);
  if (metadata) {
    for (const auto& [k, v] : r.headers) {
      if (k.rfind("x-amz-meta-", 0) == 0) (*metadata)[k.substr(11)] = v;
    }
  }
  if (!r.body.empty()) on_bytes(r.body);
  return Status::Ok();
}

}  // namespace orgtrail::validate
