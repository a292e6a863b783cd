// libFuzzer entry point for the SigV4 verifier and the aws-chunked decoder.
// Not part of ot_auth (the *_main.cc suffix keeps it out of the library glob).
// Build by hand with clang until CMake grows a fuzz option:
//
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
//     src/auth/sigv4_fuzz_main.cc src/auth/sigv4.cc src/auth/aws_chunked.cc \
//     src/crypto/*.cc src/base/{strings,time,ids,env,json}.cc -lcrypto -o sigv4_fuzz
//   ./sigv4_fuzz -max_total_time=60
//
// Input: line 1 the method, line 2 the raw target, then "name: value" header
// lines up to an empty line, then the body. Byte 0 of the method line picks
// S3 or non-S3 rules. A known key makes the signature paths reachable.
#include <cstddef>
#include <cstdint>
#include <string>
#include <optional>
#include <string_view>

#include "auth/aws_chunked.h"
#include "auth/sigv4.h"

namespace {

using orgtrail::auth::Credential;
using orgtrail::auth::CredentialLookup;

class OneKey final : public CredentialLookup {
 public:
  std::optional<Credential> FindCredential(const std::string& id) override {
    if (id != "AKIAORGTRAILTEST0001" && id != "ASIAORGTRAILTEST0002") return std::nullopt;
    Credential c;
    c.access_key_id = id;
    c.secret_access_key = "orgtrailTestSecretKey/0123456789+abcdefgh";
    if (id[1] == 'S') c.session_token = "token";
    return c;
  }
};

std::string_view NextLine(std::string_view& in) {
  size_t nl = in.find('\n');
  std::string_view line = in.substr(0, nl);
  in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static OneKey keys;
  static orgtrail::SimulatedClock clock(*orgtrail::ParseAmzDate("20261126T163453Z"));
  static orgtrail::auth::Verifier verifier(keys, clock);
  std::string_view in(reinterpret_cast<const char*>(data), size);
  orgtrail::auth::HttpRequestView req;
  std::string_view method = NextLine(in);
  bool is_s3 = !method.empty() && (static_cast<unsigned char>(method[0]) & 1);
  req.method = std::string(method);
  req.raw_target = std::string(NextLine(in));
  while (!in.empty()) {
    std::string_view line = NextLine(in);
    if (line.empty()) break;
    size_t colon = line.find(':');
    std::string_view name = line.substr(0, colon);
    std::string_view value =
        colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
    req.headers.emplace_back(std::string(name), std::string(value));
  }
  req.body = in;
  auto result = verifier.Verify(req, is_s3, is_s3 ? "s3" : "");
  if (auto* e = std::get_if<orgtrail::auth::AuthError>(&result)) {
    (void)orgtrail::auth::ToStatus(*e, is_s3 ? "s3" : "query");
  }
  (void)orgtrail::auth::DecodeAwsChunked(in);
  return 0;
}
