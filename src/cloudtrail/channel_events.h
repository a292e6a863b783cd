// Audit-event conversion for PutAuditEvents: validates one `eventData`
// string (the CloudTrail Lake integrations custom-event schema, or a whole
// CloudTrail record) and turns it into an ingest::Event whose record delivery
// can route and write. Per-event problems are returned as an
// AuditEventError (they become one "failed" entry; the other events of the
// call are unaffected). Pure functions; thread-safe.
//
// Custom schema → record mapping (docs/ingest.md):
//   eventVersion "1.11"; userIdentity {type, principalId[, details]};
//   eventTime normalised to yyyy-MM-ddTHH:mm:ssZ; eventSource, eventName,
//   userAgent, sourceIPAddress, errorCode, errorMessage, requestParameters,
//   responseElements, additionalEventData as given; awsRegion = the channel's
//   region; eventID = a new UUID; eventType "ActivityLog"; eventCategory
//   "ActivityAuditLog"; managementEvent true (so that trails with the
//   default selectors take it); recipientAccountId = the channel owner;
//   metadata {ingestionTime, channelARN, UID, version}.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>
#include <string_view>

#include "base/status.h"
#include "base/time.h"
#include "ingest/event.h"

namespace orgtrail::cloudtrail {

// AWS's PutAuditEvents quotas are the defaults; orgtraild's
// --audit-events-max-per-call / --audit-events-max-body raise the call limits.
struct AuditEventLimits {
  size_t max_event_bytes = 256 * 1024;  // one eventData string
  size_t max_events_per_call = 100;
  size_t max_body_bytes = 1 << 20;  // the whole request body
};

// Deeper eventData is refused (CloudTrail records are far shallower; the
// record parser refuses the same depth).
inline constexpr int kMaxEventDataDepth = 64;

// Fields CloudTrail adds to every converted event.
struct AuditEventOrigin {
  std::string channel_arn;
  std::string owner_account;  // recipientAccountId; events of other accounts are refused
  std::string region;         // awsRegion (the channel's region)
  TimePoint ingestion_time{};
};

struct AuditEventError {
  std::string code;     // InvalidChecksum | EventTooLarge | InvalidEventData
  std::string message;  // at most 1024 bytes (the model's ErrorMessage)
};

// Either the event or why it was refused.
struct AuditEventResult {
  bool ok = false;
  ingest::Event event;
  AuditEventError error;
};

// True when `checksum` is the SHA-256 of `event_data`, as lowercase or
// uppercase hex (64 characters) or standard base64 (what AWS documents:
// `openssl dgst -binary -sha256 | base64`).
bool ChecksumMatches(std::string_view event_data, std::string_view checksum);

// The deepest nesting of arrays/objects in `json` (strings are skipped);
// stops counting once past `limit` and returns limit + 1. Malformed input
// gives whatever depth was seen (the parser reports the error).
int JsonNestingDepth(std::string_view json, int limit);

// Validates and converts one eventData (size, UTF-8, depth, JSON object,
// schema, types and field sizes). `event_id` is the eventID to give a custom
// event, or a record without one; a record's own eventID is kept.
AuditEventResult ConvertAuditEvent(std::string_view event_data, const AuditEventOrigin& origin,
                                   const AuditEventLimits& limits, const std::string& event_id);

// The same conversion through nlohmann only (parse into a DOM, dump the
// record). ConvertAuditEvent takes a one-pass simdjson path for the events it
// can write byte for byte as this one does and falls back to it for the rest
// (and for every refusal, so error texts come from one place). For tests,
// which hold the two to the same bytes.
AuditEventResult ConvertAuditEventReference(std::string_view event_data,
                                            const AuditEventOrigin& origin,
                                            const AuditEventLimits& limits,
                                            const std::string& event_id);

// One member of PutAuditEvents' auditEvents list, as the body holds it
// (values that are not strings are reported as absent strings; the handler
// decides what that means).
struct AuditEventEntry {
  bool is_object = false;
  std::optional<std::string> id;  // "id", when a string
  std::optional<std::string> data;  // "eventData", when a string
  bool checksum_given = false;      // "eventDataChecksum" present and not null
  std::optional<std::string> checksum;  // ... and a string
};

struct AuditEventsBody {
  enum class List { kAbsentOrNull, kNotArray, kArray };
  List list = List::kAbsentOrNull;
  std::vector<AuditEventEntry> events;  // when kArray
};

// The body is {"auditEvents":[{...}]}: three levels. Anything much deeper is
// refused (SerializationException) before nlohmann, which recurses, sees it.
inline constexpr int kMaxAuditEventsBodyDepth = 8;

// Reads a PutAuditEvents body ({"auditEvents":[...]}): SerializationException
// when it is not JSON, not an object or nested deeper than
// kMaxAuditEventsBodyDepth. A repeated member counts once, with
// its last value (as nlohmann's DOM has it). One simdjson pass when the body
// is valid, nlohmann (the reference, and the source of every refusal)
// otherwise.
Result<AuditEventsBody> ParseAuditEventsBody(std::string_view body);
// The nlohmann reading alone, for tests.
Result<AuditEventsBody> ParseAuditEventsBodyReference(std::string_view body);

}  // namespace orgtrail::cloudtrail
