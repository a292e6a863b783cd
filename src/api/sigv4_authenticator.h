// SigV4Authenticator: the production Authenticator, an adapter from the
// Router's view of a request to auth::Verifier and back (auth errors mapped
// to each protocol's code with auth::ToStatus). Thread-safe if the Verifier is.
#pragma once

#include "api/authenticator.h"
#include "auth/sigv4.h"

namespace orgtrail::api {

class SigV4Authenticator final : public Authenticator {
 public:
  // `verifier` must outlive this object.
  explicit SigV4Authenticator(const auth::Verifier& verifier) : verifier_(verifier) {}

  AuthResult Authenticate(const HttpRequest& request, Protocol protocol,
                          std::string_view expected_service) override;

 private:
  const auth::Verifier& verifier_;
};

}  // namespace orgtrail::api
