#include "cfn/resources.h"

#include <map>
#include <memory>

#include "base/ids.h"
#include "base/strings.h"
#include "cfn/evaluator.h"
#include "cfn/provider_util.h"
#include "cfn/template.h"

namespace orgtrail::cfn {

bool ResourceProvider::NeedsReplacement(const Json& old_props, const Json& new_props) const {
  for (const auto& p : ReplacementProperties())
    if (internal::Changed(old_props, new_props, p.c_str())) return true;
  return false;
}

ResourceProvider* FindProvider(const std::string& type) {
  static const auto* kProviders = [] {
    auto* m = new std::map<std::string, std::unique_ptr<ResourceProvider>>();
    (*m)["AWS::KMS::Key"] = internal::MakeKmsKeyProvider();
    (*m)["AWS::KMS::Alias"] = internal::MakeKmsAliasProvider();
    (*m)["AWS::IAM::Role"] = internal::MakeIamRoleProvider();
    (*m)["AWS::IAM::User"] = internal::MakeIamUserProvider();
    (*m)["AWS::IAM::Policy"] = internal::MakeIamPolicyProvider();
    (*m)["AWS::IAM::ManagedPolicy"] = internal::MakeIamManagedPolicyProvider();
    (*m)["AWS::S3::Bucket"] = internal::MakeS3BucketProvider();
    (*m)["AWS::S3::BucketPolicy"] = internal::MakeS3BucketPolicyProvider();
    (*m)["AWS::CloudTrail::Trail"] = internal::MakeTrailProvider();
    return m;
  }();
  auto it = kProviders->find(type);
  return it == kProviders->end() ? nullptr : it->second.get();
}

Status ValidateResourceProperties(const std::string& logical_id, const std::string& type,
                                  const Json& raw_props) {
  ResourceProvider* p = FindProvider(type);
  if (!p) return ValidationError("Template format error: Unrecognized resource types: [" + type + "]");
  OT_RETURN_IF_ERROR(p->TypeSupported(type));
  if (raw_props.is_object()) {
    for (const auto& [k, v] : raw_props.items()) {
      if (!p->Properties().count(k))
        return ValidationError("Encountered unsupported property " + k + " (resource " +
                               logical_id + ", type " + type + ")");
    }
  }
  for (const auto& req : p->RequiredProperties()) {
    if (!raw_props.is_object() || !raw_props.contains(req))
      return ValidationError("Property validation failure for resource " + logical_id +
                             ": required key [" + req + "] not found");
  }
  return Status::Ok();
}

std::string GeneratedName(const std::string& stack, const std::string& logical, size_t max_len,
                          bool lower) {
  std::string suffix = RandomString(12, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
  std::string head = stack + "-" + logical;
  size_t room = max_len > suffix.size() + 1 ? max_len - suffix.size() - 1 : 0;
  if (head.size() > room) head.resize(room);
  std::string name = head + "-" + suffix;
  return lower ? ToLower(name) : name;
}

Result<std::string> CannedAclHeader(const std::string& ac) {
  static const std::map<std::string, std::string> kAcls = {
      {"Private", "private"},
      {"PublicRead", "public-read"},
      {"PublicReadWrite", "public-read-write"},
      {"AuthenticatedRead", "authenticated-read"},
      {"LogDeliveryWrite", "log-delivery-write"},
      {"BucketOwnerRead", "bucket-owner-read"},
      {"BucketOwnerFullControl", "bucket-owner-full-control"},
      {"AwsExecRead", "aws-exec-read"}};
  auto it = kAcls.find(ac);
  if (it == kAcls.end())
    return ValidationError("Property AccessControl: value " + ac + " is not one of [" +
                           "AuthenticatedRead, AwsExecRead, BucketOwnerFullControl, "
                           "BucketOwnerRead, LogDeliveryWrite, Private, PublicRead, "
                           "PublicReadWrite]");
  return it->second;
}

namespace internal {

std::optional<std::string> Str(const Json& props, const char* name) {
  if (!props.is_object() || !props.contains(name) || props[name].is_null()) return std::nullopt;
  return ScalarToString(props[name]);
}

std::optional<bool> Bool(const Json& props, const char* name) {
  auto s = Str(props, name);
  if (!s) return std::nullopt;
  return ToLower(*s) == "true";
}

bool Changed(const Json& old_props, const Json& new_props, const char* name) {
  bool a = old_props.is_object() && old_props.contains(name);
  bool b = new_props.is_object() && new_props.contains(name);
  if (a != b) return true;
  if (!a) return false;
  const Json& x = old_props[name];
  const Json& y = new_props[name];
  if (!x.is_structured() && !y.is_structured()) return ScalarToString(x) != ScalarToString(y);
  return x != y;
}

std::string PolicyText(const Json& doc) {
  if (doc.is_string()) return doc.get<std::string>();
  return doc.dump();
}

Result<Json> Kms(ProviderContext& pc, const std::string& op, const Json& in) {
  return pc.invoker.CallJson(pc.ctx, "kms", op, in);
}

Result<Json> Trail(ProviderContext& pc, const std::string& op, const Json& in) {
  return pc.invoker.CallJson(pc.ctx, "cloudtrail", op, in);
}

Result<OrderedJson> Iam(ProviderContext& pc, const std::string& op, const auth::QueryParams& p) {
  return pc.invoker.CallQuery(pc.ctx, "iam", op, p);
}

namespace {
std::string XmlChild(const std::string& xml, const std::string& name) {
  std::string open = "<" + name + ">", close = "</" + name + ">";
  size_t a = xml.find(open);
  if (a == std::string::npos) return "";
  a += open.size();
  size_t b = xml.find(close, a);
  return b == std::string::npos ? "" : xml.substr(a, b - a);
}
}  // namespace

Result<s3::S3Response> S3(ProviderContext& pc, const std::string& method,
                          const std::string& bucket, const std::string& sub,
                          std::map<std::string, std::string> headers, std::string body) {
  s3::S3Request req;
  req.method = method;
  req.bucket = bucket;
  if (!sub.empty()) req.query.emplace_back(sub, "");
  req.headers = std::move(headers);
  if (!body.empty() && !req.headers.count("content-type"))
    req.headers["content-type"] = sub == "policy" ? "application/json" : "application/xml";
  req.body = std::move(body);
  s3::S3Response resp = pc.invoker.CallS3(pc.ctx, req);
  if (resp.status >= 200 && resp.status < 300) return resp;
  std::string code = XmlChild(resp.body, "Code");
  std::string msg = XmlChild(resp.body, "Message");
  if (code.empty()) code = "S3Error" + std::to_string(resp.status);
  return Status::Error(code, msg.empty() ? code : msg, resp.status);
}

}  // namespace internal
}  // namespace orgtrail::cfn
