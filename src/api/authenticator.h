// Authenticator: how the Router asks "who signed this request?" without
// depending on the SigV4 implementation's types. The production adapter
// (api::SigV4Authenticator) wraps auth::Verifier; tests use fakes.
// Implementations must be thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "api/http_types.h"
#include "auth/principal.h"
#include "base/status.h"

namespace orgtrail::api {

// The wire protocol a request was routed to; decides error codes and shapes.
enum class Protocol { kJson, kQuery, kRestXml, kRestJson };

struct AuthResult {
  // OK, or the authentication error already mapped to the protocol's code
  // and HTTP status (e.g. S3 SignatureDoesNotMatch/403).
  Status status;
  auth::Principal principal;
  std::string access_key_id;  // as presented, even on failure (may be empty)
  std::string region;         // from the credential scope
  std::optional<std::string> decoded_body;  // when the body was aws-chunked
};

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // Verifies `request` as a call to `expected_service` (SigV4 signing name).
  virtual AuthResult Authenticate(const HttpRequest& request, Protocol protocol,
                                  std::string_view expected_service) = 0;
};

// The signing name and access key id from the request's SigV4 credential
// scope (Authorization header or X-Amz-Credential query parameter), without
// verifying anything. Empty strings when absent or malformed.
struct ScopeInfo {
  std::string access_key_id;
  std::string region;
  std::string service;
};
ScopeInfo PeekScope(const HttpRequest& request);

}  // namespace orgtrail::api
