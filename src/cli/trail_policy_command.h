// `orgtrail trail-policy`: prints the bucket policy and the key policy
// statements a trail needs (JSON ready to paste), and with --check fetches
// the bucket's and the key's policies from an endpoint and reports every gap
// with the evaluator's explanation — the same pre-flight CreateTrail runs
// (cloudtrail/policy_preflight.h). With --reader-role-arn it also fetches the
// role's inline policies (IAM ListRolePolicies/GetRolePolicy) and says
// whether the role can both read (s3:GetObject) and decrypt (kms:Decrypt)
// the logs. Managed policies attached to the role are not fetched.
// Exit status: 0 no gap, 1 gaps found, 255 when the run itself fails.
// Called once from main (not thread-safe).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "base/time.h"
#include "cloudtrail/policy_preflight.h"
#include "iam/authorizer.h"

namespace orgtrail::cli {

// Registers the subcommand on `app`; its callback stores the exit status in
// *exit_code (which must outlive app.parse).
void AddTrailPolicyCommand(CLI::App& app, int* exit_code);

// What a log-reading role can do with the trail's logs, evaluated with the
// role's inline policies and the fetched bucket and key policies.
struct ReaderVerdict {
  bool can_read = false;     // s3:GetObject on every delivery path
  bool can_decrypt = true;   // kms:Decrypt with the trail's encryption context (true without a key)
  std::vector<std::string> notes;  // one line per finding, e.g.
  // "role X can decrypt the trail's logs but cannot read them: no s3:GetObject on ..."
};

ReaderVerdict CheckReaderRole(const cloudtrail::DeliverySetup& s, const std::string& role_arn,
                              const std::vector<iam::IdentityPolicyText>& inline_policies,
                              TimePoint now);

}  // namespace orgtrail::cli
