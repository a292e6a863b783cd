#include "api/authenticator.h"

#include "base/strings.h"

namespace orgtrail::api {
namespace {

ScopeInfo FromCredential(std::string_view cred) {
  // AKID/YYYYMMDD/region/service/aws4_request
  ScopeInfo out;
  auto parts = Split(cred, '/');
  if (parts.empty()) return out;
  out.access_key_id = parts[0];
  if (parts.size() == 5) {
    out.region = parts[2];
    out.service = parts[3];
  }
  return out;
}

}  // namespace

ScopeInfo PeekScope(const HttpRequest& request) {
  std::string_view authz = request.Header("Authorization");
  if (!authz.empty()) {
    size_t p = authz.find("Credential=");
    if (p == std::string_view::npos) return {};
    std::string_view rest = authz.substr(p + 11);
    size_t end = rest.find_first_of(", ");
    return FromCredential(Trim(rest.substr(0, end)));
  }
  auto q = ParseQueryString(request.Query(), /*plus_as_space=*/false);
  if (!q) return {};
  for (const auto& [k, v] : *q) {
    if (k == "X-Amz-Credential") return FromCredential(v);
  }
  return {};
}

}  // namespace orgtrail::api
