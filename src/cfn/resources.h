// Resource providers: how each supported resource type is created, updated
// and deleted through a ServiceInvoker, as the calls the stack's caller
// would make (AWS::KMS::Key, AWS::KMS::Alias, AWS::IAM::Role, AWS::IAM::User,
// AWS::IAM::Policy, AWS::IAM::ManagedPolicy, AWS::S3::Bucket,
// AWS::S3::BucketPolicy, AWS::CloudTrail::Trail). Providers are stateless
// singletons, called by CfnService; thread-safe.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "auth/principal.h"
#include "base/json.h"
#include "base/status.h"
#include "cfn/service_invoker.h"

namespace orgtrail::cfn {

// What a provider needs for one call.
struct ProviderContext {
  ServiceInvoker& invoker;
  const auth::RequestContext& ctx;
  std::string stack_name;
  std::string logical_id;
};

// A provisioned resource: Ref value and Fn::GetAtt attributes.
struct ResourceState {
  std::string physical_id;
  Json attributes = Json::object();
};

class ResourceProvider {
 public:
  virtual ~ResourceProvider() = default;
  // The properties the type accepts (others fail validation).
  virtual const std::set<std::string>& Properties() const = 0;
  virtual std::vector<std::string> RequiredProperties() const { return {}; }
  // Properties whose change replaces the resource (create new, delete old).
  virtual const std::set<std::string>& ReplacementProperties() const = 0;
  // "", "CAPABILITY_IAM" or "CAPABILITY_NAMED_IAM" for these (raw) properties.
  virtual std::string RequiredCapability(const Json& /*props*/) const { return ""; }
  // A refusal that applies to the type as a whole (not supported here).
  virtual Status TypeSupported(const std::string& /*type*/) const { return Status::Ok(); }

  // Creates the resource from evaluated properties.
  virtual Result<ResourceState> Create(ProviderContext& pc, const Json& props) = 0;
  // Changes `cur` in place from `old_props` to `new_props` (no replacement
  // property differs). Only the changed properties are sent.
  virtual Result<ResourceState> Update(ProviderContext& pc, const ResourceState& cur,
                                       const Json& old_props, const Json& new_props) = 0;
  // Deletes `cur` (props = the properties it was last applied with).
  virtual Status Delete(ProviderContext& pc, const ResourceState& cur, const Json& props) = 0;

  // Whether changing old -> new needs replacement.
  bool NeedsReplacement(const Json& old_props, const Json& new_props) const;
};

// The provider for `type`, or nullptr when the type is unknown.
ResourceProvider* FindProvider(const std::string& type);

// Checks a resource declaration before anything is provisioned: a known
// type ("Unrecognized resource types: [AWS::X::Y]" is reported by the
// caller for all at once), only known properties ("Encountered unsupported
// property Foo"), required properties present.
Status ValidateResourceProperties(const std::string& logical_id, const std::string& type,
                                  const Json& raw_props);

// "<stack>-<logical>-<RANDOM>" capped at `max_len`, as CloudFormation names
// resources without an explicit name; lower-case for S3 buckets.
std::string GeneratedName(const std::string& stack, const std::string& logical, size_t max_len,
                          bool lower);

// Canned ACL header value for AccessControl (LogDeliveryWrite -> log-delivery-write).
Result<std::string> CannedAclHeader(const std::string& access_control);

}  // namespace orgtrail::cfn
