#include "kms/key_policy.h"

#include <optional>
#include <vector>

#include "base/strings.h"

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

enum class Tri { kFalse, kTrue, kUnknown };

bool IsAccountId(std::string_view s) {
  if (s.size() != 12) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool PrincipalEntryMatches(const std::string& entry, const auth::Principal& p) {
  if (entry == "*") return true;
  if (p.type == auth::PrincipalType::kAWSService) return false;
  std::string account;
  if (IsAccountId(entry)) account = entry;
  else if (StartsWith(entry, "arn:aws:iam::") && EndsWith(entry, ":root"))
    account = entry.substr(13, entry.size() - 13 - 5);
  if (!account.empty()) return account == p.account_id;
  if (!p.arn.empty() && entry == p.arn) return true;
  if (p.type == auth::PrincipalType::kAssumedRole && !p.role_arn.empty() && entry == p.role_arn)
    return true;
  return false;
}

// kTrue/kFalse if the statement's Principal names (or not) the caller;
// kUnknown for shapes we do not evaluate (NotPrincipal, Federated ...).
Tri PrincipalMatches(const Json& st, const auth::Principal& p) {
  if (st.contains("NotPrincipal")) return Tri::kUnknown;
  auto it = st.find("Principal");
  if (it == st.end()) return Tri::kUnknown;
  if (it->is_string()) return it->get<std::string>() == "*" ? Tri::kTrue : Tri::kUnknown;
  if (!it->is_object()) return Tri::kUnknown;
  bool matched = false;
  for (const auto& [type, value] : it->items()) {
    auto entries = StringList(value);
    if (!entries) return Tri::kUnknown;
    if (type == "AWS") {
      for (const auto& e : *entries)
        if (PrincipalEntryMatches(e, p)) matched = true;
    } else if (type == "Service") {
      for (const auto& e : *entries)
        if (p.type == auth::PrincipalType::kAWSService && e == p.service) matched = true;
    }
    // Other principal types (Federated, CanonicalUser) never name our callers.
  }
  return matched ? Tri::kTrue : Tri::kFalse;
}

Tri ActionMatches(const Json& st, const std::string& action) {
  bool negated = false;
  auto it = st.find("Action");
  if (it == st.end()) {
    it = st.find("NotAction");
    if (it == st.end()) return Tri::kUnknown;
    negated = true;
  }
  auto patterns = StringList(*it);
  if (!patterns) return Tri::kUnknown;
  bool any = false;
  for (const auto& pat : *patterns)
    if (WildcardMatch(pat, action, /*ignore_case=*/true)) any = true;
  return (any != negated) ? Tri::kTrue : Tri::kFalse;
}

// The value of a condition key for this request: outer nullopt = a key we do
// not know how to evaluate; inner nullopt = the key is absent from the request.
std::optional<std::optional<std::string>> ConditionValue(const std::string& key,
                                                         const KeyPolicyRequest& req) {
  using Value = std::optional<std::string>;
  const auth::Principal& p = *req.principal;
  std::string lower = ToLower(key);
  static constexpr std::string_view kCtx = "kms:encryptioncontext:";
  auto ctx_get = [&req](const std::string& k) -> Value {
    if (req.context == nullptr) return std::nullopt;
    auto it = req.context->find(k);
    if (it == req.context->end()) return std::nullopt;
    return it->second;
  };
  if (StartsWith(lower, kCtx)) return ctx_get(key.substr(kCtx.size()));
  bool service = p.type == auth::PrincipalType::kAWSService;
  auto account = [&p]() -> Value {
    return p.account_id.empty() ? Value() : Value(p.account_id);
  };
  if (lower == "kms:calleraccount" || lower == "aws:principalaccount") {
    if (service) return Value();
    return account();
  }
  if (lower == "aws:principalarn") {
    if (service) return Value();
    if (p.type == auth::PrincipalType::kAssumedRole && !p.role_arn.empty()) return Value(p.role_arn);
    return p.arn.empty() ? Value() : Value(p.arn);
  }
  if (lower == "aws:sourceaccount") return service ? account() : Value();
  if (lower == "aws:sourcearn") {
    if (!service) return Value();
    // CloudTrail asks for data keys with the trail ARN as context; that is
    // the trail the service acts for, i.e. aws:SourceArn.
    if (p.service == "cloudtrail.amazonaws.com") {
      Value v = ctx_get("aws:cloudtrail:arn");
      if (v) return v;
    }
    return std::nullopt;  // unknown: fail closed
  }
  return std::nullopt;
}

Tri EvalOperator(std::string op, const Json& body, const KeyPolicyRequest& req) {
  if (!body.is_object()) return Tri::kUnknown;
  if (op.find(':') != std::string::npos) return Tri::kUnknown;  // ForAnyValue:/ForAllValues:
  bool if_exists = false;
  if (EndsWith(op, "IfExists")) {
    if_exists = true;
    op = op.substr(0, op.size() - 8);
  }
  bool negated = false, like = false, icase = false, null_op = false;
  if (op == "StringEquals") {
  } else if (op == "StringNotEquals") {
    negated = true;
  } else if (op == "StringEqualsIgnoreCase") {
    icase = true;
  } else if (op == "StringNotEqualsIgnoreCase") {
    icase = negated = true;
  } else if (op == "StringLike") {
    like = true;
  } else if (op == "StringNotLike") {
    like = negated = true;
  } else if (op == "Null" && !if_exists) {
    null_op = true;
  } else {
    return Tri::kUnknown;
  }
  Tri result = Tri::kTrue;
  for (const auto& [key, want] : body.items()) {
    auto have = ConditionValue(key, req);
    auto wanted = StringList(want);
    if (!have || !wanted) {
      result = Tri::kUnknown;
      continue;
    }
    bool ok;
    if (null_op) {
      if (wanted->size() != 1 || ((*wanted)[0] != "true" && (*wanted)[0] != "false"))
        return Tri::kUnknown;
      ok = ((*wanted)[0] == "true") == !have->has_value();
    } else if (!have->has_value()) {
      ok = if_exists || negated;  // IAM: a missing key satisfies only negated/IfExists operators
    } else {
      bool any = false;
      for (const auto& w : *wanted) {
        bool m = like ? WildcardMatch(w, **have, false)
                      : (icase ? ToLower(w) == ToLower(**have) : w == **have);
        if (m) any = true;
      }
      ok = any != negated;
    }
    if (!ok) return Tri::kFalse;
  }
  return result;
}

Tri ConditionsMatch(const Json& st, const KeyPolicyRequest& req) {
  auto it = st.find("Condition");
  if (it == st.end()) return Tri::kTrue;
  if (!it->is_object()) return Tri::kUnknown;
  Tri result = Tri::kTrue;
  for (const auto& [op, body] : it->items()) {
    Tri t = EvalOperator(op, body, req);
    if (t == Tri::kFalse) return Tri::kFalse;
    if (t == Tri::kUnknown) result = Tri::kUnknown;
  }
  return result;
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

bool KeyPolicyAllows(const Json& policy, const KeyPolicyRequest& request) {
  if (request.principal == nullptr || !policy.is_object()) return false;
  bool allowed = false;
  for (const Json* st : Statements(policy)) {
    if (!st->is_object()) continue;
    auto effect = st->find("Effect");
    if (effect == st->end() || !effect->is_string()) continue;
    bool deny = *effect == "Deny";
    Tri p = PrincipalMatches(*st, *request.principal);
    Tri a = ActionMatches(*st, request.action);
    if (p == Tri::kFalse || a == Tri::kFalse) continue;
    Tri c = ConditionsMatch(*st, request);
    if (deny) {
      // Fail closed: a Deny that might apply does apply.
      if (c != Tri::kFalse) return false;
    } else if (p == Tri::kTrue && a == Tri::kTrue && c == Tri::kTrue) {
      allowed = true;
    }
  }
  return allowed;
}

}  // namespace orgtrail::kms
