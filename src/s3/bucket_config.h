// Parsing, validation and normalised rendering of the small bucket
// configuration documents S3Service stores: versioning, default encryption,
// public access block, canned ACLs, accelerate, tagging. Pure functions,
// thread-safe. Errors carry S3's codes (MalformedXML, InvalidArgument,
// InvalidTag, ...).
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace orgtrail::s3 {

// Returns "Enabled" or "Suspended".
Result<std::string> ParseVersioningConfig(std::string_view xml);

struct EncryptionConfig {
  std::string algorithm;   // "AES256", "aws:kms" or "aws:kms:dsse"
  std::string kms_key_id;  // only for aws:kms*; may be empty (aws/s3 key)
  bool bucket_key_enabled = false;
};
Result<EncryptionConfig> ParseEncryptionConfig(std::string_view xml);
std::string RenderEncryptionConfig(const EncryptionConfig& e);

Result<std::string> NormalizePublicAccessBlock(std::string_view xml);
Result<std::string> NormalizeAccelerate(std::string_view xml);
Result<std::string> NormalizeTagging(std::string_view xml);

// Stored form of a canned ACL (the name, owner-tagged).
std::string RenderCannedAcl(const std::string& canned, const std::string& owner_account);
// GetBucketAcl body: the owner with FULL_CONTROL.
std::string RenderAclPolicy(const std::string& owner_account);

}  // namespace orgtrail::s3
