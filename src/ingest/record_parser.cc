#include "ingest/record_parser.h"

#include <simdjson.h>

#include <string>

#include "base/strings.h"

namespace orgtrail::ingest {
namespace {

namespace od = simdjson::ondemand;

// AWS caps an event at 256 KB (eventVersion >= 1.05); we allow some headroom
// for older or hand-made records but refuse anything absurd.
constexpr size_t kMaxRecordBytes = 1 << 20;
constexpr int kMaxDepth = 64;

Status Invalid(std::string_view field, std::string_view why) {
  return Status::Error("ValidationException",
                       "invalid CloudTrail record: field " + std::string(field) + " " +
                           std::string(why));
}

Status Malformed(simdjson::error_code ec) {
  return Status::Error("ValidationException", std::string("invalid CloudTrail record: malformed JSON (") +
                                                  simdjson::error_message(ec) + ")");
}

// Walks a value completely so that every token of the record is validated
// (on-demand parsing otherwise skips what is not read).
simdjson::error_code ValidateValue(od::value v, int depth) {
  if (depth > kMaxDepth) return simdjson::DEPTH_ERROR;
  od::json_type type;
  if (auto ec = v.type().get(type)) return ec;
  switch (type) {
    case od::json_type::array: {
      od::array arr;
      if (auto ec = v.get_array().get(arr)) return ec;
      for (auto element : arr) {
        od::value ev;
        if (auto ec = element.get(ev)) return ec;
        if (auto ec = ValidateValue(ev, depth + 1)) return ec;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::object: {
      od::object obj;
      if (auto ec = v.get_object().get(obj)) return ec;
      for (auto field : obj) {
        std::string_view key;
        if (auto ec = field.unescaped_key().get(key)) return ec;
        od::value fv;
        if (auto ec = field.value().get(fv)) return ec;
        if (auto ec = ValidateValue(fv, depth + 1)) return ec;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::number: {
      // Any JSON number, Java-style exponents and big integers included.
      double d;
      return v.get_double().get(d);
    }
    case od::json_type::string: {
      std::string_view s;
      return v.get_string().get(s);
    }
    case od::json_type::boolean: {
      bool b;
      return v.get_bool().get(b);
    }
    case od::json_type::null: {
      bool is_null = false;
      if (auto ec = v.is_null().get(is_null)) return ec;
      return is_null ? simdjson::SUCCESS : simdjson::INCORRECT_TYPE;
    }
  }
  return simdjson::TAPE_ERROR;
}

Result<std::string> GetString(od::value v, std::string_view field) {
  std::string_view s;
  if (v.get_string().get(s)) return Invalid(field, "must be a string");
  return std::string(s);
}

std::string_view TrimJsonSpace(std::string_view s) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

Status ParseResources(od::value v, Event& e) {
  od::array arr;
  if (v.get_array().get(arr)) return Invalid("resources", "must be an array");
  for (auto element : arr) {
    od::object obj;
    if (element.get_object().get(obj)) return Invalid("resources", "must hold objects");
    for (auto field : obj) {
      std::string_view key;
      od::value fv;
      if (field.unescaped_key().get(key) || field.value().get(fv)) {
        return Invalid("resources", "is malformed");
      }
      if (key == "type" || key == "ARN") {
        std::string_view s;
        if (fv.get_string().get(s)) return Invalid(std::string("resources.") + std::string(key), "must be a string");
        (key == "type" ? e.resource_types : e.resource_arns).emplace_back(s);
      } else if (auto ec = ValidateValue(fv, 2)) {
        return Malformed(ec);
      }
    }
  }
  return Status::Ok();
}

Status ParseUserIdentity(od::value v, std::string& account_id) {
  od::object obj;
  if (v.get_object().get(obj)) return Invalid("userIdentity", "must be an object");
  for (auto field : obj) {
    std::string_view key;
    od::value fv;
    if (field.unescaped_key().get(key) || field.value().get(fv)) {
      return Invalid("userIdentity", "is malformed");
    }
    if (key == "accountId") {
      std::string_view s;
      if (fv.get_string().get(s)) return Invalid("userIdentity.accountId", "must be a string");
      account_id = std::string(s);
    } else if (auto ec = ValidateValue(fv, 1)) {
      return Malformed(ec);
    }
  }
  return Status::Ok();
}

}  // namespace

Result<Event> ParseRecord(std::string_view record_json) {
  record_json = TrimJsonSpace(record_json);
  if (record_json.empty()) return Invalid("record", "is empty");
  if (record_json.size() > kMaxRecordBytes) return Invalid("record", "is larger than 1 MiB");
  if (record_json.front() != '{') return Invalid("record", "must be a JSON object");

  thread_local od::parser parser;
  simdjson::padded_string padded(record_json);
  od::document doc;
  if (auto ec = parser.iterate(padded).get(doc)) return Malformed(ec);
  od::object obj;
  if (auto ec = doc.get_object().get(obj)) return Malformed(ec);

  Event e;
  std::string event_time, recipient, identity_account;
  std::optional<std::string> category;
  bool have_management = false;
  for (auto field : obj) {
    std::string_view key;
    od::value v;
    if (auto ec = field.unescaped_key().get(key)) return Malformed(ec);
    if (auto ec = field.value().get(v)) return Malformed(ec);
    if (key == "eventTime") {
      OT_ASSIGN_OR_RETURN(event_time, GetString(v, key));
    } else if (key == "eventSource") {
      OT_ASSIGN_OR_RETURN(e.event_source, GetString(v, key));
    } else if (key == "eventName") {
      OT_ASSIGN_OR_RETURN(e.event_name, GetString(v, key));
    } else if (key == "awsRegion") {
      OT_ASSIGN_OR_RETURN(e.region, GetString(v, key));
    } else if (key == "eventID") {
      OT_ASSIGN_OR_RETURN(e.event_id, GetString(v, key));
    } else if (key == "recipientAccountId") {
      OT_ASSIGN_OR_RETURN(recipient, GetString(v, key));
    } else if (key == "eventCategory") {
      OT_ASSIGN_OR_RETURN(category, GetString(v, key));
    } else if (key == "eventType") {
      OT_ASSIGN_OR_RETURN(e.event_type, GetString(v, key));
    } else if (key == "readOnly") {
      bool b;
      std::string_view s;
      if (!v.get_bool().get(b)) {
        e.read_only = b;
      } else if (!v.get_string().get(s) && (s == "true" || s == "false")) {
        e.read_only = s == "true";  // some old producers wrote a string
      } else {
        return Invalid(key, "must be a boolean");
      }
    } else if (key == "managementEvent") {
      bool b;
      if (v.get_bool().get(b)) return Invalid(key, "must be a boolean");
      e.management_event = b;
      have_management = true;
    } else if (key == "userIdentity") {
      OT_RETURN_IF_ERROR(ParseUserIdentity(v, identity_account));
    } else if (key == "resources") {
      OT_RETURN_IF_ERROR(ParseResources(v, e));
    } else if (auto ec = ValidateValue(v, 1)) {
      return Malformed(ec);
    }
  }
  // After the object, nothing may follow (on-demand stops at the last '}').
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    return Invalid("record", "has trailing content");
  }

  if (event_time.empty()) return Invalid("eventTime", "is required");
  auto t = ParseIso8601(event_time);
  if (!t) return Invalid("eventTime", "is not an ISO-8601 time");
  e.event_time = *t;
  if (e.event_source.empty()) return Invalid("eventSource", "is required");
  if (e.event_name.empty()) return Invalid("eventName", "is required");
  if (e.region.empty()) return Invalid("awsRegion", "is required");
  if (e.event_id.empty()) return Invalid("eventID", "is required");
  e.account_id = !recipient.empty() ? recipient : identity_account;
  if (e.account_id.empty()) return Invalid("recipientAccountId", "is required (or userIdentity.accountId)");
  if (category) e.event_category = *category;
  // Records older than 1.06/1.07 lack managementEvent/eventCategory: they
  // were management events unless said otherwise.
  if (!have_management) e.management_event = e.event_category == "Management";
  e.record_json = std::string(record_json);
  return e;
}

}  // namespace orgtrail::ingest
