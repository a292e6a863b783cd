#include "s3/sse_s3.h"

#include "base/ids.h"
#include "base/json.h"
#include "crypto/aead.h"

namespace orgtrail::s3 {

namespace {
constexpr char kKeyContext[] = "orgtrail:sse-s3-key";  // sealing context of the key file
}  // namespace

kms::EncryptionContext ObjectKmsContext(const std::string& bucket, const std::string& key,
                                        const std::string& extra_json) {
  kms::EncryptionContext ec{{"aws:s3:arn", "arn:aws:s3:::" + bucket + "/" + key}};
  if (!extra_json.empty()) {
    Json j = Json::parse(extra_json, nullptr, /*allow_exceptions=*/false);
    if (j.is_object()) {
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (it->is_string()) ec[it.key()] = it->get<std::string>();
      }
    }
  }
  return ec;
}

std::string ObjectAad(const std::string& bucket, const std::string& key, const std::string& version) {
  return bucket + "/" + key + version;
}

Result<std::string> WrapSseS3DataKey(const std::string& server_key, const std::string& data_key,
                                     const std::string& aad) {
  return crypto::AesGcmSeal(server_key, data_key, "sse-s3:" + aad);
}

Result<std::string> UnwrapSseS3DataKey(const std::string& server_key, const std::string& wrapped,
                                       const std::string& aad) {
  return crypto::AesGcmOpen(server_key, wrapped, "sse-s3:" + aad);
}

Result<std::string> LoadSseS3Key(Env& env, const crypto::Sealer& sealer, const std::string& path) {
  if (!env.FileExists(path)) return std::string();
  OT_ASSIGN_OR_RETURN(std::string sealed, env.ReadFile(path));
  OT_ASSIGN_OR_RETURN(std::string key, sealer.Unseal(sealed, kKeyContext));
  if (key.size() != 32) return Status::Internal(path + " does not hold a 32-byte key");
  return key;
}

Result<std::string> LoadOrCreateSseS3Key(Env& env, const crypto::Sealer& sealer,
                                         const std::string& path) {
  OT_ASSIGN_OR_RETURN(std::string key, LoadSseS3Key(env, sealer, path));
  if (!key.empty()) return key;
  key = RandomBytes(32);
  OT_RETURN_IF_ERROR(env.WriteFileAtomic(path, sealer.Seal(key, kKeyContext), 0600));
  return key;
}

}  // namespace orgtrail::s3
