// KmsService: the KMS API (JSON 1.1, TrentService.<Op>) over the catalog, and
// the in-process DataKeyProvider that S3 (SSE-KMS) and trail delivery use.
// Customer managed symmetric keys only: each key has 32 random bytes of
// material, stored sealed (crypto::Sealer, context = key ARN) in kms_keys and
// never returned or logged; ciphertext blobs follow
// docs/formats/kms-ciphertext.md. Keys live in (account, region); key ids and
// alias names resolve in the caller's account and region, key and alias ARNs
// name theirs. Keys scheduled for deletion are removed once their deletion
// date passes on the injected Clock (checked lazily at every call).
//
// Authorization: every key operation goes through iam::Authorizer with the
// key policy as a must-allow resource policy (a statement naming the
// account's root delegates to the caller's IAM policies; root itself holds
// an implicit allow-all), condition keys kms:CallerAccount,
// kms:EncryptionContext:<k>, kms:EncryptionContextKeys and the
// RequestContext's aws:* keys. Other accounts may only use and describe a
// key (Encrypt, Decrypt, GenerateDataKey*, DescribeKey,
// GetKeyRotationStatus); service principals are judged by the key policy
// alone. The DataKeyProvider calls (S3 SSE-KMS, delivery) are authorized the
// same way as the API's GenerateDataKey and Decrypt.
//
// Built by the server's wiring and handed to api/ through Ops(); S3 and
// delivery hold it as a DataKeyProvider. Thread-safe: statements run under the
// catalog's lock and read-check-write sequences under mu_.
#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "auth/service_ops.h"
#include "base/time.h"
#include "catalog/db.h"
#include "crypto/sealer.h"
#include "kms/data_key_provider.h"
#include "iam/authorizer.h"
#include "kms/key_store.h"

namespace orgtrail::kms {

class KmsService final : public DataKeyProvider {
 public:
  // `db`, `sealer` and `clock` must outlive the service. Creates the kms_*
  // tables if needed; if that fails every call returns the failure.
  KmsService(catalog::Db& db, const crypto::Sealer& sealer, const Clock& clock);
  KmsService(const KmsService&) = delete;
  KmsService& operator=(const KmsService&) = delete;

  // Operation name (CreateKey, Encrypt ...) -> handler over the JSON body.
  // The handlers borrow this service, which must outlive them. Blobs are
  // base64 strings in the JSON; errors carry the KMS error shape names.
  auth::JsonOps Ops();

  // The authorizer to use (iam::Authorizer::Default() when unset); must
  // outlive the service. Call before serving requests.
  void SetAuthorizer(const iam::Authorizer* authorizer) { authorizer_ = authorizer; }

  // DataKeyProvider. GenerateDataKeyFor and DecryptFor authorize as the API's
  // GenerateDataKey and Decrypt would for `caller`; ResolveKeyArn only checks
  // that the key exists (no authorization: it names the key, it uses nothing).
  // Here ciphertext blobs are raw bytes (not base64).
  Result<DataKey> GenerateDataKeyFor(const auth::RequestContext& caller, const std::string& key_id,
                                     const EncryptionContext& context) override;
  Result<DataKey> DecryptFor(const auth::RequestContext& caller,
                             const std::string& ciphertext_blob,
                             const EncryptionContext& context) override;
  // Finds a key by any reference (id, ARN, alias, alias ARN) as seen from
  // `account` in `region`, without authorization: for other services' own
  // pre-flight checks (CloudTrail's KmsKeyNotFoundException). Never exposes
  // material. NotFoundException when absent.
  Result<KeyRecord> LookupKey(const std::string& ref, const std::string& region,
                              const std::string& account);

  Result<std::string> ResolveKeyArn(const auth::RequestContext& caller,
                                    const std::string& key_id) override;

 private:
  using Ctx = auth::RequestContext;

