// DeliveryTrailDirectory: delivery's view of the trails
// (delivery::TrailDirectory) over CloudTrailService — the logging trails
// with their parsed event filters, organization membership, and delivery
// results fed back into GetTrailStatus. Wired by the server between
// CloudTrailService and delivery::Deliverer. Thread-safe (the service is).
#pragma once

#include "cloudtrail/cloudtrail_service.h"
#include "delivery/trail_view.h"

namespace orgtrail::cloudtrail {

class DeliveryTrailDirectory final : public delivery::TrailDirectory {
 public:
  // `service` must outlive this object.
  explicit DeliveryTrailDirectory(CloudTrailService& service) : service_(service) {}

  // The trails logging now. A trail whose stored selectors fail to parse
  // (never expected: they are validated by the same parser on
  // PutEventSelectors) falls back to the default filter. A catalog error
  // gives an empty list (delivery retries on its next tick).
  std::vector<delivery::TrailTarget> LoggingTrails() override;
  // Current membership: `at` is not used (Organizations keeps no history
  // yet), so an account that left is excluded even for older events.
  bool IsOrgMember(const std::string& org_id, const std::string& account, TimePoint at) override;
  // Log files and digests (keys containing "/CloudTrail-Digest/") are
  // recorded separately, as GetTrailStatus shows them.
  void ReportDelivery(const std::string& trail_arn, TimePoint attempt, const Status& result,
                      const std::string& object_key) override;

 private:
  CloudTrailService& service_;
};

}  // namespace orgtrail::cloudtrail
