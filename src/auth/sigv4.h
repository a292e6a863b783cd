// SigV4: verification of signed requests (header and presigned-URL forms,
// S3 payload modes, aws-chunked streaming signatures, session tokens) and
// client-side signing. The API layer hands an HttpRequestView to
// Verifier::Verify and maps an AuthError to its protocol's error with
// ToStatus; the orgtrail CLI, benchmarks and tests sign with SignRequest /
// PresignTarget. Spec: reference/aws-compat.md §2.
//
// Verify never crashes and never throws on any input; every failure is an
// AuthError. Verifier is thread-safe if its CredentialLookup is; the free
// functions are pure.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "auth/credentials.h"
#include "base/status.h"
#include "base/time.h"

namespace orgtrail::auth {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// What the HTTP layer hands over. Views must outlive the Verify call.
struct HttpRequestView {
  std::string method;      // "GET", "POST", ...
  std::string raw_target;  // path + "?" + query exactly as received (undecoded)
  HeaderList headers;      // names as received, in order; repeats allowed
  std::string_view body;   // received body (HTTP chunked framing already undone)
};

enum class AuthFailure {
  kMissingAuth,             // neither Authorization nor X-Amz-* query parameters
  kMalformed,               // unparsable Authorization / credential / date / signed headers
  kMalformedBody,           // broken aws-chunked framing or decoded-length mismatch
  kUnknownKey,              // access key id unknown or inactive
  kSignatureMismatch,       // any signature (request, chunk, trailer) does not verify
  kSkewed,                  // more than 15 minutes between request time and server time
  kPresignExpired,          // X-Amz-Date + X-Amz-Expires is in the past
  kInvalidToken,            // missing / wrong / unexpected X-Amz-Security-Token
  kExpiredToken,            // the session behind an ASIA key has expired
  kContentSha256Mismatch,   // X-Amz-Content-SHA256 does not match the body
  kWrongScopeService,       // credential scope names another service
  kWrongScopeRegion,        // credential scope region is not served
  kUnsupported,             // SigV4a (ECDSA), SigV2, unknown algorithms
};

const char* AuthFailureName(AuthFailure f);

struct AuthError {
  AuthFailure failure = AuthFailure::kMalformed;
  std::string message;       // detail for logs and malformed-request errors
  std::string server_time;   // X-Amz-Date format; set for kSkewed / kPresignExpired
  std::string request_time;  // X-Amz-Date format, when it could be parsed
  bool presigned = false;    // the request used the query-string form
  std::string region;        // scope region, when parsed (S3 AuthorizationHeaderMalformed)
  std::string service;       // scope service, when parsed
  std::string access_key_id; // when parsed (S3 error bodies echo it)
  // For kSignatureMismatch of the request signature: what the server signed
  // (S3 returns these in its error body; handy when debugging clients).
  std::string canonical_request;
  std::string string_to_sign;
};

struct VerifiedRequest {
  Credential credential;  // from CredentialLookup (principal inside)
  std::string region, service, amz_date;
  bool presigned = false;
  // S3 payload mode as sent (64 hex, UNSIGNED-PAYLOAD, STREAMING-...); for
  // non-S3 the hex hash of the body.
  std::string content_sha256;
  bool body_was_chunked = false;
  std::string decoded_body;  // aws-chunked uploads: the decoded payload; else empty
  HeaderList trailers;       // aws-chunked trailers (e.g. x-amz-checksum-crc32)
};

constexpr int64_t kMaxSkewSeconds = 15 * 60;
constexpr int64_t kMaxPresignExpires = 604800;
constexpr size_t kMaxSignedHeaders = 128;

class Verifier {
 public:
  // `clock` is used for skew, presign expiry and session expiry; the server
  // passes the real clock even in simulated-clock mode. Both must outlive
  // the Verifier.
  Verifier(CredentialLookup& creds, const Clock& clock);

  // Which credential-scope regions are served; default: any syntactically
  // valid region name. Set before the Verifier is shared between threads.
  void SetRegionFilter(std::function<bool(std::string_view)> region_ok);

  // is_s3: S3 canonical-URI rules and X-Amz-Content-SHA256 modes.
  // expected_service: the SigV4 service name the router expects ("" = accept
  // any and report it in VerifiedRequest::service).
  std::variant<VerifiedRequest, AuthError> Verify(const HttpRequestView& req, bool is_s3,
                                                  std::string_view expected_service) const;

 private:
  CredentialLookup& creds_;
  const Clock& clock_;
  std::function<bool(std::string_view)> region_ok_;
};

// Maps a failure to the AWS {code, message, http status} of `protocol`
// ("json", "query", "s3" or "rest-json"), per aws-compat.md §2.4.
Status ToStatus(const AuthError& e, std::string_view protocol);

// ---- Building blocks (exposed for the signer, tests and tools) ----

// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request").
std::string DeriveSigningKey(std::string_view secret, std::string_view date8,
                             std::string_view region, std::string_view service);
// Non-S3: remove dot segments, collapse "//", then URI-encode again (keeping
// '/'). S3: the raw path as sent. An empty path is "/".
std::string CanonicalUri(std::string_view raw_path, bool is_s3);
// Decode each pair, RFC 3986 re-encode, sort by name then value; pairs named
// X-Amz-Signature are dropped when `drop_signature`. nullopt on a malformed
// percent escape.
std::optional<std::string> CanonicalQuery(std::string_view raw_query, bool drop_signature);

// ---- Client-side signing ----

struct SigningCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys
};

struct SignOptions {
  std::string region;
  std::string service;
  TimePoint time{};
  bool is_s3 = false;
  // S3 only: the X-Amz-Content-SHA256 value; empty = hex SHA-256 of body.
  std::string payload_hash;
};

// Adds X-Amz-Date, X-Amz-Content-SHA256 (S3), X-Amz-Security-Token (when
// the credentials carry a token) and Authorization to `headers`, signing every
// header present except botocore's block-list (user-agent, expect,
// transfer-encoding, ...). `headers` must contain Host. Returns the signature
// (the seed of an aws-chunked signature chain).
std::string SignRequest(const SigningCredentials& creds, const SignOptions& opts,
                        std::string_view method, std::string_view raw_target, HeaderList& headers,
                        std::string_view body);

// Returns `raw_target` with the presigned-URL parameters (signing only
// `host`) and X-Amz-Signature appended. Payload line: UNSIGNED-PAYLOAD.
std::string PresignTarget(const SigningCredentials& creds, const SignOptions& opts,
                          std::string_view method, std::string_view raw_target,
                          std::string_view host, int64_t expires_seconds);

}  // namespace orgtrail::auth
