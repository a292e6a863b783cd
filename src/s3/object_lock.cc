#include "s3/object_lock.h"

#include <cstdio>

#include "base/strings.h"
#include "s3/s3_codec.h"

namespace orgtrail::s3 {

namespace {

Status Malformed() {
  return Status::Error("MalformedXML",
                       "The XML you provided was not well-formed or did not validate against "
                       "our published schema");
}

bool KnownMode(std::string_view m) { return m == "GOVERNANCE" || m == "COMPLIANCE"; }

// Parses a retain-until date and checks it lies in the future, as S3 does.
Result<TimePoint> FutureDate(std::string_view s, TimePoint now) {
  auto t = ParseIso8601(Trim(s));
  if (!t) {
    return Status::Error("InvalidArgument",
                         "The retain until date is not a valid ISO-8601 timestamp");
  }
  if (*t <= now) {
    return Status::Error("InvalidArgument", "The retain until date must be in the future!");
  }
  return *t;
}

// Longest default retention accepted (S3 caps it at 100 years too); keeps
// the arithmetic far from overflow.
constexpr int64_t kMaxDays = 36500;
constexpr int64_t kMaxYears = 100;

}  // namespace

Result<ObjectLockConfig> ParseObjectLockConfig(std::string_view xml) {
  OT_ASSIGN_OR_RETURN(auto doc, ParseXmlBody(xml, "ObjectLockConfiguration"));
  auto root = doc->document_element();
  auto enabled = ChildText(root, "ObjectLockEnabled");
  if (!enabled || *enabled != "Enabled") return Malformed();
  ObjectLockConfig c;
  auto rule = root.child("Rule");
  if (!rule) return c;
  auto dr = rule.child("DefaultRetention");
  if (!dr) return Malformed();
  auto mode = ChildText(dr, "Mode");
  auto days = ChildText(dr, "Days");
  auto years = ChildText(dr, "Years");
  if (!mode || days.has_value() == years.has_value()) return Malformed();
  if (!KnownMode(*mode)) {
    return Status::Error("InvalidArgument", "Unknown wormMode directive: " + *mode);
  }
  c.default_mode = *mode;
  auto n = ParseNonNegative(days ? *days : *years);
  if (!n || *n == 0) {
    return Status::Error("InvalidArgument",
                         "Default retention period must be a positive integer value");
  }
  if (*n > (days ? kMaxDays : kMaxYears)) {
    return Status::Error("InvalidArgument", "Default retention period is too large");
  }
  (days ? c.default_days : c.default_years) = *n;
  return c;
}

std::string RenderObjectLockConfig(const ObjectLockConfig& c) {
  XmlWriter w;
  w.Open("ObjectLockConfiguration", true).Leaf("ObjectLockEnabled", "Enabled");
  if (!c.default_mode.empty()) {
    w.Open("Rule").Open("DefaultRetention").Leaf("Mode", c.default_mode);
    if (c.default_days > 0) w.Leaf("Days", std::to_string(c.default_days));
    if (c.default_years > 0) w.Leaf("Years", std::to_string(c.default_years));
    w.Close("DefaultRetention").Close("Rule");
  }
  return w.Close("ObjectLockConfiguration").Take();
}

VersionLock LockOf(const objstore::ObjectMeta& m) {
  VersionLock l;
  const auto& a = m.attributes;
  auto mode = a.find(kAttrLockMode);
  auto until = a.find(kAttrLockRetainUntil);
  if (mode != a.end() && until != a.end()) {
    if (auto t = ParseIso8601(until->second)) {
      l.mode = mode->second;
      l.retain_until = *t;
    }
  }
  if (auto h = a.find(kAttrLockLegalHold); h != a.end()) {
    l.legal_hold_set = true;
    l.legal_hold = h->second == "ON";
  }
  return l;
}

void StoreLock(const VersionLock& l, objstore::ObjectMeta& m) {
  auto& a = m.attributes;
  if (!l.mode.empty() && l.retain_until) {
    a[kAttrLockMode] = l.mode;
    a[kAttrLockRetainUntil] = FormatIso8601Millis(*l.retain_until);
  } else {
    a.erase(kAttrLockMode);
    a.erase(kAttrLockRetainUntil);
  }
  if (l.legal_hold_set) {
    a[kAttrLockLegalHold] = l.legal_hold ? "ON" : "OFF";
  } else {
    a.erase(kAttrLockLegalHold);
  }
}

bool RetentionActive(const VersionLock& l, TimePoint now) {
  return !l.mode.empty() && l.retain_until && *l.retain_until > now;
}

std::optional<TimePoint> DefaultRetainUntil(const ObjectLockConfig& c, TimePoint now) {
  if (c.default_mode.empty()) return std::nullopt;
  if (c.default_days > 0) return now + std::chrono::hours(24 * c.default_days);
  // Calendar years: same month, day and time; 29 February becomes 28.
  std::string s = FormatIso8601Millis(now);
  int year = std::stoi(s.substr(0, 4)) + static_cast<int>(c.default_years);
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04d", year);
  s.replace(0, 4, buf);
  if (s.compare(4, 6, "-02-29") == 0) s.replace(8, 2, "28");
  auto t = ParseIso8601(s);
  return t ? *t : now + std::chrono::hours(24 * 365 * c.default_years);
}

Result<std::optional<VersionLock>> ParseLockHeaders(
    const std::map<std::string, std::string>& headers, TimePoint now) {
  auto find = [&](const char* n) -> const std::string* {
    auto it = headers.find(n);
    return it == headers.end() ? nullptr : &it->second;
  };
  const std::string* mode = find("x-amz-object-lock-mode");
  const std::string* until = find("x-amz-object-lock-retain-until-date");
  const std::string* hold = find("x-amz-object-lock-legal-hold");
  if (!mode && !until && !hold) return std::optional<VersionLock>();
  VersionLock l;
  if ((mode == nullptr) != (until == nullptr)) {
    return Status::Error("InvalidArgument",
                         "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must "
                         "both be supplied");
  }
  if (mode) {
    std::string m(Trim(*mode));
    if (!KnownMode(m)) return Status::Error("InvalidArgument", "Unknown wormMode directive.");
    OT_ASSIGN_OR_RETURN(TimePoint t, FutureDate(*until, now));
    l.mode = m;
    l.retain_until = t;
  }
  if (hold) {
    std::string h(Trim(*hold));
    if (h != "ON" && h != "OFF") {
      return Status::Error("InvalidArgument", "Legal Hold must be either of 'ON' or 'OFF'");
    }
    l.legal_hold_set = true;
    l.legal_hold = h == "ON";
  }
  return std::optional<VersionLock>(l);
}

void AddObjectLockConditions(const std::string& action,
                             const std::map<std::string, std::string>& headers,
                             std::string_view body, TimePoint now,
                             std::map<std::string, std::string>& conditions) {
  std::optional<VersionLock> l;
  if (action == "s3:PutObject") {
    auto parsed = ParseLockHeaders(headers, now);
    if (parsed.ok()) l = *parsed;
  } else if (action == "s3:PutObjectRetention") {
    auto parsed = ParseRetention(body, now);
    if (parsed.ok()) l = *parsed;
  } else if (action == "s3:PutObjectLegalHold") {
    auto parsed = ParseLegalHold(body);
    if (parsed.ok()) {
      l = VersionLock{};
      l->legal_hold_set = true;
      l->legal_hold = *parsed;
    }
  }
  if (l) AddObjectLockConditions(*l, now, conditions);
}

void AddObjectLockConditions(const VersionLock& l, TimePoint now,
                             std::map<std::string, std::string>& conditions) {
  if (!l.mode.empty() && l.retain_until) {
    conditions["s3:object-lock-mode"] = l.mode;
    conditions["s3:object-lock-retain-until-date"] = FormatIso8601Millis(*l.retain_until);
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(*l.retain_until - now);
    const int64_t day = 86400;
    const int64_t days = left.count() <= 0 ? 0 : (left.count() + day - 1) / day;
    conditions["s3:object-lock-remaining-retention-days"] = std::to_string(days);
  }
  if (l.legal_hold_set) conditions["s3:object-lock-legal-hold"] = l.legal_hold ? "ON" : "OFF";
}

Result<VersionLock> ParseRetention(std::string_view xml, TimePoint now) {
  OT_ASSIGN_OR_RETURN(auto doc, ParseXmlBody(xml, "Retention"));
  auto root = doc->document_element();
  auto mode = ChildText(root, "Mode");
  auto until = ChildText(root, "RetainUntilDate");
  VersionLock l;
  if (!mode && !until) return l;  // removal
  if (!mode || !until) return Malformed();
  if (!KnownMode(*mode)) return Status::Error("InvalidArgument", "Unknown wormMode directive.");
  OT_ASSIGN_OR_RETURN(TimePoint t, FutureDate(*until, now));
  l.mode = *mode;
  l.retain_until = t;
  return l;
}

std::string RenderRetention(const VersionLock& l) {
  XmlWriter w;
  w.Open("Retention", true);
  if (!l.mode.empty() && l.retain_until) {
    w.Leaf("Mode", l.mode).Leaf("RetainUntilDate", FormatIso8601Millis(*l.retain_until));
  }
  return w.Close("Retention").Take();
}

Result<bool> ParseLegalHold(std::string_view xml) {
  OT_ASSIGN_OR_RETURN(auto doc, ParseXmlBody(xml, "LegalHold"));
  auto st = ChildText(doc->document_element(), "Status");
  if (!st || (*st != "ON" && *st != "OFF")) return Malformed();
  return *st == "ON";
}

std::string RenderLegalHold(bool on) {
  XmlWriter w;
  return w.Open("LegalHold", true).Leaf("Status", on ? "ON" : "OFF").Close("LegalHold").Take();
}

RetentionChange ClassifyRetentionChange(const VersionLock& current, const VersionLock& wanted,
                                        TimePoint now) {
  if (!RetentionActive(current, now)) return RetentionChange::kAllowed;
  bool keeps_or_extends =
      !wanted.mode.empty() && wanted.retain_until && *wanted.retain_until >= *current.retain_until;
  if (current.mode == "COMPLIANCE") {
    return keeps_or_extends && wanted.mode == "COMPLIANCE" ? RetentionChange::kAllowed
                                                           : RetentionChange::kForbidden;
  }
  // GOVERNANCE: extending it, or raising it to COMPLIANCE, only adds
  // protection; anything else weakens it.
  return keeps_or_extends ? RetentionChange::kAllowed : RetentionChange::kNeedsBypass;
}

std::string DeletionBlocker(const VersionLock& l, TimePoint now) {
  if (l.legal_hold) return "legal-hold";
  if (!RetentionActive(l, now)) return "";
  return l.mode == "COMPLIANCE" ? "compliance" : "governance";
}

}  // namespace orgtrail::s3
