// Helpers shared by the resource providers (internal to cfn/): property
// access on evaluated properties, service calls that turn failures into
// Statuses, and the provider factories resources.cc registers.
// Thread-safe (pure functions).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "cfn/resources.h"

namespace orgtrail::cfn::internal {

// Evaluated property accessors; scalars are converted as CloudFormation does.
std::optional<std::string> Str(const Json& props, const char* name);
std::optional<bool> Bool(const Json& props, const char* name);
bool Changed(const Json& old_props, const Json& new_props, const char* name);
// A policy document property as JSON text (objects are serialized).
std::string PolicyText(const Json& doc);

// Service calls; errors carry the service's code and message.
Result<Json> Kms(ProviderContext& pc, const std::string& op, const Json& in);
Result<Json> Trail(ProviderContext& pc, const std::string& op, const Json& in);
Result<OrderedJson> Iam(ProviderContext& pc, const std::string& op, const auth::QueryParams& p);
// S3 bucket-level call: `sub` is the subresource ("" for the bucket itself).
Result<s3::S3Response> S3(ProviderContext& pc, const std::string& method,
                          const std::string& bucket, const std::string& sub,
                          std::map<std::string, std::string> headers, std::string body);

std::unique_ptr<ResourceProvider> MakeKmsKeyProvider();
std::unique_ptr<ResourceProvider> MakeKmsAliasProvider();
std::unique_ptr<ResourceProvider> MakeIamRoleProvider();
std::unique_ptr<ResourceProvider> MakeIamUserProvider();
std::unique_ptr<ResourceProvider> MakeIamPolicyProvider();
std::unique_ptr<ResourceProvider> MakeIamManagedPolicyProvider();
std::unique_ptr<ResourceProvider> MakeS3BucketProvider();
std::unique_ptr<ResourceProvider> MakeS3BucketPolicyProvider();
std::unique_ptr<ResourceProvider> MakeTrailProvider();

}  // namespace orgtrail::cfn::internal
