// AWS::S3::Bucket and AWS::S3::BucketPolicy, translated to the S3 REST
// calls (and XML bodies) a client would send.
#include "base/strings.h"
#include "cfn/evaluator.h"
#include "cfn/provider_util.h"
#include "cfn/template.h"

namespace orgtrail::cfn::internal {
namespace {

constexpr char kNs[] = " xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"";

std::string El(const std::string& name, const std::string& text) {
  return "<" + name + ">" + XmlEscape(text) + "</" + name + ">";
}

Status Unsupported(const std::string& where, const std::string& key) {
  return ValidationError("Encountered unsupported property " + key + " in " + where);
}

Status CheckKeys(const Json& obj, const std::set<std::string>& allowed, const std::string& where) {
  if (!obj.is_object()) return ValidationError("Property " + where + " must be an object");
  for (const auto& [k, v] : obj.items())
    if (!allowed.count(k)) return Unsupported(where, k);
  return Status::Ok();
}

Result<std::string> TransitionXml(const Json& t, bool noncurrent) {
  OT_RETURN_IF_ERROR(CheckKeys(t, {"StorageClass", "TransitionInDays", "TransitionDate", "NewerNoncurrentVersions"},
                               "Transition"));
  std::string name = noncurrent ? "NoncurrentVersionTransition" : "Transition";
  std::string x = "<" + name + ">";
  if (auto d = Str(t, "TransitionInDays")) x += El(noncurrent ? "NoncurrentDays" : "Days", *d);
  if (auto d = Str(t, "TransitionDate")) x += El("Date", *d);
  if (auto n = Str(t, "NewerNoncurrentVersions")) x += El("NewerNoncurrentVersions", *n);
  x += El("StorageClass", Str(t, "StorageClass").value_or(""));
  return x + "</" + name + ">";
}

Result<std::string> LifecycleXml(const Json& cfg) {
  OT_RETURN_IF_ERROR(CheckKeys(cfg, {"Rules", "TransitionDefaultMinimumObjectSize"}, "LifecycleConfiguration"));
  if (cfg.contains("TransitionDefaultMinimumObjectSize"))
    return Unsupported("LifecycleConfiguration", "TransitionDefaultMinimumObjectSize");
  std::string x = std::string("<LifecycleConfiguration") + kNs + ">";
  static const std::set<std::string> kRuleKeys = {
      "Id", "Status", "Prefix", "TagFilters", "ObjectSizeGreaterThan", "ObjectSizeLessThan",
      "ExpirationInDays", "ExpirationDate", "ExpiredObjectDeleteMarker", "Transitions", "Transition",
      "NoncurrentVersionExpirationInDays", "NoncurrentVersionExpiration",
      "NoncurrentVersionTransitions", "NoncurrentVersionTransition", "AbortIncompleteMultipartUpload"};
  for (const auto& r : cfg.value("Rules", Json::array())) {
    OT_RETURN_IF_ERROR(CheckKeys(r, kRuleKeys, "LifecycleConfiguration.Rules"));
    x += "<Rule>";
    if (auto id = Str(r, "Id")) x += El("ID", *id);
    // Filter: a bare prefix, one tag, or an <And> of everything given.
    std::string prefix = Str(r, "Prefix").value_or("");
    Json tags = r.value("TagFilters", Json::array());
    auto gt = Str(r, "ObjectSizeGreaterThan"), lt = Str(r, "ObjectSizeLessThan");
    int parts = (r.contains("Prefix") ? 1 : 0) + static_cast<int>(tags.size()) + (gt ? 1 : 0) + (lt ? 1 : 0);
    std::string tag_xml;
    for (const auto& t : tags)
      tag_xml += "<Tag>" + El("Key", Str(t, "Key").value_or("")) + El("Value", Str(t, "Value").value_or("")) + "</Tag>";
    if (parts <= 1 && tags.empty() && !gt && !lt) {
      x += "<Filter>" + El("Prefix", prefix) + "</Filter>";
    } else if (parts == 1 && tags.size() == 1) {
      x += "<Filter>" + tag_xml + "</Filter>";
    } else if (parts == 1) {
      x += "<Filter>" + (gt ? El("ObjectSizeGreaterThan", *gt) : El("ObjectSizeLessThan", *lt)) + "</Filter>";
    } else {
      x += "<Filter><And>";
      if (r.contains("Prefix")) x += El("Prefix", prefix);
      x += tag_xml;
      if (gt) x += El("ObjectSizeGreaterThan", *gt);
      if (lt) x += El("ObjectSizeLessThan", *lt);
      x += "</And></Filter>";
    }
    x += El("Status", Str(r, "Status").value_or(""));
    if (r.contains("Transition")) {
      OT_ASSIGN_OR_RETURN(std::string t, TransitionXml(r["Transition"], false));
      x += t;
    }
    for (const auto& t : r.value("Transitions", Json::array())) {
      OT_ASSIGN_OR_RETURN(std::string tx, TransitionXml(t, false));
      x += tx;
    }
    if (r.contains("NoncurrentVersionTransition")) {
      OT_ASSIGN_OR_RETURN(std::string t, TransitionXml(r["NoncurrentVersionTransition"], true));
      x += t;
    }
    for (const auto& t : r.value("NoncurrentVersionTransitions", Json::array())) {
      OT_ASSIGN_OR_RETURN(std::string tx, TransitionXml(t, true));
      x += tx;
    }
    auto exp_days = Str(r, "ExpirationInDays"), exp_date = Str(r, "ExpirationDate");
    auto marker = Str(r, "ExpiredObjectDeleteMarker");
    if (exp_days || exp_date || marker) {
      x += "<Expiration>";
      if (exp_days) x += El("Days", *exp_days);
      if (exp_date) x += El("Date", *exp_date);
      if (marker) x += El("ExpiredObjectDeleteMarker", *marker);
      x += "</Expiration>";
    }
    if (auto nd = Str(r, "NoncurrentVersionExpirationInDays")) {
      x += "<NoncurrentVersionExpiration>" + El("NoncurrentDays", *nd) + "</NoncurrentVersionExpiration>";
    } else if (r.contains("NoncurrentVersionExpiration")) {
      const Json& e = r["NoncurrentVersionExpiration"];
      OT_RETURN_IF_ERROR(CheckKeys(e, {"NoncurrentDays", "NewerNoncurrentVersions"}, "NoncurrentVersionExpiration"));
      x += "<NoncurrentVersionExpiration>" + El("NoncurrentDays", Str(e, "NoncurrentDays").value_or(""));
      if (auto n = Str(e, "NewerNoncurrentVersions")) x += El("NewerNoncurrentVersions", *n);
      x += "</NoncurrentVersionExpiration>";
    }
    if (r.contains("AbortIncompleteMultipartUpload")) {
      const Json& a = r["AbortIncompleteMultipartUpload"];
      OT_RETURN_IF_ERROR(CheckKeys(a, {"DaysAfterInitiation"}, "AbortIncompleteMultipartUpload"));
      x += "<AbortIncompleteMultipartUpload>" +
           El("DaysAfterInitiation", Str(a, "DaysAfterInitiation").value_or("")) +
           "</AbortIncompleteMultipartUpload>";
    }
    x += "</Rule>";
  }
  return x + "</LifecycleConfiguration>";
}

Result<std::string> EncryptionXml(const Json& cfg) {
  OT_RETURN_IF_ERROR(CheckKeys(cfg, {"ServerSideEncryptionConfiguration"}, "BucketEncryption"));
  std::string x = std::string("<ServerSideEncryptionConfiguration") + kNs + ">";
  for (const auto& rule : cfg.value("ServerSideEncryptionConfiguration", Json::array())) {
    OT_RETURN_IF_ERROR(CheckKeys(rule, {"ServerSideEncryptionByDefault", "BucketKeyEnabled"},
                                 "ServerSideEncryptionConfiguration"));
    x += "<Rule>";
    if (rule.contains("ServerSideEncryptionByDefault")) {
      const Json& d = rule["ServerSideEncryptionByDefault"];
      OT_RETURN_IF_ERROR(CheckKeys(d, {"SSEAlgorithm", "KMSMasterKeyID"}, "ServerSideEncryptionByDefault"));
      x += "<ApplyServerSideEncryptionByDefault>" + El("SSEAlgorithm", Str(d, "SSEAlgorithm").value_or(""));
      if (auto k = Str(d, "KMSMasterKeyID")) x += El("KMSMasterKeyID", *k);
      x += "</ApplyServerSideEncryptionByDefault>";
    }
    if (auto b = Str(rule, "BucketKeyEnabled")) x += El("BucketKeyEnabled", *b);
    x += "</Rule>";
  }
  return x + "</ServerSideEncryptionConfiguration>";
}

Result<std::string> PublicAccessBlockXml(const Json& cfg) {
  static const char* kKeys[] = {"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
                                "RestrictPublicBuckets"};
  OT_RETURN_IF_ERROR(CheckKeys(cfg, {kKeys[0], kKeys[1], kKeys[2], kKeys[3]}, "PublicAccessBlockConfiguration"));
  std::string x = std::string("<PublicAccessBlockConfiguration") + kNs + ">";
  for (const char* k : kKeys)
    if (auto v = Str(cfg, k)) x += El(k, ToLower(*v));
  return x + "</PublicAccessBlockConfiguration>";
}

Result<std::string> StatusXml(const char* root, const Json& cfg, const char* status_key,
                              const std::string& where) {
  OT_RETURN_IF_ERROR(CheckKeys(cfg, {status_key}, where));
  return std::string("<") + root + kNs + ">" + El("Status", Str(cfg, status_key).value_or("")) +
         "</" + root + ">";
}

std::string TaggingXml(const Json& tags) {
  std::string x = std::string("<Tagging") + kNs + "><TagSet>";
  for (const auto& t : tags)
    x += "<Tag>" + El("Key", Str(t, "Key").value_or("")) + El("Value", Str(t, "Value").value_or("")) + "</Tag>";
  return x + "</TagSet></Tagging>";
}

Status Put(ProviderContext& pc, const std::string& bucket, const std::string& sub, std::string body,
           std::map<std::string, std::string> headers = {}) {
  return S3(pc, "PUT", bucket, sub, std::move(headers), std::move(body)).status();
}

Status Del(ProviderContext& pc, const std::string& bucket, const std::string& sub) {
  return S3(pc, "DELETE", bucket, sub, {}, "").status();
}

class BucketProvider final : public ResourceProvider {
 public:
  const std::set<std::string>& Properties() const override {
    static const std::set<std::string> k = {
        "BucketName", "AccessControl", "AccelerateConfiguration", "BucketEncryption",
        "VersioningConfiguration", "PublicAccessBlockConfiguration", "LifecycleConfiguration", "Tags"};
    return k;
  }
  const std::set<std::string>& ReplacementProperties() const override {
    static const std::set<std::string> k = {"BucketName"};
    return k;
  }

