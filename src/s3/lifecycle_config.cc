#include "s3/lifecycle_config.h"

#include <set>

#include "base/strings.h"
#include "base/time.h"
#include "s3/s3_codec.h"

namespace orgtrail::s3 {

namespace {

constexpr char kMalformed[] =
    "The XML you provided was not well-formed or did not validate against our published schema";

Status Malformed() { return Status::Error("MalformedXML", kMalformed); }
Status Invalid(std::string m) { return Status::Error("InvalidArgument", std::move(m)); }

bool ValidTransitionClass(const std::string& c) {
  static const std::set<std::string> k = {"GLACIER",     "STANDARD_IA",  "ONEZONE_IA",
                                          "INTELLIGENT_TIERING", "DEEP_ARCHIVE", "GLACIER_IR"};
  return k.count(c) > 0;
}

// Counts element children named `name`.
int CountChildren(const pugi::xml_node& n, const char* name) {
  int c = 0;
  for (auto ch = n.child(name); ch; ch = ch.next_sibling(name)) ++c;
  return c;
}

Result<int64_t> ParseCount(const pugi::xml_node& n, const char* name, bool positive,
                           const std::string& what) {
  auto t = ChildText(n, name);
  if (!t) return Malformed();
  auto v = ParseNonNegative(*t);
  if (!v || (positive && *v == 0)) {
    // Built by appends: g++ 12 at -O3 misreports `"'" + std::string(...)`
    // as an overlapping memcpy (-Werror=restrict).
    std::string msg = "'";
    msg.append(name).append("' for ").append(what).append(" action must be a ");
    msg.append(positive ? "positive" : "non-negative").append(" integer");
    return Invalid(msg);
  }
  return *v;
}

Result<std::string> ParseDate(const std::string& s) {
  auto t = ParseIso8601(s);
  if (!t) return Invalid("Invalid date format: " + s);
  if (ToUnixSeconds(*t) % 86400 != 0 ||
      std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()) !=
          t->time_since_epoch()) {
    return Invalid("'Date' must be at midnight GMT");
  }
  return FormatIso8601Millis(*t);
}

Result<LifecycleTag> ParseTag(const pugi::xml_node& t) {
  auto k = ChildText(t, "Key");
  auto v = ChildText(t, "Value");
  if (!k || !v) return Malformed();
  if (k->empty() || k->size() > 128 || v->size() > 256) {
    return Status::Error("InvalidTag", "The TagKey or TagValue you have provided is invalid");
  }
  return LifecycleTag{*k, *v};
}

Result<LifecycleFilter> ParseFilter(const pugi::xml_node& f) {
  LifecycleFilter out;
  int children = 0;
  for (auto c = f.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element) ++children;
  }
  if (children > 1) return Malformed();
  if (children == 0) {
    out.kind = LifecycleFilter::Kind::kPrefix;
    return out;
  }
  if (auto p = ChildText(f, "Prefix")) {
    out.kind = LifecycleFilter::Kind::kPrefix;
    out.prefix = *p;
  } else if (auto t = f.child("Tag")) {
    out.kind = LifecycleFilter::Kind::kTag;
    OT_ASSIGN_OR_RETURN(LifecycleTag tag, ParseTag(t));
    out.tags.push_back(std::move(tag));
  } else if (auto g = ChildText(f, "ObjectSizeGreaterThan")) {
    out.kind = LifecycleFilter::Kind::kSize;
    out.size_greater_than = ParseNonNegative(*g);
    if (!out.size_greater_than) return Invalid("Invalid ObjectSizeGreaterThan");
  } else if (auto l = ChildText(f, "ObjectSizeLessThan")) {
    out.kind = LifecycleFilter::Kind::kSize;
    out.size_less_than = ParseNonNegative(*l);
    if (!out.size_less_than || *out.size_less_than == 0) return Invalid("Invalid ObjectSizeLessThan");
  } else if (auto a = f.child("And")) {
    out.kind = LifecycleFilter::Kind::kAnd;
    if (CountChildren(a, "Prefix") > 1 || CountChildren(a, "ObjectSizeGreaterThan") > 1 ||
        CountChildren(a, "ObjectSizeLessThan") > 1) {
      return Malformed();
    }
    for (auto c = a.first_child(); c; c = c.next_sibling()) {
      std::string_view n = c.name();
      if (c.type() != pugi::node_element) continue;
      if (n != "Prefix" && n != "Tag" && n != "ObjectSizeGreaterThan" && n != "ObjectSizeLessThan") {
        return Malformed();
      }
    }
    if (auto p = ChildText(a, "Prefix")) out.prefix = *p;
    std::set<std::string> seen;
    for (auto t = a.child("Tag"); t; t = t.next_sibling("Tag")) {
      OT_ASSIGN_OR_RETURN(LifecycleTag tag, ParseTag(t));
      if (!seen.insert(tag.key).second) {
        return Invalid("Duplicate Tag Keys are not allowed.");
      }
      out.tags.push_back(std::move(tag));
    }
    if (auto g = ChildText(a, "ObjectSizeGreaterThan")) {
      out.size_greater_than = ParseNonNegative(*g);
      if (!out.size_greater_than) return Invalid("Invalid ObjectSizeGreaterThan");
    }
    if (auto l = ChildText(a, "ObjectSizeLessThan")) {
      out.size_less_than = ParseNonNegative(*l);
      if (!out.size_less_than) return Invalid("Invalid ObjectSizeLessThan");
    }
    int parts = (ChildText(a, "Prefix") ? 1 : 0) + static_cast<int>(out.tags.size()) +
                (out.size_greater_than ? 1 : 0) + (out.size_less_than ? 1 : 0);
    if (parts < 2) return Malformed();
    if (out.size_greater_than && out.size_less_than &&
        *out.size_less_than <= *out.size_greater_than) {
      return Invalid("ObjectSizeLessThan must be greater than ObjectSizeGreaterThan");
    }
  } else {
    return Malformed();
  }
  return out;
}

