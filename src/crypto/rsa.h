// RSA-2048 keys for digest signing (aws-compat.md §5.3, §5.5): key
// generation, RSASSA-PKCS1-v1_5 with SHA-256 ("SHA256withRSA") sign and
// verify over OpenSSL 3 EVP, and the encodings CloudTrail uses: the public
// key as DER PKCS#1 RSAPublicKey (270 bytes for 2048 bits, base64 starting
// "MIIBCgKCAQEA"), the private key as DER PKCS#1 RSAPrivateKey (sealed at
// rest by delivery::SigningKeys), fingerprint = hex MD5 of the public DER.
//
// Called by delivery/ (signing keys, digest writer) and validate/.
// Both key types are immutable values after construction and safe to use
// from several threads at once (EVP_PKEY is only read).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace orgtrail::crypto {

class RsaPublicKey {
 public:
  // Parses DER PKCS#1 RSAPublicKey, or (lenient, like the v2 CLI)
  // SubjectPublicKeyInfo. InvalidKey on anything else.
  static Result<RsaPublicKey> FromDer(std::string_view der);

  // DER PKCS#1 RSAPublicKey (what ListPublicKeys returns, base64'd).
  const std::string& Der() const { return der_; }
  // Lower-case hex MD5 of Der().
  std::string Fingerprint() const;
  int Bits() const;
  // True iff `signature` is a valid SHA256withRSA signature of `message`.
  bool VerifySha256(std::string_view message, std::string_view signature) const;

 private:
  RsaPublicKey(std::shared_ptr<EVP_PKEY> pkey, std::string der)
      : pkey_(std::move(pkey)), der_(std::move(der)) {}
  std::shared_ptr<EVP_PKEY> pkey_;
  std::string der_;
};

class RsaPrivateKey {
 public:
  // Generates a fresh key pair (bits >= 2048 in production; tests may use
  // 1024 only for speed, never for CloudTrail output).
  static Result<RsaPrivateKey> Generate(int bits = 2048);
  // Parses DER PKCS#1 RSAPrivateKey (as written by PrivateDer()).
  static Result<RsaPrivateKey> FromDer(std::string_view der);

  // DER PKCS#1 RSAPrivateKey. Secret: seal before storing.
  std::string PrivateDer() const;
  const RsaPublicKey& Public() const { return public_; }
  // SHA256withRSA signature (raw bytes, modulus length).
  Result<std::string> SignSha256(std::string_view message) const;

 private:
  RsaPrivateKey(std::shared_ptr<EVP_PKEY> pkey, RsaPublicKey pub)
      : pkey_(std::move(pkey)), public_(std::move(pub)) {}
  std::shared_ptr<EVP_PKEY> pkey_;
  RsaPublicKey public_;
};

}  // namespace orgtrail::crypto
