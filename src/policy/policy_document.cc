#include "policy/policy_document.h"

#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

namespace orgtrail::policy {
namespace {

// ordered_json keeps document order, so traces report the first failing
// condition as the author wrote it.
using Json = nlohmann::ordered_json;

constexpr const char* kCode = "MalformedPolicyDocument";

Status Malformed(std::string message) { return Status::Error(kCode, std::move(message)); }

// Deepest nesting of arrays/objects in `text`, stopping early past `limit`.
// Works on raw bytes (strings skipped) so nothing recursive ever sees a
// hostile document.
int NestingDepth(std::string_view text, int limit) {
  int depth = 0, max_depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) max_depth = depth;
      if (max_depth > limit) return max_depth;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return max_depth;
}

std::string TypeName(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::object: return "an object";
    case Json::value_t::array: return "an array";
    case Json::value_t::string: return "a string";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::discarded: return "invalid";
    default: return "a number";
  }
}

bool HasWhitespace(std::string_view s) {
  for (char c : s)
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') return true;
  return false;
}

bool IsAccountId(std::string_view s) {
  if (s.size() != 12) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

class StatementParser {
 public:
  StatementParser(PolicyKind kind, size_t index, std::string sid)
      : kind_(kind), index_(index), sid_(std::move(sid)) {}

  Status Error(const std::string& what) const {
    std::string where = "Statement index " + std::to_string(index_);
    if (!sid_.empty()) where += " (Sid '" + sid_ + "')";
    return Malformed(where + ": " + what);
  }

  // A string or a non-empty array of strings.
  Result<std::vector<std::string>> StringList(const Json& j, const std::string& element) const {
    std::vector<std::string> out;
    if (j.is_string()) {
      out.push_back(j.get<std::string>());
    } else if (j.is_array()) {
      if (j.empty()) return Error(element + " must not be an empty list");
      for (const auto& item : j) {
        if (!item.is_string())
          return Error(element + " must contain only strings, found " + TypeName(item));
        out.push_back(item.get<std::string>());
      }
    } else {
      return Error(element + " must be a string or a list of strings, got " + TypeName(j));
    }
    for (const auto& s : out)
      if (s.empty()) return Error(element + " must not contain an empty string");
    return out;
  }

  Status ParseActions(const Json& j, const std::string& element, Statement* st) const {
    OT_ASSIGN_OR_RETURN(st->actions, StringList(j, element));
    for (const auto& a : st->actions) {
      if (a == "*") {
        if (kind_ == PolicyKind::kTrust)
          return Error("AssumeRole policy may only specify STS AssumeRole actions, got \"*\" in " +
                       element);
        continue;
      }
      size_t colon = a.find(':');
      if (colon == std::string::npos || colon == 0 || colon + 1 == a.size() || HasWhitespace(a))
        return Error(element + " \"" + a +
                     "\" is not of the form \"<service>:<action>\" (or \"*\")");
      for (size_t i = 0; i < colon; ++i) {
        char c = a[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-';
        if (!ok)
          return Error(element + " \"" + a + "\" has an invalid service prefix \"" +
                       a.substr(0, colon) + "\"");
      }
      if (kind_ == PolicyKind::kTrust) {
        std::string prefix = a.substr(0, colon);
        for (auto& c : prefix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (prefix != "sts")
          return Error("AssumeRole policy may only specify STS AssumeRole actions, got \"" + a +
                       "\" in " + element);
      }
    }
    return Status::Ok();
  }

  Status ParseResources(const Json& j, const std::string& element, Statement* st) const {
    OT_ASSIGN_OR_RETURN(st->resources, StringList(j, element));
    for (const auto& r : st->resources) {
      if (r == "*") continue;
      if (r.rfind("arn:", 0) != 0 && r.rfind("${", 0) != 0)
        return Error(element + " \"" + r + "\" must be an ARN (arn:...) or \"*\"");
      size_t colons = 0;
      for (char c : r) colons += c == ':' ? 1 : 0;
      if (r.rfind("arn:", 0) == 0 && colons < 5 && r.find('*') == std::string::npos)
        return Error(element + " \"" + r + "\" is not a valid ARN (it needs 6 ':'-separated parts)");
    }
    return Status::Ok();
  }

  Status ParsePrincipal(const Json& j, const std::string& element, PrincipalSet* p) const {
    if (j.is_string()) {
      if (j.get<std::string>() != "*")
        return Error(element + " must be \"*\" or an object such as {\"AWS\": ...}, got \"" +
                     j.get<std::string>() + "\"");
      p->any = true;
      return Status::Ok();
    }
    if (!j.is_object()) return Error(element + " must be \"*\" or an object, got " + TypeName(j));
    if (j.empty()) return Error(element + " must not be empty");
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string& type = it.key();
      std::vector<std::string>* dest = nullptr;
      if (type == "AWS") {
        dest = &p->aws;
      } else if (type == "Service") {
        dest = &p->service;
      } else if (type == "Federated") {
        dest = &p->federated;
      } else if (type == "CanonicalUser") {
        dest = &p->canonical_user;
      } else {
        return Error(element + " has unknown principal type \"" + type +
                     "\" (expected AWS, Service, Federated or CanonicalUser)");
      }
      OT_ASSIGN_OR_RETURN(auto values, StringList(it.value(), element + "." + type));
      for (auto& v : values) {
        if (HasWhitespace(v)) return Error("Invalid principal in policy: \"" + v + "\"");
        if (type == "AWS") {
          if (v == "*") {
            p->any = true;
            continue;
          }
          if (!IsAccountId(v) && !IsPrincipalArn(v))
            return Error("Invalid principal in policy: " + element + ".AWS \"" + v +
                         "\" is neither an account id, an IAM/STS ARN nor \"*\"");
        } else if (type == "Service" && v.find('.') == std::string::npos && v != "*") {
          return Error("Invalid principal in policy: " + element + ".Service \"" + v +
                       "\" is not a service principal name (like cloudtrail.amazonaws.com)");
        }
        dest->push_back(std::move(v));
      }
    }
    return Status::Ok();
  }

  static bool IsPrincipalArn(std::string_view v) {
    // arn:<partition>:iam|sts::<account>:<resource>
    if (v.rfind("arn:", 0) != 0) return false;
    std::vector<std::string_view> parts;
    size_t start = 0;
    for (int i = 0; i < 5; ++i) {
      size_t colon = v.find(':', start);
      if (colon == std::string_view::npos) return false;
      parts.push_back(v.substr(start, colon - start));
      start = colon + 1;
    }
    parts.push_back(v.substr(start));
    if (parts[2] != "iam" && parts[2] != "sts") return false;
    if (parts[1].empty() || !IsAccountId(parts[4]) || parts[5].empty()) return false;
    return v.find('*') == std::string_view::npos && v.find('?') == std::string_view::npos;
  }

  Status ParseCondition(const Json& j, Statement* st) const {
    if (!j.is_object()) return Error("Condition must be an object, got " + TypeName(j));
    for (auto op_it = j.begin(); op_it != j.end(); ++op_it) {
      auto op = ParseConditionOperator(op_it.key());
      if (!op) return Error("Condition has unknown operator \"" + op_it.key() + "\"");
      if (!op_it.value().is_object())
        return Error("Condition operator " + op_it.key() + " must map keys to values, got " +
                     TypeName(op_it.value()));
      if (op_it.value().empty())
        return Error("Condition operator " + op_it.key() + " has no condition keys");
      for (auto key_it = op_it.value().begin(); key_it != op_it.value().end(); ++key_it) {
        ConditionClause clause;
        clause.op_text = op_it.key();
        clause.op = *op;
        clause.key = key_it.key();
        const std::string where = "Condition " + clause.op_text + " key \"" + clause.key + "\"";
        if (clause.key.empty() || HasWhitespace(clause.key))
          return Error("Condition " + clause.op_text + " has an invalid key \"" + clause.key +
                       "\"");
        const Json& v = key_it.value();
        auto add = [&](const Json& item) -> Status {
          if (item.is_string()) {
            clause.values.push_back(item.get<std::string>());
          } else if (item.is_boolean()) {
            clause.values.push_back(item.get<bool>() ? "true" : "false");
          } else if (item.is_number_integer() || item.is_number_unsigned()) {
            clause.values.push_back(item.dump());
          } else if (item.is_number_float()) {
            clause.values.push_back(item.dump());
          } else {
            return Error(where + " values must be strings, numbers or booleans, found " +
                         TypeName(item));
          }
          return Status::Ok();
        };
        if (v.is_array()) {
          if (v.empty()) return Error(where + " has an empty list of values");
          for (const auto& item : v) OT_RETURN_IF_ERROR(add(item));
        } else {
          OT_RETURN_IF_ERROR(add(v));
        }
        std::string bad = ValidateConditionValues(clause);
        if (!bad.empty()) return Error(where + ": " + bad);
        st->conditions.push_back(std::move(clause));
      }
    }
    return Status::Ok();
  }

  Result<Statement> Parse(const Json& j) const {
    Statement st;
    st.index = index_;
    st.sid = sid_;
    static const std::set<std::string> kKnown = {"Sid",      "Effect",      "Action",
                                                 "NotAction", "Resource",   "NotResource",
                                                 "Principal", "NotPrincipal", "Condition"};
    for (auto it = j.begin(); it != j.end(); ++it)
      if (kKnown.count(it.key()) == 0)
        return Error("unknown element \"" + it.key() + "\"");

    auto effect = j.find("Effect");
    if (effect == j.end()) return Error("Effect is missing");
    if (!effect->is_string())
      return Error("Effect must be \"Allow\" or \"Deny\", got " + TypeName(*effect));
    if (*effect == "Allow") {
      st.effect = Effect::kAllow;
    } else if (*effect == "Deny") {
      st.effect = Effect::kDeny;
    } else {
      return Error("Effect must be \"Allow\" or \"Deny\", got \"" + effect->get<std::string>() +
                   "\"");
    }

    auto action = j.find("Action"), not_action = j.find("NotAction");
    if (action != j.end() && not_action != j.end())
      return Error("Action and NotAction cannot both be present");
    if (action == j.end() && not_action == j.end()) return Error("Action (or NotAction) is missing");
    st.not_action = not_action != j.end();
    OT_RETURN_IF_ERROR(ParseActions(st.not_action ? *not_action : *action,
                                    st.not_action ? "NotAction" : "Action", &st));

    auto resource = j.find("Resource"), not_resource = j.find("NotResource");
    if (resource != j.end() && not_resource != j.end())
      return Error("Resource and NotResource cannot both be present");
    st.has_resource = resource != j.end() || not_resource != j.end();
    if (kind_ == PolicyKind::kTrust && st.has_resource)
      return Error("has prohibited field " +
                   std::string(resource != j.end() ? "Resource" : "NotResource") +
                   " (a role trust policy applies to the role itself)");
    if (kind_ != PolicyKind::kTrust && !st.has_resource)
      return Error("Resource (or NotResource) is missing");
    if (st.has_resource) {
      st.not_resource = not_resource != j.end();
      OT_RETURN_IF_ERROR(ParseResources(st.not_resource ? *not_resource : *resource,
                                        st.not_resource ? "NotResource" : "Resource", &st));
    }

    auto principal = j.find("Principal"), not_principal = j.find("NotPrincipal");
    if (principal != j.end() && not_principal != j.end())
      return Error("Principal and NotPrincipal cannot both be present");
    st.has_principal = principal != j.end() || not_principal != j.end();
    if (kind_ == PolicyKind::kIdentity && st.has_principal)
      return Error("Policy document should not specify a principal (" +
                   std::string(principal != j.end() ? "Principal" : "NotPrincipal") +
                   " is only for resource and trust policies)");
    if (kind_ != PolicyKind::kIdentity && !st.has_principal)
      return Error("Principal (or NotPrincipal) is missing");
    if (st.has_principal) {
      st.not_principal = not_principal != j.end();
      if (kind_ == PolicyKind::kTrust && st.not_principal)
        return Error("NotPrincipal is not supported in a role trust policy");
      OT_RETURN_IF_ERROR(ParsePrincipal(st.not_principal ? *not_principal : *principal,
                                        st.not_principal ? "NotPrincipal" : "Principal",
                                        &st.principals));
    }

    auto condition = j.find("Condition");
    if (condition != j.end()) OT_RETURN_IF_ERROR(ParseCondition(*condition, &st));
    return st;
  }

 private:
  PolicyKind kind_;
  size_t index_;
  std::string sid_;
};

}  // namespace

std::string Statement::Describe() const {
  if (sid.empty()) return "statement index " + std::to_string(index);
  return "statement '" + sid + "' (index " + std::to_string(index) + ")";
}

Result<Policy> ParsePolicy(std::string_view json, PolicyKind kind) {
  if (NestingDepth(json, kMaxPolicyJsonDepth) > kMaxPolicyJsonDepth)
    return Malformed("Syntax errors in policy: nesting deeper than " +
                     std::to_string(kMaxPolicyJsonDepth) + " levels");
  Json doc = Json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Malformed("Syntax errors in policy: the document is not valid JSON");
  if (!doc.is_object())
    return Malformed("Syntax errors in policy: the document must be a JSON object, got " +
                     TypeName(doc));

  Policy policy;
  policy.kind = kind;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    const std::string& k = it.key();
    if (k != "Version" && k != "Id" && k != "Statement")
      return Malformed("Unknown top-level element \"" + k +
                       "\" (expected Version, Id and Statement)");
  }
  if (auto v = doc.find("Version"); v != doc.end()) {
    if (!v->is_string() || (*v != "2012-10-17" && *v != "2008-10-17"))
      return Malformed("Version must be \"2012-10-17\" or \"2008-10-17\", got " +
                       (v->is_string() ? "\"" + v->get<std::string>() + "\"" : TypeName(*v)));
    policy.version = v->get<std::string>();
  }
  if (auto id = doc.find("Id"); id != doc.end()) {
    if (!id->is_string()) return Malformed("Id must be a string, got " + TypeName(*id));
    policy.id = id->get<std::string>();
  }
  auto statements = doc.find("Statement");
  if (statements == doc.end()) return Malformed("Statement is missing");
  std::vector<const Json*> items;
  if (statements->is_object()) {
    items.push_back(&*statements);
  } else if (statements->is_array()) {
    if (statements->empty()) return Malformed("Statement must not be an empty list");
    for (const auto& s : *statements) items.push_back(&s);
  } else {
    return Malformed("Statement must be an object or a list of objects, got " +
                     TypeName(*statements));
  }

  std::set<std::string> sids;
  for (size_t i = 0; i < items.size(); ++i) {
    const Json& s = *items[i];
    if (!s.is_object())
      return Malformed("Statement index " + std::to_string(i) + ": must be an object, got " +
                       TypeName(s));
    std::string sid;
    if (auto sid_it = s.find("Sid"); sid_it != s.end()) {
      if (!sid_it->is_string())
        return Malformed("Statement index " + std::to_string(i) + ": Sid must be a string, got " +
                         TypeName(*sid_it));
      sid = sid_it->get<std::string>();
      if (!sid.empty() && !sids.insert(sid).second)
        return Malformed("Statement index " + std::to_string(i) + " (Sid '" + sid +
                         "'): Statement IDs (SID) in a single policy must be unique");
    }
    StatementParser parser(kind, i, sid);
    OT_ASSIGN_OR_RETURN(Statement st, parser.Parse(s));
    policy.statements.push_back(std::move(st));
  }
  return policy;
}

}  // namespace orgtrail::policy
