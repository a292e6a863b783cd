// The KMS ciphertext blob: version byte, length-prefixed key ARN, then the
// AES-256-GCM seal of the plaintext under the key's material with
// aad = header || canonical encryption context. The byte layout is specified
// in docs/formats/kms-ciphertext.md; these are its only reader and writer.
// Called by KmsService. Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "kms/data_key_provider.h"

namespace orgtrail::kms {

constexpr unsigned char kCiphertextVersion = 0x01;
constexpr size_t kMaxKeyArnSize = 2048;

// The encryption context as bytes: pairs sorted by key, each written as
// u32be len(key) || key || u32be len(value) || value. Empty map -> "".
std::string CanonicalEncryptionContext(const EncryptionContext& context);

// version (1 byte) || u16be len(arn) || arn. Precondition: 1 <= arn.size() <= kMaxKeyArnSize.
std::string CiphertextHeader(std::string_view key_arn);

// Seals `plaintext` for the key `key_arn` whose 32-byte material is `material`.
Result<std::string> EncodeCiphertext(std::string_view key_arn, std::string_view material,
                                     std::string_view plaintext,
                                     const EncryptionContext& context);

// Reads the key ARN a blob names without decrypting it. Fails with
// InvalidCiphertextException if the header is malformed or the blob too short.
Result<std::string> CiphertextKeyArn(std::string_view blob);

// Opens a blob with the material of the key it names. Fails with
// InvalidCiphertextException on a malformed header, a wrong key, a different
// context or tampered bytes.
Result<std::string> DecodeCiphertext(std::string_view blob, std::string_view material,
                                     const EncryptionContext& context);

}  // namespace orgtrail::kms
