#include "cloudtrail/channel_events.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <optional>
#include <vector>

#include "base/json.h"
#include "base/json_escape.h"
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
    // The first byte first: a whole comparison costs a strlen.
    if (!name.empty() && name[0] == r.name[0] && name == r.name) return &r;
  }
  return nullptr;
}

// The index of a field in kEventDataFields (at compile time).
consteval size_t RuleIndex(std::string_view name) {
  for (size_t i = 0; i < std::size(kEventDataFields); ++i)
    if (name == kEventDataFields[i].name) return i;
  return std::size(kEventDataFields);
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

// ---- Fast path (simdjson) --------------------------------------------------
//
// The conversion above goes through nlohmann: parse into a DOM, then dump.
// At bulk rates that is most of the server's time per event, so valid events
// take the path below instead: one on-demand pass that validates and writes
// each value in exactly the form nlohmann's dump(-1, ' ', false, replace)
// gives (compact; strings re-escaped with \" \\ \b \f \n \r \t and \u00xx
// for other control characters, everything else raw UTF-8; integers as
// written). Whatever it is not sure to write identically — a number with a
// fraction or exponent or out of 64-bit range, "-0", a duplicate key (nlohmann
// keeps one), a surrogate escape — and every invalid event go to the
// nlohmann path, which stays the reference for both bytes and error text.
// channel_events_test checks both paths give the same bytes.

namespace od = simdjson::ondemand;

// A string value, unescaped; false when the fast path should not take it
// (simdjson error, or a surrogate code point from a \u escape, which nlohmann
// refuses when unpaired and the UTF-8 check upstream never saw).
bool GetPlainString(od::value v, std::string_view& s) {
  if (v.get_string().get(s)) return false;
  for (size_t i = s.find('\xED'); i != std::string_view::npos; i = s.find('\xED', i + 1)) {
    if (i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0xA0) return false;
  }
  return true;
}

// An integer token nlohmann keeps as int64/uint64 and prints as written.
bool IsPlainInteger(std::string_view t) {
  std::string_view digits = t;
  if (!digits.empty() && digits.front() == '-') digits.remove_prefix(1);
  if (digits.empty() || digits.size() > 20) return false;
  // nlohmann prints "0" as written (common in records: 6% of the samples
  // have one, and the slow path costs ~8 times the fast one); "-0" becomes
  // "0" there and goes the slow way; "01" is invalid.
  if (digits.front() == '0') return t.size() == 1;
  for (char c : digits)
    if (c < '0' || c > '9') return false;
  const char* end = t.data() + t.size();
  if (t.front() == '-') {
    int64_t v;
    auto [p, ec] = std::from_chars(t.data(), end, v);
    return ec == std::errc() && p == end;
  }
  uint64_t v;
  auto [p, ec] = std::from_chars(t.data(), end, v);
  return ec == std::errc() && p == end;
}

// One member of an object the fast path reads: its key, where the canonical
// JSON of its value lies in Scratch::text, and its kind.
struct Member {
  std::string_view key;  // unescaped
  size_t begin = 0;      // the value's canonical text: Scratch::text[begin, end)
  size_t end = 0;
  std::string_view str;  // the unescaped string, for string values
  bool is_string = false;
  bool is_object = false;
  bool is_null = false;
};

// The fast path's buffers, one set per thread, reused from one event to the
// next: a conversion then allocates little more than the record it returns
// (at bulk rates malloc/free was a good part of the cost). Views in the
// members point into `input`, `text` and the parser's string buffer, so they
// are good until the thread's next conversion.
struct Scratch {
  od::parser parser;
  std::string input;                   // eventData, then SIMDJSON_PADDING zero bytes
  std::string text;                    // canonical text of every member's value
  std::vector<Member> members;         // eventData's members, in order
  std::vector<Member> identity;        // the members of eventData's userIdentity object
  std::vector<std::string_view> keys;  // keys of the objects being written (duplicates)
};

// Buffers grown past this by a large event are let go afterwards.
constexpr size_t kScratchKeepBytes = 1 << 20;

std::string_view Text(const Scratch& sc, const Member& m) {
  return std::string_view(sc.text).substr(m.begin, m.end - m.begin);
}

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// A member's key, unescaped; `plain` when it holds no escape, so that it
// is its own canonical text. The raw key is read in place (it ends at the
// first quote when no backslash comes before it; stage 1 has checked that
// every string is closed and holds no raw control character).
bool ReadKey(simdjson::simdjson_result<od::field>& field, std::string_view& key, bool& plain) {
  od::raw_json_string raw_key;
  if (field.key().get(raw_key)) return false;
  const char* raw = raw_key.raw();
  const char* p = raw;
  while (*p != '"' && *p != '\\') ++p;
  plain = *p == '"';
  if (plain) {
    key = std::string_view(raw, static_cast<size_t>(p - raw));
    return true;
  }
  return !field.unescaped_key().get(key);
}

void AppendKeyText(std::string_view key, bool plain, std::string& out) {
  if (!plain) return AppendJsonString(key, out);
  out.push_back('"');
  out.append(key);
  out.push_back('"');
}

// A string value, written canonically; `s` is its unescaped text. A string
// with no backslash is already what nlohmann would write (eventData passed
// the UTF-8 check before the fast path, and simdjson's stage 1 refuses raw
// control characters), so its bytes are copied as they stand, without the
// unescape and re-escape that cost most of the fast path's time.
bool WriteString(od::value v, std::string& out, std::string_view& s) {
  std::string_view raw = v.raw_json_token();  // may end with whitespace
  while (raw.size() > 2 && IsJsonSpace(raw.back())) raw.remove_suffix(1);
  if (raw.size() >= 2 && raw.front() == '"' && raw.back() == '"' &&
      std::memchr(raw.data() + 1, '\\', raw.size() - 2) == nullptr) {
    s = raw.substr(1, raw.size() - 2);
    out.append(raw);
    return true;
  }
  if (!GetPlainString(v, s)) return false;
  AppendJsonString(s, out);
  return true;
}

bool WriteCanonical(od::value v, int depth, std::string& out, Scratch& sc);
bool WriteMember(od::value v, int depth, std::string& out, Scratch& sc, Member& m,
                 std::vector<Member>* direct);

// Members of one object (keys unescaped; `depth` counts the object itself);
// a repeated key sends the event the slow way (nlohmann keeps one). Objects
// in records are small, so a linear scan is cheapest. With `direct`, each
// member is also noted there (userIdentity, read once for both the record
// and its own checks).
bool WriteObject(od::object obj, int depth, std::string& out, Scratch& sc,
                 std::vector<Member>* direct) {
  out.push_back('{');
  const size_t first_key = sc.keys.size();
  for (auto field : obj) {
    std::string_view key;
    bool plain;
    od::value fv;
    if (!ReadKey(field, key, plain) || field.value().get(fv)) return false;
    for (size_t k = first_key; k < sc.keys.size(); ++k)
      if (sc.keys[k] == key) return false;
    if (key.find('\xED') != std::string_view::npos) return false;
    sc.keys.push_back(key);
    if (sc.keys.size() > first_key + 1) out.push_back(',');
    AppendKeyText(key, plain, out);
    out.push_back(':');
    if (direct) {
      Member m;
      m.key = key;
      if (!WriteMember(fv, depth, out, sc, m, nullptr)) return false;
      direct->push_back(m);
    } else if (!WriteCanonical(fv, depth, out, sc)) {
      return false;
    }
  }
  sc.keys.resize(first_key);
  out.push_back('}');
  return true;
}

// `depth`: how many arrays/objects enclose `v` (JsonNestingDepth's count).
bool WriteCanonical(od::value v, int depth, std::string& out, Scratch& sc) {
  od::json_type type;
  if (v.type().get(type)) return false;
  switch (type) {
    case od::json_type::object: {
      od::object obj;
      if (depth + 1 > kMaxEventDataDepth || v.get_object().get(obj)) return false;
      return WriteObject(obj, depth + 1, out, sc, nullptr);
    }
    case od::json_type::array: {
      od::array arr;
      if (depth + 1 > kMaxEventDataDepth || v.get_array().get(arr)) return false;
      out.push_back('[');
      bool first = true;
      for (auto element : arr) {
        od::value ev;
        if (element.get(ev)) return false;
        if (!first) out.push_back(',');
        first = false;
        if (!WriteCanonical(ev, depth + 1, out, sc)) return false;
      }
      out.push_back(']');
      return true;
    }
    case od::json_type::string: {
      std::string_view s;
      return WriteString(v, out, s);
    }
    case od::json_type::number: {
      std::string_view t = v.raw_json_token();
      while (!t.empty() && IsJsonSpace(t.back())) t.remove_suffix(1);
      if (!IsPlainInteger(t)) return false;
      int64_t i;
      uint64_t u;
      // Consume the value (and let simdjson check the token as well).
      if (t.front() == '-' ? v.get_int64().get(i) != simdjson::SUCCESS
                           : v.get_uint64().get(u) != simdjson::SUCCESS)
        return false;
      out.append(t);
      return true;
    }
    case od::json_type::boolean: {
      bool b;
      if (v.get_bool().get(b)) return false;
      out.append(b ? "true" : "false");
      return true;
    }
    case od::json_type::null: {
      bool is_null = false;
      if (v.is_null().get(is_null) || !is_null) return false;
      out.append("null");
      return true;
    }
  }
  return false;
}

// One member's value, written canonically, with its kind noted in `m`.
bool WriteMember(od::value v, int depth, std::string& out, Scratch& sc, Member& m,
                 std::vector<Member>* direct) {
  od::json_type type;
  if (v.type().get(type)) return false;
  m.begin = out.size();
  if (type == od::json_type::string) {
    m.is_string = true;
    if (!WriteString(v, out, m.str)) return false;
  } else if (type == od::json_type::object) {
    m.is_object = true;
    od::object obj;
    if (depth + 1 > kMaxEventDataDepth || v.get_object().get(obj)) return false;
    if (!WriteObject(obj, depth + 1, out, sc, direct)) return false;
  } else {
    m.is_null = type == od::json_type::null;
    if (!WriteCanonical(v, depth, out, sc)) return false;
  }
  m.end = out.size();
  return true;
}

const Member* FindMember(const std::vector<Member>& members, std::string_view key) {
  for (const Member& m : members)
    if (m.key == key) return &m;
  return nullptr;
}

// Parses eventData (one JSON object) into sc.members (and the members of its
// userIdentity object into sc.identity); false when the fast path does not
// apply.
bool ReadMembers(Scratch& sc, simdjson::padded_string_view input) {
  od::document doc;
  if (sc.parser.iterate(input).get(doc)) return false;
  od::object obj;
  if (doc.get_object().get(obj)) return false;
  for (auto field : obj) {
    Member m;
    bool plain;
    od::value fv;
    if (!ReadKey(field, m.key, plain) || field.value().get(fv)) return false;
    if (m.key.find('\xED') != std::string_view::npos) return false;
    if (FindMember(sc.members, m.key)) return false;
    std::vector<Member>* direct = m.key == "userIdentity" ? &sc.identity : nullptr;
    if (!WriteMember(fv, 1, sc.text, sc, m, direct)) return false;
    sc.members.push_back(m);
  }
  // Nothing may follow the object (nlohmann refuses trailing content).
  return doc.current_location().error() == simdjson::OUT_OF_BOUNDS;
}

void AppendKey(std::string_view key, std::string& out) {
  out.push_back(',');
  out.push_back('"');
  out.append(key);  // our own keys: plain ASCII
  out.append("\":");
}

// A custom-schema event the fast way, or nullopt (then the slow path decides).
std::optional<AuditEventResult> FastCustom(const Scratch& sc, size_t input_bytes,
                                           const AuditEventOrigin& origin,
                                           const std::string& event_id) {
  // Each schema field's member (or null), in kEventDataFields' order.
  const Member* field[std::size(kEventDataFields)] = {};
  for (const Member& m : sc.members) {
    const FieldRule* rule = FindRule(m.key);
    if (!rule) return std::nullopt;
    field[rule - kEventDataFields] = &m;
    if (rule->kind == Kind::kObject && !rule->required && m.is_null) continue;
    switch (rule->kind) {
      case Kind::kString:
        if (!m.is_string || (rule->required && m.str.empty()) || m.str.size() > rule->max_bytes)
          return std::nullopt;
        break;
      case Kind::kObject:
        // The canonical text is what nlohmann's dump gives, so its size is
        // the one the slow path compares (it skips the check when the whole
        // input is smaller than the limit; the text is never larger).
        if (!m.is_object) return std::nullopt;
        if (rule->max_bytes > 0 && input_bytes > rule->max_bytes &&
            m.end - m.begin > rule->max_bytes)
          return std::nullopt;
        break;
      case Kind::kAccount:
        if (!m.is_string || m.str != origin.owner_account) return std::nullopt;
        break;
    }
  }
  for (size_t i = 0; i < std::size(kEventDataFields); ++i)
    if (kEventDataFields[i].required && !field[i]) return std::nullopt;
  // userIdentity: {type, principalId[, details]} (its members were noted
  // while it was read), checked and written in the record's order.
  const Member *type = nullptr, *principal = nullptr, *details = nullptr;
  for (const Member& m : sc.identity) {
    if (m.key == "type") {
      if (!m.is_string || m.str.empty() || m.str.size() > 128) return std::nullopt;
      type = &m;
    } else if (m.key == "principalId") {
      if (!m.is_string || m.str.empty() || m.str.size() > 1024) return std::nullopt;
      principal = &m;
    } else if (m.key == "details") {
      if (m.is_null) continue;
      if (!m.is_object) return std::nullopt;
      details = &m;
    } else {
      return std::nullopt;
    }
  }
  if (!type || !principal) return std::nullopt;
  auto when = ParseIso8601(field[RuleIndex("eventTime")]->str);
  if (!when) return std::nullopt;

  AuditEventResult r;
  ingest::Event& e = r.event;
  e.event_id = event_id;
  e.account_id = origin.owner_account;
  e.region = origin.region;
  e.event_time = *when;
  e.event_source = std::string(field[RuleIndex("eventSource")]->str);
  e.event_name = std::string(field[RuleIndex("eventName")]->str);
  e.management_event = true;
  e.event_category = "ActivityAuditLog";
  e.event_type = "ActivityLog";

  // The same members in the same order as ConvertCustom's record.
  std::string& out = e.record_json;
  out.reserve(input_bytes + 512);
  out.append("{\"eventVersion\":\"1.11\",\"userIdentity\":{\"type\":");
  out.append(Text(sc, *type));
  out.append(",\"principalId\":");
  out.append(Text(sc, *principal));
  if (details) {
    out.append(",\"details\":");
    out.append(Text(sc, *details));
  }
  out.push_back('}');
  AppendKey("eventTime", out);
  AppendJsonString(FormatIso8601(*when), out);
  AppendKey("eventSource", out);
  out.append(Text(sc, *field[RuleIndex("eventSource")]));
  AppendKey("eventName", out);
  out.append(Text(sc, *field[RuleIndex("eventName")]));
  AppendKey("awsRegion", out);
  AppendJsonString(origin.region, out);
  auto copy = [&](size_t index, bool null_if_absent) {
    const Member* m = field[index];
    if (!m && !null_if_absent) return;
    AppendKey(kEventDataFields[index].name, out);
    out.append(m ? Text(sc, *m) : std::string_view("null"));
  };
  copy(RuleIndex("sourceIPAddress"), false);
  copy(RuleIndex("userAgent"), false);
  copy(RuleIndex("errorCode"), false);
  copy(RuleIndex("errorMessage"), false);
  copy(RuleIndex("requestParameters"), true);
  copy(RuleIndex("responseElements"), true);
  copy(RuleIndex("additionalEventData"), false);
  AppendKey("eventID", out);
  AppendJsonString(event_id, out);
  AppendKey("eventType", out);
  AppendJsonString(e.event_type, out);
  out.append(",\"managementEvent\":true");
  AppendKey("recipientAccountId", out);
  AppendJsonString(origin.owner_account, out);
  AppendKey("eventCategory", out);
  AppendJsonString(e.event_category, out);
  out.append(",\"metadata\":{\"ingestionTime\":");
  AppendJsonString(FormatIso8601(origin.ingestion_time), out);
  out.append(",\"channelARN\":");
  AppendJsonString(origin.channel_arn, out);
  out.append(",\"UID\":");
  out.append(Text(sc, *field[RuleIndex("UID")]));
  out.append(",\"version\":");
  out.append(Text(sc, *field[RuleIndex("version")]));
  out.append("}}");
  r.ok = true;
  return r;
}

// A whole record the fast way: its canonical bytes (what the slow path's
// dump gives), completed the same way, then ParseRecord as there.
std::optional<AuditEventResult> FastRecord(const Scratch& sc, const AuditEventOrigin& origin,
                                           const AuditEventLimits& limits,
                                           const std::string& event_id) {
  const std::vector<Member>& members = sc.members;
  const Member* acct = FindMember(members, "recipientAccountId");
  if (acct && (!acct->is_string || acct->str != origin.owner_account)) return std::nullopt;
  std::string bytes;
  bytes.reserve(sc.text.size() + 64 * (members.size() + 4));
  bytes.push_back('{');
  for (const Member& m : members) {
    if (bytes.size() > 1) bytes.push_back(',');
    AppendJsonString(m.key, bytes);
    bytes.push_back(':');
    bytes.append(Text(sc, m));
  }
  auto add = [&](const char* key, const std::string& value) {
    if (FindMember(members, key)) return;
    if (bytes.size() > 1) bytes.push_back(',');
    AppendJsonString(key, bytes);
    bytes.push_back(':');
    AppendJsonString(value, bytes);
  };
  add("recipientAccountId", origin.owner_account);
  add("awsRegion", origin.region);
  add("eventID", event_id);
  bytes.push_back('}');
  if (bytes.size() > limits.max_event_bytes) return std::nullopt;
  auto parsed = ingest::ParseRecord(bytes);
  if (!parsed.ok()) return std::nullopt;
  AuditEventResult r;
  r.event = std::move(*parsed);
  r.ok = true;
  return r;
}

std::optional<AuditEventResult> FastConvert(std::string_view event_data,
                                            const AuditEventOrigin& origin,
                                            const AuditEventLimits& limits,
                                            const std::string& event_id) {
  thread_local Scratch sc;
  sc.members.clear();
  sc.identity.clear();
  sc.keys.clear();
  sc.text.clear();
  // simdjson reads up to SIMDJSON_PADDING bytes past the end: one copy into
  // the reused buffer instead of a padded_string (malloc, copy, free) each.
  const size_t n = event_data.size();
  if (sc.input.size() < n + simdjson::SIMDJSON_PADDING)
    sc.input.resize(n + simdjson::SIMDJSON_PADDING);
  std::memcpy(sc.input.data(), event_data.data(), n);
  std::memset(sc.input.data() + n, 0, simdjson::SIMDJSON_PADDING);
  std::optional<AuditEventResult> r;
  if (ReadMembers(sc, simdjson::padded_string_view(sc.input.data(), n, sc.input.size()))) {
    r = FindMember(sc.members, "eventVersion") ? FastRecord(sc, origin, limits, event_id)
                                               : FastCustom(sc, n, origin, event_id);
  }
  if (sc.input.capacity() > kScratchKeepBytes) std::string().swap(sc.input);
  if (sc.text.capacity() > kScratchKeepBytes) std::string().swap(sc.text);
  return r;
}


// ---- The request body ------------------------------------------------------

// The JSON number grammar.
bool IsJsonNumber(std::string_view t) {
  size_t i = 0;
  auto digit = [&](size_t k) { return k < t.size() && t[k] >= '0' && t[k] <= '9'; };
  if (i < t.size() && t[i] == '-') ++i;
  if (!digit(i)) return false;
  if (t[i] == '0') {
    ++i;
  } else {
    while (digit(i)) ++i;
  }
  if (i < t.size() && t[i] == '.') {
    ++i;
    if (!digit(i)) return false;
    while (digit(i)) ++i;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (!digit(i)) return false;
    while (digit(i)) ++i;
  }
  return i == t.size();
}

// Walks a value to its end so that all of it is checked (on-demand parsing
// skips what is not read); false on anything doubtful.
// `depth` counts the arrays/objects around `v`; one deeper than
// kMaxAuditEventsBodyDepth is doubtful (the slow path refuses it).
bool SkimValue(od::value v, int depth) {
  od::json_type type;
  if (v.type().get(type)) return false;
  switch (type) {
    case od::json_type::object: {
      od::object obj;
      if (depth + 1 > kMaxAuditEventsBodyDepth || v.get_object().get(obj)) return false;
      for (auto field : obj) {
        std::string_view key;
        od::value fv;
        if (field.unescaped_key().get(key) || field.value().get(fv)) return false;
        if (key.find('\xED') != std::string_view::npos || !SkimValue(fv, depth + 1)) return false;
      }
      return true;
    }
    case od::json_type::array: {
      od::array arr;
      if (depth + 1 > kMaxAuditEventsBodyDepth || v.get_array().get(arr)) return false;
      for (auto element : arr) {
        od::value ev;
        if (element.get(ev) || !SkimValue(ev, depth + 1)) return false;
      }
      return true;
    }
    case od::json_type::string: {
      std::string_view s;
      return GetPlainString(v, s);
    }
    case od::json_type::number: {
      std::string_view t = v.raw_json_token();
      while (!t.empty() && (t.back() == ' ' || t.back() == '\t' || t.back() == '\n' ||
                            t.back() == '\r'))
        t.remove_suffix(1);
      // Fractions and exponents go the slow way: whether nlohmann takes one
      // depends on its range (it refuses what overflows a double).
      if (t.size() > 300 || t.find_first_of(".eE") != std::string_view::npos) return false;
      double d;
      simdjson::error_code ignored = v.get_double().get(d);  // consumes the token
      (void)ignored;
      return IsJsonNumber(t);
    }
    case od::json_type::boolean: {
      bool b;
      return !v.get_bool().get(b);
    }
    case od::json_type::null: {
      bool is_null = false;
      return !v.is_null().get(is_null) && is_null;
    }
  }
  return false;
}

// A string member's value, or nullopt (as a non-string) — false on doubt.
bool ReadOptionalString(od::value v, std::optional<std::string>& out) {
  od::json_type type;
  if (v.type().get(type)) return false;
  if (type != od::json_type::string) {
    out.reset();
    return SkimValue(v, 3);
  }
  std::string_view s;
  if (!GetPlainString(v, s)) return false;
  out = std::string(s);
  return true;
}

bool ReadEntry(od::value v, AuditEventEntry& entry) {
  od::json_type type;
  if (v.type().get(type)) return false;
  if (type != od::json_type::object) return SkimValue(v, 2);
  entry.is_object = true;
  od::object obj;
  if (v.get_object().get(obj)) return false;
  for (auto field : obj) {
    std::string_view key;
    od::value fv;
    if (field.unescaped_key().get(key) || field.value().get(fv)) return false;
    if (key == "id") {
      if (!ReadOptionalString(fv, entry.id)) return false;
    } else if (key == "eventData") {
      if (!ReadOptionalString(fv, entry.data)) return false;
    } else if (key == "eventDataChecksum") {
      bool is_null = false;
      od::json_type t;
      if (fv.type().get(t)) return false;
      is_null = t == od::json_type::null;
      entry.checksum_given = !is_null;
      if (!ReadOptionalString(fv, entry.checksum)) return false;
    } else if (key.find('\xED') != std::string_view::npos || !SkimValue(fv, 3)) {
      return false;
    }
  }
  return true;
}

std::optional<AuditEventsBody> FastBody(std::string_view body) {
  thread_local od::parser parser;
  simdjson::padded_string padded(body);
  od::document doc;
  if (parser.iterate(padded).get(doc)) return std::nullopt;
  od::object obj;
  if (doc.get_object().get(obj)) return std::nullopt;
  AuditEventsBody out;
  for (auto field : obj) {
    std::string_view key;
    od::value fv;
    if (field.unescaped_key().get(key) || field.value().get(fv)) return std::nullopt;
    if (key != "auditEvents") {
      if (key.find('\xED') != std::string_view::npos || !SkimValue(fv, 1)) return std::nullopt;
      continue;
    }
    out = AuditEventsBody();  // the last one counts
    od::json_type type;
    if (fv.type().get(type)) return std::nullopt;
    if (type == od::json_type::null) {
      if (!SkimValue(fv, 1)) return std::nullopt;
      continue;
    }
    if (type != od::json_type::array) {
      out.list = AuditEventsBody::List::kNotArray;
      if (!SkimValue(fv, 1)) return std::nullopt;
      continue;
    }
    out.list = AuditEventsBody::List::kArray;
    od::array arr;
    if (fv.get_array().get(arr)) return std::nullopt;
    for (auto element : arr) {
      od::value ev;
      if (element.get(ev)) return std::nullopt;
      out.events.emplace_back();
      if (!ReadEntry(ev, out.events.back())) return std::nullopt;
    }
  }
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) return std::nullopt;
  return out;
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

namespace {

// The checks both paths share, before any parsing; nullopt when they pass.
std::optional<AuditEventResult> Precheck(std::string_view event_data,
                                         const AuditEventLimits& limits) {
  if (event_data.size() > limits.max_event_bytes)
    return Fail("EventTooLarge", "eventData is " + std::to_string(event_data.size()) +
                                     " bytes; the limit is " +
                                     std::to_string(limits.max_event_bytes) + " bytes");
  if (event_data.empty()) return BadData("eventData is empty");
  if (!IsValidUtf8(event_data)) return BadData("eventData is not valid UTF-8");
  return std::nullopt;
}

// Before nlohmann, which recurses, and after the fast path, which keeps to
// the same depth itself.
std::optional<AuditEventResult> CheckDepth(std::string_view event_data) {
  if (JsonNestingDepth(event_data, kMaxEventDataDepth) > kMaxEventDataDepth)
    return BadData("eventData is nested deeper than " + std::to_string(kMaxEventDataDepth) +
                   " levels");
  return std::nullopt;
}

AuditEventResult ConvertWithNlohmann(std::string_view event_data, const AuditEventOrigin& origin,
                                     const AuditEventLimits& limits,
                                     const std::string& event_id) {
  OrderedJson data =
      OrderedJson::parse(event_data.begin(), event_data.end(), nullptr, /*allow_exceptions=*/false);
  if (data.is_discarded()) return BadData("eventData is not valid JSON");
  if (!data.is_object()) return BadData("eventData must be a JSON object");
  if (data.contains("eventVersion")) return ConvertRecord(data, origin, limits, event_id);
  return ConvertCustom(data, event_data.size(), origin, event_id);
}

}  // namespace

AuditEventResult ConvertAuditEvent(std::string_view event_data, const AuditEventOrigin& origin,
                                   const AuditEventLimits& limits, const std::string& event_id) {
  if (auto refused = Precheck(event_data, limits)) return std::move(*refused);
  if (auto fast = FastConvert(event_data, origin, limits, event_id)) return std::move(*fast);
  if (auto refused = CheckDepth(event_data)) return std::move(*refused);
  return ConvertWithNlohmann(event_data, origin, limits, event_id);
}

AuditEventResult ConvertAuditEventReference(std::string_view event_data,
                                            const AuditEventOrigin& origin,
                                            const AuditEventLimits& limits,
                                            const std::string& event_id) {
  if (auto refused = Precheck(event_data, limits)) return std::move(*refused);
  if (auto refused = CheckDepth(event_data)) return std::move(*refused);
  return ConvertWithNlohmann(event_data, origin, limits, event_id);
}

Result<AuditEventsBody> ParseAuditEventsBodyReference(std::string_view body) {
  if (JsonNestingDepth(body, kMaxAuditEventsBodyDepth) > kMaxAuditEventsBodyDepth)
    return Status::Error("SerializationException", "The request body is nested too deeply.");
  Json in = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (in.is_discarded())
    return Status::Error("SerializationException", "The request body is not valid JSON.");
  if (!in.is_object())
    return Status::Error("SerializationException", "The request body must be a JSON object.");
  AuditEventsBody out;
  auto events_it = in.find("auditEvents");
  if (events_it == in.end() || events_it->is_null()) return out;
  if (!events_it->is_array()) {
    out.list = AuditEventsBody::List::kNotArray;
    return out;
  }
  out.list = AuditEventsBody::List::kArray;
  for (Json& e : *events_it) {
    AuditEventEntry& entry = out.events.emplace_back();
    if (!e.is_object()) continue;
    entry.is_object = true;
    auto str = [&](const char* key, std::optional<std::string>& to) {
      auto it = e.find(key);
      if (it != e.end() && it->is_string()) to = std::move(it->get_ref<std::string&>());
    };
    str("id", entry.id);
    str("eventData", entry.data);
    auto sum = e.find("eventDataChecksum");
    entry.checksum_given = sum != e.end() && !sum->is_null();
    str("eventDataChecksum", entry.checksum);
  }
  return out;
}

Result<AuditEventsBody> ParseAuditEventsBody(std::string_view body) {
  if (auto fast = FastBody(body)) return std::move(*fast);
  return ParseAuditEventsBodyReference(body);
}

}  // namespace orgtrail::cloudtrail
