#include "kms/kms_service.h"

#include <set>
#include <utility>
#include <vector>

#include "base/ids.h"
#include "base/strings.h"
#include "kms/ciphertext.h"
#include "iam/authorizer.h"
#include "kms/key_policy.h"
#include "policy/policy_document.h"

namespace orgtrail::kms {
namespace {

constexpr char kDefaultRegion[] = "us-east-1";
constexpr char kSymmetric[] = "SYMMETRIC_DEFAULT";
constexpr int64_t kSecondsPerDay = 86400;
constexpr size_t kMaxPlaintext = 4096;
constexpr size_t kMaxCiphertext = 6144;

Status Validation(const std::string& value, const std::string& member,
                  const std::string& constraint) {
  return Status::Error("ValidationException", "1 validation error detected: Value '" + value +
                                                  "' at '" + member +
                                                  "' failed to satisfy constraint: " + constraint);
}

Status NotFoundKey(const std::string& ref) {
  return Status::Error("NotFoundException", "Key '" + ref + "' does not exist");
}

std::string Region(const auth::RequestContext& ctx) {
  return ctx.region.empty() ? kDefaultRegion : ctx.region;
}

std::string KeyArn(const std::string& region, const std::string& account, const std::string& id) {
  return "arn:aws:kms:" + region + ":" + account + ":key/" + id;
}

std::string AliasArn(const std::string& region, const std::string& account,
                     const std::string& alias_name) {
  return "arn:aws:kms:" + region + ":" + account + ":" + alias_name;
}

std::string CallerName(const auth::Principal& p) {
  if (p.type == auth::PrincipalType::kAWSService) return p.service;
  return p.arn;
}

// Operations AWS KMS lets another account perform with a key ARN.
bool CrossAccountOp(const std::string& op) {
  static const std::set<std::string> kOps = {"Encrypt", "Decrypt", "GenerateDataKey",
                                             "GenerateDataKeyWithoutPlaintext", "DescribeKey",
                                             "GetKeyRotationStatus"};
  return kOps.count(op) > 0;
}

Json KeyMetadata(const KeyRecord& k) {
  Json m = {{"AWSAccountId", k.account_id},
            {"KeyId", k.key_id},
            {"Arn", k.arn},
            {"CreationDate", k.creation_date},
            {"Enabled", k.key_state == "Enabled"},
            {"Description", k.description},
            {"KeyUsage", k.key_usage},
            {"KeyState", k.key_state},
            {"Origin", "AWS_KMS"},
            {"KeyManager", "CUSTOMER"},
            {"CustomerMasterKeySpec", kSymmetric},
            {"KeySpec", kSymmetric},
            {"EncryptionAlgorithms", Json::array({kSymmetric})},
            {"MultiRegion", false}};
  if (k.deletion_date) m["DeletionDate"] = *k.deletion_date;
  if (k.pending_window_days) m["PendingDeletionWindowInDays"] = *k.pending_window_days;
  return m;
}

Result<EncryptionContext> ReadContext(const Json& in) {
  EncryptionContext ctx;
  auto it = in.find("EncryptionContext");
  if (it == in.end() || it->is_null()) return ctx;
  if (!it->is_object())
    return Status::Error("SerializationException", "EncryptionContext must be a map");
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string())
      return Status::Error("SerializationException", "EncryptionContext values must be strings");
    ctx[k] = v.get<std::string>();
  }
  return ctx;
}

// A required base64 blob member with the model's length bounds.
Result<std::string> ReadBlob(const Json& in, const char* name, size_t max) {
  OT_ASSIGN_OR_RETURN(std::string b64, ReqString(in, name));
  auto raw = Base64Decode(b64);
  if (!raw) return Status::Error("SerializationException", std::string(name) + " is not valid base64");
  if (raw->empty() || raw->size() > max)
    return Validation("*****", name,
                      "Member must have length between 1 and " + std::to_string(max));
  return *raw;
}

Status CheckAlgorithm(const Json& in) {
  OT_ASSIGN_OR_RETURN(auto alg, OptString(in, "EncryptionAlgorithm"));
  if (!alg || *alg == kSymmetric) return Status::Ok();
  if (*alg == "RSAES_OAEP_SHA_1" || *alg == "RSAES_OAEP_SHA_256" || *alg == "SM2PKE")
    return Status::Error("InvalidKeyUsageException",
                         "The encryption algorithm " + *alg +
                             " is not supported by a symmetric encryption KMS key");
  return Validation(*alg, "encryptionAlgorithm",
                    "Member must satisfy enum value set: [SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_1, "
                    "RSAES_OAEP_SHA_256, SM2PKE]");
}

Status CheckDryRun(const Json& in) {
  OT_ASSIGN_OR_RETURN(auto dry, OptBool(in, "DryRun"));
  if (dry && *dry)
    return Status::Error("DryRunOperationException",
                         "The request would have succeeded, but the DryRun option is set.", 412);
  return Status::Ok();
}

// Paging: Limit 1..1000 (default `def`), Marker = base64 of the last item's sort key.
struct Page {
  int64_t limit = 100;
  std::string after;
};

Result<Page> ReadPage(const Json& in, int64_t def) {
  Page p;
  p.limit = def;
  OT_ASSIGN_OR_RETURN(auto limit, OptInt(in, "Limit"));
  if (limit) {
    if (*limit < 1 || *limit > 1000)
      return Validation(std::to_string(*limit), "limit",
                        "Member must have value between 1 and 1000");
    p.limit = *limit;
  }
  OT_ASSIGN_OR_RETURN(auto marker, OptString(in, "Marker"));
  if (marker) {
    auto raw = Base64Decode(*marker);
    if (!raw || raw->empty())
      return Status::Error("InvalidMarkerException", "The marker is not valid: " + *marker);
    p.after = *raw;
  }
  return p;
}

