#include "cli/trail_policy_command.h"

#include <pugixml.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>

#include "base/json.h"
#include "base/strings.h"
#include "cloudtrail/trail_rules.h"
#include "policy/explain.h"
#include "policy/policy_document.h"
#include "validate/aws_client.h"

namespace orgtrail::cli {
namespace {

struct Args {
  std::string trail_name, management_account, organization_id, bucket, prefix, kms_key_arn;
  std::string region = "us-east-1";
  std::string bucket_account, reader_role_arn, endpoint_url, profile, only;
  bool check = false;
};

// arn:aws:<svc>:<region>:<account>:<rest> -> field `i` (0-based), "" if absent.
std::string ArnField(const std::string& arn, int i) {
  size_t start = 0;
  for (int f = 0; f < i; ++f) {
    start = arn.find(':', start);
    if (start == std::string::npos) return "";
    ++start;
  }
  size_t end = arn.find(':', start);
  return arn.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::string XmlErrorText(const validate::HttpReply& r) {
  pugi::xml_document doc;
  if (doc.load_buffer(r.body.data(), r.body.size())) {
    pugi::xml_node e = doc.child("Error");
    if (!e) e = doc.child("ErrorResponse").child("Error");
    if (e)
      return std::string(e.child("Code").text().as_string()) + ": " +
             e.child("Message").text().as_string();
  }
  return "HTTP " + std::to_string(r.status);
}

// S3 GetBucketPolicy; nullopt when the bucket has none.
Result<std::optional<std::string>> FetchBucketPolicy(const validate::AwsClient& c,
                                                     const std::string& region,
                                                     const std::string& bucket) {
  OT_ASSIGN_OR_RETURN(validate::HttpReply r,
                      c.Send("s3", region, "GET", "/" + UriEncode(bucket) + "?policy", {}, "",
                             true));
  if (r.status == 200) return std::optional<std::string>(r.body);
  if (r.status == 404 && r.body.find("NoSuchBucketPolicy") != std::string::npos)
    return std::optional<std::string>();
  return Status::Error("GetBucketPolicyFailed",
                       "GetBucketPolicy on " + bucket + ": " + XmlErrorText(r), r.status);
}

// One IAM Query call; the parsed XML answer.
Result<std::unique_ptr<pugi::xml_document>> IamCall(const validate::AwsClient& c,
                                                    const std::string& params) {
  std::map<std::string, std::string> h = {
      {"content-type", "application/x-www-form-urlencoded; charset=utf-8"}};
  OT_ASSIGN_OR_RETURN(validate::HttpReply r,
                      c.Send("iam", "us-east-1", "POST", "/", h, params + "&Version=2010-05-08",
                             false));
  if (r.status / 100 != 2) return Status::Error("IamCallFailed", XmlErrorText(r), r.status);
  auto doc = std::make_unique<pugi::xml_document>();
  if (!doc->load_buffer(r.body.data(), r.body.size()))
    return Status::Internal("IAM: malformed XML response");
  return doc;
}

// The role's inline policies (ListRolePolicies + GetRolePolicy).
Result<std::vector<iam::IdentityPolicyText>> FetchInlinePolicies(const validate::AwsClient& c,
                                                                 const std::string& role_name) {
  std::vector<std::string> names;
  std::string marker;
  for (int page = 0; page < 100; ++page) {
    std::string q = "Action=ListRolePolicies&RoleName=" + UriEncode(role_name);
    if (!marker.empty()) q += "&Marker=" + UriEncode(marker);
    OT_ASSIGN_OR_RETURN(auto doc, IamCall(c, q));
    pugi::xml_node res = doc->child("ListRolePoliciesResponse").child("ListRolePoliciesResult");
    for (pugi::xml_node m : res.child("PolicyNames").children("member"))
      names.push_back(m.text().as_string());
    if (std::string(res.child("IsTruncated").text().as_string()) != "true") break;
    marker = res.child("Marker").text().as_string();
    if (marker.empty()) break;
  }
  std::vector<iam::IdentityPolicyText> out;
  for (const auto& n : names) {
    OT_ASSIGN_OR_RETURN(auto doc, IamCall(c, "Action=GetRolePolicy&RoleName=" +
                                                 UriEncode(role_name) +
                                                 "&PolicyName=" + UriEncode(n)));
    std::string text = doc->child("GetRolePolicyResponse")
                           .child("GetRolePolicyResult")
                           .child("PolicyDocument")
                           .text()
                           .as_string();
    // IAM returns policy documents URL-encoded.
    out.push_back({n, UriDecode(text).value_or(text)});
  }
  return out;
}

// The customer managed policies attached to the role (ListAttachedRolePolicies,
// then each policy's default version), so a role whose read access comes from a
// managed policy is judged as IAM would judge it.
Result<std::vector<iam::IdentityPolicyText>> FetchAttachedPolicies(
    const validate::AwsClient& c, const std::string& role_name) {
  std::vector<std::string> arns;
  std::string marker;
  for (int page = 0; page < 100; ++page) {
    std::string q = "Action=ListAttachedRolePolicies&RoleName=" + UriEncode(role_name);
    if (!marker.empty()) q += "&Marker=" + UriEncode(marker);
    OT_ASSIGN_OR_RETURN(auto doc, IamCall(c, q));
    pugi::xml_node res =
        doc->child("ListAttachedRolePoliciesResponse").child("ListAttachedRolePoliciesResult");
    for (pugi::xml_node m : res.child("AttachedPolicies").children("member"))
      arns.push_back(m.child("PolicyArn").text().as_string());
    if (std::string(res.child("IsTruncated").text().as_string()) != "true") break;
    marker = res.child("Marker").text().as_string();
    if (marker.empty()) break;
  }
  std::vector<iam::IdentityPolicyText> out;
  for (const auto& arn : arns) {
    OT_ASSIGN_OR_RETURN(auto pol, IamCall(c, "Action=GetPolicy&PolicyArn=" + UriEncode(arn)));
    const std::string version = pol->child("GetPolicyResponse")
                                    .child("GetPolicyResult")
                                    .child("Policy")
                                    .child("DefaultVersionId")
                                    .text()
                                    .as_string();
    OT_ASSIGN_OR_RETURN(auto doc, IamCall(c, "Action=GetPolicyVersion&PolicyArn=" +
                                                 UriEncode(arn) +
                                                 "&VersionId=" + UriEncode(version)));
    std::string text = doc->child("GetPolicyVersionResponse")
                           .child("GetPolicyVersionResult")
                           .child("PolicyVersion")
                           .child("Document")
                           .text()
                           .as_string();
    out.push_back({arn, UriDecode(text).value_or(text)});
  }
  return out;
}

cloudtrail::DeliverySetup SetupFrom(const Args& a) {
  cloudtrail::DeliverySetup s;
  s.trail_arn = cloudtrail::MakeTrailArn(a.region, a.management_account, a.trail_name);
  s.owner_account = a.management_account;
  s.home_region = a.region;
  s.org_id = a.organization_id;
  s.bucket = a.bucket;
  s.prefix = a.prefix;
  s.kms_key_arn = a.kms_key_arn;
  s.key_account = ArnField(a.kms_key_arn, 4);
  // The bucket's owner decides only same- vs cross-account evaluation for the
  // read role; the audit account usually owns both the bucket and the key.
  s.bucket_owner = !a.bucket_account.empty() ? a.bucket_account
                   : !s.key_account.empty()  ? s.key_account
                                             : a.management_account;
  return s;
}

void PrintPolicies(const Args& a, const cloudtrail::DeliverySetup& s) {
  const auto dump = [](const OrderedJson& j) { return j.dump(2); };
  if (a.only == "bucket-policy") {
    std::printf("%s\n", dump(cloudtrail::RequiredBucketPolicy(s)).c_str());
    return;
  }
  if (a.only == "key-statements") {
    std::printf("%s\n", dump(cloudtrail::RequiredKeyPolicyStatements(s)).c_str());
    return;
  }
  std::printf("# Bucket policy for s3://%s (aws s3api put-bucket-policy --bucket %s --policy "
              "file://bucket-policy.json):\n%s\n",
              s.bucket.c_str(), s.bucket.c_str(), dump(cloudtrail::RequiredBucketPolicy(s)).c_str());
  if (!s.kms_key_arn.empty()) {
    std::printf("\n# Statements to add to the key policy of %s (keep the existing ones, e.g. "
                "the account root's):\n%s\n",
                s.kms_key_arn.c_str(), dump(cloudtrail::RequiredKeyPolicyStatements(s)).c_str());
  }
}

int RunCheck(const Args& a, cloudtrail::DeliverySetup s) {
  auto fail = [](const std::string& msg) {
    std::fprintf(stderr, "%s\n", msg.c_str());
    return 255;
  };
  auto profile = validate::LoadAwsProfile(a.profile);
  if (!profile.ok()) return fail(profile.status().message());
  std::string endpoint = a.endpoint_url;
  if (endpoint.empty() && std::getenv("AWS_ENDPOINT_URL")) endpoint = std::getenv("AWS_ENDPOINT_URL");
  if (endpoint.empty()) endpoint = profile->endpoint_url;
  if (endpoint.empty())
    return fail("No endpoint: pass --endpoint-url, set AWS_ENDPOINT_URL or endpoint_url in the profile");
  if (Status st = validate::AssumeRoleProfile(*profile, endpoint); !st.ok())
    return fail("AssumeRole failed: " + st.ToString());
  auto client = validate::AwsClient::Create(endpoint, profile->credentials);
  if (!client.ok()) return fail(client.status().message());

  auto bucket_policy = FetchBucketPolicy(**client, a.region, s.bucket);
  if (!bucket_policy.ok()) return fail(bucket_policy.status().message());
  s.bucket_policy = *bucket_policy;
  if (!s.kms_key_arn.empty()) {
    const std::string key_region = ArnField(s.kms_key_arn, 3);
    auto kp = (*client)->CallJson("kms", key_region.empty() ? a.region : key_region,
                                  "TrentService.GetKeyPolicy",
                                  Json{{"KeyId", s.kms_key_arn}, {"PolicyName", "default"}});
    if (!kp.ok()) return fail("GetKeyPolicy on " + s.kms_key_arn + ": " + kp.status().ToString());
    s.key_policy = kp->value("Policy", std::string());
  }

  const TimePoint now = RealClock::Default()->Now();
  int gaps = 0;
  std::printf("Trail %s delivering to s3://%s/%s\n", s.trail_arn.c_str(), s.bucket.c_str(),
              s.prefix.c_str());
  if (!s.bucket_policy) std::printf("  (the bucket has no bucket policy)\n");
  for (const auto& g : cloudtrail::FindDeliveryPolicyGaps(iam::Authorizer::Default(), s, now)) {
    std::printf("GAP  %s policy: %s\n",
                g.kind == cloudtrail::GapKind::kBucketPolicy ? "bucket" : "key",
                g.Describe().c_str());
    ++gaps;
  }
  if (gaps == 0) {
    std::printf("OK   the bucket policy%s let%s cloudtrail.amazonaws.com deliver for this trail\n",
                s.kms_key_arn.empty() ? "" : " and the key policy",
                s.kms_key_arn.empty() ? "s" : "");
  }

  if (!a.reader_role_arn.empty()) {
    const std::string res = ArnField(a.reader_role_arn, 5);
    const std::string role_name = res.substr(res.rfind('/') + 1);
    auto inl = FetchInlinePolicies(**client, role_name);
    if (!inl.ok())
      return fail("reading the inline policies of " + a.reader_role_arn + ": " +
                  inl.status().ToString());
    auto attached = FetchAttachedPolicies(**client, role_name);
    if (!attached.ok())
      return fail("reading the managed policies attached to " + a.reader_role_arn + ": " +
                  attached.status().ToString());
    std::vector<iam::IdentityPolicyText> policies = std::move(inl).value();
    for (auto& p : *attached) policies.push_back(std::move(p));
    ReaderVerdict v = CheckReaderRole(s, a.reader_role_arn, policies, now);
    for (const auto& n : v.notes)
      std::printf("%s  %s\n", v.can_read && v.can_decrypt ? "OK " : "GAP", n.c_str());
    if (!v.can_read || !v.can_decrypt) ++gaps;
  }
  return gaps == 0 ? 0 : 1;
}

int Run(const Args& a) {
  if (Status st = cloudtrail::ValidateTrailName(a.trail_name); !st.ok()) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return 255;
  }
  if (Status st = cloudtrail::ValidateS3Prefix(a.prefix); !st.ok()) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return 255;
  }
  if (a.management_account.size() != 12 ||
      a.management_account.find_first_not_of("0123456789") != std::string::npos) {
    std::fprintf(stderr, "--management-account must be a 12-digit account id\n");
    return 255;
  }
  if (!a.kms_key_arn.empty() && (ArnField(a.kms_key_arn, 2) != "kms" ||
                                 ArnField(a.kms_key_arn, 4).empty())) {
    std::fprintf(stderr, "--kms-key-arn must be a key ARN (arn:aws:kms:<region>:<account>:key/<id>)\n");
    return 255;
  }
  cloudtrail::DeliverySetup s = SetupFrom(a);
  if (!a.check) {
    PrintPolicies(a, s);
    return 0;
  }
  return RunCheck(a, std::move(s));
}

}  // namespace