  Result<Json> CreateKey(const Ctx& ctx, const Json& in);
  Result<Json> DescribeKey(const Ctx& ctx, const Json& in);
  Result<Json> ListKeys(const Ctx& ctx, const Json& in);
  Result<Json> EnableKey(const Ctx& ctx, const Json& in);
  Result<Json> DisableKey(const Ctx& ctx, const Json& in);
  Result<Json> ScheduleKeyDeletion(const Ctx& ctx, const Json& in);
  Result<Json> CancelKeyDeletion(const Ctx& ctx, const Json& in);
  Result<Json> EnableKeyRotation(const Ctx& ctx, const Json& in);
  Result<Json> DisableKeyRotation(const Ctx& ctx, const Json& in);
  Result<Json> GetKeyRotationStatus(const Ctx& ctx, const Json& in);
  Result<Json> CreateAlias(const Ctx& ctx, const Json& in);
  Result<Json> DeleteAlias(const Ctx& ctx, const Json& in);
  Result<Json> UpdateAlias(const Ctx& ctx, const Json& in);
  Result<Json> ListAliases(const Ctx& ctx, const Json& in);
  Result<Json> GetKeyPolicy(const Ctx& ctx, const Json& in);
  Result<Json> PutKeyPolicy(const Ctx& ctx, const Json& in);
  Result<Json> ListKeyPolicies(const Ctx& ctx, const Json& in);
  Result<Json> Encrypt(const Ctx& ctx, const Json& in);
  Result<Json> Decrypt(const Ctx& ctx, const Json& in);
  Result<Json> GenerateDataKey(const Ctx& ctx, const Json& in, bool with_plaintext);
  Result<Json> TagResource(const Ctx& ctx, const Json& in);
  Result<Json> UntagResource(const Ctx& ctx, const Json& in);
  Result<Json> ListResourceTags(const Ctx& ctx, const Json& in);

  // Finds the key `ref` names (id, key ARN, and if allow_alias alias name or
  // alias ARN). NotFoundException / InvalidArnException otherwise.
  Result<KeyRecord> ResolveKey(const Ctx& ctx, const std::string& ref, bool allow_alias);
  // Resolves the KeyId member and authorizes kms:<op> on it.
  Result<KeyRecord> KeyFor(const Ctx& ctx, const Json& in, const std::string& op,
                           bool allow_alias = true);
  // AccessDeniedException unless the caller may do kms:<op> on `key`.
  // kms:<op> on Resource "*" by the caller's identity policies alone.
  Status AuthorizeAccountAction(const Ctx& ctx, const std::string& op);
  // `via_service` is the kms:ViaService condition key
  // ("s3.<region>.amazonaws.com" when S3 calls on the caller's behalf for
  // SSE-KMS; empty, so absent, for direct KMS calls).
  Status Authorize(const Ctx& ctx, const KeyRecord& key, const std::string& op,
                   const EncryptionContext* context, std::string_view via_service = {});
  // DisabledException / KMSInvalidStateException unless the key is Enabled.
  static Status CheckUsable(const KeyRecord& key);
  Result<std::string> Material(const KeyRecord& key) const;
  // Resolve + authorize + usable, for the cryptographic operations.
  Result<KeyRecord> UsableKey(const Ctx& ctx, const std::string& ref, const std::string& op,
                              const EncryptionContext& context, std::string_view via_service = {});
  // Opens a blob: its key must exist, allow `op` and be usable; if
  // expected_key is set it must name the same key (IncorrectKeyException).
  Result<std::pair<KeyRecord, std::string>> OpenBlob(const Ctx& ctx, const std::string& blob,
                                                     const EncryptionContext& context,
                                                     const std::optional<std::string>& expected_key,
                                                     std::string_view via_service = {});
  Result<DataKey> NewDataKey(const Ctx& ctx, const std::string& ref,
                             const EncryptionContext& context, size_t bytes,
                             std::string_view via_service = {});
  // Deletes keys whose deletion date has passed.
  Status Purge();
  int64_t NowSeconds() const;
  const iam::Authorizer& authorizer() const;

  KeyStore store_;
  const crypto::Sealer& sealer_;
  const Clock& clock_;
  std::mutex mu_;  // serializes read-check-write sequences on keys and aliases
  const iam::Authorizer* authorizer_ = nullptr;
};

}  // namespace orgtrail::kms
