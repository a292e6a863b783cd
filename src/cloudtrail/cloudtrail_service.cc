#include "cloudtrail/cloudtrail_service.h"

#include <algorithm>
#include <map>
#include <set>

#include "cloudtrail/event_selectors.h"
#include "cloudtrail/policy_preflight.h"
#include "cloudtrail/trail_rules.h"
#include "delivery/event_filter.h"

namespace orgtrail::cloudtrail {
namespace {

bool AppliesTo(const TrailRecord& t, const std::string& region) {
  return t.home_region == region || t.multi_region;
}

Status NotFound(const std::string& ref, const std::string& account) {
  return Status::Error("TrailNotFoundException",
                       "Unknown trail: " + ref + " for the user: " + account);
}

Status RequireObject(const Json& in) {
  if (!in.is_object()) return Status::Error("SerializationException", "Body must be a JSON object");
  return Status::Ok();
}

Json TrailJson(const TrailRecord& t) {
  Json j = {{"Name", t.name},
            {"S3BucketName", t.bucket},
            {"IncludeGlobalServiceEvents", t.include_global},
            {"IsMultiRegionTrail", t.multi_region},
            {"HomeRegion", t.home_region},
            {"TrailARN", t.arn},
            {"LogFileValidationEnabled", t.log_file_validation},
            {"HasCustomEventSelectors", t.has_custom_selectors},
            {"HasInsightSelectors", false},
            {"IsOrganizationTrail", t.org_trail}};
  if (!t.prefix.empty()) j["S3KeyPrefix"] = t.prefix;
  if (!t.kms_key_arn.empty()) j["KmsKeyId"] = t.kms_key_arn;
  return j;
}

// The CreateTrail/UpdateTrail response shape.
Json TrailResponseJson(const TrailRecord& t) {
  Json j = {{"Name", t.name},
            {"S3BucketName", t.bucket},
            {"IncludeGlobalServiceEvents", t.include_global},
            {"IsMultiRegionTrail", t.multi_region},
            {"TrailARN", t.arn},
            {"LogFileValidationEnabled", t.log_file_validation},
            {"IsOrganizationTrail", t.org_trail}};
  if (!t.prefix.empty()) j["S3KeyPrefix"] = t.prefix;
  if (!t.kms_key_arn.empty()) j["KmsKeyId"] = t.kms_key_arn;
  return j;
}

Json SelectorsResponse(const TrailRecord& t) {
  Json j = {{"TrailARN", t.arn}};
  Json sel = ParseJson(t.selectors_json).ok() ? *ParseJson(t.selectors_json) : Json::array();
  j[t.advanced_selectors ? "AdvancedEventSelectors" : "EventSelectors"] = sel;
  return j;
}

Json TagsJson(const std::vector<Tag>& tags) {
  Json out = Json::array();
  for (const auto& [k, v] : tags) out.push_back({{"Key", k}, {"Value", v}});
  return out;
}

std::string IsoOrEmpty(int64_t secs) {
  return secs > 0 ? FormatIso8601(FromUnixSeconds(static_cast<double>(secs))) : "";
}

Result<bool> BoolOr(const Json& in, const char* name, bool dflt) {
  OT_ASSIGN_OR_RETURN(auto v, OptBool(in, name));
  return v.value_or(dflt);
}

// Name, TrailName or ResourceId: required, a name or an ARN.
Result<std::string> TrailRef(const Json& in, const char* member) {
  OT_ASSIGN_OR_RETURN(auto v, OptString(in, member));
  if (!v || v->empty())
    return Status::Error("TrailNotProvidedException",
                         std::string("Trail name or ARN must be provided in '") + member + "'.");
  return *v;
}

}  // namespace

CloudTrailService::CloudTrailService(catalog::Db& db, OrgDirectory& orgs, BucketDirectory& buckets,
                                     KeyDirectory& keys, const Clock& clock)
    : store_(db), orgs_(orgs), buckets_(buckets), keys_(keys), clock_(clock) {}

auth::JsonOps CloudTrailService::Ops() {
  auth::JsonOps ops;
  auto bind = [this](
                  Result<Json> (CloudTrailService::*m)(const auth::RequestContext&, const Json&)) {
    return
        [this, m](const auth::RequestContext& ctx, const Json& in) { return (this->*m)(ctx, in); };
  };
  // Identity-policy check first: cloudtrail:<Op> on the trail's ARN.
  auto authorized = [this](const std::string& op, auth::JsonHandler h) -> auth::JsonHandler {
    return [this, op, h](const auth::RequestContext& ctx, const Json& in) -> Result<Json> {
      iam::AuthzCheck check;
      check.action = "cloudtrail:";
      check.action += op;
      check.resource = "*";
      const std::string& account = ctx.principal.account_id;
      for (const char* member : {"Name", "TrailName", "ResourceId"}) {
        if (!in.is_object() || !in.contains(member) || !in[member].is_string()) continue;
        const std::string ref = in[member].get<std::string>();
        if (ref.rfind("arn:", 0) == 0) {
          check.resource = ref;
        } else {
          check.resource = "arn:aws:cloudtrail:";
          check.resource.append(ctx.region).append(":").append(account).append(":trail/");
          check.resource.append(ref);
        }
        break;
      }
      check.resource_account = account;
      check.style = iam::DenyStyle::kJson;
      const iam::Authorizer& a = authorizer_ != nullptr ? *authorizer_ : iam::Authorizer::Default();
      OT_RETURN_IF_ERROR(a.Authorize(ctx, check));
      return h(ctx, in);
    };
  };
  ops["CreateTrail"] = bind(&CloudTrailService::CreateTrail);
  ops["GetTrail"] = bind(&CloudTrailService::GetTrail);
  ops["DescribeTrails"] = bind(&CloudTrailService::DescribeTrails);
  ops["ListTrails"] = bind(&CloudTrailService::ListTrails);
  ops["GetTrailStatus"] = bind(&CloudTrailService::GetTrailStatus);
  ops["StartLogging"] = bind(&CloudTrailService::StartLogging);
  ops["StopLogging"] = bind(&CloudTrailService::StopLogging);
  ops["UpdateTrail"] = bind(&CloudTrailService::UpdateTrail);
  ops["DeleteTrail"] = bind(&CloudTrailService::DeleteTrail);
  ops["PutEventSelectors"] = bind(&CloudTrailService::PutEventSelectors);
  ops["GetEventSelectors"] = bind(&CloudTrailService::GetEventSelectors);
  ops["AddTags"] = bind(&CloudTrailService::AddTags);
  ops["ListTags"] = bind(&CloudTrailService::ListTags);
  ops["RemoveTags"] = bind(&CloudTrailService::RemoveTags);
  ops["ListPublicKeys"] = bind(&CloudTrailService::ListPublicKeys);
  for (auto& [name, handler] : ops) handler = authorized(name, handler);
  return ops;
}

// ---------------------------------------------------------------- helpers

Result<CloudTrailService::Resolved> CloudTrailService::Resolve(const auth::RequestContext& ctx,
                                                               const std::string& ref) {
  const std::string& account = ctx.principal.account_id;
  std::optional<OrgInfo> org = orgs_.OrganizationOf(account);
  auto member_sees = [&](const TrailRecord& t) {
    return t.org_trail && org && org->id == t.org_id && org->management_account == t.owner_account;
  };
  if (IsArnReference(ref)) {
    OT_ASSIGN_OR_RETURN(TrailArn parsed, ParseTrailArn(ref));
    (void)parsed;
    OT_ASSIGN_OR_RETURN(auto found, store_.FindByArn(ref));
    if (!found) return NotFound(ref, account);
    if (found->owner_account == account) return Resolved{*found, true};
    if (member_sees(*found)) return Resolved{*found, false};
    return NotFound(ref, account);
  }
  OT_RETURN_IF_ERROR(ValidateTrailName(ref));
  OT_ASSIGN_OR_RETURN(auto own, store_.ListOwnedBy(account));
  for (auto& t : own) {
    if (t.name == ref && AppliesTo(t, ctx.region)) return Resolved{t, true};
  }
  if (org) {
    OT_ASSIGN_OR_RETURN(auto org_trails, store_.ListOrgTrails());
    for (auto& t : org_trails) {
      if (t.name == ref && AppliesTo(t, ctx.region) && member_sees(t)) return Resolved{t, false};
    }
  }
  return NotFound(ref, account);
}

Status CloudTrailService::CheckCanModify(const auth::RequestContext& ctx, const Resolved& r,
                                         bool check_region) {
  if (!r.owned) {
    return Status::Error("NotOrganizationMasterAccountException",
                         "The trail " + r.trail.arn +
                             " is an organization trail owned by the "
                             "management account " +
                             r.trail.owner_account + "; member account " +
                             ctx.principal.account_id + " cannot modify, stop or delete it.");
  }
  if (check_region && r.trail.home_region != ctx.region) {
    return Status::Error("InvalidHomeRegionException",
                         "This operation must be called from the trail's home region. The home "
                         "region of " +
                             r.trail.arn + " is " + r.trail.home_region + ".");
  }
  return Status::Ok();
}

Result<std::string> CloudTrailService::CheckOrgTrailAllowed(const std::string& account) {
  std::optional<OrgInfo> org = orgs_.OrganizationOf(account);
  if (!org)
    return Status::Error("OrganizationsNotInUseException",
                         "This account (" + account + ") is not a member of an organization.");
  if (!org->all_features)
    return Status::Error(
        "OrganizationNotInAllFeaturesModeException",
        "This operation requires that all features are enabled in organization " + org->id + ".");
  if (!org->cloudtrail_access_enabled)
    return Status::Error("CloudTrailAccessNotEnabledException",
                         "The request could not be processed because your organization hasn't "
                         "enabled CloudTrail service access. Enable service access for "
                         "CloudTrail, and then try again.");
  if (org->management_account != account)
    return Status::Error("NotOrganizationMasterAccountException",
                         "The request could not be processed because account " + account +
                             " is not the management account of organization " + org->id +
                             " (management account: " + org->management_account + ").");
  return org->id;
}

Result<std::string> CloudTrailService::CheckBucketAndKey(const auth::RequestContext& ctx,
                                                         const std::string& bucket,
                                                         const std::string& key_ref) {
  std::optional<BucketInfo> b = buckets_.FindBucket(bucket);
  if (!b)
    return Status::Error("S3BucketDoesNotExistException",
                         "S3 bucket " + bucket + " does not exist.");
  if (key_ref.empty()) return std::string();
  std::optional<KeyInfo> k = keys_.FindKey(key_ref, ctx.region, ctx.principal.account_id);
  if (!k)
    return Status::Error("KmsKeyNotFoundException", "KMS key " + key_ref + " does not exist.");
  if (k->region != b->region)
    return Status::Error("KmsKeyNotFoundException",
                         "KMS key " + k->arn + " is in region " + k->region + " but bucket " +
                             bucket + " is in region " + b->region +
                             "; the key must be in the bucket's region.");
  if (!k->enabled) return Status::Error("KmsException", "KMS key " + k->arn + " is disabled.");
  return k->arn;
}

Status CloudTrailService::CheckQuota(const std::string& account, const std::string& region,
                                     bool multi_region, const std::string& except_arn) {
  OT_ASSIGN_OR_RETURN(auto own, store_.ListOwnedBy(account));
  std::map<std::string, size_t> per_region;  // single-region trails per region
  size_t multi = 0;
  for (const auto& t : own) {
    if (t.arn == except_arn) continue;
    if (t.multi_region)
      ++multi;
    else
      ++per_region[t.home_region];
  }
  size_t worst = per_region[region];
  if (multi_region) {
    for (const auto& [r, n] : per_region) worst = std::max(worst, n);
  }
  if (worst + multi + 1 > kMaxTrailsPerRegion)
    return Status::Error("MaximumNumberOfTrailsExceededException",
                         "User: " + account + " already has 5 trails in " +
                             (multi_region ? std::string("a region") : region) + ".");
  return Status::Ok();
}

Result<std::vector<TrailRecord>> CloudTrailService::Visible(const auth::RequestContext& ctx,
                                                            bool shadows) {
  const std::string& account = ctx.principal.account_id;
  std::vector<TrailRecord> out;
  OT_ASSIGN_OR_RETURN(auto own, store_.ListOwnedBy(account));
  for (auto& t : own) {
    if (t.home_region == ctx.region || (shadows && t.multi_region)) out.push_back(std::move(t));
  }
  if (!shadows) return out;
  std::optional<OrgInfo> org = orgs_.OrganizationOf(account);
  if (org && org->management_account != account) {
    OT_ASSIGN_OR_RETURN(auto org_trails, store_.ListOrgTrails());
    for (auto& t : org_trails) {
      if (t.org_id == org->id && t.owner_account == org->management_account &&
          AppliesTo(t, ctx.region))
        out.push_back(std::move(t));
    }
  }
  return out;
}

// ------------------------------------------------------------- operations

namespace {

// CreateTrail/UpdateTrail's delivery pre-flight (policy_preflight.h): the
// trail's bucket and key policies as delivery will be authorized against
// them. `t` has passed CheckBucketAndKey (bucket exists; key resolved).
Status PreflightDelivery(BucketDirectory& buckets, KeyDirectory& keys,
                         const iam::Authorizer& authorizer, const TrailRecord& t, TimePoint now) {
  DeliverySetup s;
  s.trail_arn = t.arn;
  s.owner_account = t.owner_account;
  s.home_region = t.home_region;
  s.org_id = t.org_trail ? t.org_id : "";
  s.bucket = t.bucket;
  s.prefix = t.prefix;
  if (std::optional<BucketInfo> b = buckets.FindBucket(t.bucket)) {
    s.bucket_owner = b->owner_account;
    s.bucket_policy = b->policy;
  }
  s.kms_key_arn = t.kms_key_arn;
  if (!t.kms_key_arn.empty()) {
    if (std::optional<KeyInfo> k = keys.FindKey(t.kms_key_arn, t.home_region, t.owner_account)) {
      s.key_account = k->account;
      s.key_policy = k->policy;
    }
  }
  return CheckDeliveryPolicies(authorizer, s, now);
}

}  // namespace

Result<Json> CloudTrailService::CreateTrail(const auth::RequestContext& ctx, const Json& in) {
  OT_RETURN_IF_ERROR(RequireObject(in));
  const std::string& account = ctx.principal.account_id;
  OT_ASSIGN_OR_RETURN(std::string name, ReqString(in, "Name"));
  OT_RETURN_IF_ERROR(ValidateTrailName(name));
  OT_ASSIGN_OR_RETURN(auto bucket, OptString(in, "S3BucketName"));
  if (!bucket || bucket->empty())
    return Status::Error("InvalidS3BucketNameException", "S3BucketName must be provided.");
  OT_ASSIGN_OR_RETURN(auto prefix, OptString(in, "S3KeyPrefix"));
  OT_RETURN_IF_ERROR(ValidateS3Prefix(prefix.value_or("")));
  OT_ASSIGN_OR_RETURN(bool include_global, BoolOr(in, "IncludeGlobalServiceEvents", true));
  OT_ASSIGN_OR_RETURN(bool multi_region, BoolOr(in, "IsMultiRegionTrail", false));
  OT_ASSIGN_OR_RETURN(bool validation, BoolOr(in, "EnableLogFileValidation", false));
  OT_ASSIGN_OR_RETURN(bool org_trail, BoolOr(in, "IsOrganizationTrail", false));
  OT_ASSIGN_OR_RETURN(auto key_ref, OptString(in, "KmsKeyId"));
  if (key_ref && key_ref->empty())
    return Status::Error("InvalidKmsKeyIdException", "KmsKeyId must not be empty.");
  OT_ASSIGN_OR_RETURN(auto tags, ParseTagsList(in, "TagsList"));
  if (multi_region && !include_global)
    return Status::Error("InvalidParameterCombinationException",
                         "Multi-Region trail must include global service events.");

  std::lock_guard<std::mutex> lock(mu_);
  std::string org_id;
  if (org_trail) {
    OT_ASSIGN_OR_RETURN(org_id, CheckOrgTrailAllowed(account));
  }
  // A name is taken when any trail the caller sees under it overlaps this one.
  OT_ASSIGN_OR_RETURN(auto own, store_.ListOwnedBy(account));
  for (const auto& t : own) {
    if (t.name == name && (t.home_region == ctx.region || t.multi_region || multi_region))
      return Status::Error("TrailAlreadyExistsException",
                           "Trail " + name + " already exists for customer: " + account);
  }
  OT_ASSIGN_OR_RETURN(auto visible, Visible(ctx, /*shadows=*/true));
  for (const auto& t : visible) {
    if (t.name == name && t.owner_account != account)
      return Status::Error("TrailAlreadyExistsException",
                           "Trail " + name + " already exists for customer: " + t.owner_account +
                               " (organization trail " + t.arn + ")");
  }
  OT_RETURN_IF_ERROR(CheckQuota(account, ctx.region, multi_region, ""));
  OT_ASSIGN_OR_RETURN(std::string key_arn, CheckBucketAndKey(ctx, *bucket, key_ref.value_or("")));

  TrailRecord t;
  t.name = name;
  t.owner_account = account;
  t.home_region = ctx.region;
  t.arn = MakeTrailArn(ctx.region, account, name);
  t.bucket = *bucket;
  t.prefix = prefix.value_or("");
  t.kms_key_arn = key_arn;
  t.include_global = include_global;
  t.multi_region = multi_region;
  t.log_file_validation = validation;
  t.org_trail = org_trail;
  t.org_id = org_id;
  SelectorSet sel = DefaultSelectors();
  t.advanced_selectors = sel.advanced;
  t.selectors_json = sel.selectors.dump();
  t.created = ToUnixSeconds(clock_.Now());
  OT_RETURN_IF_ERROR(PreflightDelivery(
      buckets_, keys_, authorizer_ != nullptr ? *authorizer_ : iam::Authorizer::Default(), t,
      clock_.Now()));
  OT_RETURN_IF_ERROR(store_.Insert(t, tags));
  return TrailResponseJson(t);
}

Result<Json> CloudTrailService::GetTrail(const auth::RequestContext& ctx, const Json& in) {
  OT_RETURN_IF_ERROR(RequireObject(in));
  OT_ASSIGN_OR_RETURN(std::string ref, TrailRef(in, "Name"));
  std::lock_guard<std::mutex> lock(mu_);
  OT_ASSIGN_OR_RETURN(Resolved r, Resolve(ctx, ref));
  return Json{{"Trail", TrailJson(r.trail)}};
}

Result<Json> CloudTrailService::DescribeTrails(const auth::RequestContext& ctx, const Json& in) {
  OT_RETURN_IF_ERROR(RequireObject(in));
  OT_ASSIGN_OR_RETURN(bool shadows, BoolOr(in, "includeShadowTrails", true));
  std::vector<std::string> names;
  if (auto it = in.find("trailNameList"); it != in.end() && !it->is_null()) {
    if (!it->is_array())
      return Status::Error("SerializationException", "Member 'trailNameList' must be a list");
    for (const Json& n : *it) {
      if (!n.is_string())
        return Status::Error("SerializationException",
                             "Member 'trailNameList' must be a list of strings");
      names.push_back(n.get<std::string>());
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  Json list = Json::array();
  if (names.empty()) {
    OT_ASSIGN_OR_RETURN(auto visible, Visible(ctx, shadows));
    for (const auto& t : visible) list.push_back(TrailJson(t));
    return Json{{"trailList", list}};
  }
  std::set<std::string> seen;
  for (const auto& n : names) {
    auto r = Resolve(ctx, n);
    if (!r.ok()) {
      if (r.status().code() == "TrailNotFoundException") continue;  // AWS omits unknown names
      return r.status();
    }
    const TrailRecord& t = r->trail;
    bool is_shadow = !r->owned || t.home_region != ctx.region;
    if (is_shadow && !shadows) continue;
    if (seen.insert(t.arn).second) list.push_back(TrailJson(t));
  }
  return Json{{"trailList", list}};
}

Result<Json> CloudTrailService::ListTrails(const auth::RequestContext& ctx, const Json& in) {
  OT_RETURN_IF_ERROR(RequireObject(in));
  std::lock_guard<std::mutex> lock(mu_);
  const std::string& account = ctx.principal.account_id;
  Json trails = Json::array();
  auto add = [&](const TrailRecord& t) {
    trails.push_back({{"TrailARN", t.arn}, {"Name", t.name}, {"HomeRegion", t.home_region}});
  };
  // Every trail of the account, in every region (as AWS lists them), plus
  // the organization trails it is enrolled in.
  OT_ASSIGN_OR_RETURN(auto own, store_.ListOwnedBy(account));
  for (const auto& t : own) add(t);
  std::optional<OrgInfo> org = orgs_.OrganizationOf(account);
  if (org && org->management_account != account) {
    OT_ASSIGN_OR_RETURN(auto org_trails, store_.ListOrgTrails());
    for (const auto& t : org_trails) {
      if (t.org_id == org->id && t.owner_account == org->management_account) add(t);
    }
  }
  return Json{{"Trails", trails}};
}

Result<Json> CloudTrailService::GetTrailStatus(const auth::RequestContext& ctx, const Json& in) {
  OT_RETURN_IF_ERROR(RequireObject(in));
  OT_ASSIGN_OR_RETURN(std::string ref, TrailRef(in, "Name"));
  std::lock_guard<std::mutex> lock(mu_);
  OT_ASSIGN_OR_RETURN(Resolved r, Resolve(ctx, ref));
  const TrailRecord& t = r.trail;
  Json j = {{"IsLogging", t.is_logging}};
  if (t.latest_delivery_time > 0) j["LatestDeliveryTime"] = t.latest_delivery_time;
  if (!t.latest_delivery_error.empty()) j["LatestDeliveryError"] = t.latest_delivery_error;
  if (t.start_logging_time > 0) j["StartLoggingTime"] = t.start_logging_time;
  if (t.stop_logging_time > 0) j["StopLoggingTime"] = t.stop_logging_time;
  if (t.latest_digest_delivery_time > 0)
    j["LatestDigestDeliveryTime"] = t.latest_digest_delivery_time;
  if (!t.latest_digest_delivery_error.empty())
    j["LatestDigestDeliveryError"] = t.latest_digest_delivery_error;
  // AWS sends these string members even when empty.
  j["LatestDeliveryAttemptTime"] = IsoOrEmpty(t.latest_delivery_attempt_time);
  j["LatestDeliveryAttemptSucceeded"] = IsoOrEmpty(t.latest_delivery_attempt_succeeded);
  j["LatestNotificationAttemptTime"] = "";
  j["LatestNotificationAttemptSucceeded"] = "";
  j["TimeLoggingStarted"] = IsoOrEmpty(t.start_logging_time);
  j["TimeLoggingStopped"] = IsoOrEmpty(t.stop_logging_time);
  return j;
}

Result<Json> CloudTrailService::StartLogging(const auth::RequestContext& ctx, const Json& in) {
  OT_RETURN_IF_ERROR(RequireObject(in));
  OT_ASSIGN_OR_RETURN(std::string ref, TrailRef(in, "Name"));
  bool started = false;
  std::string arn;
  {
    std::lock_guard<std::mutex> lock(mu_);
    OT_ASSIGN_OR_RETURN(Resolved r, Resolve(ctx, ref));
    OT_RETURN_IF_ERROR(CheckCanModify(ctx, r, /*check_region=*/true));
    if (!r.trail.is_logging) {
      r.trail.is_logging = true;
      r.trail.start_logging_time = ToUnixSeconds(clock_.Now());
      OT_RETURN_IF_ERROR(store_.Update(r.trail));
      started = r.trail.log_file_validation;
      arn = r.trail.arn;
    }
  }
  if (started && hooks_) hooks_->LoggingStarted(arn);
  return Json::object();
}

Result<Json> CloudTrailService::StopLogging(const auth::RequestContext& ctx, const Json& in) {
  OT_RETURN_IF_ERROR(RequireObject(in));
  OT_ASSIGN_OR_RETURN(std::string ref, TrailRef(in, "Name"));
  bool stopped = false;
  std::string arn;
  {
    std::lock_guard<std::mutex> lock(mu_);
    OT_ASSIGN_OR_RETURN(Resolved r, Resolve(ctx, ref));
    OT_RETURN_IF_ERROR(CheckCanModify(ctx, r, /*check_region=*/true));
    if (r.trail.is_logging) {
      r.trail.is_logging = false;
      r.trail.stop_logging_time = ToUnixSeconds(clock_.Now());
      OT_RETURN_IF_ERROR(store_.Update(r.trail));
      stopped = true;
      arn = r.trail.arn;
    }
  }
  if (stopped && hooks_) hooks_->LoggingStopped(arn);
  return Json::object();
}

Result<Json> CloudTrailService::UpdateTrail(const auth::RequestContext& ctx, const Json& in) {
  OT_RETURN_IF_ERROR(RequireObject(in));
  OT_ASSIGN_OR_RETURN(std::string ref, TrailRef(in, "Name"));
  OT_ASSIGN_OR_RETURN(auto bucket, OptString(in, "S3BucketName"));
  OT_ASSIGN_OR_RETURN(auto prefix, OptString(in, "S3KeyPrefix"));
  if (prefix) OT_RETURN_IF_ERROR(ValidateS3Prefix(*prefix));
  if (bucket && bucket->empty())
    return Status::Error("InvalidS3BucketNameException", "S3BucketName must not be empty.");
  OT_ASSIGN_OR_RETURN(auto include_global, OptBool(in, "IncludeGlobalServiceEvents"));
  OT_ASSIGN_OR_RETURN(auto multi_region, OptBool(in, "IsMultiRegionTrail"));
  OT_ASSIGN_OR_RETURN(auto validation, OptBool(in, "EnableLogFileValidation"));
  OT_ASSIGN_OR_RETURN(auto org_trail, OptBool(in, "IsOrganizationTrail"));
  OT_ASSIGN_OR_RETURN(auto key_ref, OptString(in, "KmsKeyId"));

  std::unique_lock<std::mutex> lock(mu_);
  OT_ASSIGN_OR_RETURN(Resolved r, Resolve(ctx, ref));
  OT_RETURN_IF_ERROR(CheckCanModify(ctx, r, /*check_region=*/true));
  TrailRecord t = r.trail;
  if (include_global) t.include_global = *include_global;
  if (multi_region) t.multi_region = *multi_region;
  if (validation) t.log_file_validation = *validation;
  if (prefix) t.prefix = *prefix;
  if (t.multi_region && !t.include_global)
    return Status::Error("InvalidParameterCombinationException",
                         "Multi-Region trail must include global service events.");
  if (org_trail && *org_trail) {
    OT_ASSIGN_OR_RETURN(t.org_id, CheckOrgTrailAllowed(ctx.principal.account_id));
    t.org_trail = true;
  } else if (org_trail) {
    t.org_trail = false;
    t.org_id.clear();
  }
  if (t.multi_region && !r.trail.multi_region)
    OT_RETURN_IF_ERROR(CheckQuota(t.owner_account, t.home_region, true, t.arn));
  if (bucket) t.bucket = *bucket;
  // Re-check bucket and key whenever either changes (the key must stay in
  // the bucket's region).
  if (bucket || key_ref) {
    std::string ref_to_check = key_ref ? *key_ref : t.kms_key_arn;
    OT_ASSIGN_OR_RETURN(t.kms_key_arn, CheckBucketAndKey(ctx, t.bucket, ref_to_check));
  }
  // Where delivery writes, or as whom it is allowed to, changed: test the
  // policies again.
  if (bucket || key_ref || prefix || t.org_trail != r.trail.org_trail) {
    OT_RETURN_IF_ERROR(PreflightDelivery(
        buckets_, keys_, authorizer_ != nullptr ? *authorizer_ : iam::Authorizer::Default(), t,
        clock_.Now()));
  }
  OT_RETURN_IF_ERROR(store_.Update(t));
  const bool was_on = r.trail.log_file_validation, now_on = t.log_file_validation;
  lock.unlock();
  if (hooks_ && was_on && !now_on) hooks_->ValidationDisabled(t.arn);
  if (hooks_ && !was_on && now_on && t.is_logging) hooks_->LoggingStarted(t.arn);
  return TrailResponseJson(t);
}

Result<Json> CloudTrailService::DeleteTrail(const auth::RequestContext& ctx, const Json& in) {
  OT_RETURN_IF_ERROR(RequireObject(in));
  OT_ASSIGN_OR_RETURN(std::string ref, TrailRef(in, "Name"));
  std::string arn;
  {
    std::lock_guard<std::mutex> lock(mu_);
    OT_ASSIGN_OR_RETURN(Resolved r, Resolve(ctx, ref));
    OT_RETURN_IF_ERROR(CheckCanModify(ctx, r, /*check_region=*/true));
    OT_RETURN_IF_ERROR(store_.Delete(r.trail.arn));
    arn = r.trail.arn;
  }
  if (hooks_) hooks_->LoggingStopped(arn);
  return Json::object();
}

Result<Json> CloudTrailService::PutEventSelectors(const auth::RequestContext& ctx, const Json& in) {
  OT_RETURN_IF_ERROR(RequireObject(in));
  OT_ASSIGN_OR_RETURN(std::string ref, TrailRef(in, "TrailName"));
  std::lock_guard<std::mutex> lock(mu_);
  OT_ASSIGN_OR_RETURN(Resolved r, Resolve(ctx, ref));
  OT_RETURN_IF_ERROR(CheckCanModify(ctx, r, /*check_region=*/true));
  OT_ASSIGN_OR_RETURN(SelectorSet sel, ParseSelectors(in));
  // Delivery matches events with its own parser; refuse what it cannot read.
  auto filter = sel.advanced ? delivery::EventFilter::FromJson(Json(nullptr), sel.selectors)
                             : delivery::EventFilter::FromJson(sel.selectors, Json(nullptr));
  if (!filter.ok())
    return Status::Error("InvalidEventSelectorsException", filter.status().message());
  r.trail.advanced_selectors = sel.advanced;
  r.trail.selectors_json = sel.selectors.dump();
  r.trail.has_custom_selectors = true;
  OT_RETURN_IF_ERROR(store_.Update(r.trail));
  return SelectorsResponse(r.trail);
}

Result<Json> CloudTrailService::GetEventSelectors(const auth::RequestContext& ctx, const Json& in) {
  OT_RETURN_IF_ERROR(RequireObject(in));
  OT_ASSIGN_OR_RETURN(std::string ref, TrailRef(in, "TrailName"));
  std::lock_guard<std::mutex> lock(mu_);
  OT_ASSIGN_OR_RETURN(Resolved r, Resolve(ctx, ref));
  return SelectorsResponse(r.trail);
}

namespace {
// Tag operations name the trail by ResourceId; an unknown one is
// ResourceNotFoundException there.
Status AsResourceNotFound(const Status& s) {
  if (s.code() == "TrailNotFoundException") return s.WithCode("ResourceNotFoundException", 400);
  return s;
}
}  // namespace

Result<Json> CloudTrailService::AddTags(const auth::RequestContext& ctx, const Json& in) {
  OT_RETURN_IF_ERROR(RequireObject(in));
  OT_ASSIGN_OR_RETURN(std::string ref, TrailRef(in, "ResourceId"));
  OT_ASSIGN_OR_RETURN(auto tags, ParseTagsList(in, "TagsList"));
  std::lock_guard<std::mutex> lock(mu_);
  auto r = Resolve(ctx, ref);
  if (!r.ok()) return AsResourceNotFound(r.status());
  OT_RETURN_IF_ERROR(CheckCanModify(ctx, *r, /*check_region=*/false));
  OT_RETURN_IF_ERROR(store_.AddTags(r->trail.arn, tags));
  return Json::object();
}

Result<Json> CloudTrailService::RemoveTags(const auth::RequestContext& ctx, const Json& in) {
  OT_RETURN_IF_ERROR(RequireObject(in));
  OT_ASSIGN_OR_RETURN(std::string ref, TrailRef(in, "ResourceId"));
  OT_ASSIGN_OR_RETURN(auto tags, ParseTagsList(in, "TagsList"));
  std::lock_guard<std::mutex> lock(mu_);
  auto r = Resolve(ctx, ref);
  if (!r.ok()) return AsResourceNotFound(r.status());
  OT_RETURN_IF_ERROR(CheckCanModify(ctx, *r, /*check_region=*/false));
  OT_RETURN_IF_ERROR(store_.RemoveTags(r->trail.arn, tags));
  return Json::object();
}

Result<Json> CloudTrailService::ListTags(const auth::RequestContext& ctx, const Json& in) {
  OT_RETURN_IF_ERROR(RequireObject(in));
  auto it = in.find("ResourceIdList");
  if (it == in.end() || !it->is_array())
    return Status::Error("InvalidParameterException",
                         "ResourceIdList must be a list of trail ARNs.");
  std::lock_guard<std::mutex> lock(mu_);
  Json out = Json::array();
  for (const Json& id : *it) {
    if (!id.is_string())
      return Status::Error("SerializationException", "ResourceIdList must be a list of strings");
    auto r = Resolve(ctx, id.get<std::string>());
    if (!r.ok()) return AsResourceNotFound(r.status());
    OT_ASSIGN_OR_RETURN(auto tags, store_.Tags(r->trail.arn));
    out.push_back({{"ResourceId", r->trail.arn}, {"TagsList", TagsJson(tags)}});
  }
  return Json{{"ResourceTagList", out}};
}

// ---------------------------------------------------------------- delivery

namespace {

// A JSON 1.1 timestamp: epoch seconds (botocore's default) or ISO-8601.
Result<std::optional<TimePoint>> OptTimestamp(const Json& in, const char* name) {
  auto it = in.find(name);
  if (it == in.end() || it->is_null()) return std::optional<TimePoint>();
  if (it->is_number()) return std::optional<TimePoint>(FromUnixSeconds(it->get<double>()));
  if (it->is_string()) {
    if (auto t = ParseIso8601(it->get<std::string>())) return std::optional<TimePoint>(*t);
  }
  return Status::Error("SerializationException",
                       std::string("Invalid timestamp for ") + name + ".");
}

}  // namespace

Result<Json> CloudTrailService::ListPublicKeys(const auth::RequestContext& ctx, const Json& in) {
  OT_RETURN_IF_ERROR(RequireObject(in));
  OT_ASSIGN_OR_RETURN(auto start, OptTimestamp(in, "StartTime"));
  OT_ASSIGN_OR_RETURN(auto end, OptTimestamp(in, "EndTime"));
  if (!hooks_) {
    return Status::Error("UnsupportedOperationException",
                         "Log file integrity validation is not configured.");
  }
  if (!start && end) start = end;  // keys valid at EndTime
  OT_ASSIGN_OR_RETURN(OrderedJson out, hooks_->ListPublicKeys(ctx.region, start, end));
  return ParseJson(out.dump());
}

Result<std::vector<LoggingTrail>> CloudTrailService::LoggingTrails() {
  std::lock_guard<std::mutex> lock(mu_);
  OT_ASSIGN_OR_RETURN(auto rows, store_.ListLogging());
  std::vector<LoggingTrail> out;
  out.reserve(rows.size());
  for (const auto& t : rows) {
    LoggingTrail l;
    l.arn = t.arn;
    l.name = t.name;
    l.owner_account = t.owner_account;
    l.home_region = t.home_region;
    l.multi_region = t.multi_region;
    l.include_global = t.include_global;
    l.log_file_validation = t.log_file_validation;
    l.bucket = t.bucket;
    l.prefix = t.prefix;
    l.kms_key_arn = t.kms_key_arn;
    l.org_id = t.org_trail ? t.org_id : "";
    l.advanced_selectors = t.advanced_selectors;
    auto sel = ParseJson(t.selectors_json);
    l.selectors = sel.ok() ? *sel : Json::array();
    out.push_back(std::move(l));
  }
  return out;
}

bool CloudTrailService::IsOrgMember(const std::string& org_id, const std::string& account) {
  if (org_id.empty()) return false;
  std::optional<OrgInfo> org = orgs_.OrganizationOf(account);
  return org && org->id == org_id;
}

Status CloudTrailService::ReportDelivery(const DeliveryReport& report) {
  std::lock_guard<std::mutex> lock(mu_);
  OT_ASSIGN_OR_RETURN(auto found, store_.FindByArn(report.trail_arn));
  if (!found) return Status::Ok();
  TrailRecord t = *found;
  int64_t at = ToUnixSeconds(report.attempt_time);
  if (report.digest) {
    if (report.succeeded) {
      t.latest_digest_delivery_time = at;
      t.latest_digest_delivery_error.clear();
    } else {
      t.latest_digest_delivery_error = report.error.empty() ? "UnknownError" : report.error;
    }
  } else {
    t.latest_delivery_attempt_time = at;
    if (report.succeeded) {
      t.latest_delivery_time = at;
      t.latest_delivery_attempt_succeeded = at;
      t.latest_delivery_error.clear();
    } else {
      t.latest_delivery_error = report.error.empty() ? "UnknownError" : report.error;
    }
  }
  return store_.Update(t);
}

}  // namespace orgtrail::cloudtrail