Result<LifecycleRule> ParseRule(const pugi::xml_node& r) {
  static const std::set<std::string> kKnown = {
      "ID", "Prefix", "Filter", "Status", "Expiration", "Transition", "NoncurrentVersionTransition",
      "NoncurrentVersionExpiration", "AbortIncompleteMultipartUpload"};
  for (auto c = r.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && !kKnown.count(c.name())) return Malformed();
  }
  LifecycleRule rule;
  if (auto id = ChildText(r, "ID")) {
    if (id->size() > 255) return Invalid("ID length should not exceed allowed limit of 255");
    rule.id = *id;
  }
  auto status = ChildText(r, "Status");
  if (!status || (*status != "Enabled" && *status != "Disabled")) return Malformed();
  rule.enabled = *status == "Enabled";
  if (CountChildren(r, "Filter") > 1 || CountChildren(r, "Prefix") > 1 ||
      CountChildren(r, "Expiration") > 1 || CountChildren(r, "NoncurrentVersionExpiration") > 1 ||
      CountChildren(r, "AbortIncompleteMultipartUpload") > 1) {
    return Malformed();
  }
  bool has_filter = static_cast<bool>(r.child("Filter"));
  bool has_prefix = static_cast<bool>(r.child("Prefix"));
  if (has_filter && has_prefix) return Malformed();
  if (has_filter) {
    OT_ASSIGN_OR_RETURN(rule.filter, ParseFilter(r.child("Filter")));
  } else if (has_prefix) {
    rule.filter.kind = LifecycleFilter::Kind::kLegacyPrefix;
    rule.filter.prefix = *ChildText(r, "Prefix");
  }
  bool tag_filter = !rule.filter.tags.empty();

  if (auto e = r.child("Expiration")) {
    int n = (e.child("Days") ? 1 : 0) + (e.child("Date") ? 1 : 0) +
            (e.child("ExpiredObjectDeleteMarker") ? 1 : 0);
    if (n != 1) return Malformed();
    if (e.child("Days")) {
      OT_ASSIGN_OR_RETURN(rule.expiration_days, ParseCount(e, "Days", true, "Expiration"));
    } else if (e.child("Date")) {
      OT_ASSIGN_OR_RETURN(rule.expiration_date, ParseDate(*ChildText(e, "Date")));
    } else {
      auto b = ParseXmlBool(*ChildText(e, "ExpiredObjectDeleteMarker"));
      if (!b) return Malformed();
      if (tag_filter) {
        return Invalid("ExpiredObjectDeleteMarker cannot be specified with object tags");
      }
      rule.expired_object_delete_marker = *b;
    }
  }
  std::set<std::string> classes;
  for (auto t = r.child("Transition"); t; t = t.next_sibling("Transition")) {
    LifecycleTransition tr;
    if ((t.child("Days") ? 1 : 0) + (t.child("Date") ? 1 : 0) != 1) return Malformed();
    if (t.child("Days")) {
      OT_ASSIGN_OR_RETURN(tr.days, ParseCount(t, "Days", false, "Transition"));
    } else {
      OT_ASSIGN_OR_RETURN(tr.date, ParseDate(*ChildText(t, "Date")));
    }
    auto sc = ChildText(t, "StorageClass");
    if (!sc) return Malformed();
    if (!ValidTransitionClass(*sc)) return Malformed();
    tr.storage_class = *sc;
    if (!classes.insert(*sc).second) {
      return Invalid("'StorageClass' must be different for 'Transition' actions in same 'Rule'");
    }
    if ((*sc == "STANDARD_IA" || *sc == "ONEZONE_IA") && tr.days && *tr.days < 30) {
      return Invalid("'Days' in Transition action must be greater than or equal to 30 for "
                     "storageClass '" + *sc + "'");
    }
    if (rule.expiration_date && tr.days) {
      return Invalid("Found mixed 'Date' and 'Days' based Expiration and Transition actions in "
                     "lifecycle rule");
    }
    if (rule.expiration_days && tr.date) {
      return Invalid("Found mixed 'Date' and 'Days' based Expiration and Transition actions in "
                     "lifecycle rule");
    }
    if (rule.expiration_days && tr.days && *rule.expiration_days <= *tr.days) {
      return Invalid("'Days' in the Expiration action must be greater than 'Days' in the "
                     "Transition action");
    }
    rule.transitions.push_back(std::move(tr));
  }
  for (auto t = r.child("NoncurrentVersionTransition"); t;
       t = t.next_sibling("NoncurrentVersionTransition")) {
    LifecycleRule::Noncurrent nc;
    OT_ASSIGN_OR_RETURN(nc.noncurrent_days,
                        ParseCount(t, "NoncurrentDays", false, "NoncurrentVersionTransition"));
    if (t.child("NewerNoncurrentVersions")) {
      OT_ASSIGN_OR_RETURN(nc.newer_noncurrent_versions,
                          ParseCount(t, "NewerNoncurrentVersions", true,
                                     "NoncurrentVersionTransition"));
    }
    auto sc = ChildText(t, "StorageClass");
    if (!sc || !ValidTransitionClass(*sc)) return Malformed();
    nc.storage_class = *sc;
    rule.noncurrent_transitions.push_back(std::move(nc));
  }
  if (auto e = r.child("NoncurrentVersionExpiration")) {
    LifecycleRule::Noncurrent nc;
    OT_ASSIGN_OR_RETURN(nc.noncurrent_days,
                        ParseCount(e, "NoncurrentDays", true, "NoncurrentVersionExpiration"));
    if (e.child("NewerNoncurrentVersions")) {
      OT_ASSIGN_OR_RETURN(nc.newer_noncurrent_versions,
                          ParseCount(e, "NewerNoncurrentVersions", true,
                                     "NoncurrentVersionExpiration"));
    }
    rule.noncurrent_expiration = nc;
  }
  if (auto a = r.child("AbortIncompleteMultipartUpload")) {
    OT_ASSIGN_OR_RETURN(rule.abort_incomplete_multipart_days,
                        ParseCount(a, "DaysAfterInitiation", true,
                                   "AbortIncompleteMultipartUpload"));
    if (tag_filter) {
      return Invalid("AbortIncompleteMultipartUpload cannot be specified with Tags.");
    }
  }
  if (!r.child("Expiration") && rule.transitions.empty() && rule.noncurrent_transitions.empty() &&
      !rule.noncurrent_expiration && !rule.abort_incomplete_multipart_days) {
    return Status::Error("InvalidRequest", "At least one action needs to be specified in a rule");
  }
  return rule;
}

