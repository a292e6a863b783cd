// AES-256-GCM authenticated encryption (OpenSSL EVP). The sealed format is
// iv (12 bytes) || ciphertext || tag (16 bytes); `aad` is bound into the tag
// (KMS encryption context, object identity). Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace orgtrail::crypto {

constexpr size_t kAesKeySize = 32;
constexpr size_t kGcmIvSize = 12;
constexpr size_t kGcmTagSize = 16;

// `key` must be 32 bytes; a fresh random IV is drawn for every call.
Result<std::string> AesGcmSeal(std::string_view key, std::string_view plaintext,
                               std::string_view aad);
// Fails with code "InvalidCiphertextException" if the tag does not verify
// (wrong key, wrong aad, tampered bytes) or the input is too short.
Result<std::string> AesGcmOpen(std::string_view key, std::string_view sealed,
                               std::string_view aad);
// Same, decrypting in place: on success *buf holds the plaintext; on failure
// its contents are unspecified. Saves the second buffer of a large object.
Status AesGcmOpenInPlace(std::string_view key, std::string* buf, std::string_view aad);

}  // namespace orgtrail::crypto