// Sets Truncated/NextMarker; `items` was fetched with limit+1.
template <typename T, typename KeyFn>
void FinishPage(Json& out, std::vector<T>& items, int64_t limit, KeyFn key) {
  bool truncated = static_cast<int64_t>(items.size()) > limit;
  if (truncated) {
    items.resize(static_cast<size_t>(limit));
    out["NextMarker"] = Base64Encode(key(items.back()));
  }
  out["Truncated"] = truncated;
}

Result<std::vector<Tag>> ReadTags(const Json& in, bool required) {
  std::vector<Tag> tags;
  auto it = in.find("Tags");
  if (it == in.end() || it->is_null()) {
    if (required) return Validation("null", "tags", "Member must not be null");
    return tags;
  }
  if (!it->is_array()) return Status::Error("SerializationException", "Tags must be a list");
  for (const auto& t : *it) {
    if (!t.is_object()) return Status::Error("SerializationException", "Tag must be an object");
    auto k = t.find("TagKey");
    auto v = t.find("TagValue");
    if (k == t.end() || !k->is_string() || v == t.end() || !v->is_string())
      return Status::Error("TagException", "Each tag needs a string TagKey and TagValue");
    std::string key = k->get<std::string>(), value = v->get<std::string>();
    if (key.empty() || key.size() > 128 || value.size() > 256)
      return Status::Error("TagException", "Tag keys must be 1-128 and values 0-256 characters");
    if (StartsWith(ToLower(key), "aws:"))
      return Status::Error("TagException", "Tag keys beginning with aws: are reserved");
    tags.emplace_back(std::move(key), std::move(value));
  }
  return tags;
}

Status CheckAliasName(const std::string& name) {
  if (name.empty() || name.size() > 256)
    return Validation(name, "aliasName", "Member must have length between 1 and 256");
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == ':' || c == '/' || c == '_' || c == '-';
    if (!ok)
      return Validation(name, "aliasName",
                        "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$");
  }
  if (!StartsWith(name, "alias/") || name.size() == 6)
    return Status::Error("InvalidAliasNameException",
                         "Alias must start with the prefix \"alias/\". Please see "
                         "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html");
  if (StartsWith(name, "alias/aws/"))
    return Status::Error("InvalidAliasNameException",
                         "Alias must not begin with the reserved prefix \"alias/aws/\"");
  return Status::Ok();
}

// arn:aws:kms:<region>:<account>:<resource>
struct KmsArn {
  std::string region, account, resource;
};

std::optional<KmsArn> ParseKmsArn(const std::string& arn) {
  auto parts = Split(arn, ':');
  if (parts.size() < 6 || parts[0] != "arn" || parts[1] != "aws" || parts[2] != "kms" ||
      parts[3].empty() || parts[4].empty())
    return std::nullopt;
  KmsArn out{parts[3], parts[4], ""};
  // The resource may itself contain ':' (alias names may).
  size_t pos = 0;
  for (int i = 0; i < 5; ++i) pos = arn.find(':', pos) + 1;
  out.resource = arn.substr(pos);
  if (!StartsWith(out.resource, "key/") && !StartsWith(out.resource, "alias/")) return std::nullopt;
  return out;
}

}  // namespace

KmsService::KmsService(catalog::Db& db, const crypto::Sealer& sealer, const Clock& clock)
    : store_(db), sealer_(sealer), clock_(clock) {}

int64_t KmsService::NowSeconds() const { return ToUnixSeconds(clock_.Now()); }

Status KmsService::Purge() {
  OT_ASSIGN_OR_RETURN(auto n, store_.PurgeExpired(NowSeconds()));
  (void)n;
  return Status::Ok();
}

auth::JsonOps KmsService::Ops() {
  auth::JsonOps ops;
  auto add = [this, &ops](const char* name, Result<Json> (KmsService::*fn)(const Ctx&, const Json&)) {
    ops[name] = [this, fn](const Ctx& ctx, const Json& in) -> Result<Json> {
      if (!in.is_object()) return Status::Error("SerializationException", "Body must be a JSON object");
      OT_RETURN_IF_ERROR(Purge());
      return (this->*fn)(ctx, in);
    };
  };
  add("CreateKey", &KmsService::CreateKey);
  add("DescribeKey", &KmsService::DescribeKey);
  add("ListKeys", &KmsService::ListKeys);
  add("EnableKey", &KmsService::EnableKey);
  add("DisableKey", &KmsService::DisableKey);
  add("ScheduleKeyDeletion", &KmsService::ScheduleKeyDeletion);
  add("CancelKeyDeletion", &KmsService::CancelKeyDeletion);
  add("EnableKeyRotation", &KmsService::EnableKeyRotation);
  add("DisableKeyRotation", &KmsService::DisableKeyRotation);
  add("GetKeyRotationStatus", &KmsService::GetKeyRotationStatus);
  add("CreateAlias", &KmsService::CreateAlias);
  add("DeleteAlias", &KmsService::DeleteAlias);
  add("UpdateAlias", &KmsService::UpdateAlias);
  add("ListAliases", &KmsService::ListAliases);
  add("GetKeyPolicy", &KmsService::GetKeyPolicy);
  add("PutKeyPolicy", &KmsService::PutKeyPolicy);
  add("ListKeyPolicies", &KmsService::ListKeyPolicies);
  add("Encrypt", &KmsService::Encrypt);
  add("Decrypt", &KmsService::Decrypt);
  add("TagResource", &KmsService::TagResource);
  add("UntagResource", &KmsService::UntagResource);
  add("ListResourceTags", &KmsService::ListResourceTags);
  ops["GenerateDataKey"] = [this](const Ctx& ctx, const Json& in) -> Result<Json> {
    if (!in.is_object()) return Status::Error("SerializationException", "Body must be a JSON object");
    OT_RETURN_IF_ERROR(Purge());
    return GenerateDataKey(ctx, in, true);
  };
  ops["GenerateDataKeyWithoutPlaintext"] = [this](const Ctx& ctx, const Json& in) -> Result<Json> {
    if (!in.is_object()) return Status::Error("SerializationException", "Body must be a JSON object");
    OT_RETURN_IF_ERROR(Purge());
    return GenerateDataKey(ctx, in, false);
  };
  return ops;
}

