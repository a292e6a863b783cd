#include "s3/s3_service.h"

#include <cstdlib>
#include <set>

#include "base/ids.h"
#include "base/strings.h"
#include "crypto/hash.h"
#include "policy/policy_document.h"
#include "s3/bucket_config.h"
#include "s3/lifecycle_config.h"
#include "s3/object_lock.h"
#include "s3/s3_codec.h"

namespace orgtrail::s3 {

namespace {

const std::set<std::string>& CannedAcls() {
  static const std::set<std::string> k = {
      "private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read",
      "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write"};
  return k;
}

// Subresources orgtrail does not serve, with the operation names used in
// the NotImplemented message (GET / PUT / DELETE prefix added).
const std::map<std::string, std::string>& UnsupportedBucketSubresources() {
  static const std::map<std::string, std::string> k = {
      {"cors", "BucketCors"}, {"logging", "BucketLogging"}, {"website", "BucketWebsite"},
      {"notification", "BucketNotificationConfiguration"}, {"replication", "BucketReplication"},
      {"requestPayment", "BucketRequestPayment"},
      {"ownershipControls", "BucketOwnershipControls"}, {"analytics", "BucketAnalyticsConfiguration"},
      {"metrics", "BucketMetricsConfiguration"}, {"inventory", "BucketInventoryConfiguration"},
      {"intelligent-tiering", "BucketIntelligentTieringConfiguration"},
      {"policyStatus", "BucketPolicyStatus"}, {"uploads", "MultipartUploads"},
      {"session", "Session"}, {"metadataTable", "BucketMetadataTableConfiguration"}};
  return k;
}

std::string MethodVerb(const std::string& m) {
  if (m == "GET" || m == "HEAD") return "Get";
  if (m == "PUT") return "Put";
  if (m == "DELETE") return "Delete";
  return "Post";
}

// Config subresource -> (catalog name, IAM action suffix for read, write).
struct ConfigSub {
  const char* query;
  const char* name;
  const char* get_action;
  const char* put_action;
};
constexpr ConfigSub kConfigSubs[] = {
    {"policy", "policy", "s3:GetBucketPolicy", "s3:PutBucketPolicy"},
    {"versioning", "versioning", "s3:GetBucketVersioning", "s3:PutBucketVersioning"},
    {"encryption", "encryption", "s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration"},
    {"lifecycle", "lifecycle", "s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration"},
    {"publicAccessBlock", "public-access-block", "s3:GetBucketPublicAccessBlock",
     "s3:PutBucketPublicAccessBlock"},
    {"acl", "acl", "s3:GetBucketAcl", "s3:PutBucketAcl"},
    {"accelerate", "accelerate", "s3:GetAccelerateConfiguration", "s3:PutAccelerateConfiguration"},
    {"tagging", "tagging", "s3:GetBucketTagging", "s3:PutBucketTagging"},
};

S3Response XmlOk(std::string body, int status = 200) {
  S3Response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/xml");
  r.body = std::move(body);
  return r;
}

S3Response Empty(int status) {
  S3Response r;
  r.status = status;
  return r;
}

}  // namespace

std::string CanonicalUserId(const std::string& account_id) {
  return crypto::Sha256Hex("orgtrail-canonical-user:" + account_id);
}

Status ValidateBucketName(const std::string& n) {
  auto bad = [&]() {
    return Status::Error("InvalidBucketName", "The specified bucket is not valid.");
  };
  if (n.size() < 3 || n.size() > 63) return bad();
  for (char c : n) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) return bad();
  }
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(n.front()) || !alnum(n.back())) return bad();
  if (n.find("..") != std::string::npos || n.find(".-") != std::string::npos ||
      n.find("-.") != std::string::npos) {
    return bad();
  }
  if (StartsWith(n, "xn--") || StartsWith(n, "sthree-") || EndsWith(n, "-s3alias") ||
      EndsWith(n, "--ol-s3")) {
    return bad();
  }
  // Not formatted as an IPv4 address.
  auto parts = Split(n, '.');
  if (parts.size() == 4) {
    bool ip = true;
    for (const auto& p : parts) {
      ip = ip && !p.empty() && p.size() <= 3 && p.find_first_not_of("0123456789") == std::string::npos;
    }
    if (ip) return bad();
  }
  return Status::Ok();
}

