// CloudTrailService: the CloudTrail control plane (model
// cloudtrail/2013-11-01) — trails, their logging state, event selectors and
// tags, including organization trails: created by the management account,
// visible read-only to every member account (same name and ARN), and
// refused to members on every mutating call. Ops() hands the JSON 1.1
// operation table to api/. It is also the source of truth delivery reads:
// LoggingTrails() lists what must receive events, ReportDelivery() feeds
// GetTrailStatus.
//
// Visibility, for a caller of account A in region R:
//   - A's own trails whose home region is R, or that are multi-region (a
//     "shadow" outside the home region);
//   - the organization trails of A's organization (owned by its management
//     account) that apply to R, when A is a member.
// Other accounts' trails do not exist for A (TrailNotFoundException).
//
// Thread-safe: every operation runs under one mutex (the control plane is
// rate-limited to a few TPS on AWS; simplicity wins). The directories are
// called under that mutex and must not call back into this service.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth/principal.h"
#include "auth/service_ops.h"
#include "base/json.h"
#include "base/status.h"
#include "base/time.h"
#include "catalog/db.h"
#include "cloudtrail/directories.h"
#include "cloudtrail/integrity_hooks.h"
#include "cloudtrail/trail_store.h"
#include "iam/authorizer.h"

namespace orgtrail::cloudtrail {

inline constexpr size_t kMaxTrailsPerRegion = 5;
inline constexpr char kCloudTrailServicePrincipal[] = "cloudtrail.amazonaws.com";

// One logging trail as delivery needs it (see delivery/trail_view.h; the
// server's adapter converts this into delivery::TrailTarget).
struct LoggingTrail {
  std::string arn;
  std::string name;
  std::string owner_account;
  std::string home_region;
  bool multi_region = false;
  bool include_global = true;
  bool log_file_validation = false;
  std::string bucket;
  std::string prefix;       // "" = none
  std::string kms_key_arn;  // "" = no SSE-KMS
  std::string org_id;       // "" unless an organization trail
  bool advanced_selectors = false;
  Json selectors = Json::array();  // normalised, see event_selectors.h
};

// The outcome of one delivery attempt, as delivery reports it.
struct DeliveryReport {
  std::string trail_arn;
  bool digest = false;  // a digest file rather than a log file
  TimePoint attempt_time{};
  bool succeeded = false;
  std::string error;  // when !succeeded, e.g. "AccessDenied" or a message
};

class CloudTrailService {
 public:
  // Every reference must outlive the service. Creates the catalog tables.
  CloudTrailService(catalog::Db& db, OrgDirectory& orgs, BucketDirectory& buckets,
                    KeyDirectory& keys, const Clock& clock);
  CloudTrailService(const CloudTrailService&) = delete;
  CloudTrailService& operator=(const CloudTrailService&) = delete;

  // JSON 1.1 operations: CreateTrail, GetTrail, DescribeTrails, ListTrails,
  // GetTrailStatus, StartLogging, StopLogging, UpdateTrail, DeleteTrail,
  // PutEventSelectors, GetEventSelectors, AddTags, ListTags, RemoveTags,
  // ListPublicKeys.
  auth::JsonOps Ops();

  // Every operation is first authorized as cloudtrail:<Operation> on the
  // trail's ARN ("*" when the input names none) against the caller's
  // identity policies (iam::Authorizer::Default() when unset). Must outlive
  // the service; call before serving requests.
  void SetAuthorizer(const iam::Authorizer* authorizer) { authorizer_ = authorizer; }

  // Plugs in log-file integrity (not owned; may be null: ListPublicKeys then
  // fails with UnsupportedOperationException). Call before serving.
  void SetIntegrityHooks(IntegrityHooks* hooks) { hooks_ = hooks; }

  Result<Json> CreateTrail(const auth::RequestContext& ctx, const Json& in);
  Result<Json> GetTrail(const auth::RequestContext& ctx, const Json& in);
  Result<Json> DescribeTrails(const auth::RequestContext& ctx, const Json& in);
  Result<Json> ListTrails(const auth::RequestContext& ctx, const Json& in);
  Result<Json> GetTrailStatus(const auth::RequestContext& ctx, const Json& in);
  Result<Json> StartLogging(const auth::RequestContext& ctx, const Json& in);
  Result<Json> StopLogging(const auth::RequestContext& ctx, const Json& in);
  Result<Json> UpdateTrail(const auth::RequestContext& ctx, const Json& in);
  Result<Json> DeleteTrail(const auth::RequestContext& ctx, const Json& in);
  Result<Json> PutEventSelectors(const auth::RequestContext& ctx, const Json& in);
  Result<Json> GetEventSelectors(const auth::RequestContext& ctx, const Json& in);
  Result<Json> AddTags(const auth::RequestContext& ctx, const Json& in);
  Result<Json> ListTags(const auth::RequestContext& ctx, const Json& in);
  Result<Json> RemoveTags(const auth::RequestContext& ctx, const Json& in);
  Result<Json> ListPublicKeys(const auth::RequestContext& ctx, const Json& in);

  // --- For delivery ---
  // Every trail whose logging is on (a stopped trail receives nothing new).
  Result<std::vector<LoggingTrail>> LoggingTrails();
  // Whether `account` is currently in the organization `org_id` (management
  // account included); accounts that join later are covered automatically.
  bool IsOrgMember(const std::string& org_id, const std::string& account);
  // Records a delivery attempt for GetTrailStatus. Unknown trails (deleted
  // meanwhile) are ignored.
  Status ReportDelivery(const DeliveryReport& report);

 private:
  struct Resolved {
    TrailRecord trail;
    bool owned = false;
  };

  // Finds the trail `ref` (name or ARN) as the caller sees it.
  Result<Resolved> Resolve(const auth::RequestContext& ctx, const std::string& ref);
  // The management-only, home-region-only checks of mutating operations.
  Status CheckCanModify(const auth::RequestContext& ctx, const Resolved& r, bool check_region);
  // Organization trail prerequisites for `account`; returns the org id.
  Result<std::string> CheckOrgTrailAllowed(const std::string& account);
  // Bucket and key checks; returns the key ARN ("" when key_ref is empty).
  Result<std::string> CheckBucketAndKey(const auth::RequestContext& ctx, const std::string& bucket,
                                        const std::string& key_ref);
  // 5 trails per region, counting own trails that apply to each region.
  Status CheckQuota(const std::string& account, const std::string& region, bool multi_region,
                    const std::string& except_arn);
  // All trails visible to the caller in ctx.region (shadows optional).
  Result<std::vector<TrailRecord>> Visible(const auth::RequestContext& ctx, bool shadows);

  TrailStore store_;
  OrgDirectory& orgs_;
  BucketDirectory& buckets_;
  KeyDirectory& keys_;
  const Clock& clock_;
  const iam::Authorizer* authorizer_ = nullptr;
  IntegrityHooks* hooks_ = nullptr;
  std::mutex mu_;
};

}  // namespace orgtrail::cloudtrail