// ---- key resolution and authorization ----

Result<KeyRecord> KmsService::LookupKey(const std::string& ref, const std::string& region,
                                        const std::string& account) {
  auth::RequestContext ctx;
  ctx.principal.account_id = account;
  ctx.region = region;
  OT_ASSIGN_OR_RETURN(KeyRecord key, ResolveKey(ctx, ref, /*allow_alias=*/true));
  key.sealed_material.clear();
  return key;
}

Result<KeyRecord> KmsService::ResolveKey(const Ctx& ctx, const std::string& ref, bool allow_alias) {
  if (ref.empty() || ref.size() > 2048)
    return Validation(ref, "keyId", "Member must have length between 1 and 2048");
  const std::string& account = ctx.principal.account_id;
  const std::string region = Region(ctx);
  if (StartsWith(ref, "arn:")) {
    auto arn = ParseKmsArn(ref);
    if (!arn) return Status::Error("InvalidArnException", "Invalid arn " + ref);
    if (StartsWith(arn->resource, "alias/")) {
      if (!allow_alias) return NotFoundKey(ref);
      OT_ASSIGN_OR_RETURN(auto alias, store_.FindAlias(arn->account, arn->region, arn->resource));
      if (!alias) return Status::Error("NotFoundException", "Alias " + ref + " is not found.");
      OT_ASSIGN_OR_RETURN(auto key, store_.FindKeyByArn(alias->target_key_arn));
      if (!key) return NotFoundKey(alias->target_key_arn);
      return *key;
    }
    OT_ASSIGN_OR_RETURN(auto key, store_.FindKeyByArn(ref));
    if (!key) return NotFoundKey(ref);
    return *key;
  }
  if (StartsWith(ref, "alias/")) {
    if (!allow_alias || account.empty()) return NotFoundKey(ref);
    OT_ASSIGN_OR_RETURN(auto alias, store_.FindAlias(account, region, ref));
    if (!alias)
      return Status::Error("NotFoundException",
                           "Alias " + AliasArn(region, account, ref) + " is not found.");
    OT_ASSIGN_OR_RETURN(auto key, store_.FindKeyByArn(alias->target_key_arn));
    if (!key) return NotFoundKey(alias->target_key_arn);
    return *key;
  }
  OT_ASSIGN_OR_RETURN(auto key, store_.FindKeyById(region, ref));
  // A bare key id names a key of the caller's own account (service principals
  // acting for no account may name any).
  if (!key || (!account.empty() && key->account_id != account))
    return NotFoundKey(KeyArn(region, account, ref));
  return *key;
}

Status KmsService::Authorize(const Ctx& ctx, const KeyRecord& key, const std::string& op,
                             const EncryptionContext* context, std::string_view via_service) {
  const auth::Principal& p = ctx.principal;
  const bool service = p.type == auth::PrincipalType::kAWSService;
  // Another account may only use a key (and describe it), never manage it,
  // whatever the key policy says (as on AWS).
  if (!service && p.account_id != key.account_id && !CrossAccountOp(op))
    return Status::Error("AccessDeniedException",
                         "User: " + CallerName(p) + " is not authorized to perform: kms:" + op +
                             " on resource: " + key.arn +
                             " because kms:" + op + " is not allowed across accounts");
  auto policy = policy::ParsePolicy(key.policy, policy::PolicyKind::kResource);
  iam::AuthzCheck check;
  check.action = "kms:" + op;
  check.resource = key.arn;
  check.resource_account = key.account_id;
  check.resource_policy = policy.ok() ? &*policy : nullptr;
  check.kind = iam::ResourcePolicyKind::kKey;
  check.resource_label = "the key policy of " + key.arn;
  if (!service && !p.account_id.empty()) check.context["kms:CallerAccount"] = {p.account_id};
  if (!via_service.empty()) check.context["kms:ViaService"] = {std::string(via_service)};
  if (context != nullptr) {
    for (const auto& [k, v] : *context) check.context["kms:EncryptionContext:" + k] = {v};
    std::vector<std::string> keys;
    for (const auto& [k, v] : *context) keys.push_back(k);
    if (!keys.empty()) check.context["kms:EncryptionContextKeys"] = keys;
  }
  check.style = iam::DenyStyle::kJson;
  return authorizer().Authorize(ctx, check);
}

Status KmsService::AuthorizeAccountAction(const Ctx& ctx, const std::string& op) {
  // Actions on no key in particular (CreateKey, ListKeys, ListAliases) are
  // decided by the caller's identity policies alone, with Resource "*".
  iam::AuthzCheck check;
  check.action = "kms:" + op;
  check.resource = "*";
  check.style = iam::DenyStyle::kJson;
  return authorizer().Authorize(ctx, check);
}

