#include "api/sigv4_authenticator.h"

namespace orgtrail::api {
namespace {

const char* ProtocolName(Protocol p) {
  switch (p) {
    case Protocol::kJson:
      return "json";
    case Protocol::kQuery:
      return "query";
    case Protocol::kRestJson:
      return "rest-json";
    case Protocol::kRestXml:
      break;
  }
  return "s3";
}

}  // namespace

AuthResult SigV4Authenticator::Authenticate(const HttpRequest& request, Protocol protocol,
                                            std::string_view expected_service) {
  auth::HttpRequestView view;
  view.method = request.method;
  view.raw_target = request.target;
  view.headers = request.headers;
  view.body = request.body;
  AuthResult out;
  auto v = verifier_.Verify(view, protocol == Protocol::kRestXml, expected_service);
  if (auto* err = std::get_if<auth::AuthError>(&v)) {
    out.status = auth::ToStatus(*err, ProtocolName(protocol));
    out.access_key_id = err->access_key_id;
    out.region = err->region;
    return out;
  }
  auto& ok = std::get<auth::VerifiedRequest>(v);
  out.principal = std::move(ok.credential.principal);
  out.access_key_id = ok.credential.access_key_id;
  out.region = std::move(ok.region);
  if (ok.body_was_chunked) out.decoded_body = std::move(ok.decoded_body);
  return out;
}

}  // namespace orgtrail::api