  // Applies one configuration property (present: PUT; absent: reset).
  Status Apply(ProviderContext& pc, const std::string& b, const Json& p, const std::string& prop) {
    bool has = p.contains(prop);
    if (prop == "AccessControl") {
      OT_ASSIGN_OR_RETURN(std::string acl, CannedAclHeader(Str(p, "AccessControl").value_or("Private")));
      return Put(pc, b, "acl", "", {{"x-amz-acl", acl}});
    }
    if (prop == "AccelerateConfiguration") {
      if (!has) return Put(pc, b, "accelerate", std::string("<AccelerateConfiguration") + kNs + "><Status>Suspended</Status></AccelerateConfiguration>");
      OT_ASSIGN_OR_RETURN(std::string x, StatusXml("AccelerateConfiguration", p[prop], "AccelerationStatus", prop));
      return Put(pc, b, "accelerate", x);
    }
    if (prop == "VersioningConfiguration") {
      if (!has) return Put(pc, b, "versioning", std::string("<VersioningConfiguration") + kNs + "><Status>Suspended</Status></VersioningConfiguration>");
      OT_ASSIGN_OR_RETURN(std::string x, StatusXml("VersioningConfiguration", p[prop], "Status", prop));
      return Put(pc, b, "versioning", x);
    }
    if (prop == "BucketEncryption") {
      if (!has) return Del(pc, b, "encryption");
      OT_ASSIGN_OR_RETURN(std::string x, EncryptionXml(p[prop]));
      return Put(pc, b, "encryption", x);
    }
    if (prop == "PublicAccessBlockConfiguration") {
      if (!has) return Del(pc, b, "publicAccessBlock");
      OT_ASSIGN_OR_RETURN(std::string x, PublicAccessBlockXml(p[prop]));
      return Put(pc, b, "publicAccessBlock", x);
    }
    if (prop == "LifecycleConfiguration") {
      if (!has) return Del(pc, b, "lifecycle");
      OT_ASSIGN_OR_RETURN(std::string x, LifecycleXml(p[prop]));
      return Put(pc, b, "lifecycle", x);
    }
    if (prop == "Tags") {
      if (!has || p[prop].empty()) return Del(pc, b, "tagging");
      return Put(pc, b, "tagging", TaggingXml(p[prop]));
    }
    return Status::Ok();
  }

