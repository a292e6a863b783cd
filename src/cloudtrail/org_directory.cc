#include "cloudtrail/org_directory.h"

#include "cloudtrail/cloudtrail_service.h"

namespace orgtrail::cloudtrail {

std::optional<OrgInfo> OrganizationsOrgDirectory::OrganizationOf(const std::string& account_id) {
  std::optional<org::OrgInfo> org = orgs_.GetOrganization();
  if (!org || !orgs_.IsMember(account_id)) return std::nullopt;
  OrgInfo out;
  out.id = org->id;
  out.management_account = org->management_account_id;
  out.all_features = org->feature_set == "ALL";
  out.cloudtrail_access_enabled = orgs_.IsServiceAccessEnabled(kCloudTrailServicePrincipal);
  return out;
}

iam::OrgIdLookup PrincipalOrgIdLookup(org::OrganizationsService& orgs) {
  return [&orgs](const std::string& account_id) -> std::string {
    if (account_id.empty()) return "";
    return orgs.OrganizationIdOf(account_id);
  };
}

}  // namespace orgtrail::cloudtrail