const iam::Authorizer& KmsService::authorizer() const {
  return authorizer_ != nullptr ? *authorizer_ : iam::Authorizer::Default();
}

Status KmsService::CheckUsable(const KeyRecord& key) {
  if (key.key_state == "Enabled") return Status::Ok();
  if (key.key_state == "Disabled")
    return Status::Error("DisabledException", key.arn + " is disabled.");
  return Status::Error("KMSInvalidStateException", key.arn + " is pending deletion.");
}

Result<std::string> KmsService::Material(const KeyRecord& key) const {
  auto m = sealer_.Unseal(key.sealed_material, key.arn);
  if (!m.ok() || m->size() != 32)
    return Status::Internal("key material of " + key.arn + " cannot be unsealed");
  return std::move(m).value();
}

Result<KeyRecord> KmsService::KeyFor(const Ctx& ctx, const Json& in, const std::string& op,
                                     bool allow_alias) {
  OT_ASSIGN_OR_RETURN(std::string ref, ReqString(in, "KeyId"));
  OT_ASSIGN_OR_RETURN(KeyRecord key, ResolveKey(ctx, ref, allow_alias));
  OT_RETURN_IF_ERROR(Authorize(ctx, key, op, nullptr));
  return key;
}

Result<KeyRecord> KmsService::UsableKey(const Ctx& ctx, const std::string& ref,
                                        const std::string& op, const EncryptionContext& context,
                                        std::string_view via_service) {
  OT_ASSIGN_OR_RETURN(KeyRecord key, ResolveKey(ctx, ref, true));
  OT_RETURN_IF_ERROR(Authorize(ctx, key, op, &context, via_service));
  OT_RETURN_IF_ERROR(CheckUsable(key));
  return key;
}

Result<std::pair<KeyRecord, std::string>> KmsService::OpenBlob(
    const Ctx& ctx, const std::string& blob, const EncryptionContext& context,
    const std::optional<std::string>& expected_key, std::string_view via_service) {
  OT_ASSIGN_OR_RETURN(std::string arn, CiphertextKeyArn(blob));
  OT_ASSIGN_OR_RETURN(auto found, store_.FindKeyByArn(arn));
  if (!found) return NotFoundKey(arn);
  if (expected_key) {
    OT_ASSIGN_OR_RETURN(KeyRecord named, ResolveKey(ctx, *expected_key, true));
    if (named.arn != arn)
      return Status::Error("IncorrectKeyException",
                           "The key ID in the request does not identify a KMS key that can "
                           "perform this operation.");
  }
  OT_RETURN_IF_ERROR(Authorize(ctx, *found, "Decrypt", &context, via_service));
  OT_RETURN_IF_ERROR(CheckUsable(*found));
  OT_ASSIGN_OR_RETURN(std::string material, Material(*found));
  OT_ASSIGN_OR_RETURN(std::string plaintext, DecodeCiphertext(blob, material, context));
  return std::make_pair(std::move(*found), std::move(plaintext));
}

Result<DataKey> KmsService::NewDataKey(const Ctx& ctx, const std::string& ref,
                                       const EncryptionContext& context, size_t bytes,
                                       std::string_view via_service) {
  OT_ASSIGN_OR_RETURN(KeyRecord key,
                      UsableKey(ctx, ref, "GenerateDataKey", context, via_service));
  OT_ASSIGN_OR_RETURN(std::string material, Material(key));
  DataKey dk;
  dk.key_arn = key.arn;
  dk.plaintext = RandomBytes(bytes);
  OT_ASSIGN_OR_RETURN(dk.ciphertext_blob, EncodeCiphertext(key.arn, material, dk.plaintext, context));
  return dk;
}

// ---- DataKeyProvider ----
// S3 is this interface's caller (SSE-KMS), so its calls carry kms:ViaService
// = s3.<region>.amazonaws.com, letting a key policy allow a principal to use
// the key only through S3.

namespace {
std::string S3ViaService(const auth::RequestContext& caller) {
  return "s3." + (caller.region.empty() ? std::string("us-east-1") : caller.region) +
         ".amazonaws.com";
}
}  // namespace

Result<DataKey> KmsService::GenerateDataKeyFor(const Ctx& caller, const std::string& key_id,
                                               const EncryptionContext& context) {
  OT_RETURN_IF_ERROR(Purge());
  return NewDataKey(caller, key_id, context, 32, S3ViaService(caller));
}

Result<DataKey> KmsService::DecryptFor(const Ctx& caller, const std::string& ciphertext_blob,
                                       const EncryptionContext& context) {
  OT_RETURN_IF_ERROR(Purge());
  OT_ASSIGN_OR_RETURN(auto opened, OpenBlob(caller, ciphertext_blob, context, std::nullopt,
                                            S3ViaService(caller)));
  DataKey dk;
  dk.key_arn = opened.first.arn;
  dk.plaintext = std::move(opened.second);
  dk.ciphertext_blob = ciphertext_blob;
  return dk;
}

Result<std::string> KmsService::ResolveKeyArn(const Ctx& caller, const std::string& key_id) {
  OT_RETURN_IF_ERROR(Purge());
  OT_ASSIGN_OR_RETURN(KeyRecord key, ResolveKey(caller, key_id, true));
  return key.arn;
}

// ---- keys ----

