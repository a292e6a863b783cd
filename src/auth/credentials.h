// CredentialLookup: how the SigV4 verifier finds the secret behind an access
// key id. Implemented by iam::IdentityStore over the catalog; tests use an
// in-memory map. Implementations must be thread-safe.
#pragma once

#include <optional>
#include <string>

#include "auth/principal.h"
#include "base/time.h"

namespace orgtrail::auth {

struct Credential {
  std::string access_key_id;
  std::string secret_access_key;  // plaintext, only in memory
  std::string session_token;      // non-empty for ASIA... temporary credentials
  std::optional<TimePoint> expiration;
  bool active = true;             // IAM access key status
  Principal principal;            // who signs with this key
};

class CredentialLookup {
 public:
  virtual ~CredentialLookup() = default;
  // nullopt when the key id is unknown.
  virtual std::optional<Credential> FindCredential(const std::string& access_key_id) = 0;
};

}  // namespace orgtrail::auth
