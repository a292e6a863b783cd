#include "kms/ciphertext.h"

#include "crypto/aead.h"

namespace orgtrail::kms {
namespace {

void PutU32(std::string& out, size_t v) {
  out.push_back(static_cast<char>((v >> 24) & 0xff));
  out.push_back(static_cast<char>((v >> 16) & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}

Status Invalid() {
  return Status::Error("InvalidCiphertextException",
                       "The ciphertext is not valid or was not produced by this service");
}

// Splits a blob into header length and ARN; returns header size.
Result<size_t> ParseHeader(std::string_view blob, std::string* arn) {
  if (blob.size() < 3 || static_cast<unsigned char>(blob[0]) != kCiphertextVersion) return Invalid();
  size_t len = (static_cast<size_t>(static_cast<unsigned char>(blob[1])) << 8) |
               static_cast<unsigned char>(blob[2]);
  if (len == 0 || len > kMaxKeyArnSize) return Invalid();
  size_t header = 3 + len;
  if (blob.size() < header + crypto::kGcmIvSize + crypto::kGcmTagSize) return Invalid();
  *arn = std::string(blob.substr(3, len));
  return header;
}

}  // namespace

std::string CanonicalEncryptionContext(const EncryptionContext& context) {
  std::string out;
  for (const auto& [k, v] : context) {  // std::map: already sorted bytewise by key
    PutU32(out, k.size());
    out += k;
    PutU32(out, v.size());
    out += v;
  }
  return out;
}

std::string CiphertextHeader(std::string_view key_arn) {
  std::string h;
  h.push_back(static_cast<char>(kCiphertextVersion));
  h.push_back(static_cast<char>((key_arn.size() >> 8) & 0xff));
  h.push_back(static_cast<char>(key_arn.size() & 0xff));
  h += key_arn;
  return h;
}

Result<std::string> EncodeCiphertext(std::string_view key_arn, std::string_view material,
                                     std::string_view plaintext,
                                     const EncryptionContext& context) {
  if (key_arn.empty() || key_arn.size() > kMaxKeyArnSize)
    return Status::Internal("key ARN length out of range");
  std::string header = CiphertextHeader(key_arn);
  std::string aad = header + CanonicalEncryptionContext(context);
  OT_ASSIGN_OR_RETURN(std::string sealed, crypto::AesGcmSeal(material, plaintext, aad));
  return header + sealed;
}

Result<std::string> CiphertextKeyArn(std::string_view blob) {
  std::string arn;
  OT_ASSIGN_OR_RETURN(size_t header, ParseHeader(blob, &arn));
  (void)header;
  return arn;
}

Result<std::string> DecodeCiphertext(std::string_view blob, std::string_view material,
                                     const EncryptionContext& context) {
  std::string arn;
  OT_ASSIGN_OR_RETURN(size_t header, ParseHeader(blob, &arn));
  std::string aad = std::string(blob.substr(0, header)) + CanonicalEncryptionContext(context);
  auto opened = crypto::AesGcmOpen(material, blob.substr(header), aad);
  if (!opened.ok()) return Invalid();
  return std::move(opened).value();
}

}  // namespace orgtrail::kms