void RenderTag(XmlWriter& w, const LifecycleTag& t) {
  w.Open("Tag").Leaf("Key", t.key).Leaf("Value", t.value).Close("Tag");
}

}  // namespace

Result<LifecycleConfiguration> ParseLifecycleConfiguration(std::string_view xml) {
  OT_ASSIGN_OR_RETURN(auto doc, ParseXmlBody(xml, "LifecycleConfiguration"));
  pugi::xml_node root = doc->document_element();
  LifecycleConfiguration cfg;
  std::set<std::string> ids;
  for (auto c = root.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && std::string_view(c.name()) != "Rule") return Malformed();
  }
  for (auto r = root.child("Rule"); r; r = r.next_sibling("Rule")) {
    OT_ASSIGN_OR_RETURN(LifecycleRule rule, ParseRule(r));
    if (rule.id.empty()) rule.id = "rule-" + std::to_string(cfg.rules.size() + 1);
    if (!ids.insert(rule.id).second) return Invalid("Rule ID must be unique. Found same ID for more than one rule");
    cfg.rules.push_back(std::move(rule));
    if (cfg.rules.size() > 1000) return Invalid("Lifecycle configuration can have at most 1000 rules");
  }
  if (cfg.rules.empty()) return Malformed();
  return cfg;
}