  static const std::vector<std::string>& ConfigOrder() {
    static const std::vector<std::string> k = {
        "AccelerateConfiguration", "BucketEncryption", "VersioningConfiguration",
        "PublicAccessBlockConfiguration", "LifecycleConfiguration", "Tags"};
    return k;
  }

  Result<ResourceState> Create(ProviderContext& pc, const Json& p) override {
    std::string name = Str(p, "BucketName").value_or("");
    if (name.empty()) name = GeneratedName(pc.stack_name, pc.logical_id, 63, true);
    std::map<std::string, std::string> headers;
    if (auto ac = Str(p, "AccessControl")) {
      OT_ASSIGN_OR_RETURN(headers["x-amz-acl"], CannedAclHeader(*ac));
    }
    std::string body;
    if (!pc.ctx.region.empty() && pc.ctx.region != "us-east-1")
      body = std::string("<CreateBucketConfiguration") + kNs + ">" + El("LocationConstraint", pc.ctx.region) +
             "</CreateBucketConfiguration>";
    OT_RETURN_IF_ERROR(Put(pc, name, "", body, headers));
    ResourceState st;
    st.physical_id = name;
    st.attributes = Attributes(name, pc.ctx.region);
    for (const auto& prop : ConfigOrder()) {
      if (!p.contains(prop)) continue;
      Status s = Apply(pc, name, p, prop);
      if (!s.ok()) {
        (void)Del(pc, name, "");  // the stack's rollback never sees this bucket
        return s;
      }
    }
    return st;
  }

