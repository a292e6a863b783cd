// Bootstrap: makes a fresh orgtraild usable by the stock AWS CLI. On first
// start (no bootstrap account yet) it creates the future management account
// (12 digits, given or random) with a root access key and writes
// <data_dir>/aws/credentials (profile `management`, mode 0600) and
// <data_dir>/aws/config (`[profile management]`, region us-east-1,
// endpoint_url), each atomically. On later starts it keeps the account,
// rewrites `config` when its content differs (e.g. the port changed) and
// rewrites `credentials` when missing (from the stored, sealed root key, or
// a new one if none is active).
//
// Called once by server/ at startup, before the listener accepts requests.
// Not meant to run concurrently with itself.
#pragma once

#include <optional>
#include <string>

#include "base/env.h"
#include "base/status.h"
#include "iam/identity_store.h"

namespace orgtrail::iam {

inline constexpr char kBootstrapAccountSetting[] = "bootstrap_account_id";
inline constexpr char kBootstrapProfile[] = "management";

// Errors: InvalidParameterValue when `management_account_id` is malformed
// or differs from the account created on an earlier start; file or catalog
// errors as returned by Env / the store.
Status Bootstrap(IdentityStore& store, Env& env, const std::string& data_dir,
                 const std::string& endpoint_url,
                 std::optional<std::string> management_account_id, std::string* out_account_id);

// The exact file contents Bootstrap writes (exposed for tests and tools).
std::string BootstrapCredentialsFile(const std::string& access_key_id,
                                     const std::string& secret_access_key);
std::string BootstrapConfigFile(const std::string& endpoint_url);

}  // namespace orgtrail::iam
