#include "kms/key_policy.h"

#include <optional>
#include <vector>

#include "base/strings.h"
#include "policy/policy_document.h"

namespace orgtrail::kms {
namespace {

Status Malformed(const std::string& why) {
  return Status::Error("MalformedPolicyDocumentException", "The new key policy " + why);
}

// A JSON member that may be a single value or a list of values, as strings.
// nullopt if some element is not a string/bool/number.
std::optional<std::vector<std::string>> StringList(const Json& v) {
  std::vector<std::string> out;
  auto one = [&out](const Json& e) {
    if (e.is_string()) out.push_back(e.get<std::string>());
    else if (e.is_boolean()) out.push_back(e.get<bool>() ? "true" : "false");
    else if (e.is_number_integer()) out.push_back(std::to_string(e.get<int64_t>()));
    else return false;
    return true;
  };
  if (v.is_array()) {
    for (const auto& e : v)
      if (!one(e)) return std::nullopt;
  } else if (!one(v)) {
    return std::nullopt;
  }
  return out;
}

// The statements of a policy as a list (a single object is allowed).
std::vector<const Json*> Statements(const Json& policy) {
  std::vector<const Json*> out;
  auto it = policy.find("Statement");
  if (it == policy.end()) return out;
  if (it->is_object()) out.push_back(&*it);
  else if (it->is_array())
    for (const auto& s : *it) out.push_back(&s);
  return out;
}

}  // namespace

bool WildcardMatch(std::string_view pattern, std::string_view text, bool ignore_case) {
  auto eq = [ignore_case](char a, char b) {
    if (!ignore_case) return a == b;
    auto low = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    return low(a) == low(b);
  };
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || eq(pattern[p], text[t]))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

Result<Json> ValidateKeyPolicy(std::string_view text) {
  if (text.empty()) return Malformed("is empty");
  if (text.size() > kMaxKeyPolicySize)
    return Status::Error("LimitExceededException",
                         "The key policy exceeds the maximum size of 32768 bytes");
  Json doc = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return Malformed("is not a valid JSON object");
  if (auto v = doc.find("Version"); v != doc.end()) {
    if (!v->is_string() || (*v != "2012-10-17" && *v != "2008-10-17"))
      return Malformed("has an unsupported Version");
  }
  auto st = doc.find("Statement");
  if (st == doc.end() || !(st->is_object() || (st->is_array() && !st->empty())))
    return Malformed("must contain a Statement");
  for (const Json* s : Statements(doc)) {
    if (!s->is_object()) return Malformed("contains a statement that is not an object");
    auto effect = s->find("Effect");
    if (effect == s->end() || !effect->is_string() || (*effect != "Allow" && *effect != "Deny"))
      return Malformed("contains a statement with an invalid Effect");
    if (!s->contains("Principal") && !s->contains("NotPrincipal"))
      return Malformed("contains a statement without a Principal");
    bool has_action = s->contains("Action"), has_not = s->contains("NotAction");
    if (has_action == has_not)
      return Malformed("contains a statement without exactly one of Action or NotAction");
    const Json& actions = has_action ? (*s)["Action"] : (*s)["NotAction"];
    if (!StringList(actions)) return Malformed("contains an invalid Action");
    if (auto c = s->find("Condition"); c != s->end() && !c->is_object())
      return Malformed("contains an invalid Condition");
  }
  // Everything the evaluator needs must parse, or the key could never be
  // used as written.
  auto parsed = policy::ParsePolicy(text, policy::PolicyKind::kResource);
  if (!parsed.ok())
    return Status::Error("MalformedPolicyDocumentException", parsed.status().message());
  return doc;
}

std::string DefaultKeyPolicy(const std::string& account_id) {
  OrderedJson stmt = {{"Sid", "Enable IAM User Permissions"},
                      {"Effect", "Allow"},
                      {"Principal", {{"AWS", "arn:aws:iam::" + account_id + ":root"}}},
                      {"Action", "kms:*"},
                      {"Resource", "*"}};
  OrderedJson doc = {{"Version", "2012-10-17"},
                     {"Id", "key-default-1"},
                     {"Statement", OrderedJson::array({stmt})}};
  return doc.dump(2);
}


}  // namespace orgtrail::kms
