// OrganizationsOrgDirectory: the OrgDirectory CloudTrailService uses, over
// the plain C++ query API of org::OrganizationsService (the one organization
// an orgtraild hosts). Wired by the server. Thread-safe (the organizations
// service is).
#pragma once

#include "cloudtrail/directories.h"
#include "iam/authorizer.h"
#include "org/organizations_service.h"

namespace orgtrail::cloudtrail {

class OrganizationsOrgDirectory final : public OrgDirectory {
 public:
  // `orgs` must outlive this object.
  explicit OrganizationsOrgDirectory(org::OrganizationsService& orgs) : orgs_(orgs) {}

  std::optional<OrgInfo> OrganizationOf(const std::string& account_id) override;

 private:
  org::OrganizationsService& orgs_;
};

// aws:PrincipalOrgID for iam::Authorizer::SetOrgIdLookup: the id of the
// organization `account` belongs to (management account or member), "" when
// none. `orgs` must outlive the lookup.
iam::OrgIdLookup PrincipalOrgIdLookup(org::OrganizationsService& orgs);

}  // namespace orgtrail::cloudtrail
