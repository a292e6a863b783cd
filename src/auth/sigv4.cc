#include "auth/sigv4.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <exception>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "auth/aws_chunked.h"
#include "base/strings.h"
#include "crypto/hash.h"

namespace orgtrail::auth {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kEcdsaAlgorithm = "AWS4-ECDSA-P256-SHA256";
constexpr std::string_view kTerminator = "aws4_request";
constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
constexpr std::string_view kStreamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
constexpr std::string_view kStreamingSigned = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
constexpr std::string_view kStreamingSignedTrailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
constexpr std::string_view kStreamingEcdsaPrefix = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD";
// Used in place of the secret of an unknown key so that the HMAC work (and
// its timing) is the same whether or not the key exists.
constexpr std::string_view kDummySecret = "orgtrail-unknown-key-dummy-secret-0000000";

// botocore 1.43's block-list (aws-compat.md §2.1).
constexpr std::string_view kUnsignedHeaderNames[] = {
    "authorization", "connection", "expect", "keep-alive", "proxy-authenticate",
    "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "user-agent",
    "x-amzn-trace-id"};

bool IsHex64(std::string_view s) {
  if (s.size() != 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::vector<std::string_view> HeaderValues(const HeaderList& headers, std::string_view lname) {
  std::vector<std::string_view> out;
  for (const auto& [name, value] : headers) {
    if (IEquals(name, lname)) out.push_back(value);
  }
  return out;
}

bool RegionNameLooksValid(std::string_view r) {
  if (r.empty() || r.size() > 64) return false;
  return std::all_of(r.begin(), r.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

std::string Hmac(std::string_view key, std::string_view data) {
  return crypto::HmacSha256(key, data);
}

// Signing keys derived recently, by (secret, date, region, service): a
// client signs call after call with the same scope, and the derivation is
// four HMACs. Bounded: emptied when full (a new day or many keys). The
// secrets are in memory anyway (the credential lookup returns them).
class SigningKeyCache {
 public:
  std::string Get(std::string_view secret, std::string_view date8, std::string_view region,
                  std::string_view service) {
    std::string id;
    id.reserve(secret.size() + date8.size() + region.size() + service.size() + 3);
    id.append(secret).push_back('\0');
    id.append(date8).push_back('\0');
    id.append(region).push_back('\0');
    id.append(service);
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = keys_.find(id);
      if (it != keys_.end()) return it->second;
    }
    std::string key = DeriveSigningKey(secret, date8, region, service);
    std::lock_guard<std::mutex> lock(mu_);
    if (keys_.size() >= kMaxKeys) keys_.clear();
    keys_.emplace(std::move(id), key);
    return key;
  }

 private:
  static constexpr size_t kMaxKeys = 4096;
  std::mutex mu_;
  std::unordered_map<std::string, std::string> keys_;
};

std::string CachedSigningKey(std::string_view secret, std::string_view date8,
                             std::string_view region, std::string_view service) {
  static SigningKeyCache* const cache = new SigningKeyCache();  // never destroyed: used at exit
  return cache->Get(secret, date8, region, service);
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  std::string s(kAlgorithm);
  s += '\n';
  s += amz_date;
  s += '\n';
  s += scope;
  s += '\n';
  s += crypto::Sha256Hex(canonical_request);
  return s;
}

// Builds the canonical request from its already-canonical parts.
std::string CanonicalRequest(std::string_view method, std::string_view uri,
                             std::string_view query, std::string_view canonical_headers,
                             std::string_view signed_headers, std::string_view payload) {
  std::string cr;
  cr.reserve(method.size() + uri.size() + query.size() + canonical_headers.size() +
             signed_headers.size() + payload.size() + 8);
  cr += method;
  cr += '\n';
  cr += uri;
  cr += '\n';
  cr += query;
  cr += '\n';
  cr += canonical_headers;
  cr += '\n';
  cr += signed_headers;
  cr += '\n';
  cr += payload;
  return cr;
}

// "name:v1,v2\n" for every name, in the given order.
std::string CanonicalHeaderBlock(const HeaderList& headers, const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) {
    out += name;
    out += ':';
    bool first = true;
    for (std::string_view v : HeaderValues(headers, name)) {
      if (!first) out += ',';
      first = false;
      out += TrimAll(v);
    }
    out += '\n';
  }
  return out;
}

// Everything parsed from the Authorization header or the presigned query.
struct ParsedAuth {
  bool presigned = false;
  std::string access_key_id, date8, region, service;
  std::string signed_headers_line;
  std::vector<std::string> signed_headers;
  std::string signature;  // lower-case hex
  std::string amz_date;   // as used in the string to sign
  TimePoint request_time{};
  int64_t expires = 0;
  std::optional<std::string> token;
};

using ParseOutcome = std::variant<ParsedAuth, AuthError>;

AuthError Fail(AuthFailure f, std::string message) {
  AuthError e;
  e.failure = f;
  e.message = std::move(message);
  return e;
}

// "AKID/20150830/us-east-1/iam/aws4_request"
std::optional<AuthError> ParseCredential(std::string_view cred, ParsedAuth* out) {
  std::vector<std::string> parts = Split(cred, '/');
  if (parts.size() != 5 || parts[0].empty()) {
    return Fail(AuthFailure::kMalformed,
                "Credential should be of the form <key>/<date>/<region>/<service>/aws4_request");
  }
  out->access_key_id = parts[0];
  out->date8 = parts[1];
  out->region = parts[2];
  out->service = parts[3];
  if (parts[4] != kTerminator) {
    return Fail(AuthFailure::kMalformed, "Credential should be scoped with a valid terminator: "
                                         "'aws4_request', not '" + parts[4].substr(0, 64) + "'");
  }
  return std::nullopt;
}

std::optional<AuthError> ParseSignedHeaders(std::string_view line, ParsedAuth* out) {
  if (line.empty()) return Fail(AuthFailure::kMalformed, "SignedHeaders is empty");
  size_t count = std::count(line.begin(), line.end(), ';') + 1;
  if (count > kMaxSignedHeaders) {
    return Fail(AuthFailure::kMalformed, "SignedHeaders lists too many headers");
  }
  out->signed_headers_line = std::string(line);
  out->signed_headers = Split(line, ';');
  for (const auto& h : out->signed_headers) {
    if (h.empty() || h.size() > 256) {
      return Fail(AuthFailure::kMalformed, "SignedHeaders contains an invalid name");
    }
    for (char c : h) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                c == '.';
      if (!ok) return Fail(AuthFailure::kMalformed, "SignedHeaders contains an invalid name");
    }
  }
  return std::nullopt;
}

std::optional<AuthError> ParseSignature(std::string_view sig, ParsedAuth* out) {
  if (!IsHex64(sig)) {
    return Fail(AuthFailure::kMalformed, "Signature must be 64 hexadecimal characters");
  }
  out->signature = ToLower(sig);
  return std::nullopt;
}

ParseOutcome ParseHeaderAuth(std::string_view authz, const HeaderList& headers) {
  ParsedAuth p;
  authz = Trim(authz);
  size_t sp = authz.find(' ');
  std::string_view alg = authz.substr(0, sp);
  if (alg == kEcdsaAlgorithm) {
    return Fail(AuthFailure::kUnsupported, "SigV4a (AWS4-ECDSA-P256-SHA256) is not supported");
  }
  if (alg == "AWS") return Fail(AuthFailure::kUnsupported, "Signature Version 2 is not supported");
  if (alg != kAlgorithm || sp == std::string_view::npos) {
    return Fail(AuthFailure::kMalformed, "Unsupported or missing Authorization algorithm");
  }
  std::optional<std::string> cred, signed_headers, sig;
  for (const std::string& raw : Split(authz.substr(sp + 1), ',')) {
    std::string_view item = Trim(raw);
    if (item.empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return Fail(AuthFailure::kMalformed, "Authorization header component without '='");
    }
    std::string_view key = Trim(item.substr(0, eq));
    std::string value(Trim(item.substr(eq + 1)));
    std::optional<std::string>* slot = nullptr;
    if (key == "Credential") slot = &cred;
    else if (key == "SignedHeaders") slot = &signed_headers;
    else if (key == "Signature") slot = &sig;
    else continue;
    if (slot->has_value()) {
      return Fail(AuthFailure::kMalformed, "Authorization header repeats " + std::string(key));
    }
    *slot = std::move(value);
  }
  if (!cred) return Fail(AuthFailure::kMalformed, "Authorization header requires 'Credential'");
  if (!signed_headers) {
    return Fail(AuthFailure::kMalformed, "Authorization header requires 'SignedHeaders'");
  }
  if (!sig) return Fail(AuthFailure::kMalformed, "Authorization header requires 'Signature'");
  if (auto e = ParseCredential(*cred, &p)) return *e;
  if (auto e = ParseSignedHeaders(*signed_headers, &p)) return *e;
  if (auto e = ParseSignature(*sig, &p)) return *e;

  auto amz_dates = HeaderValues(headers, "x-amz-date");
  if (amz_dates.size() > 1) return Fail(AuthFailure::kMalformed, "X-Amz-Date is repeated");
  bool signed_amz_date = std::find(p.signed_headers.begin(), p.signed_headers.end(),
                                   "x-amz-date") != p.signed_headers.end();
  if (amz_dates.size() == 1) {
    std::string_view d = Trim(amz_dates[0]);
    auto t = ParseAmzDate(d);
    if (!t) return Fail(AuthFailure::kMalformed, "X-Amz-Date is not YYYYMMDD'T'HHMMSS'Z'");
    if (!signed_amz_date) return Fail(AuthFailure::kMalformed, "x-amz-date must be signed");
    p.amz_date = std::string(d);
    p.request_time = *t;
  } else {
    auto dates = HeaderValues(headers, "date");
    if (dates.size() != 1) {
      return Fail(AuthFailure::kMalformed,
                  "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
                  "header");
    }
    auto t = ParseRfc1123(Trim(dates[0]));
    if (!t) return Fail(AuthFailure::kMalformed, "Date header is not an RFC 1123 date");
    if (std::find(p.signed_headers.begin(), p.signed_headers.end(), "date") ==
        p.signed_headers.end()) {
      return Fail(AuthFailure::kMalformed, "date must be signed");
    }
    p.amz_date = FormatAmzDate(*t);
    p.request_time = *t;
  }
  auto tokens = HeaderValues(headers, "x-amz-security-token");
  if (tokens.size() > 1) return Fail(AuthFailure::kInvalidToken, "X-Amz-Security-Token repeated");
  if (tokens.size() == 1) p.token = std::string(Trim(tokens[0]));
  return p;
}

ParseOutcome ParsePresigned(const std::vector<std::pair<std::string, std::string>>& params,
                            const HeaderList& headers) {
  ParsedAuth p;
  p.presigned = true;
  std::optional<std::string> alg, cred, date, expires, signed_headers, sig, token;
  for (const auto& [k, v] : params) {
    std::optional<std::string>* slot = nullptr;
    if (k == "X-Amz-Algorithm") slot = &alg;
    else if (k == "X-Amz-Credential") slot = &cred;
    else if (k == "X-Amz-Date") slot = &date;
    else if (k == "X-Amz-Expires") slot = &expires;
    else if (k == "X-Amz-SignedHeaders") slot = &signed_headers;
    else if (k == "X-Amz-Signature") slot = &sig;
    else if (k == "X-Amz-Security-Token") slot = &token;
    else continue;
    if (slot->has_value()) return Fail(AuthFailure::kMalformed, "Query parameter " + k + " repeated");
    *slot = v;
  }
  if (alg && *alg == kEcdsaAlgorithm) {
    return Fail(AuthFailure::kUnsupported, "SigV4a (AWS4-ECDSA-P256-SHA256) is not supported");
  }
  if (!alg || *alg != kAlgorithm) {
    return Fail(AuthFailure::kMalformed,
                "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
  }
  if (!cred || !date || !expires || !signed_headers || !sig) {
    return Fail(AuthFailure::kMalformed,
                "Query-string authentication requires the X-Amz-Algorithm, X-Amz-Credential, "
                "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters");
  }
  if (auto e = ParseCredential(*cred, &p)) return *e;
  if (auto e = ParseSignedHeaders(*signed_headers, &p)) return *e;
  if (auto e = ParseSignature(*sig, &p)) return *e;
  auto t = ParseAmzDate(*date);
  if (!t) return Fail(AuthFailure::kMalformed, "X-Amz-Date must be in the ISO8601 Long Format");
  p.amz_date = *date;
  p.request_time = *t;
  int64_t ex = -1;
  const char* b = expires->data();
  const char* e = b + expires->size();
  auto [ptr, ec] = std::from_chars(b, e, ex);
  if (ec != std::errc() || ptr != e || expires->empty()) {
    return Fail(AuthFailure::kMalformed, "X-Amz-Expires should be a number");
  }
  if (ex < 1) return Fail(AuthFailure::kMalformed, "X-Amz-Expires must be non-negative");
  if (ex > kMaxPresignExpires) {
    return Fail(AuthFailure::kMalformed, "X-Amz-Expires must be less than a week (in seconds) "
                                         "that is 604800");
  }
  p.expires = ex;
  if (token) {
    p.token = *token;
  } else {
    auto tokens = HeaderValues(headers, "x-amz-security-token");
    if (tokens.size() > 1) return Fail(AuthFailure::kInvalidToken, "X-Amz-Security-Token repeated");
    if (tokens.size() == 1) p.token = std::string(Trim(tokens[0]));
  }
  return p;
}

enum class PayloadMode { kHashed, kUnsigned, kStreamingUnsignedTrailer, kStreamingSigned,
                         kStreamingSignedTrailer };

std::variant<VerifiedRequest, AuthError> VerifyImpl(
    const HttpRequestView& req, bool is_s3, std::string_view expected_service,
    CredentialLookup& creds, const Clock& clock,
    const std::function<bool(std::string_view)>& region_ok) {
  std::string_view target = req.raw_target;
  size_t qmark = target.find('?');
  std::string_view raw_path = target.substr(0, qmark);
  std::string_view raw_query =
      qmark == std::string_view::npos ? std::string_view() : target.substr(qmark + 1);

  auto params = ParseQueryString(raw_query, /*plus_as_space=*/false);
  auto authz = HeaderValues(req.headers, "authorization");
  auto has_param = [&](std::string_view name) {
    if (!params) return false;
    for (const auto& kv : *params) {
      if (kv.first == name) return true;
    }
    return false;
  };
  bool presign_params = has_param("X-Amz-Algorithm") || has_param("X-Amz-Credential") ||
                        has_param("X-Amz-Signature");

  ParseOutcome parsed;
  if (authz.size() > 1) {
    return Fail(AuthFailure::kMalformed, "Authorization header is repeated");
  } else if (authz.size() == 1) {
    if (presign_params) {
      return Fail(AuthFailure::kMalformed, "Only one auth mechanism allowed; only the "
                                           "X-Amz-Algorithm query parameter or the Authorization "
                                           "header should be specified");
    }
    if (Trim(authz[0]).empty()) return Fail(AuthFailure::kMissingAuth, "Authorization is empty");
    parsed = ParseHeaderAuth(authz[0], req.headers);
  } else if (presign_params) {
    parsed = ParsePresigned(*params, req.headers);
  } else if (has_param("AWSAccessKeyId") && has_param("Signature")) {
    return Fail(AuthFailure::kUnsupported, "Signature Version 2 presigned URLs are not supported; "
                                           "presign with signature_version='s3v4'");
  } else {
    if (!params && raw_query.find("X-Amz-") != std::string_view::npos) {
      return Fail(AuthFailure::kMalformed, "Malformed query string");
    }
    return Fail(AuthFailure::kMissingAuth, "Request is missing Authentication Token");
  }
  if (auto* err = std::get_if<AuthError>(&parsed)) {
    err->presigned = presign_params;
    return std::move(*err);
  }
  ParsedAuth& p = std::get<ParsedAuth>(parsed);

  const TimePoint now = clock.Now();
  auto fail = [&](AuthFailure f, std::string message) {
    AuthError e = Fail(f, std::move(message));
    e.presigned = p.presigned;
    e.request_time = p.amz_date;
    e.server_time = FormatAmzDate(now);
    e.region = p.region;
    e.service = p.service;
    e.access_key_id = p.access_key_id;
    return e;
  };

  // Skew first: cheap, and it must not depend on the key.
  const int64_t delta = ToUnixSeconds(now) - ToUnixSeconds(p.request_time);
  if (p.presigned) {
    if (delta < -kMaxSkewSeconds) return fail(AuthFailure::kSkewed, "Request is not yet valid");
    if (delta > p.expires) return fail(AuthFailure::kPresignExpired, "Request has expired");
  } else if (delta > kMaxSkewSeconds || delta < -kMaxSkewSeconds) {
    return fail(AuthFailure::kSkewed,
                "The difference between the request time and the current time is too large.");
  }

  // Scope.
  if (p.date8 != p.amz_date.substr(0, 8)) {
    return fail(AuthFailure::kMalformed,
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
                "from HTTP: '" + p.date8.substr(0, 16) + "' != '" + p.amz_date.substr(0, 8) + "'");
  }
  if (!expected_service.empty() && p.service != expected_service) {
    return fail(AuthFailure::kWrongScopeService,
                "Credential should be scoped to correct service: '" +
                    std::string(expected_service) + "'.");
  }
  if (!(region_ok ? region_ok(p.region) : RegionNameLooksValid(p.region))) {
    return fail(AuthFailure::kWrongScopeRegion, "Credential should be scoped to a valid region.");
  }

  // Signed headers must exist; host is mandatory.
  bool host_signed = false;
  for (const auto& h : p.signed_headers) {
    if (h == "host") host_signed = true;
    if (HeaderValues(req.headers, h).empty()) {
      return fail(AuthFailure::kMalformed, "Header '" + h + "' is signed but not present");
    }
  }
  if (!host_signed) return fail(AuthFailure::kMalformed, "'Host' must be a signed header");

  // Payload line(s).
  std::vector<std::string> payload_candidates;
  PayloadMode mode = PayloadMode::kHashed;
  std::string body_hash;  // lazily computed
  auto content_vals = HeaderValues(req.headers, "x-amz-content-sha256");
  if (content_vals.size() > 1) {
    return fail(AuthFailure::kMalformed, "X-Amz-Content-SHA256 is repeated");
  }
  std::optional<std::string> content_hdr;
  if (content_vals.size() == 1) content_hdr = std::string(Trim(content_vals[0]));
  if (is_s3 && content_hdr) {
    const std::string& v = *content_hdr;
    if (IsHex64(v)) {
      mode = PayloadMode::kHashed;
    } else if (v == kUnsignedPayload) {
      mode = PayloadMode::kUnsigned;
    } else if (v == kStreamingUnsignedTrailer) {
      mode = PayloadMode::kStreamingUnsignedTrailer;
    } else if (v == kStreamingSigned) {
      mode = PayloadMode::kStreamingSigned;
    } else if (v == kStreamingSignedTrailer) {
      mode = PayloadMode::kStreamingSignedTrailer;
    } else if (StartsWith(v, kStreamingEcdsaPrefix)) {
      return fail(AuthFailure::kUnsupported, "SigV4a streaming payloads are not supported");
    } else {
      return fail(AuthFailure::kMalformed,
                  "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-"
                  "TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER], or a valid sha256 value.");
    }
    if (p.presigned && (mode == PayloadMode::kStreamingSigned ||
                        mode == PayloadMode::kStreamingSignedTrailer)) {
      return fail(AuthFailure::kMalformed, "Streaming signatures require the Authorization header");
    }
    payload_candidates.push_back(v);
  } else if (is_s3 && p.presigned) {
    mode = PayloadMode::kUnsigned;
    payload_candidates.emplace_back(kUnsignedPayload);
  } else if (content_hdr) {
    // Non-S3 (or S3 without the header): only a real hash of the body.
    if (!IsHex64(*content_hdr)) {
      return fail(AuthFailure::kContentSha256Mismatch,
                  "X-Amz-Content-SHA256 must be the hex SHA-256 of the body for this service");
    }
    payload_candidates.push_back(*content_hdr);
  } else {
    body_hash = crypto::Sha256Hex(req.body);
    payload_candidates.push_back(body_hash);
    // botocore presigns every service with UNSIGNED-PAYLOAD; accept it only
    // when there is no body to protect.
    if (p.presigned && req.body.empty()) payload_candidates.emplace_back(kUnsignedPayload);
  }

  std::optional<std::string> canonical_query = CanonicalQuery(raw_query, p.presigned);
  if (!canonical_query) return fail(AuthFailure::kMalformed, "Malformed query string escape");
  const std::string canonical_uri = CanonicalUri(raw_path, is_s3);
  const std::string header_block = CanonicalHeaderBlock(req.headers, p.signed_headers);

  // Credential and signature: the HMAC work is done even for unknown keys.
  std::optional<Credential> cred = creds.FindCredential(p.access_key_id);
  const bool known = cred.has_value() && cred->active;
  const std::string scope = p.date8 + "/" + p.region + "/" + p.service + "/" + std::string(kTerminator);
  const std::string signing_key = CachedSigningKey(
      known ? std::string_view(cred->secret_access_key) : kDummySecret, p.date8, p.region,
      p.service);
  bool matched = false;
  std::string first_cr, first_sts;
  for (const std::string& payload : payload_candidates) {
    std::string cr = CanonicalRequest(req.method, canonical_uri, *canonical_query, header_block,
                                      p.signed_headers_line, payload);
    std::string sts = StringToSign(p.amz_date, scope, cr);
    std::string expected = HexEncode(Hmac(signing_key, sts));
    if (crypto::ConstantTimeEquals(expected, p.signature)) matched = true;
    if (first_cr.empty()) {
      first_cr = std::move(cr);
      first_sts = std::move(sts);
    }
  }

  if (!known) {
    return fail(AuthFailure::kUnknownKey,
                "The AWS Access Key Id you provided does not exist in our records.");
  }
  if (!cred->session_token.empty()) {
    if (!p.token || !crypto::ConstantTimeEquals(*p.token, cred->session_token)) {
      return fail(AuthFailure::kInvalidToken,
                  "The security token included in the request is invalid.");
    }
  } else if (p.token && !p.token->empty()) {
    return fail(AuthFailure::kInvalidToken,
                "The security token included in the request is invalid.");
  }
  if (cred->expiration && now >= *cred->expiration) {
    return fail(AuthFailure::kExpiredToken,
                "The security token included in the request is expired");
  }
  if (!matched) {
    AuthError e = fail(AuthFailure::kSignatureMismatch,
                       "The request signature we calculated does not match the signature you "
                       "provided. Check your key and signing method.");
    e.canonical_request = std::move(first_cr);
    e.string_to_sign = std::move(first_sts);
    return e;
  }

  VerifiedRequest out;
  out.presigned = p.presigned;
  out.region = p.region;
  out.service = p.service;
  out.amz_date = p.amz_date;
  out.content_sha256 = payload_candidates.front();

  // The body: hashed payloads must match; streaming payloads are decoded.
  if (mode == PayloadMode::kHashed && content_hdr) {
    if (body_hash.empty()) body_hash = crypto::Sha256Hex(req.body);
    if (!IEquals(body_hash, *content_hdr)) {
      return fail(AuthFailure::kContentSha256Mismatch,
                  "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
  }
  if (mode == PayloadMode::kStreamingUnsignedTrailer || mode == PayloadMode::kStreamingSigned ||
      mode == PayloadMode::kStreamingSignedTrailer) {
    auto decoded = DecodeAwsChunked(req.body);
    if (!decoded.ok()) return fail(AuthFailure::kMalformedBody, decoded.status().message());
    auto dcl = HeaderValues(req.headers, "x-amz-decoded-content-length");
    if (dcl.size() > 1) return fail(AuthFailure::kMalformedBody, "x-amz-decoded-content-length repeated");
    if (dcl.size() == 1) {
      std::string_view s = Trim(dcl[0]);
      uint64_t n = 0;
      auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
      if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) {
        return fail(AuthFailure::kMalformedBody, "x-amz-decoded-content-length is not a number");
      }
      if (n != decoded->payload.size()) {
        return fail(AuthFailure::kMalformedBody,
                    "x-amz-decoded-content-length does not match the decoded body length");
      }
    }
    if (mode != PayloadMode::kStreamingUnsignedTrailer) {
      ChunkSigner signer(signing_key, p.amz_date, scope, p.signature);
      bool ok = true;
      for (const auto& chunk : decoded->chunks) {
        std::string expected = signer.NextChunkSignature(
            std::string_view(decoded->payload).substr(chunk.offset, chunk.size));
        // Evaluate every chunk (no early exit) to keep the work uniform.
        ok = crypto::ConstantTimeEquals(expected, chunk.signature) && ok;
      }
      if (!ok) {
        return fail(AuthFailure::kSignatureMismatch,
                    "A chunk signature does not match the signature chain.");
      }
      if (mode == PayloadMode::kStreamingSignedTrailer) {
        std::string expected = signer.TrailerSignature(CanonicalTrailers(decoded->trailers));
        if (!crypto::ConstantTimeEquals(expected, decoded->trailer_signature)) {
          return fail(AuthFailure::kSignatureMismatch,
                      "The trailer signature does not match the signature chain.");
        }
      } else if (!decoded->trailers.empty() || !decoded->trailer_signature.empty()) {
        return fail(AuthFailure::kMalformedBody,
                    "Trailers are not allowed with STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
      }
    }
    out.body_was_chunked = true;
    out.decoded_body = std::move(decoded->payload);
    out.trailers = std::move(decoded->trailers);
  }
  out.credential = std::move(*cred);
  return out;
}

std::string Minus15(std::string_view amz) {
  auto t = ParseAmzDate(amz);
  return t ? FormatAmzDate(*t - std::chrono::seconds(kMaxSkewSeconds)) : std::string(amz);
}
std::string Plus15(std::string_view amz) {
  auto t = ParseAmzDate(amz);
  return t ? FormatAmzDate(*t + std::chrono::seconds(kMaxSkewSeconds)) : std::string(amz);
}

}  // namespace

const char* AuthFailureName(AuthFailure f) {
  switch (f) {
    case AuthFailure::kMissingAuth: return "MissingAuth";
    case AuthFailure::kMalformed: return "Malformed";
    case AuthFailure::kMalformedBody: return "MalformedBody";
    case AuthFailure::kUnknownKey: return "UnknownKey";
    case AuthFailure::kSignatureMismatch: return "SignatureMismatch";
    case AuthFailure::kSkewed: return "Skewed";
    case AuthFailure::kPresignExpired: return "PresignExpired";
    case AuthFailure::kInvalidToken: return "InvalidToken";
    case AuthFailure::kExpiredToken: return "ExpiredToken";
    case AuthFailure::kContentSha256Mismatch: return "ContentSha256Mismatch";
    case AuthFailure::kWrongScopeService: return "WrongScopeService";
    case AuthFailure::kWrongScopeRegion: return "WrongScopeRegion";
    case AuthFailure::kUnsupported: return "Unsupported";
  }
  return "Unknown";
}

Verifier::Verifier(CredentialLookup& creds, const Clock& clock) : creds_(creds), clock_(clock) {}

void Verifier::SetRegionFilter(std::function<bool(std::string_view)> region_ok) {
  region_ok_ = std::move(region_ok);
}

std::variant<VerifiedRequest, AuthError> Verifier::Verify(const HttpRequestView& req, bool is_s3,
                                                          std::string_view expected_service) const {
  // The edge for third-party and allocation failures: no input may crash us.
  try {
    return VerifyImpl(req, is_s3, expected_service, creds_, clock_, region_ok_);
  } catch (const std::exception& e) {
    return Fail(AuthFailure::kMalformed, std::string("request could not be verified: ") + e.what());
  }
}

Status ToStatus(const AuthError& e, std::string_view protocol) {
  const bool s3 = protocol == "s3";
  const bool query = protocol == "query";
  const int json_status = protocol == "rest-json" ? 403 : 400;
  auto pick = [&](const char* s3_code, int s3_status, const char* query_code, int query_status,
                  const char* json_code, std::string message) {
    if (s3) return Status::Error(s3_code, std::move(message), s3_status);
    if (query) return Status::Error(query_code, std::move(message), query_status);
    return Status::Error(json_code, std::move(message), json_status);
  };
  const char* s3_malformed =
      e.presigned ? "AuthorizationQueryParametersError" : "AuthorizationHeaderMalformed";
  const std::string sig_msg =
      s3 ? "The request signature we calculated does not match the signature you provided. "
           "Check your key and signing method."
         : "The request signature we calculated does not match the signature you provided. "
           "Check your AWS Secret Access Key and signing method. Consult the service "
           "documentation for details.";
  switch (e.failure) {
    case AuthFailure::kMissingAuth:
      if (s3) return Status::AccessDenied("Access Denied");
      return pick("", 0, "MissingAuthenticationToken", 403, "MissingAuthenticationTokenException",
                  "Missing Authentication Token");
    case AuthFailure::kMalformed:
      return pick(s3_malformed, 400, "IncompleteSignature", 400, "IncompleteSignatureException",
                  e.message);
    case AuthFailure::kMalformedBody:
      return pick("IncompleteBody", 400, "IncompleteSignature", 400,
                  "IncompleteSignatureException", e.message);
    case AuthFailure::kUnknownKey:
      return pick("InvalidAccessKeyId", 403, "InvalidClientTokenId", 403,
                  "UnrecognizedClientException",
                  s3 ? "The AWS Access Key Id you provided does not exist in our records."
                     : "The security token included in the request is invalid.");
    case AuthFailure::kSignatureMismatch:
      return pick("SignatureDoesNotMatch", 403, "SignatureDoesNotMatch", 403,
                  "InvalidSignatureException", sig_msg);
    case AuthFailure::kSkewed:
    case AuthFailure::kPresignExpired: {
      if (s3) {
        if (e.failure == AuthFailure::kPresignExpired) {
          return Status::AccessDenied("Request has expired");
        }
        return Status::Error("RequestTimeTooSkewed",
                             "The difference between the request time and the current time is "
                             "too large.",
                             403);
      }
      std::string msg;
      if (e.request_time < e.server_time) {
        msg = "Signature expired: " + e.request_time + " is now earlier than " +
              Minus15(e.server_time) + " (" + e.server_time + " - 15 min.)";
      } else {
        msg = "Signature not yet current: " + e.request_time + " is still later than " +
              Plus15(e.server_time) + " (" + e.server_time + " + 15 min.)";
      }
      return pick("", 0, "SignatureDoesNotMatch", 403, "InvalidSignatureException", msg);
    }
    case AuthFailure::kInvalidToken:
      return pick("InvalidToken", 400, "InvalidClientTokenId", 403, "UnrecognizedClientException",
                  s3 ? "The provided token is malformed or otherwise invalid."
                     : "The security token included in the request is invalid.");
    case AuthFailure::kExpiredToken:
      return pick("ExpiredToken", 400, "ExpiredToken", 403, "ExpiredTokenException",
                  s3 ? "The provided token has expired."
                     : "The security token included in the request is expired");
    case AuthFailure::kContentSha256Mismatch:
      return pick("XAmzContentSHA256Mismatch", 400, "SignatureDoesNotMatch", 403,
                  "InvalidSignatureException",
                  "The provided 'x-amz-content-sha256' header does not match what was computed.");
    case AuthFailure::kWrongScopeService:
      return pick(s3_malformed, 400, "SignatureDoesNotMatch", 403, "InvalidSignatureException",
                  e.message);
    case AuthFailure::kWrongScopeRegion:
      return pick(s3_malformed, 400, "SignatureDoesNotMatch", 403, "InvalidSignatureException",
                  s3 ? "The authorization header is malformed; the region '" + e.region +
                           "' is wrong."
                     : e.message);
    case AuthFailure::kUnsupported:
      return pick("NotImplemented", 501, "IncompleteSignature", 400,
                  "IncompleteSignatureException", e.message);
  }
  return Status::Internal("unknown auth failure");
}

std::string DeriveSigningKey(std::string_view secret, std::string_view date8,
                             std::string_view region, std::string_view service) {
  std::string k = Hmac("AWS4" + std::string(secret), date8);
  k = Hmac(k, region);
  k = Hmac(k, service);
  return Hmac(k, kTerminator);
}

std::string CanonicalUri(std::string_view raw_path, bool is_s3) {
  if (raw_path.empty()) return "/";
  if (is_s3) return std::string(raw_path);
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= raw_path.size()) {
    size_t slash = raw_path.find('/', start);
    if (slash == std::string_view::npos) slash = raw_path.size();
    std::string_view seg = raw_path.substr(start, slash - start);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    start = slash + 1;
  }
  std::string path = raw_path.front() == '/' ? "/" : "";
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i) path += '/';
    path += segments[i];
  }
  if (raw_path.back() == '/' && !segments.empty()) path += '/';
  if (path.empty()) path = "/";
  return UriEncode(path, /*keep_slash=*/true);
}

std::optional<std::string> CanonicalQuery(std::string_view raw_query, bool drop_signature) {
  std::vector<std::pair<std::string, std::string>> pairs;
  size_t start = 0;
  while (start <= raw_query.size()) {
    size_t amp = raw_query.find('&', start);
    if (amp == std::string_view::npos) amp = raw_query.size();
    std::string_view piece = raw_query.substr(start, amp - start);
    start = amp + 1;
    if (piece.empty()) continue;
    size_t eq = piece.find('=');
    auto name = UriDecode(piece.substr(0, eq));
    auto value = eq == std::string_view::npos ? std::optional<std::string>("")
                                              : UriDecode(piece.substr(eq + 1));
    if (!name || !value) return std::nullopt;
    if (drop_signature && *name == "X-Amz-Signature") continue;
    pairs.emplace_back(UriEncode(*name), UriEncode(*value));
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [k, v] : pairs) {
    if (!out.empty()) out += '&';
    out += k;
    out += '=';
    out += v;
  }
  return out;
}

namespace {

std::string SignedHeaderNames(const HeaderList& headers, std::vector<std::string>* names) {
  for (const auto& [name, value] : headers) {
    std::string l = ToLower(name);
    if (std::find(std::begin(kUnsignedHeaderNames), std::end(kUnsignedHeaderNames), l) !=
            std::end(kUnsignedHeaderNames) ||
        StartsWith(l, "proxy-")) {
      continue;
    }
    if (std::find(names->begin(), names->end(), l) == names->end()) names->push_back(l);
  }
  std::sort(names->begin(), names->end());
  std::string line;
  for (const auto& n : *names) {
    if (!line.empty()) line += ';';
    line += n;
  }
  return line;
}

void RemoveHeader(HeaderList& headers, std::string_view lname) {
  headers.erase(std::remove_if(headers.begin(), headers.end(),
                               [&](const auto& h) { return IEquals(h.first, lname); }),
                headers.end());
}

}  // namespace

std::string SignRequest(const SigningCredentials& creds, const SignOptions& opts,
                        std::string_view method, std::string_view raw_target, HeaderList& headers,
                        std::string_view body) {
  const std::string amz_date = FormatAmzDate(opts.time);
  const std::string date8 = amz_date.substr(0, 8);
  RemoveHeader(headers, "authorization");
  RemoveHeader(headers, "x-amz-date");
  headers.emplace_back("X-Amz-Date", amz_date);
  if (!creds.session_token.empty()) {
    RemoveHeader(headers, "x-amz-security-token");
    headers.emplace_back("X-Amz-Security-Token", creds.session_token);
  }
  std::string payload;
  if (opts.is_s3) {
    payload = opts.payload_hash.empty() ? crypto::Sha256Hex(body) : opts.payload_hash;
    RemoveHeader(headers, "x-amz-content-sha256");
    headers.emplace_back("X-Amz-Content-SHA256", payload);
  } else {
    auto v = HeaderValues(headers, "x-amz-content-sha256");
    payload = v.empty() ? crypto::Sha256Hex(body) : std::string(Trim(v[0]));
  }
  std::vector<std::string> names;
  const std::string signed_line = SignedHeaderNames(headers, &names);
  size_t qmark = raw_target.find('?');
  std::string_view path = raw_target.substr(0, qmark);
  std::string_view query =
      qmark == std::string_view::npos ? std::string_view() : raw_target.substr(qmark + 1);
  const std::string cr =
      CanonicalRequest(method, CanonicalUri(path, opts.is_s3),
                       CanonicalQuery(query, false).value_or(""),
                       CanonicalHeaderBlock(headers, names), signed_line, payload);
  const std::string scope = date8 + "/" + opts.region + "/" + opts.service + "/aws4_request";
  const std::string signature = HexEncode(
      Hmac(DeriveSigningKey(creds.secret_access_key, date8, opts.region, opts.service),
           StringToSign(amz_date, scope, cr)));
  headers.emplace_back("Authorization", std::string(kAlgorithm) + " Credential=" +
                                            creds.access_key_id + "/" + scope +
                                            ", SignedHeaders=" + signed_line +
                                            ", Signature=" + signature);
  return signature;
}

std::string PresignTarget(const SigningCredentials& creds, const SignOptions& opts,
                          std::string_view method, std::string_view raw_target,
                          std::string_view host, int64_t expires_seconds) {
  const std::string amz_date = FormatAmzDate(opts.time);
  const std::string date8 = amz_date.substr(0, 8);
  const std::string scope = date8 + "/" + opts.region + "/" + opts.service + "/aws4_request";
  std::string target(raw_target);
  target += target.find('?') == std::string::npos ? '?' : '&';
  target += "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" +
            UriEncode(creds.access_key_id + "/" + scope) + "&X-Amz-Date=" + amz_date +
            "&X-Amz-Expires=" + std::to_string(expires_seconds) + "&X-Amz-SignedHeaders=host";
  if (!creds.session_token.empty()) {
    target += "&X-Amz-Security-Token=" + UriEncode(creds.session_token);
  }
  size_t qmark = target.find('?');
  std::string_view path = std::string_view(target).substr(0, qmark);
  std::string_view query = std::string_view(target).substr(qmark + 1);
  HeaderList host_header = {{"host", std::string(host)}};
  const std::string cr = CanonicalRequest(
      method, CanonicalUri(path, opts.is_s3), CanonicalQuery(query, false).value_or(""),
      CanonicalHeaderBlock(host_header, {"host"}), "host",
      opts.payload_hash.empty() ? kUnsignedPayload : std::string_view(opts.payload_hash));
  const std::string signature = HexEncode(
      Hmac(DeriveSigningKey(creds.secret_access_key, date8, opts.region, opts.service),
           StringToSign(amz_date, scope, cr)));
  return target + "&X-Amz-Signature=" + signature;
}

}  // namespace orgtrail::auth