Result<Json> KmsService::CreateKey(const Ctx& ctx, const Json& in) {
  const std::string& account = ctx.principal.account_id;
  if (account.empty() || ctx.principal.type == auth::PrincipalType::kAWSService)
    return Status::Error("AccessDeniedException",
                         "User: " + CallerName(ctx.principal) +
                             " is not authorized to perform: kms:CreateKey");
  OT_RETURN_IF_ERROR(AuthorizeAccountAction(ctx, "CreateKey"));
  OT_ASSIGN_OR_RETURN(auto usage, OptString(in, "KeyUsage"));
  if (usage && *usage != "ENCRYPT_DECRYPT") {
    if (*usage == "SIGN_VERIFY" || *usage == "GENERATE_VERIFY_MAC" || *usage == "KEY_AGREEMENT")
      return Status::Error("UnsupportedOperationException",
                           "KeyUsage " + *usage + " is not supported; only ENCRYPT_DECRYPT keys");
    return Validation(*usage, "keyUsage",
                      "Member must satisfy enum value set: [SIGN_VERIFY, ENCRYPT_DECRYPT, "
                      "GENERATE_VERIFY_MAC, KEY_AGREEMENT]");
  }
  OT_ASSIGN_OR_RETURN(auto spec, OptString(in, "KeySpec"));
  OT_ASSIGN_OR_RETURN(auto cmk_spec, OptString(in, "CustomerMasterKeySpec"));
  if (spec && cmk_spec)
    return Status::Error("ValidationException",
                         "You cannot specify KeySpec and CustomerMasterKeySpec in the same request");
  if (!spec) spec = cmk_spec;
  if (spec && *spec != kSymmetric)
    return Status::Error("UnsupportedOperationException",
                         "KeySpec " + *spec + " is not supported; only SYMMETRIC_DEFAULT keys");
  OT_ASSIGN_OR_RETURN(auto origin, OptString(in, "Origin"));
  if (origin && *origin != "AWS_KMS")
    return Status::Error("UnsupportedOperationException",
                         "Origin " + *origin + " is not supported; only AWS_KMS");
  OT_ASSIGN_OR_RETURN(auto store_id, OptString(in, "CustomKeyStoreId"));
  if (store_id)
    return Status::Error("UnsupportedOperationException", "Custom key stores are not supported");
  OT_ASSIGN_OR_RETURN(auto multi, OptBool(in, "MultiRegion"));
  if (multi && *multi)
    return Status::Error("UnsupportedOperationException", "Multi-Region keys are not supported");
  OT_ASSIGN_OR_RETURN(auto description, OptString(in, "Description"));
  if (description && description->size() > 8192)
    return Validation("...", "description", "Member must have length less than or equal to 8192");
  OT_ASSIGN_OR_RETURN(auto policy, OptString(in, "Policy"));
  if (policy) {
    OT_ASSIGN_OR_RETURN(Json doc, ValidateKeyPolicy(*policy));
    (void)doc;
  }
  OT_ASSIGN_OR_RETURN(auto tags, ReadTags(in, false));

  KeyRecord k;
  k.key_id = NewUuid();
  k.region = Region(ctx);
  k.account_id = account;
  k.arn = KeyArn(k.region, account, k.key_id);
  k.description = description.value_or("");
  k.creation_date = NowSeconds();
  k.policy = policy ? *policy : DefaultKeyPolicy(account);
  // The material exists in plaintext only here and in Material(); it is
  // stored sealed to this key's ARN so a row cannot be moved to another key.
  k.sealed_material = sealer_.Seal(RandomBytes(32), k.arn);
  OT_RETURN_IF_ERROR(store_.InsertKey(k, tags));
  return Json{{"KeyMetadata", KeyMetadata(k)}};
}

Result<Json> KmsService::DescribeKey(const Ctx& ctx, const Json& in) {
  OT_ASSIGN_OR_RETURN(KeyRecord key, KeyFor(ctx, in, "DescribeKey"));
  return Json{{"KeyMetadata", KeyMetadata(key)}};
}

Result<Json> KmsService::ListKeys(const Ctx& ctx, const Json& in) {
  OT_RETURN_IF_ERROR(AuthorizeAccountAction(ctx, "ListKeys"));
  OT_ASSIGN_OR_RETURN(Page page, ReadPage(in, 100));
  OT_ASSIGN_OR_RETURN(auto keys, store_.ListKeys(ctx.principal.account_id, Region(ctx), page.after,
                                                 page.limit + 1));
  Json out = Json::object();
  FinishPage(out, keys, page.limit, [](const KeyRecord& k) { return k.key_id; });
  Json list = Json::array();
  for (const auto& k : keys) list.push_back({{"KeyId", k.key_id}, {"KeyArn", k.arn}});
  out["Keys"] = std::move(list);
  return out;
}

Result<Json> KmsService::EnableKey(const Ctx& ctx, const Json& in) {
  std::lock_guard<std::mutex> l(mu_);
  OT_ASSIGN_OR_RETURN(KeyRecord key, KeyFor(ctx, in, "EnableKey"));
  if (key.key_state == "PendingDeletion") return CheckUsable(key);
  OT_RETURN_IF_ERROR(store_.UpdateState(key.arn, "Enabled", std::nullopt, std::nullopt));
  return Json::object();
}

Result<Json> KmsService::DisableKey(const Ctx& ctx, const Json& in) {
  std::lock_guard<std::mutex> l(mu_);
  OT_ASSIGN_OR_RETURN(KeyRecord key, KeyFor(ctx, in, "DisableKey"));
  if (key.key_state == "PendingDeletion") return CheckUsable(key);
  OT_RETURN_IF_ERROR(store_.UpdateState(key.arn, "Disabled", std::nullopt, std::nullopt));
  return Json::object();
}

