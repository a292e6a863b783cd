// DataKeyProvider: what S3 (SSE-KMS) and the trail's delivery need from KMS,
// without going through the HTTP API. Implemented by kms::KmsService.
// Authorization: `caller` is the principal on whose behalf the data key is
// used (the S3 requester, or cloudtrail.amazonaws.com for delivery); the
// implementation applies the same access rules as the API's GenerateDataKey
// and Decrypt (for now: key owner's account, or cross-account denied).
// Thread-safe.
#pragma once

#include <map>
#include <string>

#include "auth/principal.h"
#include "base/status.h"

namespace orgtrail::kms {

using EncryptionContext = std::map<std::string, std::string>;

struct DataKey {
  std::string key_arn;         // arn:aws:kms:<region>:<acct>:key/<uuid>
  std::string plaintext;       // 32 bytes; never stored or logged
  std::string ciphertext_blob; // names its key; decryptable by Decrypt
};

class DataKeyProvider {
 public:
  virtual ~DataKeyProvider() = default;
  // key_id: key id, key ARN, alias name (alias/x) or alias ARN. Fails with
  // NotFoundException / DisabledException / AccessDeniedException /
  // KMSInvalidStateException as KMS does.
  virtual Result<DataKey> GenerateDataKeyFor(const auth::RequestContext& caller,
                                             const std::string& key_id,
                                             const EncryptionContext& context) = 0;
  // Returns the plaintext data key and the ARN of the key that sealed it.
  virtual Result<DataKey> DecryptFor(const auth::RequestContext& caller,
                                     const std::string& ciphertext_blob,
                                     const EncryptionContext& context) = 0;
  // Resolves any key reference to the key's ARN (for S3 headers), checking existence.
  virtual Result<std::string> ResolveKeyArn(const auth::RequestContext& caller,
                                            const std::string& key_id) = 0;
};

}  // namespace orgtrail::kms
