// LifecycleConfiguration: a bucket's lifecycle rules, parsed and validated
// from the PutBucketLifecycleConfiguration XML and rendered back in a
// normalised form (the stored form). The S3 service validates and stores
// them; the lifecycle/ module applies them later. Value types; the
// functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace orgtrail::s3 {

struct LifecycleTag {
  std::string key;
  std::string value;
};

struct LifecycleFilter {
  enum class Kind { kNone, kLegacyPrefix, kPrefix, kTag, kSize, kAnd };
  Kind kind = Kind::kNone;       // kNone: no Filter element (whole bucket)
  std::string prefix;            // kLegacyPrefix, kPrefix, kAnd
  std::vector<LifecycleTag> tags;  // kTag (one), kAnd
  std::optional<int64_t> size_greater_than;
  std::optional<int64_t> size_less_than;
};

struct LifecycleTransition {
  std::optional<int64_t> days;
  std::optional<std::string> date;  // ISO-8601 midnight UTC, as given
  std::string storage_class;
};

struct LifecycleRule {
  std::string id;
  bool enabled = false;
  LifecycleFilter filter;
  std::optional<int64_t> expiration_days;
  std::optional<std::string> expiration_date;
  std::optional<bool> expired_object_delete_marker;
  std::vector<LifecycleTransition> transitions;
  struct Noncurrent {
    int64_t noncurrent_days = 0;
    std::optional<int64_t> newer_noncurrent_versions;
    std::string storage_class;  // transitions only
  };
  std::vector<Noncurrent> noncurrent_transitions;
  std::optional<Noncurrent> noncurrent_expiration;
  std::optional<int64_t> abort_incomplete_multipart_days;
};

struct LifecycleConfiguration {
  std::vector<LifecycleRule> rules;
};

// Parses and validates; MalformedXML for shape errors, InvalidArgument /
// InvalidRequest for values S3 refuses (with S3's messages).
Result<LifecycleConfiguration> ParseLifecycleConfiguration(std::string_view xml);
// The normalised XML (elements in model order, S3 namespace).
std::string RenderLifecycleConfiguration(const LifecycleConfiguration& cfg);

}  // namespace orgtrail::s3
