#include "iam/bootstrap.h"

#include "base/ids.h"

namespace orgtrail::iam {
namespace {

Status BadParameter(const std::string& message) {
  return Status::Error("InvalidParameterValue", message, 400);
}

bool IsAccountId(const std::string& s) {
  return s.size() == 12 && s.find_first_not_of("0123456789") == std::string::npos;
}

// Returns the secret of an active root key of `account`, creating a key if
// there is none.
Result<std::pair<std::string, std::string>> RootKey(IdentityStore& store,
                                                    const std::string& account) {
  OT_ASSIGN_OR_RETURN(auto keys, store.ListAccessKeys(account, ""));
  for (const auto& k : keys) {
    if (k.status != "Active") continue;
    auto cred = store.FindCredential(k.access_key_id);
    if (cred) return std::make_pair(k.access_key_id, cred->secret_access_key);
  }
  OT_ASSIGN_OR_RETURN(auto created, store.CreateAccessKey(account, ""));
  return std::make_pair(created.key.access_key_id, created.secret_access_key);
}

}  // namespace

std::string BootstrapCredentialsFile(const std::string& access_key_id,
                                     const std::string& secret_access_key) {
  return std::string("[") + kBootstrapProfile + "]\n" +
         "aws_access_key_id = " + access_key_id + "\n" +
         "aws_secret_access_key = " + secret_access_key + "\n";
}

std::string BootstrapConfigFile(const std::string& endpoint_url) {
  return std::string("[profile ") + kBootstrapProfile + "]\n" + "region = us-east-1\n" +
         "endpoint_url = " + endpoint_url + "\n";
}

Status Bootstrap(IdentityStore& store, Env& env, const std::string& data_dir,
                 const std::string& endpoint_url,
                 std::optional<std::string> management_account_id, std::string* out_account_id) {
  OT_RETURN_IF_ERROR(store.status());
  if (management_account_id && !IsAccountId(*management_account_id))
    return BadParameter("--management-account-id must be 12 digits: " + *management_account_id);

  OT_ASSIGN_OR_RETURN(auto existing, store.GetSetting(kBootstrapAccountSetting));
  if (!existing) {
    // A crash between CreateAccount and PutSetting below leaves the account
    // without the setting; adopt the oldest account then.
    OT_ASSIGN_OR_RETURN(auto accounts, store.ListAccounts());
    if (!accounts.empty()) {
      existing = accounts.front().id;
      OT_RETURN_IF_ERROR(store.PutSetting(kBootstrapAccountSetting, *existing));
    }
  }
  std::string account;
  bool fresh = false;
  if (existing) {
    account = *existing;
    if (management_account_id && *management_account_id != account)
      return BadParameter("This data directory belongs to management account " + account +
                          ", not " + *management_account_id);
    OT_ASSIGN_OR_RETURN(auto rec, store.GetAccount(account));
    (void)rec;
  } else {
    account = management_account_id ? *management_account_id : NewAccountId();
    auto rec = store.CreateAccount(account, "management", "management+" + account +
                                                              "@orgtrail.invalid");
    if (!rec.ok()) return rec.status();
    OT_RETURN_IF_ERROR(store.PutSetting(kBootstrapAccountSetting, account));
    fresh = true;
  }

  const std::string aws_dir = data_dir + "/aws";
  OT_RETURN_IF_ERROR(env.CreateDirs(aws_dir, /*private_dir=*/true));
  const std::string cred_path = aws_dir + "/credentials";
  const std::string config_path = aws_dir + "/config";

  if (fresh || !env.FileExists(cred_path)) {
    OT_ASSIGN_OR_RETURN(auto key, RootKey(store, account));
    OT_RETURN_IF_ERROR(
        env.WriteFileAtomic(cred_path, BootstrapCredentialsFile(key.first, key.second), 0600));
  }
  const std::string config = BootstrapConfigFile(endpoint_url);
  auto current = env.ReadFile(config_path);
  if (!current.ok() || *current != config)
    OT_RETURN_IF_ERROR(env.WriteFileAtomic(config_path, config, 0644));

  if (out_account_id) *out_account_id = account;
  return Status::Ok();
}

}  // namespace orgtrail::iam
