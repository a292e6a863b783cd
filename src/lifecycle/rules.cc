#include "lifecycle/rules.h"

#include <algorithm>
#include <vector>

#include "base/strings.h"

namespace orgtrail::lifecycle {

namespace {

constexpr int64_t kDay = 86400;

std::optional<TimePoint> DateOf(const std::optional<std::string>& date) {
  if (!date) return std::nullopt;
  return ParseIso8601(*date);
}

struct Candidate {
  ActionKind action;
  std::string storage_class;
  std::string rule_id;
  TimePoint due;
};

bool IsExpiry(ActionKind a) {
  return a == ActionKind::kExpireCurrent || a == ActionKind::kExpireNoncurrent ||
         a == ActionKind::kRemoveDeleteMarker;
}

// All actions the rule would take on `v` at some time, with their due times.
void Collect(const s3::LifecycleRule& r, const VersionFacts& v, std::vector<Candidate>& out) {
  const int rank = StorageClassRank(v.storage_class);
  if (v.delete_marker) {
    if (v.is_latest) {
      if (v.sole_version && ((r.expired_object_delete_marker && *r.expired_object_delete_marker) ||
                             r.expiration_days)) {
        // Removed by the next lifecycle run once it is the only version.
        out.push_back({ActionKind::kRemoveDeleteMarker, "", r.id, v.created});
      }
    } else if (r.noncurrent_expiration) {
      const auto& ne = *r.noncurrent_expiration;
      if (!ne.newer_noncurrent_versions || v.newer_noncurrent_versions >= *ne.newer_noncurrent_versions) {
        out.push_back({ActionKind::kExpireNoncurrent, "", r.id,
                       DueAfterDays(v.noncurrent_since, ne.noncurrent_days)});
      }
    }
    return;
  }
  if (v.is_latest) {
    if (r.expiration_days) {
      out.push_back({ActionKind::kExpireCurrent, "", r.id, DueAfterDays(v.created, *r.expiration_days)});
    } else if (auto d = DateOf(r.expiration_date)) {
      out.push_back({ActionKind::kExpireCurrent, "", r.id, *d});
    }
    for (const auto& t : r.transitions) {
      if (StorageClassRank(t.storage_class) <= rank) continue;
      if (t.days) {
        out.push_back({ActionKind::kTransition, t.storage_class, r.id, DueAfterDays(v.created, *t.days)});
      } else if (auto d = DateOf(t.date)) {
        out.push_back({ActionKind::kTransition, t.storage_class, r.id, *d});
      }
    }
    return;
  }
  auto eligible = [&](const s3::LifecycleRule::Noncurrent& n) {
    return !n.newer_noncurrent_versions || v.newer_noncurrent_versions >= *n.newer_noncurrent_versions;
  };
  if (r.noncurrent_expiration && eligible(*r.noncurrent_expiration)) {
    out.push_back({ActionKind::kExpireNoncurrent, "", r.id,
                   DueAfterDays(v.noncurrent_since, r.noncurrent_expiration->noncurrent_days)});
  }
  for (const auto& t : r.noncurrent_transitions) {
    if (StorageClassRank(t.storage_class) <= rank || !eligible(t)) continue;
    out.push_back({ActionKind::kTransitionNoncurrent, t.storage_class, r.id,
                   DueAfterDays(v.noncurrent_since, t.noncurrent_days)});
  }
}

}  // namespace

TimePoint FloorToDay(TimePoint t) {
  int64_t s = ToUnixSeconds(t);
  int64_t day = s >= 0 ? s / kDay : -((-s + kDay - 1) / kDay);
  return FromUnixSeconds(static_cast<double>(day * kDay));
}

TimePoint DueAfterDays(TimePoint t, int64_t days) {
  TimePoint shifted = t + std::chrono::seconds(days * kDay);
  TimePoint floor = FloorToDay(shifted);
  return floor == shifted ? floor : floor + std::chrono::seconds(kDay);
}

int StorageClassRank(const std::string& c) {
  if (c == "INTELLIGENT_TIERING") return 1;
  if (c == "STANDARD_IA") return 2;
  if (c == "ONEZONE_IA") return 3;
  if (c == "GLACIER_IR") return 4;
  if (c == "GLACIER") return 5;
  if (c == "DEEP_ARCHIVE") return 6;
  return 0;
}

std::map<std::string, std::string> ParseTagSet(const std::string& encoded) {
  std::map<std::string, std::string> out;
  if (encoded.empty()) return out;
  auto pairs = ParseQueryString(encoded, true);
  if (!pairs) return out;
  for (auto& [k, v] : *pairs) out[k] = v;
  return out;
}

bool RuleMatches(const s3::LifecycleRule& rule, const VersionFacts& v) {
  if (!rule.enabled) return false;
  const auto& f = rule.filter;
  if (!StartsWith(v.key, f.prefix)) return false;
  for (const auto& t : f.tags) {
    auto it = v.tags.find(t.key);
    if (it == v.tags.end() || it->second != t.value) return false;
  }
  if (f.size_greater_than && !(v.size > *f.size_greater_than)) return false;
  if (f.size_less_than && !(v.size < *f.size_less_than)) return false;
  return true;
}

Decision Evaluate(const s3::LifecycleConfiguration& cfg, const VersionFacts& v, TimePoint now) {
  std::vector<Candidate> all;
  for (const auto& r : cfg.rules) {
    if (RuleMatches(r, v)) Collect(r, v, all);
  }
  Decision d;
  const Candidate* best = nullptr;
  for (const auto& c : all) {
    if (c.due > now) {
      if (!d.next_due || c.due < *d.next_due) d.next_due = c.due;
      continue;
    }
    if (!best) {
      best = &c;
    } else if (IsExpiry(c.action) != IsExpiry(best->action)) {
      if (IsExpiry(c.action)) best = &c;  // expiration wins over transition
    } else if (!IsExpiry(c.action) &&
               StorageClassRank(c.storage_class) > StorageClassRank(best->storage_class)) {
      best = &c;  // the colder class wins
    }
  }
  if (best) {
    d.action = best->action;
    d.storage_class = best->storage_class;
    d.rule_id = best->rule_id;
  }
  return d;
}

std::string AccessLogOperation(ActionKind action, const std::string& storage_class,
                               bool versioned) {
  switch (action) {
    case ActionKind::kTransition:
    case ActionKind::kTransitionNoncurrent: {
      if (storage_class == "STANDARD_IA") return "S3.TRANSITION_SIA.OBJECT";
      if (storage_class == "ONEZONE_IA") return "S3.TRANSITION_ZIA.OBJECT";
      if (storage_class == "INTELLIGENT_TIERING") return "S3.TRANSITION_INT.OBJECT";
      if (storage_class == "GLACIER_IR") return "S3.TRANSITION_GIR.OBJECT";
      if (storage_class == "DEEP_ARCHIVE") return "S3.TRANSITION_GDA.OBJECT";
      return "S3.TRANSITION_GLACIER.OBJECT";
    }
    case ActionKind::kExpireCurrent:
      return versioned ? "S3.CREATE.DELETEMARKER" : "S3.EXPIRE.OBJECT";
    case ActionKind::kExpireNoncurrent:
    case ActionKind::kRemoveDeleteMarker:
      return "S3.EXPIRE.OBJECT";
    case ActionKind::kNone:
      break;
  }
  return "";
}

}  // namespace orgtrail::lifecycle
