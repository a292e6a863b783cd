#include "crypto/rsa.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto/hash.h"

namespace orgtrail::crypto {
namespace {

std::shared_ptr<EVP_PKEY> Wrap(EVP_PKEY* p) { return std::shared_ptr<EVP_PKEY>(p, EVP_PKEY_free); }

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

// i2d_PublicKey on an RSA key writes PKCS#1 RSAPublicKey.
std::string PublicPkcs1Der(EVP_PKEY* p) {
  unsigned char* out = nullptr;
  int n = i2d_PublicKey(p, &out);
  if (n <= 0) return {};
  std::string der(reinterpret_cast<char*>(out), static_cast<size_t>(n));
  OPENSSL_free(out);
  return der;
}

Result<RsaPublicKey> PublicOf(EVP_PKEY* p);

}  // namespace

Result<RsaPublicKey> RsaPublicKey::FromDer(std::string_view der) {
  const auto* data = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* cursor = data;
  EVP_PKEY* p = d2i_PublicKey(EVP_PKEY_RSA, nullptr, &cursor, static_cast<long>(der.size()));
  if (p == nullptr || cursor != data + der.size()) {
    if (p != nullptr) EVP_PKEY_free(p);
    ERR_clear_error();
    cursor = data;
    p = d2i_PUBKEY(nullptr, &cursor, static_cast<long>(der.size()));
    if (p == nullptr || cursor != data + der.size() || EVP_PKEY_get_base_id(p) != EVP_PKEY_RSA) {
      if (p != nullptr) EVP_PKEY_free(p);
      ERR_clear_error();
      return Status::Error("InvalidKey", "not a DER RSA public key");
    }
  }
  auto key = Wrap(p);
  std::string pkcs1 = PublicPkcs1Der(p);
  if (pkcs1.empty()) return Status::Error("InvalidKey", "cannot encode RSA public key");
  return RsaPublicKey(std::move(key), std::move(pkcs1));
}

std::string RsaPublicKey::Fingerprint() const { return Md5Hex(der_); }

int RsaPublicKey::Bits() const { return EVP_PKEY_get_bits(pkey_.get()); }

bool RsaPublicKey::VerifySha256(std::string_view message, std::string_view signature) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) return false;
  bool ok = false;
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), nullptr, pkey_.get()) == 1 &&
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0) {
    ok = EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(),
                          reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
  }
  EVP_MD_CTX_free(ctx);
  ERR_clear_error();
  return ok;
}

namespace {
Result<RsaPublicKey> PublicOf(EVP_PKEY* p) {
  std::string der = PublicPkcs1Der(p);
  if (der.empty()) return Status::Internal("cannot encode RSA public key: " + OpenSslError());
  return RsaPublicKey::FromDer(der);
}
}  // namespace

Result<RsaPrivateKey> RsaPrivateKey::Generate(int bits) {
  EVP_PKEY* p = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits));
  if (p == nullptr) return Status::Internal("RSA key generation failed: " + OpenSslError());
  auto key = Wrap(p);
  OT_ASSIGN_OR_RETURN(RsaPublicKey pub, PublicOf(p));
  return RsaPrivateKey(std::move(key), std::move(pub));
}

Result<RsaPrivateKey> RsaPrivateKey::FromDer(std::string_view der) {
  const auto* data = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* cursor = data;
  EVP_PKEY* p = d2i_PrivateKey(EVP_PKEY_RSA, nullptr, &cursor, static_cast<long>(der.size()));
  if (p == nullptr || cursor != data + der.size()) {
    if (p != nullptr) EVP_PKEY_free(p);
    ERR_clear_error();
    return Status::Error("InvalidKey", "not a DER PKCS#1 RSA private key");
  }
  auto key = Wrap(p);
  OT_ASSIGN_OR_RETURN(RsaPublicKey pub, PublicOf(p));
  return RsaPrivateKey(std::move(key), std::move(pub));
}

std::string RsaPrivateKey::PrivateDer() const {
  unsigned char* out = nullptr;
  int n = i2d_PrivateKey(pkey_.get(), &out);
  if (n <= 0) return {};
  std::string der(reinterpret_cast<char*>(out), static_cast<size_t>(n));
  OPENSSL_clear_free(out, static_cast<size_t>(n));
  return der;
}

Result<std::string> RsaPrivateKey::SignSha256(std::string_view message) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) return Status::Internal("EVP_MD_CTX_new failed");
  EVP_PKEY_CTX* pctx = nullptr;
  std::string sig;
  size_t len = 0;
  bool ok = EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), nullptr, pkey_.get()) == 1 &&
            EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0 &&
            EVP_DigestSign(ctx, nullptr, &len,
                           reinterpret_cast<const unsigned char*>(message.data()),
                           message.size()) == 1;
  if (ok) {
    sig.resize(len);
    ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                        reinterpret_cast<const unsigned char*>(message.data()),
                        message.size()) == 1;
    sig.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  if (!ok) return Status::Internal("RSA signing failed: " + OpenSslError());
  return sig;
}

}  // namespace orgtrail::crypto
