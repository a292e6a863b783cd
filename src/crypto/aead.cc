#include "crypto/aead.h"

#include <openssl/evp.h>

#include <cstring>
#include <memory>

#include "base/ids.h"

namespace orgtrail::crypto {
namespace {

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

Status BadKey() {
  return Status::Internal("AES-256-GCM key must be 32 bytes");
}

Status Invalid() {
  return Status::Error("InvalidCiphertextException",
                       "The ciphertext is invalid or was not produced with this key and context");
}

}  // namespace

Result<std::string> AesGcmSeal(std::string_view key, std::string_view plaintext,
                               std::string_view aad) {
  if (key.size() != kAesKeySize) return BadKey();
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return Status::Internal("EVP_CIPHER_CTX_new failed");
  std::string iv = RandomBytes(kGcmIvSize);
  std::string out;
  out.resize(kGcmIvSize + plaintext.size() + kGcmTagSize);
  out.replace(0, kGcmIvSize, iv);
  int len = 0;
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kGcmIvSize, nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, U(key), U(iv)) != 1) {
    return Status::Internal("AES-GCM init failed");
  }
  if (!aad.empty() &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) != 1) {
    return Status::Internal("AES-GCM aad failed");
  }
  auto* ct = reinterpret_cast<unsigned char*>(out.data() + kGcmIvSize);
  int total = 0;
  if (!plaintext.empty()) {
    if (EVP_EncryptUpdate(ctx.get(), ct, &len, U(plaintext), static_cast<int>(plaintext.size())) !=
        1) {
      return Status::Internal("AES-GCM encrypt failed");
    }
    total = len;
  }
  if (EVP_EncryptFinal_ex(ctx.get(), ct + total, &len) != 1)
    return Status::Internal("AES-GCM final failed");
  total += len;
  if (static_cast<size_t>(total) != plaintext.size())
    return Status::Internal("AES-GCM length mismatch");
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kGcmTagSize, ct + total) != 1)
    return Status::Internal("AES-GCM tag failed");
  return out;
}

Result<std::string> AesGcmOpen(std::string_view key, std::string_view sealed,
                               std::string_view aad) {
  if (key.size() != kAesKeySize) return BadKey();
  if (sealed.size() < kGcmIvSize + kGcmTagSize) return Invalid();
  std::string_view iv = sealed.substr(0, kGcmIvSize);
  std::string_view ct = sealed.substr(kGcmIvSize, sealed.size() - kGcmIvSize - kGcmTagSize);
  std::string tag(sealed.substr(sealed.size() - kGcmTagSize));
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return Status::Internal("EVP_CIPHER_CTX_new failed");
  int len = 0;
  if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kGcmIvSize, nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, U(key), U(iv)) != 1) {
    return Status::Internal("AES-GCM init failed");
  }
  if (!aad.empty() &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) != 1) {
    return Invalid();
  }
  std::string out;
  out.resize(ct.size());
  int total = 0;
  if (!ct.empty()) {
    if (EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, U(ct),
                          static_cast<int>(ct.size())) != 1) {
      return Invalid();
    }
    total = len;
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kGcmTagSize, tag.data()) != 1)
    return Invalid();
  if (EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + total, &len) !=
      1) {
    return Invalid();
  }
  out.resize(static_cast<size_t>(total + len));
  return out;
}

Status AesGcmOpenInPlace(std::string_view key, std::string* buf, std::string_view aad) {
  if (key.size() != kAesKeySize) return BadKey();
  if (buf->size() < kGcmIvSize + kGcmTagSize) return Invalid();
  const size_t ct_size = buf->size() - kGcmIvSize - kGcmTagSize;
  unsigned char* base = reinterpret_cast<unsigned char*>(buf->data());
  unsigned char iv[kGcmIvSize];
  unsigned char tag[kGcmTagSize];
  std::memcpy(iv, base, kGcmIvSize);
  std::memcpy(tag, base + kGcmIvSize + ct_size, kGcmTagSize);
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return Status::Internal("EVP_CIPHER_CTX_new failed");
  int len = 0;
  if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kGcmIvSize, nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, U(key), iv) != 1) {
    return Status::Internal("AES-GCM init failed");
  }
  if (!aad.empty() &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) != 1) {
    return Invalid();
  }
  // OpenSSL decrypts exactly in place (out == in), not into an overlapping
  // buffer; the plaintext is moved to the front afterwards.
  unsigned char* ct = base + kGcmIvSize;
  int total = 0;
  if (ct_size > 0) {
    if (EVP_DecryptUpdate(ctx.get(), ct, &len, ct, static_cast<int>(ct_size)) != 1) return Invalid();
    total = len;
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kGcmTagSize, tag) != 1) return Invalid();
  if (EVP_DecryptFinal_ex(ctx.get(), ct + total, &len) != 1) return Invalid();
  buf->erase(buf->size() - kGcmTagSize);
  buf->erase(0, kGcmIvSize);
  return Status::Ok();
}

}  // namespace orgtrail::crypto
