#include "cloudtrail/channel_events.h"

#include <algorithm>

#include "base/json.h"
#include "base/strings.h"
#include "crypto/hash.h"
#include "ingest/record_parser.h"

namespace orgtrail::cloudtrail {
namespace {

constexpr size_t kMaxErrorMessage = 1024;

AuditEventResult Fail(std::string code, std::string message) {
  AuditEventResult r;
  r.error.code = std::move(code);
  if (message.size() > kMaxErrorMessage) {
    message.resize(kMaxErrorMessage - 3);
    // Do not leave half a UTF-8 sequence behind.
    while (!message.empty() && (static_cast<unsigned char>(message.back()) & 0xC0) == 0x80)
      message.pop_back();
    if (!message.empty() && static_cast<unsigned char>(message.back()) >= 0xC0) message.pop_back();
    message += "...";
  }
  r.error.message = std::move(message);
  return r;
}

AuditEventResult BadData(const std::string& why) { return Fail("InvalidEventData", why); }

enum class Kind { kString, kObject, kAccount };

// One member of the custom-event schema.
struct FieldRule {
  const char* name;
  Kind kind;
  bool required;
  size_t max_bytes;  // string length or serialised object size
};

// The eventData members (CloudTrail Lake integrations event schema).
constexpr FieldRule kEventDataFields[] = {
    {"version", Kind::kString, true, 256},
    {"userIdentity", Kind::kObject, true, 0},  // checked separately
    {"userAgent", Kind::kString, false, 1024},
    {"eventSource", Kind::kString, true, 1024},
    {"eventName", Kind::kString, true, 1024},
    {"eventTime", Kind::kString, true, 64},
    {"UID", Kind::kString, true, 1024},
    {"requestParameters", Kind::kObject, false, 100 * 1024},
    {"responseElements", Kind::kObject, false, 100 * 1024},
    {"errorCode", Kind::kString, false, 256},
    {"errorMessage", Kind::kString, false, 1024},
    {"sourceIPAddress", Kind::kString, false, 1024},
    {"recipientAccountId", Kind::kAccount, false, 12},
    {"additionalEventData", Kind::kObject, false, 28 * 1024},
};

const FieldRule* FindRule(std::string_view name) {
  for (const FieldRule& r : kEventDataFields) {
    if (name == r.name) return &r;
  }
  return nullptr;
}

std::string Field(std::string_view parent, std::string_view name) {
  return parent.empty() ? std::string(name) : std::string(parent) + "." + std::string(name);
}

// Checks one member against its rule; "" when fine, else the reason.
std::string CheckMember(const FieldRule& rule, const OrderedJson& v, std::string_view parent,
                        const AuditEventOrigin& origin, size_t input_bytes) {
  const std::string name = Field(parent, rule.name);
  switch (rule.kind) {
    case Kind::kString: {
      if (!v.is_string()) return "field " + name + " must be a string";
      const auto& s = v.get_ref<const std::string&>();
      if (rule.required && s.empty()) return "field " + name + " must not be empty";
      if (s.size() > rule.max_bytes)
        return "field " + name + " is longer than " + std::to_string(rule.max_bytes) + " bytes";
      return {};
    }
    case Kind::kObject: {
      if (!v.is_object()) return "field " + name + " must be a JSON object";
      // A member serialises to at most as many bytes as it took in the input
      // (nlohmann only ever shortens escapes), so small events skip the dump.
      if (rule.max_bytes > 0 && input_bytes > rule.max_bytes) {
        size_t n = v.dump(-1, ' ', false, OrderedJson::error_handler_t::replace).size();
        if (n > rule.max_bytes)
          return "field " + name + " is larger than " + std::to_string(rule.max_bytes / 1024) +
                 " KB";
      }
      return {};
    }
    case Kind::kAccount: {
      if (!v.is_string()) return "field " + name + " must be a string";
      const auto& s = v.get_ref<const std::string&>();
      if (s != origin.owner_account)
        return "field " + name + " must be the channel owner's account ID " + origin.owner_account;
      return {};
    }
  }
  return {};
}

// The record for a custom-schema event.
AuditEventResult ConvertCustom(OrderedJson& data, size_t input_bytes,
                               const AuditEventOrigin& origin, const std::string& event_id) {
  for (const FieldRule& rule : kEventDataFields) {
    if (rule.required && !data.contains(rule.name))
      return BadData(std::string("required field ") + rule.name + " is missing");
  }
  for (auto it = data.begin(); it != data.end(); ++it) {
    const FieldRule* rule = FindRule(it.key());
    if (!rule) return BadData("field " + it.key() + " is not part of the event schema");
    if (rule->kind == Kind::kObject && !rule->required && it->is_null()) continue;
    std::string why = CheckMember(*rule, *it, "", origin, input_bytes);
    if (!why.empty()) return BadData(why);
  }
  OrderedJson& who = data["userIdentity"];
  OrderedJson identity = OrderedJson::object();
  static constexpr FieldRule kType{"type", Kind::kString, true, 128};
  static constexpr FieldRule kPrincipal{"principalId", Kind::kString, true, 1024};
  static constexpr FieldRule kDetails{"details", Kind::kObject, false, 0};
  for (auto it = who.begin(); it != who.end(); ++it) {
    const FieldRule* rule = it.key() == "type"          ? &kType
                            : it.key() == "principalId" ? &kPrincipal
                            : it.key() == "details"     ? &kDetails
                                                        : nullptr;
    if (!rule)
      return BadData("field userIdentity." + it.key() + " is not part of the event schema");
    if (rule == &kDetails && it->is_null()) continue;
    std::string why = CheckMember(*rule, *it, "userIdentity", origin, input_bytes);
    if (!why.empty()) return BadData(why);
  }
  if (!who.contains("type")) return BadData("required field userIdentity.type is missing");
  if (!who.contains("principalId"))
    return BadData("required field userIdentity.principalId is missing");
  identity["type"] = std::move(who["type"]);
  identity["principalId"] = std::move(who["principalId"]);
  if (who.contains("details") && !who["details"].is_null())
    identity["details"] = std::move(who["details"]);

  auto when = ParseIso8601(data["eventTime"].get_ref<const std::string&>());
  if (!when) return BadData("field eventTime is not an ISO-8601 time (yyyy-MM-ddTHH:mm:ssZ)");

  AuditEventResult r;
  ingest::Event& e = r.event;
  e.event_id = event_id;
  e.account_id = origin.owner_account;
  e.region = origin.region;
  e.event_time = *when;
  e.event_source = data["eventSource"].get<std::string>();
  e.event_name = data["eventName"].get<std::string>();
  e.management_event = true;
  e.event_category = "ActivityAuditLog";
  e.event_type = "ActivityLog";

  OrderedJson rec = OrderedJson::object();
  rec["eventVersion"] = "1.11";
  rec["userIdentity"] = std::move(identity);
  rec["eventTime"] = FormatIso8601(*when);
  rec["eventSource"] = e.event_source;
  rec["eventName"] = e.event_name;
  rec["awsRegion"] = origin.region;
  auto copy = [&](const char* name) {
    auto it = data.find(name);
    if (it != data.end()) rec[name] = std::move(*it);
  };
  copy("sourceIPAddress");
  copy("userAgent");
  copy("errorCode");
  copy("errorMessage");
  rec["requestParameters"] = data.contains("requestParameters")
                                 ? std::move(data["requestParameters"])
                                 : OrderedJson(nullptr);
  rec["responseElements"] = data.contains("responseElements") ? std::move(data["responseElements"])
                                                              : OrderedJson(nullptr);
  copy("additionalEventData");
  rec["eventID"] = event_id;
  rec["eventType"] = e.event_type;
  rec["managementEvent"] = true;
  rec["recipientAccountId"] = origin.owner_account;
  rec["eventCategory"] = e.event_category;
  rec["metadata"] = {{"ingestionTime", FormatIso8601(origin.ingestion_time)},
                     {"channelARN", origin.channel_arn},
                     {"UID", std::move(data["UID"])},
                     {"version", std::move(data["version"])}};
  e.record_json = rec.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
  r.ok = true;
  return r;
}

// A whole CloudTrail record: kept as given, with recipientAccountId, awsRegion
// and eventID filled in when absent; it must belong to the channel owner.
AuditEventResult ConvertRecord(OrderedJson& data, const AuditEventOrigin& origin,
                               const AuditEventLimits& limits, const std::string& event_id) {
  auto acct = data.find("recipientAccountId");
  if (acct == data.end()) {
    data["recipientAccountId"] = origin.owner_account;
  } else if (!acct->is_string() || acct->get_ref<const std::string&>() != origin.owner_account) {
    return BadData("field recipientAccountId must be the channel owner's account ID " +
                   origin.owner_account);
  }
  if (!data.contains("awsRegion")) data["awsRegion"] = origin.region;
  if (!data.contains("eventID")) data["eventID"] = event_id;
  std::string bytes = data.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
  if (bytes.size() > limits.max_event_bytes)
    return Fail("EventTooLarge",
                "the event is larger than " + std::to_string(limits.max_event_bytes) + " bytes");
  auto parsed = ingest::ParseRecord(bytes);
  if (!parsed.ok()) return BadData(parsed.status().message());
  AuditEventResult r;
  r.event = std::move(*parsed);
  r.ok = true;
  return r;
}

}  // namespace

bool ChecksumMatches(std::string_view event_data, std::string_view checksum) {
  if (checksum.size() == 64) return ToLower(checksum) == crypto::Sha256Hex(event_data);
  return checksum.size() == 44 && checksum == Base64Encode(crypto::Sha256(event_data));
}

int JsonNestingDepth(std::string_view json, int limit) {
  int depth = 0, max_depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      max_depth = std::max(max_depth, ++depth);
      if (max_depth > limit) return limit + 1;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return max_depth;
}

AuditEventResult ConvertAuditEvent(std::string_view event_data, const AuditEventOrigin& origin,
                                   const AuditEventLimits& limits, const std::string& event_id) {
  if (event_data.size() > limits.max_event_bytes)
    return Fail("EventTooLarge", "eventData is " + std::to_string(event_data.size()) +
                                     " bytes; the limit is " +
                                     std::to_string(limits.max_event_bytes) + " bytes");
  if (event_data.empty()) return BadData("eventData is empty");
  if (!IsValidUtf8(event_data)) return BadData("eventData is not valid UTF-8");
  if (JsonNestingDepth(event_data, kMaxEventDataDepth) > kMaxEventDataDepth)
    return BadData("eventData is nested deeper than " + std::to_string(kMaxEventDataDepth) +
                   " levels");
  OrderedJson data =
      OrderedJson::parse(event_data.begin(), event_data.end(), nullptr, /*allow_exceptions=*/false);
  if (data.is_discarded()) return BadData("eventData is not valid JSON");
  if (!data.is_object()) return BadData("eventData must be a JSON object");
  if (data.contains("eventVersion")) return ConvertRecord(data, origin, limits, event_id);
  return ConvertCustom(data, event_data.size(), origin, event_id);
}

}  // namespace orgtrail::cloudtrail
