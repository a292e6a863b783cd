#include "delivery/router.h"

namespace orgtrail::delivery {

bool IsGlobalServiceEvent(const ingest::Event& e) {
  const std::string& s = e.event_source;
  if (s == "iam.amazonaws.com" || s == "organizations.amazonaws.com" ||
      s == "signin.amazonaws.com" || s == "cloudfront.amazonaws.com" ||
      s == "route53.amazonaws.com") {
    return true;
  }
  // STS: the global endpoint records in us-east-1; regional endpoints are
  // regional events, but in us-east-1 the two cannot be told apart.
  return s == "sts.amazonaws.com" && e.region == "us-east-1";
}

std::vector<const TrailTarget*> Route(const ingest::Event& event,
                                      const std::vector<TrailTarget>& trails,
                                      TrailDirectory& directory) {
  std::vector<const TrailTarget*> out;
  for (const TrailTarget& t : trails) {
    if (!t.logging) continue;
    if (!t.multi_region && event.region != t.home_region) continue;
    if (!t.include_global_events && IsGlobalServiceEvent(event)) continue;
    if (!t.filter.Matches(event)) continue;
    if (t.is_org) {
      if (t.org_id.empty() ||
          !directory.IsOrgMember(t.org_id, event.account_id, event.event_time)) {
        continue;
      }
    } else if (event.account_id != t.owner_account) {
      continue;
    }
    out.push_back(&t);
  }
  return out;
}

}  // namespace orgtrail::delivery
