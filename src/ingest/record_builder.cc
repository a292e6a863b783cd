#include "ingest/record_builder.h"

#include <algorithm>
#include <array>

#include "base/json_escape.h"
#include "base/strings.h"

namespace orgtrail::ingest {
namespace {

constexpr char kEventVersion[] = "1.11";

// Keys AWS never records, whatever the service (compared lower-cased).
constexpr std::array<std::string_view, 5> kSecretKeys = {
    "secretaccesskey", "sessiontoken", "password", "oldpassword", "newpassword"};

bool IsSecretKey(std::string_view event_source, const std::string& key) {
  std::string lower = ToLower(key);
  if (std::find(kSecretKeys.begin(), kSecretKeys.end(), lower) != kSecretKeys.end()) return true;
  // KMS: Plaintext in Encrypt requests and Decrypt/GenerateDataKey*/
  // GenerateRandom responses. CiphertextBlob is not secret and is kept.
  return event_source == "kms.amazonaws.com" && lower == "plaintext";
}

void ScrubValue(std::string_view event_source, Json& v) {
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end();) {
      if (IsSecretKey(event_source, it.key())) {
        it = v.erase(it);
      } else {
        ScrubValue(event_source, it.value());
        ++it;
      }
    }
  } else if (v.is_array()) {
    for (Json& e : v) ScrubValue(event_source, e);
  }
}

// STS calls that return credentials keep their responseElements although
// they are read-only, as AWS records them (see the AssumeRole samples).
bool KeepsReadOnlyResponse(std::string_view source, std::string_view name) {
  return source == "sts.amazonaws.com" &&
         (name == "AssumeRole" || name == "AssumeRoleWithSAML" ||
          name == "AssumeRoleWithWebIdentity" || name == "GetSessionToken" ||
          name == "GetFederationToken");
}

// The record is written directly as text, in AWS's field order, instead of
// being built as an ordered_json and dumped: once per API call, this was a
// large share of a call's cost. The bytes are those nlohmann's dump(-1, ' ',
// false, replace) gives for the same record (record_builder_test compares the
// two on many inputs); delivery never re-serialises them.

// A JSON string as nlohmann writes it (ensure_ascii off). Non-ASCII text goes
// through nlohmann itself, so that invalid UTF-8 is replaced exactly as before.
void AppendString(std::string& out, std::string_view s) {
  for (char ch : s) {
    if (static_cast<unsigned char>(ch) >= 0x80) {
      out += Json(std::string(s)).dump(-1, ' ', false, Json::error_handler_t::replace);
      return;
    }
  }
  AppendJsonString(s, out);
}

// Writes one JSON object's members; keys are fixed ASCII names.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string& out) : out_(out) { out_.push_back('{'); }
  void Key(std::string_view key) {
    if (!first_) out_.push_back(',');
    first_ = false;
    out_.push_back('"');
    out_.append(key);
    out_ += "\":";
  }
  void String(std::string_view key, std::string_view value) {
    Key(key);
    AppendString(out_, value);
  }
  void Bool(std::string_view key, bool value) {
    Key(key);
    out_ += value ? "true" : "false";
  }
  // A parameters/response value: an object, or null.
  void Value(std::string_view key, const Json& value) {
    Key(key);
    if (value.is_discarded() || value.is_null()) {
      out_ += "null";
    } else {
      out_ += value.dump(-1, ' ', false, Json::error_handler_t::replace);
    }
  }
  void End() { out_.push_back('}'); }

 private:
  std::string& out_;
  bool first_ = true;
};

void WriteUserIdentity(const ApiCall& call, std::string& out) {
  ObjectWriter u(out);
  if (!call.principal) {
    u.String("type", "Unknown");
    if (!call.account_id.empty()) u.String("accountId", call.account_id);
    if (!call.access_key_id.empty()) u.String("accessKeyId", call.access_key_id);
  } else {
    const auth::Principal& p = *call.principal;
    switch (p.type) {
      case auth::PrincipalType::kRoot:
        u.String("type", "Root");
        u.String("principalId", p.principal_id.empty() ? p.account_id : p.principal_id);
        u.String("arn", p.arn);
        u.String("accountId", p.account_id);
        u.String("accessKeyId", p.access_key_id);
        break;
      case auth::PrincipalType::kIAMUser:
        u.String("type", "IAMUser");
        u.String("principalId", p.principal_id);
        u.String("arn", p.arn);
        u.String("accountId", p.account_id);
        u.String("accessKeyId", p.access_key_id);
        u.String("userName", p.user_name);
        break;
      case auth::PrincipalType::kAssumedRole: {
        u.String("type", "AssumedRole");
        u.String("principalId", p.principal_id);
        u.String("arn", p.arn);
        u.String("accountId", p.account_id);
        u.String("accessKeyId", p.access_key_id);
        u.Key("sessionContext");
        ObjectWriter context(out);
        context.Key("sessionIssuer");
        ObjectWriter issuer(out);
        issuer.String("type", "Role");
        issuer.String("principalId", p.role_id);
        issuer.String("arn", p.role_arn);
        issuer.String("accountId", p.account_id);
        issuer.String("userName", p.role_name);
        issuer.End();
        context.Key("attributes");
        ObjectWriter attributes(out);
        attributes.String("creationDate", FormatIso8601(p.session_created));
        attributes.String("mfaAuthenticated", "false");
        attributes.End();
        context.End();
        break;
      }
      case auth::PrincipalType::kAWSService:
        u.String("type", "AWSService");
        u.String("invokedBy", p.service);
        u.End();
        return;
    }
  }
  if (!call.invoked_by.empty()) u.String("invokedBy", call.invoked_by);
  u.End();
}

