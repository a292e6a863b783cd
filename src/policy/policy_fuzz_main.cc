// libFuzzer entry point for the policy parser and evaluator. Not part of
// ot_policy (the *_main.cc suffix keeps it out of the library glob). Build by
// hand with clang until CMake grows a fuzz option:
//
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
//     src/policy/policy_fuzz_main.cc src/policy/{policy_document,conditions,matching,evaluator,explain}.cc \
//     src/base/{strings,time}.cc -o policy_fuzz
//   ./policy_fuzz -max_total_time=60
//
// Input: byte 0 picks the policy kind, the rest is the document. Every
// accepted document is evaluated (with a trace and an explanation) against a
// fixed request that exercises principals, variables and conditions.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "policy/evaluator.h"
#include "policy/explain.h"
#include "policy/policy_document.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace orgtrail::policy;
  if (size == 0) return 0;
  const PolicyKind kinds[] = {PolicyKind::kIdentity, PolicyKind::kResource, PolicyKind::kTrust};
  PolicyKind kind = kinds[data[0] % 3];
  std::string_view json(reinterpret_cast<const char*>(data + 1), size - 1);
  auto policy = ParsePolicy(json, kind);
  if (!policy.ok()) {
    (void)policy.status().message().size();
    return 0;
  }

  Request r;
  r.caller.account_id = "111111111111";
  r.caller.arn = "arn:aws:sts::111111111111:assumed-role/Reader/s";
  r.caller.role_arn = "arn:aws:iam::111111111111:role/Reader";
  r.caller.org_id = "o-abc123";
  r.action = "s3:PutObject";
  r.resource = "arn:aws:s3:::b/AWSLogs/o-abc123/111111111111/CloudTrail/x.json.gz";
  r.resource_account = "222222222222";
  r.context = {{"aws:SourceArn", {"arn:aws:cloudtrail:us-east-1:111111111111:trail/t"}},
               {"aws:SourceIp", {"203.0.113.7"}},
               {"aws:CurrentTime", {"2026-11-26T15:01:31Z"}},
               {"aws:EpochTime", {"1795791691"}},
               {"aws:SecureTransport", {"true"}},
               {"aws:TagKeys", {"team", "env"}},
               {"s3:x-amz-acl", {"bucket-owner-full-control"}},
               {"aws:username", {"alice"}}};
  Trace trace;
  (void)Evaluate(*policy, r, &trace);

  PolicySet set;
  if (kind == PolicyKind::kIdentity) {
    set.identity.push_back(&*policy);
  } else {
    set.resource = &*policy;
    set.resource_is_trust_policy = kind == PolicyKind::kTrust;
    set.resource_is_key_policy = (data[0] & 4) != 0;
  }
  set.caller_is_resource_owner_account = (data[0] & 8) != 0;
  Explanation why;
  (void)Authorize(set, r, &why);
  (void)why.Message().size();

  Request service = r;
  service.caller = Caller{};
  service.caller.service = "cloudtrail.amazonaws.com";
  (void)Authorize(set, service, &why);
  (void)why.Message().size();
  return 0;
}
