// Hashes and MACs over OpenSSL 3 (EVP): SHA-256 (uses SHA-NI where present),
// HMAC-SHA256, MD5 (ETags and fingerprints only, never for security).
// Outputs are raw bytes unless the name says Hex. Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace orgtrail::crypto {

std::string Sha256(std::string_view data);
std::string Sha256Hex(std::string_view data);
std::string HmacSha256(std::string_view key, std::string_view data);
std::string Md5(std::string_view data);
std::string Md5Hex(std::string_view data);

// Incremental SHA-256 for streams. Not thread-safe (one owner).
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  void Update(std::string_view data);
  std::string Finish();  // raw 32 bytes; the object is spent afterwards

 private:
  void* ctx_;  // EVP_MD_CTX*
};

// Constant-time equality (CRYPTO_memcmp after a length check).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace orgtrail::crypto