ReaderVerdict CheckReaderRole(const cloudtrail::DeliverySetup& s, const std::string& role_arn,
                              const std::vector<iam::IdentityPolicyText>& inline_policies,
                              TimePoint now) {
  const std::string account = ArnField(role_arn, 4);
  const std::string res = ArnField(role_arn, 5);
  const std::string role_name = res.substr(res.rfind('/') + 1);
  auth::RequestContext ctx;
  ctx.principal.type = auth::PrincipalType::kAssumedRole;
  ctx.principal.account_id = account;
  ctx.principal.role_arn = role_arn;
  ctx.principal.role_name = role_name;
  ctx.principal.session_name = "orgtrail-trail-policy";
  ctx.principal.principal_id = "orgtrail-trail-policy";
  ctx.principal.arn = "arn:aws:sts::" + account + ":assumed-role/" + role_name + "/" +
                      ctx.principal.session_name;
  ctx.region = s.home_region;
  ctx.secure_transport = true;
  ctx.now = now;
  iam::Authorizer authz(
      [&](const auth::Principal&) -> Result<std::vector<iam::IdentityPolicyText>> {
        return inline_policies;
      });

  ReaderVerdict v;
  std::vector<std::string> read_gaps;
  std::optional<policy::Policy> bucket_policy;
  if (s.bucket_policy) {
    auto p = policy::ParsePolicy(*s.bucket_policy, policy::PolicyKind::kResource);
    if (p.ok()) bucket_policy = std::move(p).value();
  }
  const std::vector<std::string> objects = cloudtrail::DeliveryObjectResources(s);
  for (const auto& object : objects) {
    iam::AuthzCheck c;
    c.action = "s3:GetObject";
    c.resource = object;
    c.resource_account = s.bucket_owner;
    c.resource_policy = bucket_policy ? &*bucket_policy : nullptr;
    c.kind = iam::ResourcePolicyKind::kBucket;
    c.resource_label = "the bucket policy of " + s.bucket;
    policy::Explanation why;
    auto d = authz.Decide(ctx, c, &why);
    if (!d.ok() || *d != policy::Decision::kAllow)
      read_gaps.push_back("no s3:GetObject on " + object + " (" +
                          (d.ok() ? why.Message() : d.status().ToString()) + ")");
  }
  v.can_read = read_gaps.empty();

  std::string decrypt_gap;
  if (!s.kms_key_arn.empty()) {
    auto kp = policy::ParsePolicy(s.key_policy, policy::PolicyKind::kResource);
    iam::AuthzCheck c;
    c.action = "kms:Decrypt";
    c.resource = s.kms_key_arn;
    c.resource_account = s.key_account;
    c.resource_policy = kp.ok() ? &*kp : nullptr;
    c.kind = iam::ResourcePolicyKind::kKey;
    c.resource_label = "the key policy of " + s.kms_key_arn;
    c.context["kms:CallerAccount"] = {account};
    c.context["kms:EncryptionContext:aws:cloudtrail:arn"] = {s.trail_arn};
    c.context["kms:EncryptionContext:aws:s3:arn"] = {objects.front()};
    c.context["kms:EncryptionContextKeys"] = {"aws:s3:arn", "aws:cloudtrail:arn"};
    policy::Explanation why;
    auto d = authz.Decide(ctx, c, &why);
    if (!d.ok() || *d != policy::Decision::kAllow)
      decrypt_gap = "no kms:Decrypt on " + s.kms_key_arn + " (" +
                    (d.ok() ? why.Message() : d.status().ToString()) + ")";
    v.can_decrypt = decrypt_gap.empty();
  }

  const std::string who = "role " + role_arn;
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) out += (i ? "; " : "") + v[i];
    return out;
  };
  const bool encrypted = !s.kms_key_arn.empty();
  if (v.can_read && v.can_decrypt) {
    v.notes.push_back(who + (encrypted ? " can read and decrypt the trail's logs"
                                       : " can read the trail's logs"));
  } else if (!v.can_read && v.can_decrypt && encrypted) {
    v.notes.push_back(who + " can decrypt the trail's logs but cannot read them: " +
                      join(read_gaps));
  } else if (v.can_read && !v.can_decrypt) {
    v.notes.push_back(who + " can read the trail's log objects but cannot decrypt them: " +
                      decrypt_gap);
  } else {
    if (!decrypt_gap.empty()) read_gaps.push_back(decrypt_gap);
    v.notes.push_back(who + " cannot read the trail's logs: " + join(read_gaps));
  }
  return v;
}