Result<Json> KmsService::ScheduleKeyDeletion(const Ctx& ctx, const Json& in) {
  std::lock_guard<std::mutex> l(mu_);
  OT_ASSIGN_OR_RETURN(KeyRecord key, KeyFor(ctx, in, "ScheduleKeyDeletion"));
  OT_ASSIGN_OR_RETURN(auto days, OptInt(in, "PendingWindowInDays"));
  int64_t window = days.value_or(30);
  if (window < 7 || window > 30)
    return Status::Error("ValidationException",
                         "PendingWindowInDays value is invalid. It should be between 7 and 30.");
  if (key.key_state == "PendingDeletion") return CheckUsable(key);
  int64_t when = NowSeconds() + window * kSecondsPerDay;
  OT_RETURN_IF_ERROR(store_.UpdateState(key.arn, "PendingDeletion", when, window));
  return Json{{"KeyId", key.arn},
              {"DeletionDate", when},
              {"KeyState", "PendingDeletion"},
              {"PendingWindowInDays", window}};
}

Result<Json> KmsService::CancelKeyDeletion(const Ctx& ctx, const Json& in) {
  std::lock_guard<std::mutex> l(mu_);
  OT_ASSIGN_OR_RETURN(KeyRecord key, KeyFor(ctx, in, "CancelKeyDeletion"));
  if (key.key_state != "PendingDeletion")
    return Status::Error("KMSInvalidStateException", key.arn + " is not pending deletion.");
  // As on AWS, a key whose deletion is cancelled comes back disabled.
  OT_RETURN_IF_ERROR(store_.UpdateState(key.arn, "Disabled", std::nullopt, std::nullopt));
  return Json{{"KeyId", key.arn}};
}

Result<Json> KmsService::EnableKeyRotation(const Ctx& ctx, const Json& in) {
  std::lock_guard<std::mutex> l(mu_);
  OT_ASSIGN_OR_RETURN(KeyRecord key, KeyFor(ctx, in, "EnableKeyRotation"));
  OT_ASSIGN_OR_RETURN(auto period, OptInt(in, "RotationPeriodInDays"));
  if (period && (*period < 90 || *period > 2560))
    return Validation(std::to_string(*period), "rotationPeriodInDays",
                      "Member must have value between 90 and 2560");
  OT_RETURN_IF_ERROR(CheckUsable(key));
  OT_RETURN_IF_ERROR(store_.UpdateRotation(key.arn, true, period.value_or(key.rotation_period_days),
                                           NowSeconds()));
  return Json::object();
}

Result<Json> KmsService::DisableKeyRotation(const Ctx& ctx, const Json& in) {
  std::lock_guard<std::mutex> l(mu_);
  OT_ASSIGN_OR_RETURN(KeyRecord key, KeyFor(ctx, in, "DisableKeyRotation"));
  OT_RETURN_IF_ERROR(CheckUsable(key));
  OT_RETURN_IF_ERROR(store_.UpdateRotation(key.arn, false, key.rotation_period_days, std::nullopt));
  return Json::object();
}

Result<Json> KmsService::GetKeyRotationStatus(const Ctx& ctx, const Json& in) {
  OT_ASSIGN_OR_RETURN(KeyRecord key, KeyFor(ctx, in, "GetKeyRotationStatus"));
  Json out = {{"KeyId", key.key_id}, {"KeyRotationEnabled", key.rotation_enabled}};
  if (key.rotation_enabled) {
    out["RotationPeriodInDays"] = key.rotation_period_days;
    if (key.rotation_enabled_at)
      out["NextRotationDate"] = *key.rotation_enabled_at + key.rotation_period_days * kSecondsPerDay;
  }
  return out;
}

// ---- aliases ----

Result<Json> KmsService::CreateAlias(const Ctx& ctx, const Json& in) {
  std::lock_guard<std::mutex> l(mu_);
  OT_ASSIGN_OR_RETURN(std::string name, ReqString(in, "AliasName"));
  OT_RETURN_IF_ERROR(CheckAliasName(name));
  OT_ASSIGN_OR_RETURN(std::string target, ReqString(in, "TargetKeyId"));
  OT_ASSIGN_OR_RETURN(KeyRecord key, ResolveKey(ctx, target, /*allow_alias=*/false));
  OT_RETURN_IF_ERROR(Authorize(ctx, key, "CreateAlias", nullptr));
  const std::string& account = ctx.principal.account_id;
  // An alias lives in the caller's account and region and names a key there.
  if (key.account_id != account || key.region != Region(ctx)) return NotFoundKey(target);
  if (key.key_state == "PendingDeletion") return CheckUsable(key);
  int64_t now = NowSeconds();
  OT_RETURN_IF_ERROR(store_.InsertAlias({account, key.region, name, key.arn, now, now}));
  return Json::object();
}

Result<Json> KmsService::DeleteAlias(const Ctx& ctx, const Json& in) {
  std::lock_guard<std::mutex> l(mu_);
  OT_ASSIGN_OR_RETURN(std::string name, ReqString(in, "AliasName"));
  const std::string& account = ctx.principal.account_id;
  if (account.empty()) return Status::Error("NotFoundException", "Alias " + name + " is not found.");
  OT_RETURN_IF_ERROR(store_.DeleteAlias(account, Region(ctx), name));
  return Json::object();
}