S3Service::S3Service(catalog::Db& db, objstore::ObjectStore& store, kms::DataKeyProvider& kms,
                     const Clock& clock, std::string sse_s3_key)
    : db_(db), store_(store), kms_(kms), clock_(clock), sse_s3_key_(std::move(sse_s3_key)) {
  auto b = BucketStore::Open(db_);
  if (!b.ok()) {
    fprintf(stderr, "S3Service: cannot create catalog tables: %s\n", b.status().ToString().c_str());
    std::abort();
  }
  buckets_ = std::move(b).value();
}

std::string S3Service::NewVersionId() const {
  return RandomString(32, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._");
}

S3Response S3Service::Handle(const auth::RequestContext& ctx, const S3Request& req) {
  Result<S3Response> r = Status::Internal("unhandled");
  try {
    r = Dispatch(ctx, req);
  } catch (const std::exception& e) {
    r = Status::Internal(std::string("internal error: ") + e.what());
  }
  if (!r.ok()) return ErrorResponse(r.status(), req, ctx.request_id);
  S3Response out = std::move(r).value();
  bool has_id = false;
  for (const auto& h : out.headers) has_id = has_id || h.first == "x-amz-request-id";
  if (!has_id) out.headers.emplace_back("x-amz-request-id", ctx.request_id);
  return out;
}

Status S3Service::Authorize(const auth::RequestContext& ctx, const std::string& bucket,
                            const std::string& action, const std::string& key,
                            const ConditionValues& conditions) {
  OT_ASSIGN_OR_RETURN(BucketInfo b, buckets_->Get(bucket));
  OT_ASSIGN_OR_RETURN(auto policy_text, buckets_->GetConfig(bucket, "policy"));
  // The owner account's root can always manage the bucket policy, so a
  // policy cannot lock the owner out (as on AWS).
  if ((action == "s3:GetBucketPolicy" || action == "s3:PutBucketPolicy" ||
       action == "s3:DeleteBucketPolicy") &&
      ctx.principal.IsRoot() && ctx.principal.account_id == b.owner_account) {
    return Status::Ok();
  }
  std::optional<policy::Policy> parsed;
  if (policy_text) {
    auto r = policy::ParsePolicy(*policy_text, policy::PolicyKind::kResource);
    // Stored policies were validated on write; one that no longer parses
    // grants nothing.
    if (r.ok()) parsed = std::move(r).value();
  }
  iam::AuthzCheck check;
  check.action = action;
  check.resource = "arn:aws:s3:::" + bucket + (key.empty() ? "" : "/" + key);
  check.resource_account = b.owner_account;
  check.resource_policy = parsed ? &*parsed : nullptr;
  check.kind = iam::ResourcePolicyKind::kBucket;
  check.resource_label = "the bucket policy of " + bucket;
  for (const auto& [k, v] : conditions) check.context[k] = {v};
  check.style = iam::DenyStyle::kS3;
  return authorizer().Authorize(ctx, check);
}

const iam::Authorizer& S3Service::authorizer() const {
  return authorizer_ != nullptr ? *authorizer_ : iam::Authorizer::Default();
}

Result<BucketInfo> S3Service::Access(const auth::RequestContext& ctx, const S3Request& req,
                                     const std::string& action) {
  ConditionValues cv;
  if (const std::string* acl = Header(req, "x-amz-acl")) cv["s3:x-amz-acl"] = *acl;
  if (action == "s3:ListBucket" || action == "s3:ListBucketVersions") {
    if (const std::string* v = QueryParam(req, "prefix")) cv["s3:prefix"] = *v;
    if (const std::string* v = QueryParam(req, "delimiter")) cv["s3:delimiter"] = *v;
    if (const std::string* v = QueryParam(req, "max-keys")) cv["s3:max-keys"] = *v;
  }
  if (const std::string* sse = Header(req, "x-amz-server-side-encryption"))
    cv["s3:x-amz-server-side-encryption"] = *sse;
  if (!ctx.source_arn.empty()) cv["aws:SourceArn"] = ctx.source_arn;
  if (!ctx.source_account.empty()) cv["aws:SourceAccount"] = ctx.source_account;
  AddObjectLockConditions(action, req.headers, req.body, clock_.Now(), cv);
  OT_RETURN_IF_ERROR(Authorize(ctx, req.bucket, action, req.key, cv));
  return buckets_->Get(req.bucket);
}

Result<S3Response> S3Service::Dispatch(const auth::RequestContext& ctx, const S3Request& req) {
  const std::string& m = req.method;
  if (req.bucket.empty()) {
    if (m == "GET") return ListBuckets(ctx, req);
    return Status::Error("MethodNotAllowed",
                         "The specified method is not allowed against this resource.", 405);
  }
  if (req.key.empty()) {
    if (HasQuery(req, "object-lock")) return ObjectLockConfiguration(ctx, req);
    for (const auto& [sub, name] : UnsupportedBucketSubresources()) {
      if (HasQuery(req, sub)) return Status::NotImplemented(MethodVerb(m) + name);
    }
    for (const auto& c : kConfigSubs) {
      if (HasQuery(req, c.query)) return BucketConfig(ctx, req, c.query);
    }
    if (m == "PUT") return CreateBucket(ctx, req);
    if (m == "DELETE") return DeleteBucket(ctx, req);
    if (m == "HEAD") return HeadBucket(ctx, req);
    if (m == "POST" && HasQuery(req, "delete")) return DeleteObjects(ctx, req);
    if (m == "GET") {
      if (HasQuery(req, "location")) return GetBucketLocation(ctx, req);
      if (HasQuery(req, "versions")) return ListObjectVersions(ctx, req);
      const std::string* lt = QueryParam(req, "list-type");
      if (lt && *lt == "2") return ListObjects(ctx, req, true);
      if (lt && *lt != "1") return Status::Error("InvalidArgument", "Invalid list-type");
      return ListObjects(ctx, req, false);
    }
    return Status::NotImplemented(MethodVerb(m) + "Bucket operation " + m);
  }
  // Object operations.
  if (req.key.size() > 1024) {
    return Status::Error("KeyTooLongError", "Your key is too long");
  }
  if (!IsValidUtf8(req.key)) {
    return Status::Error("InvalidURI", "Couldn't parse the specified URI: the object key is not "
                                       "valid UTF-8.");
  }
  static const std::map<std::string, std::string> kObjectSubs = {
      {"acl", "ObjectAcl"}, {"tagging", "ObjectTagging"}, {"attributes", "ObjectAttributes"},
      {"retention", "ObjectRetention"}, {"legal-hold", "ObjectLegalHold"},
      {"torrent", "ObjectTorrent"}, {"select", "SelectObjectContent"},
      {"restore", "RestoreObject"}, {"uploads", "CreateMultipartUpload"},
      {"uploadId", "MultipartUpload"}};
  for (const auto& [sub, name] : kObjectSubs) {
    if (HasQuery(req, sub)) {
      if (sub == "restore" && m == "POST") return RestoreObject(ctx, req);
      if (sub == "retention") return ObjectRetention(ctx, req);
      if (sub == "legal-hold") return ObjectLegalHold(ctx, req);
      if (sub == "restore" || sub == "uploads" || sub == "select") return Status::NotImplemented(name);
      return Status::NotImplemented(MethodVerb(m) + name);
    }
  }
  if (m == "PUT") {
    if (Header(req, "x-amz-copy-source")) return Status::NotImplemented("CopyObject");
    return PutObject(ctx, req);
  }
  if (m == "GET") return GetObject(ctx, req, false);
  if (m == "HEAD") return GetObject(ctx, req, true);
  if (m == "DELETE") return DeleteObject(ctx, req);
  return Status::Error("MethodNotAllowed",
                       "The specified method is not allowed against this resource.", 405);
}

Result<S3Response> S3Service::ListBuckets(const auth::RequestContext& ctx, const S3Request&) {
  std::vector<BucketInfo> list;
  if (ctx.principal.type != auth::PrincipalType::kAWSService) {
    iam::AuthzCheck check;
    check.action = "s3:ListAllMyBuckets";
    check.resource = "*";
    check.resource_account = ctx.principal.account_id;
    check.style = iam::DenyStyle::kS3;
    OT_RETURN_IF_ERROR(authorizer().Authorize(ctx, check));
    OT_ASSIGN_OR_RETURN(list, buckets_->ListOwnedBy(ctx.principal.account_id));
  }
  XmlWriter w;
  w.Open("ListAllMyBucketsResult", true)
      .Open("Owner")
      .Leaf("ID", CanonicalUserId(ctx.principal.account_id))
      .Leaf("DisplayName", ctx.principal.account_id)
      .Close("Owner")
      .Open("Buckets");
  for (const auto& b : list) {
    w.Open("Bucket")
        .Leaf("Name", b.name)
        .Leaf("CreationDate", FormatIso8601Millis(b.created))
        .Leaf("BucketRegion", b.region)
        .Close("Bucket");
  }
  w.Close("Buckets").Close("ListAllMyBucketsResult");
  return XmlOk(w.Take());
}

Result<S3Response> S3Service::CreateBucket(const auth::RequestContext& ctx, const S3Request& req) {
  OT_RETURN_IF_ERROR(ValidateBucketName(req.bucket));
  if (ctx.principal.type == auth::PrincipalType::kAWSService || ctx.principal.account_id.empty()) {
    return Status::AccessDenied("Access Denied");
  }
  bool object_lock = false;
  if (const std::string* h = Header(req, "x-amz-bucket-object-lock-enabled")) {
    std::string v = ToLower(std::string(Trim(*h)));
    if (v != "true" && v != "false") {
      return Status::Error("InvalidArgument",
                           "x-amz-bucket-object-lock-enabled must be true or false");
    }
    object_lock = v == "true";
  }
  {
    iam::AuthzCheck check;
    check.action = "s3:CreateBucket";
    check.resource = "arn:aws:s3:::" + req.bucket;
    check.resource_account = ctx.principal.account_id;
    if (const std::string* a = Header(req, "x-amz-acl")) check.context["s3:x-amz-acl"] = {*a};
    check.style = iam::DenyStyle::kS3;
    OT_RETURN_IF_ERROR(authorizer().Authorize(ctx, check));
    // A bucket created with Object Lock also gets its lock configuration
    // and versioning set, which need those permissions (as on S3).
    if (object_lock) {
      for (const char* a : {"s3:PutBucketObjectLockConfiguration", "s3:PutBucketVersioning"}) {
        check.action = a;
        OT_RETURN_IF_ERROR(authorizer().Authorize(ctx, check));
      }
    }
  }
  BucketInfo b;
  b.name = req.bucket;
  b.owner_account = ctx.principal.account_id;
  b.region = "us-east-1";
  b.created = clock_.Now();
  if (!Trim(req.body).empty()) {
    OT_ASSIGN_OR_RETURN(auto doc, ParseXmlBody(req.body, "CreateBucketConfiguration"));
    if (auto lc = ChildText(doc->document_element(), "LocationConstraint")) {
      if (!lc->empty()) b.region = *lc == "EU" ? "eu-west-1" : *lc;
    }
    static const std::string kRegionChars = "abcdefghijklmnopqrstuvwxyz0123456789-";
    if (b.region.size() > 32 || b.region.find_first_not_of(kRegionChars) != std::string::npos) {
      return Status::Error("InvalidLocationConstraint",
                           "The specified location-constraint is not valid");
    }
  }
  std::string acl = "private";
  if (const std::string* a = Header(req, "x-amz-acl")) {
    if (!CannedAcls().count(*a)) return Status::Error("InvalidArgument", "Invalid canned ACL");
    acl = *a;
  }
  OT_RETURN_IF_ERROR(buckets_->Create(b));
  if (Status st = store_.CreateBucket(b.name); !st.ok()) {
    (void)buckets_->Delete(b.name);
    return st;
  }
  OT_RETURN_IF_ERROR(buckets_->PutConfig(b.name, "acl", RenderCannedAcl(acl, b.owner_account)));
  if (object_lock) {
    // Versioning first: a lock configuration never exists on an unversioned
    // bucket, even if the second write fails.
    OT_RETURN_IF_ERROR(buckets_->SetVersioning(b.name, "Enabled"));
    OT_RETURN_IF_ERROR(
        buckets_->PutConfig(b.name, kObjectLockConfigName, RenderObjectLockConfig({})));
  }
  S3Response r = Empty(200);
  r.headers.emplace_back("Location", "/" + b.name);
  return r;
}

Result<S3Response> S3Service::DeleteBucket(const auth::RequestContext& ctx, const S3Request& req) {
  OT_ASSIGN_OR_RETURN(BucketInfo b, Access(ctx, req, "s3:DeleteBucket"));
  Status st = store_.DeleteBucket(b.name);
  if (!st.ok() && st.code() != "NoSuchBucket") return st;
  OT_RETURN_IF_ERROR(buckets_->Delete(b.name));
  return Empty(204);
}

Result<S3Response> S3Service::HeadBucket(const auth::RequestContext& ctx, const S3Request& req) {
  OT_ASSIGN_OR_RETURN(BucketInfo b, Access(ctx, req, "s3:ListBucket"));
  S3Response r = Empty(200);
  r.headers.emplace_back("x-amz-bucket-region", b.region);
  r.headers.emplace_back("Content-Length", "0");
  return r;
}

Result<S3Response> S3Service::GetBucketLocation(const auth::RequestContext& ctx,
                                                const S3Request& req) {
  OT_ASSIGN_OR_RETURN(BucketInfo b, Access(ctx, req, "s3:GetBucketLocation"));
  XmlWriter w;
  w.Open("LocationConstraint", true);
  if (b.region != "us-east-1") w.Raw(XmlEscape(b.region));
  w.Close("LocationConstraint");
  return XmlOk(w.Take());
}

Result<S3Response> S3Service::BucketConfig(const auth::RequestContext& ctx, const S3Request& req,
                                           const std::string& sub) {
  const ConfigSub* c = nullptr;
  for (const auto& x : kConfigSubs) {
    if (sub == x.query) c = &x;
  }
  const std::string& m = req.method;
  std::string action = m == "GET" ? c->get_action : c->put_action;
  if (m == "DELETE" && sub == "policy") action = "s3:DeleteBucketPolicy";
  if (m != "GET" && m != "PUT" && m != "DELETE") {
    return Status::Error("MethodNotAllowed",
                         "The specified method is not allowed against this resource.", 405);
  }
  if (m == "DELETE" && (sub == "versioning" || sub == "acl" || sub == "accelerate")) {
    return Status::Error("MethodNotAllowed",
                         "The specified method is not allowed against this resource.", 405);
  }
  OT_ASSIGN_OR_RETURN(BucketInfo b, Access(ctx, req, action));
  const std::string name = c->name;

  if (m == "DELETE") {
    OT_RETURN_IF_ERROR(buckets_->DeleteConfig(b.name, name));
    return Empty(204);
  }
  if (m == "PUT") {
    std::string doc;
    if (sub == "policy") {
      OT_RETURN_IF_ERROR(ValidateBucketPolicy(b.name, req.body));
      doc = req.body;
    } else if (sub == "versioning") {
      OT_ASSIGN_OR_RETURN(std::string status, ParseVersioningConfig(req.body));
      if (status != "Enabled") {
        OT_ASSIGN_OR_RETURN(auto lock, buckets_->GetConfig(b.name, kObjectLockConfigName));
        if (lock) {
          return Status::Error("InvalidBucketState",
                               "An Object Lock configuration is present on this bucket, so the "
                               "versioning state cannot be changed.",
                               409);
        }
      }
      OT_RETURN_IF_ERROR(buckets_->SetVersioning(b.name, status));
      return Empty(200);
    } else if (sub == "encryption") {
      OT_ASSIGN_OR_RETURN(EncryptionConfig e, ParseEncryptionConfig(req.body));
      doc = RenderEncryptionConfig(e);
    } else if (sub == "lifecycle") {
      OT_ASSIGN_OR_RETURN(LifecycleConfiguration lc, ParseLifecycleConfiguration(req.body));
      doc = RenderLifecycleConfiguration(lc);
    } else if (sub == "publicAccessBlock") {
      OT_ASSIGN_OR_RETURN(doc, NormalizePublicAccessBlock(req.body));
    } else if (sub == "acl") {
      if (const std::string* a = Header(req, "x-amz-acl")) {
        if (!CannedAcls().count(*a)) return Status::Error("InvalidArgument", "Invalid canned ACL");
        doc = RenderCannedAcl(*a, b.owner_account);
      } else {
        OT_ASSIGN_OR_RETURN(auto parsed, ParseXmlBody(req.body, "AccessControlPolicy"));
        (void)parsed;
        doc = req.body;
      }
    } else if (sub == "accelerate") {
      OT_ASSIGN_OR_RETURN(doc, NormalizeAccelerate(req.body));
    } else if (sub == "tagging") {
      OT_ASSIGN_OR_RETURN(doc, NormalizeTagging(req.body));
      OT_RETURN_IF_ERROR(buckets_->PutConfig(b.name, name, doc));
      return Empty(204);
    }
    OT_RETURN_IF_ERROR(buckets_->PutConfig(b.name, name, doc));
    return Empty(sub == "policy" ? 204 : 200);
  }
  // GET
  if (sub == "versioning") {
    XmlWriter w;
    w.Open("VersioningConfiguration", true);
    if (!b.versioning.empty()) w.Leaf("Status", b.versioning);
    return XmlOk(w.Close("VersioningConfiguration").Take());
  }
  OT_ASSIGN_OR_RETURN(std::optional<std::string> doc, buckets_->GetConfig(b.name, name));
  if (!doc) {
    if (sub == "policy") {
      return Status::Error("NoSuchBucketPolicy", "The bucket policy does not exist", 404);
    }
    if (sub == "encryption") {
      return Status::Error("ServerSideEncryptionConfigurationNotFoundError",
                           "The server side encryption configuration was not found", 404);
    }
    if (sub == "lifecycle") {
      return Status::Error("NoSuchLifecycleConfiguration",
                           "The lifecycle configuration does not exist", 404);
    }
    if (sub == "publicAccessBlock") {
      return Status::Error("NoSuchPublicAccessBlockConfiguration",
                           "The public access block configuration was not found", 404);
    }
    if (sub == "tagging") return Status::Error("NoSuchTagSet", "The TagSet does not exist", 404);
    if (sub == "acl") doc = RenderCannedAcl("private", b.owner_account);
    if (sub == "accelerate") {
      XmlWriter w;
      doc = w.Open("AccelerateConfiguration", true).Close("AccelerateConfiguration").Take();
    }
  }
  if (sub == "acl") {
    // Canned ACLs are stored by name; the grant list shows the owner's
    // FULL_CONTROL (the only grant orgtrail enforces).
    return XmlOk(RenderAclPolicy(b.owner_account));
  }
  S3Response r = XmlOk(*doc);
  if (sub == "policy") r.headers[0].second = "application/json";
  return r;
}

}  // namespace orgtrail::s3