void AddTrailPolicyCommand(CLI::App& app, int* exit_code) {
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "trail-policy",
      "Print the bucket and key policy statements a trail needs; with --check, report what the "
      "current policies lack");
  cmd->add_option("--trail-name", a->trail_name, "name of the trail")->required();
  cmd->add_option("--management-account", a->management_account,
                  "account that owns the trail (the management account for organization trails)")
      ->required();
  cmd->add_option("--organization-id", a->organization_id,
                  "organization id (o-...) for an organization trail");
  cmd->add_option("--bucket", a->bucket, "the trail's S3 bucket")->required();
  cmd->add_option("--s3-key-prefix", a->prefix, "the trail's S3 key prefix");
  cmd->add_option("--kms-key-arn", a->kms_key_arn, "ARN of the trail's KMS key (SSE-KMS)");
  cmd->add_option("--region", a->region, "the trail's home region (default us-east-1)");
  cmd->add_option("--only", a->only, "print only one JSON document: bucket-policy | key-statements")
      ->check(CLI::IsMember({"bucket-policy", "key-statements"}));
  cmd->add_flag("--check", a->check,
                "fetch the bucket and key policies and report every gap (needs credentials)");
  cmd->add_option("--reader-role-arn", a->reader_role_arn,
                  "with --check: also check that this role can read and decrypt the logs");
  cmd->add_option("--bucket-account", a->bucket_account,
                  "with --check: account owning the bucket (default: the key's account)");
  cmd->add_option("--endpoint-url", a->endpoint_url,
                  "with --check: endpoint (default: $AWS_ENDPOINT_URL or the profile's endpoint_url)");
  cmd->add_option("--profile", a->profile, "with --check: AWS CLI profile to call with");
  cmd->callback([a, exit_code] { *exit_code = Run(*a); });
}

}  // namespace orgtrail::cli
