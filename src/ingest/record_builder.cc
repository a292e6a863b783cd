#include "ingest/record_builder.h"

#include <algorithm>
#include <array>

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

OrderedJson UserIdentity(const ApiCall& call) {
  OrderedJson u = OrderedJson::object();
  if (!call.principal) {
    u["type"] = "Unknown";
    if (!call.account_id.empty()) u["accountId"] = call.account_id;
    if (!call.access_key_id.empty()) u["accessKeyId"] = call.access_key_id;
  } else {
    const auth::Principal& p = *call.principal;
    switch (p.type) {
      case auth::PrincipalType::kRoot:
        u["type"] = "Root";
        u["principalId"] = p.principal_id.empty() ? p.account_id : p.principal_id;
        u["arn"] = p.arn;
        u["accountId"] = p.account_id;
        u["accessKeyId"] = p.access_key_id;
        break;
      case auth::PrincipalType::kIAMUser:
        u["type"] = "IAMUser";
        u["principalId"] = p.principal_id;
        u["arn"] = p.arn;
        u["accountId"] = p.account_id;
        u["accessKeyId"] = p.access_key_id;
        u["userName"] = p.user_name;
        break;
      case auth::PrincipalType::kAssumedRole: {
        u["type"] = "AssumedRole";
        u["principalId"] = p.principal_id;
        u["arn"] = p.arn;
        u["accountId"] = p.account_id;
        u["accessKeyId"] = p.access_key_id;
        OrderedJson issuer = OrderedJson::object();
        issuer["type"] = "Role";
        issuer["principalId"] = p.role_id;
        issuer["arn"] = p.role_arn;
        issuer["accountId"] = p.account_id;
        issuer["userName"] = p.role_name;
        OrderedJson attributes = OrderedJson::object();
        attributes["creationDate"] = FormatIso8601(p.session_created);
        attributes["mfaAuthenticated"] = "false";
        u["sessionContext"]["sessionIssuer"] = std::move(issuer);
        u["sessionContext"]["attributes"] = std::move(attributes);
        break;
      }
      case auth::PrincipalType::kAWSService:
        u["type"] = "AWSService";
        u["invokedBy"] = p.service;
        return u;
    }
  }
  if (!call.invoked_by.empty()) u["invokedBy"] = call.invoked_by;
  return u;
}

OrderedJson ToOrdered(const Json& j) {
  if (j.is_discarded()) return nullptr;
  return OrderedJson(j);
}

}  // namespace

void ScrubSecrets(std::string_view event_source, std::string_view /*event_name*/, Json& params,
                  Json& response) {
  ScrubValue(event_source, params);
  ScrubValue(event_source, response);
}

Event BuildRecord(const ApiCall& call, std::string event_id) {
  Json params = call.request_parameters.is_object() ? call.request_parameters : Json(nullptr);
  const bool failed = call.error_code.has_value() && !call.error_code->empty();
  Json response = nullptr;
  if (!failed && call.response_elements.is_object() &&
      (!call.read_only || KeepsReadOnlyResponse(call.event_source, call.event_name))) {
    response = call.response_elements;
  }
  ScrubSecrets(call.event_source, call.event_name, params, response);

  const bool service_caller =
      call.principal && call.principal->type == auth::PrincipalType::kAWSService;
  std::string source_ip = call.source_ip;
  std::string user_agent = call.user_agent;
  std::string acting_service = service_caller ? call.principal->service : call.invoked_by;
  if (!acting_service.empty()) {
    // AWS shows the service, not an address, for calls a service makes.
    if (source_ip.empty() || service_caller) source_ip = acting_service;
    if (user_agent.empty() || service_caller) user_agent = acting_service;
  }
  const std::string recipient = !call.recipient_account_id.empty() ? call.recipient_account_id
                                : call.principal            ? call.principal->account_id
                                                            : call.account_id;
  const std::string category = call.management_event ? "Management" : "Data";

  OrderedJson r = OrderedJson::object();
  r["eventVersion"] = kEventVersion;
  r["userIdentity"] = UserIdentity(call);
  r["eventTime"] = FormatIso8601(call.event_time);
  r["eventSource"] = call.event_source;
  r["eventName"] = call.event_name;
  r["awsRegion"] = call.region;
  r["sourceIPAddress"] = source_ip;
  if (!user_agent.empty()) r["userAgent"] = user_agent;
  if (failed) {
    r["errorCode"] = *call.error_code;
    r["errorMessage"] = call.error_message.value_or("");
  }
  r["requestParameters"] = ToOrdered(params);
  r["responseElements"] = ToOrdered(response);
  r["requestID"] = call.request_id;
  r["eventID"] = event_id;
  r["readOnly"] = call.read_only;
  if (!call.resources.empty()) {
    OrderedJson resources = OrderedJson::array();
    for (const ResourceRef& res : call.resources) {
      OrderedJson o = OrderedJson::object();
      o["accountId"] = res.account_id;
      o["type"] = res.type;
      o["ARN"] = res.arn;
      resources.push_back(std::move(o));
    }
    r["resources"] = std::move(resources);
  }
  r["eventType"] = "AwsApiCall";
  r["managementEvent"] = call.management_event;
  r["recipientAccountId"] = recipient;
  if (!call.shared_event_id.empty()) r["sharedEventID"] = call.shared_event_id;
  r["eventCategory"] = category;

  Event e;
  // Invalid UTF-8 from a client is replaced, never thrown.
  e.record_json = r.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
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
