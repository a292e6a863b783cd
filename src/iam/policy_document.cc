#include "iam/policy_document.h"

#include <set>
#include <string>

namespace orgtrail::iam {
namespace {

Status Malformed(const std::string& message) {
  return Status::Error("MalformedPolicyDocument", message, 400);
}

bool IsStringOrStringList(const Json& v) {
  if (v.is_string()) return !v.get_ref<const std::string&>().empty();
  if (!v.is_array() || v.empty()) return false;
  for (const auto& e : v) {
    if (!e.is_string() || e.get_ref<const std::string&>().empty()) return false;
  }
  return true;
}

bool IsValidAction(const std::string& a) {
  if (a == "*") return true;
  size_t colon = a.find(':');
  return colon != std::string::npos && colon > 0 && colon + 1 < a.size();
}

Status CheckActions(const Json& v, const char* name) {
  if (!IsStringOrStringList(v))
    return Malformed(std::string(name) + " must be a non-empty string or list of strings.");
  auto check = [&](const std::string& a) -> Status {
    if (!IsValidAction(a)) return Malformed("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
    return Status::Ok();
  };
  if (v.is_string()) return check(v.get<std::string>());
  for (const auto& e : v) OT_RETURN_IF_ERROR(check(e.get<std::string>()));
  return Status::Ok();
}

Status CheckPrincipal(const Json& v) {
  if (v.is_string()) {
    if (v.get<std::string>() != "*") return Malformed("Invalid principal in policy: " + v.dump());
    return Status::Ok();
  }
  if (!v.is_object() || v.empty()) return Malformed("Invalid principal in policy: " + v.dump());
  static const std::set<std::string> kKinds = {"AWS", "Service", "Federated",
                                               "CanonicalUser"};
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (!kKinds.count(it.key()) || !IsStringOrStringList(it.value()))
      return Malformed("Invalid principal in policy: \"" + it.key() + "\":" + it.value().dump());
  }
  return Status::Ok();
}

Status CheckCondition(const Json& v) {
  if (!v.is_object()) return Malformed("Syntax errors in policy.");
  for (auto op = v.begin(); op != v.end(); ++op) {
    if (!op.value().is_object()) return Malformed("Syntax errors in policy.");
    for (auto key = op.value().begin(); key != op.value().end(); ++key) {
      const Json& val = key.value();
      bool ok = val.is_string() || val.is_boolean() || val.is_number();
      if (val.is_array()) {
        ok = true;
        for (const auto& e : val) ok = ok && (e.is_string() || e.is_boolean() || e.is_number());
      }
      if (!ok) return Malformed("Syntax errors in policy.");
    }
  }
  return Status::Ok();
}

Status CheckStatement(const Json& st, PolicyKind kind) {
  if (!st.is_object()) return Malformed("Syntax errors in policy.");
  static const std::set<std::string> kKnown = {"Sid",       "Effect",       "Action",
                                               "NotAction", "Principal",    "NotPrincipal",
                                               "Resource",  "NotResource",  "Condition"};
  for (auto it = st.begin(); it != st.end(); ++it) {
    if (!kKnown.count(it.key())) return Malformed("Syntax errors in policy.");
  }
  auto effect = st.find("Effect");
  if (effect == st.end()) return Malformed("Missing required field Effect");
  if (!effect->is_string() || (*effect != "Allow" && *effect != "Deny"))
    return Malformed("Invalid effect: " + effect->dump());
  if (auto sid = st.find("Sid"); sid != st.end() && !sid->is_string())
    return Malformed("Syntax errors in policy.");
  bool has_action = st.contains("Action"), has_not_action = st.contains("NotAction");
  if (has_action == has_not_action)
    return Malformed(has_action ? "Statement cannot have both Action and NotAction"
                                : "Policy statement must contain actions.");
  OT_RETURN_IF_ERROR(CheckActions(st[has_action ? "Action" : "NotAction"],
                                  has_action ? "Action" : "NotAction"));
  bool has_p = st.contains("Principal"), has_np = st.contains("NotPrincipal");
  if (kind == PolicyKind::kTrust) {
    if (has_p == has_np)
      return Malformed(has_p ? "Statement cannot have both Principal and NotPrincipal"
                             : "AssumeRolepolicy contained an invalid principal: missing "
                               "Principal.");
    OT_RETURN_IF_ERROR(CheckPrincipal(st[has_p ? "Principal" : "NotPrincipal"]));
  } else {
    if (has_p || has_np) return Malformed("Policy document should not specify a principal.");
    bool has_r = st.contains("Resource"), has_nr = st.contains("NotResource");
    if (has_r == has_nr)
      return Malformed(has_r ? "Statement cannot have both Resource and NotResource"
                             : "Policy statement must contain resources.");
    if (!IsStringOrStringList(st[has_r ? "Resource" : "NotResource"]))
      return Malformed("Syntax errors in policy.");
  }
  if (auto c = st.find("Condition"); c != st.end()) OT_RETURN_IF_ERROR(CheckCondition(*c));
  return Status::Ok();
}

}  // namespace

Result<Json> ValidatePolicyDocument(std::string_view text, PolicyKind kind) {
  if (text.empty() || text.size() > 131072) return Malformed("Syntax errors in policy.");
  Json doc = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return Malformed("Syntax errors in policy.");
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (it.key() != "Version" && it.key() != "Statement" && it.key() != "Id")
      return Malformed("Syntax errors in policy.");
  }
  if (auto v = doc.find("Version"); v != doc.end()) {
    if (!v->is_string() || (*v != "2012-10-17" && *v != "2008-10-17"))
      return Malformed("The policy must contain a valid version string");
  }
  auto st = doc.find("Statement");
  if (st == doc.end()) return Malformed("Syntax errors in policy.");
  if (st->is_array()) {
    if (st->empty()) return Malformed("Syntax errors in policy.");
    for (const auto& s : *st) OT_RETURN_IF_ERROR(CheckStatement(s, kind));
  } else {
    OT_RETURN_IF_ERROR(CheckStatement(*st, kind));
  }
  return doc;
}

}  // namespace orgtrail::iam
