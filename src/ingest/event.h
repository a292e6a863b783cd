// Event: one CloudTrail record ready for routing. The record's bytes are fixed
// when the Event is made (by BuildRecord or ParseRecord) and never
// re-serialised afterwards, so what delivery writes is byte-identical to what
// was recorded; the routing fields are extracted once beside them.
// Value type; thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/time.h"

namespace orgtrail::ingest {

struct Event {
  std::string record_json;  // the exact bytes of the record object

  std::string event_id;
  std::string account_id;  // recipient/owner account (recipientAccountId, else userIdentity.accountId)
  std::string region;      // awsRegion
  TimePoint event_time{};
  std::string event_source;  // kms.amazonaws.com
  std::string event_name;    // Encrypt
  std::optional<bool> read_only;
  bool management_event = true;
  std::string event_category = "Management";  // Management | Data | Insight | NetworkActivity
  std::string event_type = "AwsApiCall";
  // resources[].type and resources[].ARN, for data-event selectors.
  std::vector<std::string> resource_types;
  std::vector<std::string> resource_arns;
};

}  // namespace orgtrail::ingest
