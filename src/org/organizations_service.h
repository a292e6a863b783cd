// OrganizationsService: AWS Organizations over JSON 1.1 for the one
// organization an orgtraild hosts — CreateOrganization,
// DescribeOrganization, CreateAccount (+ OrganizationAccountAccessRole in
// the new account), DescribeCreateAccountStatus, ListAccounts,
// DescribeAccount, and trusted service access. Tables are prefixed `org_`
// in the shared catalog; accounts themselves live in iam::IdentityStore.
//
// Only principals of the management account may call the mutating and
// listing operations (else AccessDeniedException); members may
// DescribeOrganization; accounts outside the organization get
// AWSOrganizationsNotInUseException. Identity policies of the caller are not
// evaluated yet (a later issue wires policy/).
//
// Besides Ops() (for api/), a plain C++ query API serves other modules,
// notably the CloudTrail organization trail.
//
// Thread-safe: multi-statement changes run in one catalog::Transaction.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "auth/service_ops.h"
#include "base/time.h"
#include "catalog/db.h"
#include "iam/authorizer.h"
#include "iam/identity_store.h"

namespace orgtrail::org {

inline constexpr char kOrganizationAccountAccessRole[] = "OrganizationAccountAccessRole";

struct OrgInfo {
  std::string id;                        // o-xxxxxxxxxx
  std::string arn;                       // arn:aws:organizations::<mgmt>:organization/o-...
  std::string feature_set;               // ALL | CONSOLIDATED_BILLING
  std::string management_account_id;
  std::string management_account_arn;   // arn:aws:organizations::<mgmt>:account/o-.../<mgmt>
  std::string management_account_email;
  std::string root_id;                   // r-xxxx
  TimePoint created{};
};

struct OrgAccount {
  std::string id;
  std::string arn;
  std::string email;
  std::string name;
  std::string joined_method;  // INVITED (management) | CREATED
  TimePoint joined{};
};

class OrganizationsService {
 public:
  // Creates the org_ tables if needed; a failure is kept in status() and
  // returned by every call. All references must outlive the service.
  OrganizationsService(catalog::Db& db, iam::IdentityStore& identities, const Clock& clock);
  OrganizationsService(const OrganizationsService&) = delete;
  OrganizationsService& operator=(const OrganizationsService&) = delete;

  const Status& status() const { return init_status_; }

  auth::JsonOps Ops();

  // The authorizer every operation goes through first
  // (organizations:<Operation> on "*", identity policies only;
  // iam::Authorizer::Default() when unset). Must outlive the service; call
  // before serving requests.
  void SetAuthorizer(const iam::Authorizer* authorizer) { authorizer_ = authorizer; }

  using Handler = Result<Json> (OrganizationsService::*)(const auth::RequestContext&,
                                                         const Json&);
  Result<Json> CreateOrganization(const auth::RequestContext& ctx, const Json& input);
  Result<Json> DescribeOrganization(const auth::RequestContext& ctx, const Json& input);
  Result<Json> CreateAccount(const auth::RequestContext& ctx, const Json& input);
  Result<Json> DescribeCreateAccountStatus(const auth::RequestContext& ctx, const Json& input);
  Result<Json> ListAccounts(const auth::RequestContext& ctx, const Json& input);
  Result<Json> DescribeAccount(const auth::RequestContext& ctx, const Json& input);
  Result<Json> EnableAWSServiceAccess(const auth::RequestContext& ctx, const Json& input);
  Result<Json> DisableAWSServiceAccess(const auth::RequestContext& ctx, const Json& input);
  Result<Json> ListAWSServiceAccessForOrganization(const auth::RequestContext& ctx,
                                                   const Json& input);

  // ---- plain C++ query API (nullopt / false / empty on catalog errors) ----
  // Answered from a snapshot of the organization kept in memory (the
  // authorizer asks for every call's principal), taken again after any
  // change made through this service.
  std::optional<OrgInfo> GetOrganization();
  // True for the management account and every member account.
  bool IsMember(const std::string& account_id);
  // The organization's id if `account_id` belongs to it, else "" (one look
  // at the snapshot, no copy of OrgInfo: aws:PrincipalOrgID, every call).
  std::string OrganizationIdOf(const std::string& account_id);
  // Every account of the organization, management account included, sorted.
  std::vector<std::string> MemberAccountIds();
  std::vector<OrgAccount> Accounts();
  // Whether trusted access is enabled for e.g. "cloudtrail.amazonaws.com".
  bool IsServiceAccessEnabled(const std::string& service_principal);

 private:
  const iam::Authorizer& authorizer() const;
  Result<std::optional<OrgInfo>> LoadOrganization();
  // What the query API answers from.
  struct Snapshot {
    std::optional<OrgInfo> org;
    std::set<std::string> members;         // management account included
    std::set<std::string> service_access;  // service principals with trusted access
  };
  // The current snapshot, loaded if there is none; null on catalog errors.
  std::shared_ptr<const Snapshot> CurrentSnapshot();
  Result<Snapshot> LoadSnapshot();
  // Drops the snapshot; every operation that writes calls it when it ends.
  void Forget();
  Result<std::optional<OrgAccount>> LoadAccount(const OrgInfo& org, const std::string& id);
  // The organization, if the caller's account belongs to it; else
  // AWSOrganizationsNotInUseException.
  Result<OrgInfo> RequireMember(const auth::RequestContext& ctx);
  // As RequireMember, and the caller must be of the management account.
  Result<OrgInfo> RequireManagement(const auth::RequestContext& ctx);

  catalog::Db& db_;
  iam::IdentityStore& identities_;
  const Clock& clock_;
  Status init_status_;
  const iam::Authorizer* authorizer_ = nullptr;
  std::mutex snapshot_mu_;
  uint64_t generation_ = 0;  // bumped by Forget
  std::shared_ptr<const Snapshot> snapshot_;
};

}  // namespace orgtrail::org
