#include "cloudtrail/delivery_trail_directory.h"

namespace orgtrail::cloudtrail {

std::vector<delivery::TrailTarget> DeliveryTrailDirectory::LoggingTrails() {
  auto trails = service_.LoggingTrails();
  std::vector<delivery::TrailTarget> out;
  if (!trails.ok()) return out;
  out.reserve(trails->size());
  for (const LoggingTrail& t : *trails) {
    delivery::TrailTarget d;
    d.trail_arn = t.arn;
    d.name = t.name;
    d.home_region = t.home_region;
    d.owner_account = t.owner_account;
    d.org_id = t.org_id;
    d.bucket = t.bucket;
    d.s3_key_prefix = t.prefix;
    d.kms_key_arn = t.kms_key_arn;
    d.is_org = !t.org_id.empty();
    d.multi_region = t.multi_region;
    d.include_global_events = t.include_global;
    d.logging = true;
    d.log_file_validation = t.log_file_validation;
    auto filter = t.advanced_selectors
                      ? delivery::EventFilter::FromJson(Json(nullptr), t.selectors)
                      : delivery::EventFilter::FromJson(t.selectors, Json(nullptr));
    if (filter.ok()) d.filter = std::move(filter).value();
    out.push_back(std::move(d));
  }
  return out;
}

bool DeliveryTrailDirectory::IsOrgMember(const std::string& org_id, const std::string& account,
                                         TimePoint /*at*/) {
  return service_.IsOrgMember(org_id, account);
}

void DeliveryTrailDirectory::ReportDelivery(const std::string& trail_arn, TimePoint attempt,
                                            const Status& result, const std::string& object_key) {
  DeliveryReport r;
  r.trail_arn = trail_arn;
  r.digest = object_key.find("/CloudTrail-Digest/") != std::string::npos;
  r.attempt_time = attempt;
  r.succeeded = result.ok();
  if (!result.ok()) r.error = result.code();
  // A failure to record is not the delivery's failure; the next report
  // overwrites the status anyway.
  (void)service_.ReportDelivery(r);
}

}  // namespace orgtrail::cloudtrail
