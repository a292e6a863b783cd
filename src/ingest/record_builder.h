// Record builder: turns what the recorder knows about one API call (ApiCall)
// into a CloudTrail record (eventVersion 1.11) with AWS's field order and
// userIdentity shapes, after removing the secrets AWS never records.
// Called by the call recorder in api/ (through the lead's wiring) once per
// call. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "auth/principal.h"
#include "base/json.h"
#include "base/time.h"
#include "ingest/event.h"

namespace orgtrail::ingest {

struct ResourceRef {
  std::string arn;
  std::string account_id;
  std::string type;  // AWS::KMS::Key, AWS::IAM::Role, ...
};

struct ApiCall {
  // The authenticated caller. nullopt for calls whose authentication failed
  // or was absent: then only access_key_id / account_id (if known) are shown.
  std::optional<auth::Principal> principal;
  std::string access_key_id;  // as presented, for unauthenticated calls
  std::string account_id;     // account of the key, for unauthenticated calls, if known

  std::string region;
  std::string source_ip;
  std::string user_agent;
  std::string request_id;
  TimePoint event_time{};
  std::string event_source;  // kms.amazonaws.com
  std::string event_name;    // GenerateDataKey
  Json request_parameters;   // object or null
  Json response_elements;    // object or null
  std::optional<std::string> error_code;
  std::optional<std::string> error_message;
  bool read_only = false;
  std::vector<ResourceRef> resources;
  std::string recipient_account_id;
  bool management_event = true;
  std::string invoked_by;       // e.g. cloudtrail.amazonaws.com acting for the user
  std::string shared_event_id;  // empty: absent
};

// Removes from a call's request parameters and response elements what AWS
// never records (secret access keys, session tokens, passwords, KMS
// plaintexts). Keys are matched case-insensitively so both the wire casing
// (SecretAccessKey) and CloudTrail's (secretAccessKey) are covered.
void ScrubSecrets(std::string_view event_source, std::string_view event_name, Json& params,
                  Json& response);

// Builds the record for `call` with `event_id` (a GUID). Scrubs secrets;
// responseElements are null on failure and for read-only calls (except the
// STS calls that return credentials, as AWS records them).
Event BuildRecord(const ApiCall& call, std::string event_id);

}  // namespace orgtrail::ingest