std::string RenderLifecycleConfiguration(const LifecycleConfiguration& cfg) {
  XmlWriter w;
  w.Open("LifecycleConfiguration", true);
  for (const auto& r : cfg.rules) {
    w.Open("Rule");
    if (r.expiration_days || r.expiration_date || r.expired_object_delete_marker) {
      w.Open("Expiration");
      if (r.expiration_date) w.Leaf("Date", *r.expiration_date);
      if (r.expiration_days) w.Leaf("Days", std::to_string(*r.expiration_days));
      if (r.expired_object_delete_marker) {
        w.Leaf("ExpiredObjectDeleteMarker", *r.expired_object_delete_marker ? "true" : "false");
      }
      w.Close("Expiration");
    }
    w.Leaf("ID", r.id);
    const auto& f = r.filter;
    using K = LifecycleFilter::Kind;
    if (f.kind == K::kLegacyPrefix) {
      w.Leaf("Prefix", f.prefix);
    } else if (f.kind != K::kNone) {
      w.Open("Filter");
      if (f.kind == K::kPrefix) w.Leaf("Prefix", f.prefix);
      if (f.kind == K::kTag) RenderTag(w, f.tags[0]);
      if (f.kind == K::kSize) {
        if (f.size_greater_than) w.Leaf("ObjectSizeGreaterThan", std::to_string(*f.size_greater_than));
        if (f.size_less_than) w.Leaf("ObjectSizeLessThan", std::to_string(*f.size_less_than));
      }
      if (f.kind == K::kAnd) {
        w.Open("And");
        if (!f.prefix.empty()) w.Leaf("Prefix", f.prefix);
        for (const auto& t : f.tags) RenderTag(w, t);
        if (f.size_greater_than) w.Leaf("ObjectSizeGreaterThan", std::to_string(*f.size_greater_than));
        if (f.size_less_than) w.Leaf("ObjectSizeLessThan", std::to_string(*f.size_less_than));
        w.Close("And");
      }
      w.Close("Filter");
    }
    w.Leaf("Status", r.enabled ? "Enabled" : "Disabled");
    for (const auto& t : r.transitions) {
      w.Open("Transition");
      if (t.date) w.Leaf("Date", *t.date);
      if (t.days) w.Leaf("Days", std::to_string(*t.days));
      w.Leaf("StorageClass", t.storage_class).Close("Transition");
    }
    for (const auto& t : r.noncurrent_transitions) {
      w.Open("NoncurrentVersionTransition").Leaf("NoncurrentDays", std::to_string(t.noncurrent_days));
      w.Leaf("StorageClass", t.storage_class);
      if (t.newer_noncurrent_versions) {
        w.Leaf("NewerNoncurrentVersions", std::to_string(*t.newer_noncurrent_versions));
      }
      w.Close("NoncurrentVersionTransition");
    }
    if (r.noncurrent_expiration) {
      w.Open("NoncurrentVersionExpiration")
          .Leaf("NoncurrentDays", std::to_string(r.noncurrent_expiration->noncurrent_days));
      if (r.noncurrent_expiration->newer_noncurrent_versions) {
        w.Leaf("NewerNoncurrentVersions",
               std::to_string(*r.noncurrent_expiration->newer_noncurrent_versions));
      }
      w.Close("NoncurrentVersionExpiration");
    }
    if (r.abort_incomplete_multipart_days) {
      w.Open("AbortIncompleteMultipartUpload")
          .Leaf("DaysAfterInitiation", std::to_string(*r.abort_incomplete_multipart_days))
          .Close("AbortIncompleteMultipartUpload");
    }
    w.Close("Rule");
  }
  return w.Close("LifecycleConfiguration").Take();
}

}  // namespace orgtrail::s3
