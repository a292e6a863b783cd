// The SSE-S3 envelope and the server-wide SSE-S3 key (and an SSE-KMS
// object's encryption context), in one place for the S3 service that writes
// and serves such objects and for readers of a data directory (`orgtrail
// validate-logs --data-dir`). docs/formats/objects.md.
#pragma once

#include <string>

#include "base/env.h"
#include "base/status.h"
#include "crypto/sealer.h"
#include "kms/data_key_provider.h"

namespace orgtrail::s3 {

// Object metadata attribute names (docs/formats/objects.md).
inline constexpr char kAttrSse[] = "sse";  // "AES256" or "aws:kms"
inline constexpr char kAttrDataKey[] = "sse-data-key";
inline constexpr char kAttrEncrypted[] = "sse-encrypted";  // "1" when the bytes are sealed
// SSE-KMS: the caller's x-amz-server-side-encryption-context as canonical
// JSON, bound into the data key together with aws:s3:arn.
inline constexpr char kAttrSseContext[] = "sse-context";

// Associated data of an object's ciphertext (and, prefixed, of its wrapped
// SSE-S3 data key).
std::string ObjectAad(const std::string& bucket, const std::string& key, const std::string& version);

// The KMS encryption context of an SSE-KMS object's data key: aws:s3:arn
// plus the caller's pairs (`extra_json`, the kAttrSseContext attribute).
kms::EncryptionContext ObjectKmsContext(const std::string& bucket, const std::string& key,
                                        const std::string& extra_json);

// The object's data key, wrapped under the server's SSE-S3 key.
Result<std::string> WrapSseS3DataKey(const std::string& server_key, const std::string& data_key,
                                     const std::string& aad);
Result<std::string> UnwrapSseS3DataKey(const std::string& server_key, const std::string& wrapped,
                                       const std::string& aad);

// The server-wide SSE-S3 key: 32 random bytes sealed under the master key
// in <data-dir>/keys/sse-s3.key. LoadOrCreate makes it on first start;
// Load returns "" when `path` does not exist.
Result<std::string> LoadOrCreateSseS3Key(Env& env, const crypto::Sealer& sealer,
                                         const std::string& path);
Result<std::string> LoadSseS3Key(Env& env, const crypto::Sealer& sealer, const std::string& path);

}  // namespace orgtrail::s3