Result<Json> KmsService::UpdateAlias(const Ctx& ctx, const Json& in) {
  std::lock_guard<std::mutex> l(mu_);
  OT_ASSIGN_OR_RETURN(std::string name, ReqString(in, "AliasName"));
  OT_ASSIGN_OR_RETURN(std::string target, ReqString(in, "TargetKeyId"));
  const std::string& account = ctx.principal.account_id;
  const std::string region = Region(ctx);
  OT_ASSIGN_OR_RETURN(auto alias, store_.FindAlias(account, region, name));
  if (!alias || account.empty())
    return Status::Error("NotFoundException",
                         "Alias " + AliasArn(region, account, name) + " is not found.");
  OT_ASSIGN_OR_RETURN(KeyRecord key, ResolveKey(ctx, target, /*allow_alias=*/false));
  OT_RETURN_IF_ERROR(Authorize(ctx, key, "UpdateAlias", nullptr));
  if (key.account_id != account || key.region != region) return NotFoundKey(target);
  if (key.key_state == "PendingDeletion") return CheckUsable(key);
  OT_RETURN_IF_ERROR(store_.RetargetAlias(account, region, name, key.arn, NowSeconds()));
  return Json::object();
}

Result<Json> KmsService::ListAliases(const Ctx& ctx, const Json& in) {
  OT_RETURN_IF_ERROR(AuthorizeAccountAction(ctx, "ListAliases"));
  OT_ASSIGN_OR_RETURN(Page page, ReadPage(in, 50));
  OT_ASSIGN_OR_RETURN(auto key_ref, OptString(in, "KeyId"));
  std::optional<std::string> target;
  if (key_ref) {
    OT_ASSIGN_OR_RETURN(KeyRecord key, ResolveKey(ctx, *key_ref, /*allow_alias=*/false));
    target = key.arn;
  }
  const std::string& account = ctx.principal.account_id;
  const std::string region = Region(ctx);
  OT_ASSIGN_OR_RETURN(auto aliases,
                      store_.ListAliases(account, region, target, page.after, page.limit + 1));
  Json out = Json::object();
  FinishPage(out, aliases, page.limit, [](const AliasRecord& a) { return a.alias_name; });
  Json list = Json::array();
  for (const auto& a : aliases) {
    std::string key_id = a.target_key_arn.substr(a.target_key_arn.rfind('/') + 1);
    list.push_back({{"AliasName", a.alias_name},
                    {"AliasArn", AliasArn(a.region, a.account_id, a.alias_name)},
                    {"TargetKeyId", key_id},
                    {"CreationDate", a.creation_date},
                    {"LastUpdatedDate", a.last_updated}});
  }
  out["Aliases"] = std::move(list);
  return out;
}

// ---- key policies ----

namespace {
Status CheckPolicyName(const Json& in) {
  OT_ASSIGN_OR_RETURN(auto name, OptString(in, "PolicyName"));
  if (name && *name != "default")
    return Status::Error("NotFoundException", "No such policy exists: " + *name);
  return Status::Ok();
}
}  // namespace

Result<Json> KmsService::GetKeyPolicy(const Ctx& ctx, const Json& in) {
  OT_ASSIGN_OR_RETURN(KeyRecord key, KeyFor(ctx, in, "GetKeyPolicy"));
  OT_RETURN_IF_ERROR(CheckPolicyName(in));
  return Json{{"Policy", key.policy}, {"PolicyName", "default"}};
}

Result<Json> KmsService::PutKeyPolicy(const Ctx& ctx, const Json& in) {
  std::lock_guard<std::mutex> l(mu_);
  OT_ASSIGN_OR_RETURN(KeyRecord key, KeyFor(ctx, in, "PutKeyPolicy"));
  OT_RETURN_IF_ERROR(CheckPolicyName(in));
  OT_ASSIGN_OR_RETURN(std::string policy, ReqString(in, "Policy"));
  OT_ASSIGN_OR_RETURN(Json doc, ValidateKeyPolicy(policy));
  (void)doc;
  OT_RETURN_IF_ERROR(store_.UpdatePolicy(key.arn, policy));
  return Json::object();
}

Result<Json> KmsService::ListKeyPolicies(const Ctx& ctx, const Json& in) {
  OT_ASSIGN_OR_RETURN(KeyRecord key, KeyFor(ctx, in, "ListKeyPolicies"));
  OT_ASSIGN_OR_RETURN(Page page, ReadPage(in, 100));
  (void)key;
  (void)page;
  return Json{{"PolicyNames", Json::array({"default"})}, {"Truncated", false}};
}

// ---- cryptographic operations ----

Result<Json> KmsService::Encrypt(const Ctx& ctx, const Json& in) {
  OT_ASSIGN_OR_RETURN(std::string ref, ReqString(in, "KeyId"));
  OT_ASSIGN_OR_RETURN(std::string plaintext, ReadBlob(in, "Plaintext", kMaxPlaintext));
  OT_ASSIGN_OR_RETURN(EncryptionContext context, ReadContext(in));
  OT_RETURN_IF_ERROR(CheckAlgorithm(in));
  OT_ASSIGN_OR_RETURN(KeyRecord key, UsableKey(ctx, ref, "Encrypt", context));
  OT_RETURN_IF_ERROR(CheckDryRun(in));
  OT_ASSIGN_OR_RETURN(std::string material, Material(key));
  OT_ASSIGN_OR_RETURN(std::string blob, EncodeCiphertext(key.arn, material, plaintext, context));
  return Json{{"CiphertextBlob", Base64Encode(blob)},
              {"KeyId", key.arn},
              {"EncryptionAlgorithm", kSymmetric}};
}