  static Json Attributes(const std::string& name, const std::string& region) {
    return {{"Arn", "arn:aws:s3:::" + name},
            {"DomainName", name + ".s3.amazonaws.com"},
            {"RegionalDomainName", name + ".s3." + region + ".amazonaws.com"},
            {"DualStackDomainName", name + ".s3.dualstack." + region + ".amazonaws.com"},
            {"WebsiteURL", "http://" + name + ".s3-website-" + region + ".amazonaws.com"}};
  }

  Result<ResourceState> Update(ProviderContext& pc, const ResourceState& cur, const Json& o,
                               const Json& n) override {
    if (Changed(o, n, "AccessControl")) OT_RETURN_IF_ERROR(Apply(pc, cur.physical_id, n, "AccessControl"));
    for (const auto& prop : ConfigOrder())
      if (Changed(o, n, prop.c_str())) OT_RETURN_IF_ERROR(Apply(pc, cur.physical_id, n, prop));
    return cur;
  }

  Status Delete(ProviderContext& pc, const ResourceState& cur, const Json&) override {
    Status s = Del(pc, cur.physical_id, "");
    return s.code() == "NoSuchBucket" ? Status::Ok() : s;
  }
};

class BucketPolicyProvider final : public ResourceProvider {
 public:
  const std::set<std::string>& Properties() const override {
    static const std::set<std::string> k = {"Bucket", "PolicyDocument"};
    return k;
  }
  std::vector<std::string> RequiredProperties() const override { return {"Bucket", "PolicyDocument"}; }
  const std::set<std::string>& ReplacementProperties() const override {
    static const std::set<std::string> k = {"Bucket"};
    return k;
  }
  Result<ResourceState> Create(ProviderContext& pc, const Json& p) override {
    std::string bucket = Str(p, "Bucket").value_or("");
    OT_RETURN_IF_ERROR(Put(pc, bucket, "policy", PolicyText(p.value("PolicyDocument", Json()))));
    ResourceState st;
    st.physical_id = bucket;
    return st;
  }
  Result<ResourceState> Update(ProviderContext& pc, const ResourceState& cur, const Json& o,
                               const Json& n) override {
    if (Changed(o, n, "PolicyDocument"))
      OT_RETURN_IF_ERROR(Put(pc, cur.physical_id, "policy", PolicyText(n.value("PolicyDocument", Json()))));
    return cur;
  }
  Status Delete(ProviderContext& pc, const ResourceState& cur, const Json&) override {
    Status s = Del(pc, cur.physical_id, "policy");
    return s.code() == "NoSuchBucket" || s.code() == "NoSuchBucketPolicy" ? Status::Ok() : s;
  }
};

}  // namespace

std::unique_ptr<ResourceProvider> MakeS3BucketProvider() { return std::make_unique<BucketProvider>(); }
std::unique_ptr<ResourceProvider> MakeS3BucketPolicyProvider() {
  return std::make_unique<BucketPolicyProvider>();
}

}  // namespace orgtrail::cfn::internal
