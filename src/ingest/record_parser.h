// Record parser: validates a CloudTrail record that arrives already
// serialised (the samples, PutAuditEvents, WAL replay) and extracts its
// routing fields without rewriting its bytes. Uses simdjson on-demand, so no
// DOM is built. Pure function; thread-safe.
#pragma once

#include <string_view>

#include "base/status.h"
#include "ingest/event.h"

namespace orgtrail::ingest {

// Event whose record_json is `record_json` minus surrounding whitespace.
// Requires a JSON object with string eventTime (ISO-8601), eventSource,
// eventName, awsRegion, eventID and an account (recipientAccountId or
// userIdentity.accountId); every nested value is validated. Failures are
// "InvalidEventException"-style Status naming the field.
Result<Event> ParseRecord(std::string_view record_json);

}  // namespace orgtrail::ingest