Result<Json> KmsService::Decrypt(const Ctx& ctx, const Json& in) {
  OT_ASSIGN_OR_RETURN(std::string blob, ReadBlob(in, "CiphertextBlob", kMaxCiphertext));
  OT_ASSIGN_OR_RETURN(EncryptionContext context, ReadContext(in));
  OT_ASSIGN_OR_RETURN(auto key_ref, OptString(in, "KeyId"));
  OT_RETURN_IF_ERROR(CheckAlgorithm(in));
  if (in.contains("Recipient") && !in["Recipient"].is_null())
    return Status::Error("UnsupportedOperationException", "Recipient is not supported");
  OT_ASSIGN_OR_RETURN(auto opened, OpenBlob(ctx, blob, context, key_ref));
  OT_RETURN_IF_ERROR(CheckDryRun(in));
  return Json{{"KeyId", opened.first.arn},
              {"Plaintext", Base64Encode(opened.second)},
              {"EncryptionAlgorithm", kSymmetric}};
}

Result<Json> KmsService::GenerateDataKey(const Ctx& ctx, const Json& in, bool with_plaintext) {
  OT_ASSIGN_OR_RETURN(std::string ref, ReqString(in, "KeyId"));
  OT_ASSIGN_OR_RETURN(EncryptionContext context, ReadContext(in));
  OT_ASSIGN_OR_RETURN(auto spec, OptString(in, "KeySpec"));
  OT_ASSIGN_OR_RETURN(auto nbytes, OptInt(in, "NumberOfBytes"));
  if (spec && nbytes)
    return Status::Error("ValidationException",
                         "KeySpec and NumberOfBytes cannot both be specified");
  size_t bytes;
  if (spec) {
    if (*spec == "AES_256") bytes = 32;
    else if (*spec == "AES_128") bytes = 16;
    else
      return Validation(*spec, "keySpec", "Member must satisfy enum value set: [AES_256, AES_128]");
  } else if (nbytes) {
    if (*nbytes < 1 || *nbytes > 1024)
      return Validation(std::to_string(*nbytes), "numberOfBytes",
                        "Member must have value between 1 and 1024");
    bytes = static_cast<size_t>(*nbytes);
  } else {
    return Status::Error("ValidationException", "Please specify either number of bytes or key spec.");
  }
  if (with_plaintext && in.contains("Recipient") && !in["Recipient"].is_null())
    return Status::Error("UnsupportedOperationException", "Recipient is not supported");
  const std::string op = with_plaintext ? "GenerateDataKey" : "GenerateDataKeyWithoutPlaintext";
  OT_ASSIGN_OR_RETURN(KeyRecord key, UsableKey(ctx, ref, op, context));
  OT_RETURN_IF_ERROR(CheckDryRun(in));
  OT_ASSIGN_OR_RETURN(std::string material, Material(key));
  std::string plaintext = RandomBytes(bytes);
  OT_ASSIGN_OR_RETURN(std::string blob, EncodeCiphertext(key.arn, material, plaintext, context));
  Json out = {{"CiphertextBlob", Base64Encode(blob)}, {"KeyId", key.arn}};
  if (with_plaintext) out["Plaintext"] = Base64Encode(plaintext);
  return out;
}

// ---- tags ----

Result<Json> KmsService::TagResource(const Ctx& ctx, const Json& in) {
  std::lock_guard<std::mutex> l(mu_);
  OT_ASSIGN_OR_RETURN(KeyRecord key, KeyFor(ctx, in, "TagResource", /*allow_alias=*/false));
  OT_ASSIGN_OR_RETURN(auto tags, ReadTags(in, true));
  if (key.key_state == "PendingDeletion") return CheckUsable(key);
  OT_RETURN_IF_ERROR(store_.PutTags(key.arn, tags));
  return Json::object();
}

Result<Json> KmsService::UntagResource(const Ctx& ctx, const Json& in) {
  std::lock_guard<std::mutex> l(mu_);
  OT_ASSIGN_OR_RETURN(KeyRecord key, KeyFor(ctx, in, "UntagResource", /*allow_alias=*/false));
  auto it = in.find("TagKeys");
  if (it == in.end() || !it->is_array())
    return Validation("null", "tagKeys", "Member must not be null");
  std::vector<std::string> keys;
  for (const auto& k : *it) {
    if (!k.is_string()) return Status::Error("SerializationException", "TagKeys must be strings");
    keys.push_back(k.get<std::string>());
  }
  if (key.key_state == "PendingDeletion") return CheckUsable(key);
  OT_RETURN_IF_ERROR(store_.RemoveTags(key.arn, keys));
  return Json::object();
}

Result<Json> KmsService::ListResourceTags(const Ctx& ctx, const Json& in) {
  OT_ASSIGN_OR_RETURN(KeyRecord key, KeyFor(ctx, in, "ListResourceTags", /*allow_alias=*/false));
  OT_ASSIGN_OR_RETURN(Page page, ReadPage(in, 50));
  OT_ASSIGN_OR_RETURN(auto tags, store_.ListTags(key.arn, page.after, page.limit + 1));
  Json out = Json::object();
  FinishPage(out, tags, page.limit, [](const Tag& t) { return t.first; });
  Json list = Json::array();
  for (const auto& [k, v] : tags) list.push_back({{"TagKey", k}, {"TagValue", v}});
  out["Tags"] = std::move(list);
  return out;
}

}  // namespace orgtrail::kms