// Whether ScrubValue would remove anything from `v`.
bool HasSecret(std::string_view event_source, const Json& v) {
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (IsSecretKey(event_source, it.key()) || HasSecret(event_source, it.value())) return true;
    }
  } else if (v.is_array()) {
    for (const Json& e : v) {
      if (HasSecret(event_source, e)) return true;
    }
  }
  return false;
}

// `v` without the secrets AWS never records; copies only when there are any.
const Json& Scrubbed(std::string_view event_source, const Json& v, Json& storage) {
  if (!HasSecret(event_source, v)) return v;
  storage = v;
  ScrubValue(event_source, storage);
  return storage;
}

}  // namespace

void ScrubSecrets(std::string_view event_source, std::string_view /*event_name*/, Json& params,
                  Json& response) {
  ScrubValue(event_source, params);
  ScrubValue(event_source, response);
}

Event BuildRecord(const ApiCall& call, std::string event_id) {
  static const Json kNull = nullptr;
  const bool failed = call.error_code.has_value() && !call.error_code->empty();
  const Json& params = call.request_parameters.is_object() ? call.request_parameters : kNull;
  const bool keeps_response =
      !failed && call.response_elements.is_object() &&
      (!call.read_only || KeepsReadOnlyResponse(call.event_source, call.event_name));
  const Json& response = keeps_response ? call.response_elements : kNull;
  Json params_storage, response_storage;
  const Json& clean_params = Scrubbed(call.event_source, params, params_storage);
  const Json& clean_response = Scrubbed(call.event_source, response, response_storage);

  const bool service_caller =
      call.principal && call.principal->type == auth::PrincipalType::kAWSService;
  std::string_view source_ip = call.source_ip;
  std::string_view user_agent = call.user_agent;
  const std::string& acting_service = service_caller ? call.principal->service : call.invoked_by;
  if (!acting_service.empty()) {
    // AWS shows the service, not an address, for calls a service makes.
    if (source_ip.empty() || service_caller) source_ip = acting_service;
    if (user_agent.empty() || service_caller) user_agent = acting_service;
  }
  const std::string& recipient = !call.recipient_account_id.empty() ? call.recipient_account_id
                                 : call.principal            ? call.principal->account_id
                                                             : call.account_id;
  const char* category = call.management_event ? "Management" : "Data";

  Event e;
  std::string& out = e.record_json;
  out.reserve(1024);
  ObjectWriter r(out);
  r.String("eventVersion", kEventVersion);
  r.Key("userIdentity");
  WriteUserIdentity(call, out);
  r.String("eventTime", FormatIso8601(call.event_time));
  r.String("eventSource", call.event_source);
  r.String("eventName", call.event_name);
  r.String("awsRegion", call.region);
  r.String("sourceIPAddress", source_ip);
  if (!user_agent.empty()) r.String("userAgent", user_agent);
  if (failed) {
    r.String("errorCode", *call.error_code);
    r.String("errorMessage", call.error_message ? std::string_view(*call.error_message) : "");
  }
  r.Value("requestParameters", clean_params);
  r.Value("responseElements", clean_response);
  r.String("requestID", call.request_id);
  r.String("eventID", event_id);
  r.Bool("readOnly", call.read_only);
  if (!call.resources.empty()) {
    r.Key("resources");
    out.push_back('[');
    for (size_t i = 0; i < call.resources.size(); ++i) {
      if (i > 0) out.push_back(',');
      const ResourceRef& res = call.resources[i];
      ObjectWriter o(out);
      o.String("accountId", res.account_id);
      o.String("type", res.type);
      o.String("ARN", res.arn);
      o.End();
    }
    out.push_back(']');
  }
  r.String("eventType", "AwsApiCall");
  r.Bool("managementEvent", call.management_event);
  r.String("recipientAccountId", recipient);
  if (!call.shared_event_id.empty()) r.String("sharedEventID", call.shared_event_id);
  r.String("eventCategory", category);
  r.End();

  e.event_id = std::move(event_id);
  e.account_id = recipient;
  e.region = call.region;
  e.event_time = call.event_time;
  e.event_source = call.event_source;
  e.event_name = call.event_name;
  e.read_only = call.read_only;
  e.management_event = call.management_event;
  e.event_category = category;
  e.event_type = "AwsApiCall";
  for (const ResourceRef& res : call.resources) {
    e.resource_types.push_back(res.type);
    e.resource_arns.push_back(res.arn);
  }
  return e;
}

}  // namespace orgtrail::ingest
