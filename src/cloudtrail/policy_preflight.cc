#include "cloudtrail/policy_preflight.h"

#include "base/ids.h"
#include "policy/explain.h"
#include "policy/policy_document.h"

namespace orgtrail::cloudtrail {
namespace {

constexpr char kService[] = "cloudtrail.amazonaws.com";
constexpr char kAclFull[] = "bucket-owner-full-control";
constexpr char kContextKey[] = "aws:cloudtrail:arn";

std::string BucketArn(const DeliverySetup& s) { return "arn:aws:s3:::" + s.bucket; }

std::string PrefixPath(const DeliverySetup& s) {
  return s.prefix.empty() ? std::string() : s.prefix + "/";
}

// arn:aws:kms:<region>:<account>:key/<id> -> <account>.
std::string AccountOfArn(const std::string& arn) {
  size_t pos = 0;
  for (int i = 0; i < 4; ++i) {
    pos = arn.find(':', pos);
    if (pos == std::string::npos) return "";
    ++pos;
  }
  size_t end = arn.find(':', pos);
  return end == std::string::npos ? "" : arn.substr(pos, end - pos);
}

std::optional<policy::Policy> ParseOrNone(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  auto r = policy::ParsePolicy(*text, policy::PolicyKind::kResource);
  if (!r.ok()) return std::nullopt;  // validated on write; an unreadable one grants nothing
  return std::move(r).value();
}

std::string Join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

}  // namespace

auth::RequestContext DeliveryContext(const std::string& trail_arn,
                                     const std::string& owner_account, const std::string& region,
                                     TimePoint now) {
  auth::RequestContext ctx;
  ctx.principal.type = auth::PrincipalType::kAWSService;
  ctx.principal.service = kService;
  ctx.principal.arn = kService;
  ctx.principal.account_id = owner_account;
  ctx.region = region;
  ctx.request_id = NewUuid();
  ctx.source_ip = kService;
  ctx.user_agent = kService;
  ctx.secure_transport = true;
  ctx.now = now;
  ctx.source_arn = trail_arn;
  ctx.source_account = owner_account;
  return ctx;
}

std::vector<std::string> DeliveryObjectResources(const DeliverySetup& s) {
  std::vector<std::string> ids;
  // An organization trail writes AWSLogs/<org-id>/<account>/...; AWS also
  // checks the management account's own path, so both must be writable.
  if (!s.org_id.empty()) ids.push_back(s.org_id);
  ids.push_back(s.owner_account);
  std::vector<std::string> out;
  for (const auto& id : ids) out.push_back(BucketArn(s) + "/" + PrefixPath(s) + "AWSLogs/" + id + "/*");
  return out;
}

std::string PolicyGap::Describe() const {
  return std::string(kService) + " needs " + action + " on " + resource + ": " + explanation;
}

std::vector<PolicyGap> FindDeliveryPolicyGaps(const iam::Authorizer& authorizer,
                                              const DeliverySetup& s, TimePoint now) {
  std::vector<PolicyGap> gaps;
  const auth::RequestContext ctx = DeliveryContext(s.trail_arn, s.owner_account, s.home_region, now);
  auto run = [&](GapKind kind, const iam::AuthzCheck& check) {
    policy::Explanation why;
    auto d = authorizer.Decide(ctx, check, &why);
    if (d.ok() && *d == policy::Decision::kAllow) return;
    PolicyGap g;
    g.kind = kind;
    g.action = check.action;
    g.resource = check.resource;
    g.explanation = d.ok() ? why.Message() : d.status().ToString();
    gaps.push_back(std::move(g));
  };

  // The bucket: the same AuthzCheck S3Service::Authorize builds for these calls.
  const std::optional<policy::Policy> bucket_policy = ParseOrNone(s.bucket_policy);
  auto bucket_check = [&](const std::string& action, const std::string& resource) {
    iam::AuthzCheck c;
    c.action = action;
    c.resource = resource;
    c.resource_account = s.bucket_owner.empty() ? s.owner_account : s.bucket_owner;
    c.resource_policy = bucket_policy ? &*bucket_policy : nullptr;
    c.kind = iam::ResourcePolicyKind::kBucket;
    c.resource_label = "the bucket policy of " + s.bucket;
    c.context["aws:SourceArn"] = {ctx.source_arn};
    c.context["aws:SourceAccount"] = {ctx.source_account};
    c.style = iam::DenyStyle::kS3;
    return c;
  };
  run(GapKind::kBucketPolicy, bucket_check("s3:GetBucketAcl", BucketArn(s)));
  for (const auto& resource : DeliveryObjectResources(s)) {
    iam::AuthzCheck c = bucket_check("s3:PutObject", resource);
    c.context["s3:x-amz-acl"] = {kAclFull};
    if (!s.kms_key_arn.empty()) c.context["s3:x-amz-server-side-encryption"] = {"aws:kms"};
    run(GapKind::kBucketPolicy, c);
  }

  if (s.kms_key_arn.empty()) return gaps;
  // The key: the same AuthzCheck KmsService::Authorize builds for a service
  // principal, with the encryption context SSE-KMS uses for a log object.
  auto parsed_key = policy::ParsePolicy(s.key_policy, policy::PolicyKind::kResource);
  auto key_check = [&](const std::string& op) {
    iam::AuthzCheck c;
    c.action = "kms:" + op;
    c.resource = s.kms_key_arn;
    c.resource_account = s.key_account.empty() ? AccountOfArn(s.kms_key_arn) : s.key_account;
    c.resource_policy = parsed_key.ok() ? &*parsed_key : nullptr;
    c.kind = iam::ResourcePolicyKind::kKey;
    c.resource_label = "the key policy of " + s.kms_key_arn;
    c.style = iam::DenyStyle::kJson;
    return c;
  };
  iam::AuthzCheck gen = key_check("GenerateDataKey");
  const std::string object = DeliveryObjectResources(s).front();
  gen.context["kms:EncryptionContext:aws:s3:arn"] = {object};
  gen.context[std::string("kms:EncryptionContext:") + kContextKey] = {s.trail_arn};
  gen.context["kms:EncryptionContextKeys"] = {"aws:s3:arn", kContextKey};
  run(GapKind::kKeyPolicy, gen);
  run(GapKind::kKeyPolicy, key_check("DescribeKey"));
  return gaps;
}

Status CheckDeliveryPolicies(const iam::Authorizer& authorizer, const DeliverySetup& s,
                             TimePoint now) {
  std::vector<std::string> bucket, key;
  for (const auto& g : FindDeliveryPolicyGaps(authorizer, s, now))
    (g.kind == GapKind::kBucketPolicy ? bucket : key).push_back(g.Describe());
  if (!bucket.empty())
    return Status::Error("InsufficientS3BucketPolicyException",
                         "Incorrect S3 bucket policy is detected for bucket: " + s.bucket +
                             ". Trail " + s.trail_arn + " could not deliver: " +
                             Join(bucket, "; and ") + ".");
  if (!key.empty())
    return Status::Error("InsufficientEncryptionPolicyException",
                         "Insufficient permissions to access KMS key " + s.kms_key_arn +
                             ". Trail " + s.trail_arn + " could not deliver: " +
                             Join(key, "; and ") + ".");
  return Status::Ok();
}

OrderedJson RequiredBucketPolicy(const DeliverySetup& s) {
  const OrderedJson principal = {{"Service", kService}};
  OrderedJson statements = OrderedJson::array();
  statements.push_back({{"Sid", "AWSCloudTrailAclCheck20150319"},
                        {"Effect", "Allow"},
                        {"Principal", principal},
                        {"Action", "s3:GetBucketAcl"},
                        {"Resource", BucketArn(s)},
                        {"Condition", {{"StringEquals", {{"aws:SourceArn", s.trail_arn}}}}}});
  const std::vector<std::string> resources = DeliveryObjectResources(s);
  for (size_t i = 0; i < resources.size(); ++i) {
    const bool org_path = !s.org_id.empty() && i == 0;
    statements.push_back(
        {{"Sid", org_path ? "AWSCloudTrailOrganizationWrite20150319" : "AWSCloudTrailWrite20150319"},
         {"Effect", "Allow"},
         {"Principal", principal},
         {"Action", "s3:PutObject"},
         {"Resource", resources[i]},
         {"Condition",
          {{"StringEquals", {{"s3:x-amz-acl", kAclFull}, {"aws:SourceArn", s.trail_arn}}}}}});
  }
  return {{"Version", "2012-10-17"}, {"Statement", std::move(statements)}};
}

OrderedJson RequiredKeyPolicyStatements(const DeliverySetup& s) {
  const OrderedJson principal = {{"Service", kService}};
  OrderedJson statements = OrderedJson::array();
  statements.push_back(
      {{"Sid", "AllowCloudTrailToEncryptLogs"},
       {"Effect", "Allow"},
       {"Principal", principal},
       {"Action", "kms:GenerateDataKey*"},
       {"Resource", "*"},
       {"Condition",
        {{"StringEquals", {{"aws:SourceArn", s.trail_arn}}},
         {"StringLike",
          {{std::string("kms:EncryptionContext:") + kContextKey,
            "arn:aws:cloudtrail:*:" + s.owner_account + ":trail/*"}}}}}});
  statements.push_back({{"Sid", "AllowCloudTrailToDescribeKey"},
                        {"Effect", "Allow"},
                        {"Principal", principal},
                        {"Action", "kms:DescribeKey"},
                        {"Resource", "*"}});
  return statements;
}

}  // namespace orgtrail::cloudtrail
