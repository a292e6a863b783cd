#include "policy/conditions.h"

#include <arpa/inet.h>

#include <array>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "base/strings.h"
#include "base/time.h"

namespace orgtrail::policy {
namespace {

struct OpName {
  std::string_view name;
  ConditionOp op;
};

constexpr std::array<OpName, 27> kOps = {{
    {"StringEquals", ConditionOp::kStringEquals},
    {"StringNotEquals", ConditionOp::kStringNotEquals},
    {"StringEqualsIgnoreCase", ConditionOp::kStringEqualsIgnoreCase},
    {"StringNotEqualsIgnoreCase", ConditionOp::kStringNotEqualsIgnoreCase},
    {"StringLike", ConditionOp::kStringLike},
    {"StringNotLike", ConditionOp::kStringNotLike},
    {"NumericEquals", ConditionOp::kNumericEquals},
    {"NumericNotEquals", ConditionOp::kNumericNotEquals},
    {"NumericLessThan", ConditionOp::kNumericLessThan},
    {"NumericLessThanEquals", ConditionOp::kNumericLessThanEquals},
    {"NumericGreaterThan", ConditionOp::kNumericGreaterThan},
    {"NumericGreaterThanEquals", ConditionOp::kNumericGreaterThanEquals},
    {"DateEquals", ConditionOp::kDateEquals},
    {"DateNotEquals", ConditionOp::kDateNotEquals},
    {"DateLessThan", ConditionOp::kDateLessThan},
    {"DateLessThanEquals", ConditionOp::kDateLessThanEquals},
    {"DateGreaterThan", ConditionOp::kDateGreaterThan},
    {"DateGreaterThanEquals", ConditionOp::kDateGreaterThanEquals},
    {"Bool", ConditionOp::kBool},
    {"BinaryEquals", ConditionOp::kBinaryEquals},
    {"IpAddress", ConditionOp::kIpAddress},
    {"NotIpAddress", ConditionOp::kNotIpAddress},
    {"ArnEquals", ConditionOp::kArnEquals},
    {"ArnLike", ConditionOp::kArnLike},
    {"ArnNotEquals", ConditionOp::kArnNotEquals},
    {"ArnNotLike", ConditionOp::kArnNotLike},
    {"Null", ConditionOp::kNull},
}};

char Fold(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (Fold(a[i]) != Fold(b[i])) return false;
  return true;
}

bool ConsumePrefixIgnoreCase(std::string_view* s, std::string_view prefix) {
  if (s->size() < prefix.size() || !EqualsIgnoreCase(s->substr(0, prefix.size()), prefix))
    return false;
  s->remove_prefix(prefix.size());
  return true;
}

bool ConsumeSuffixIgnoreCase(std::string_view* s, std::string_view suffix) {
  if (s->size() < suffix.size() ||
      !EqualsIgnoreCase(s->substr(s->size() - suffix.size()), suffix))
    return false;
  s->remove_suffix(suffix.size());
  return true;
}

enum class Family { kString, kNumeric, kDate, kBool, kBinary, kIp, kArn, kNull };

Family FamilyOf(ConditionOp op) {
  switch (op) {
    case ConditionOp::kStringEquals: case ConditionOp::kStringNotEquals:
    case ConditionOp::kStringEqualsIgnoreCase: case ConditionOp::kStringNotEqualsIgnoreCase:
    case ConditionOp::kStringLike: case ConditionOp::kStringNotLike:
      return Family::kString;
    case ConditionOp::kNumericEquals: case ConditionOp::kNumericNotEquals:
    case ConditionOp::kNumericLessThan: case ConditionOp::kNumericLessThanEquals:
    case ConditionOp::kNumericGreaterThan: case ConditionOp::kNumericGreaterThanEquals:
      return Family::kNumeric;
    case ConditionOp::kDateEquals: case ConditionOp::kDateNotEquals:
    case ConditionOp::kDateLessThan: case ConditionOp::kDateLessThanEquals:
    case ConditionOp::kDateGreaterThan: case ConditionOp::kDateGreaterThanEquals:
      return Family::kDate;
    case ConditionOp::kBool: return Family::kBool;
    case ConditionOp::kBinaryEquals: return Family::kBinary;
    case ConditionOp::kIpAddress: case ConditionOp::kNotIpAddress: return Family::kIp;
    case ConditionOp::kArnEquals: case ConditionOp::kArnLike:
    case ConditionOp::kArnNotEquals: case ConditionOp::kArnNotLike:
      return Family::kArn;
    case ConditionOp::kNull: return Family::kNull;
  }
  return Family::kNull;
}

bool SupportsVariables(ConditionOp op) {
  Family f = FamilyOf(op);
  return f == Family::kString || f == Family::kArn || f == Family::kBool;
}

std::optional<double> ParseNumber(std::string_view s) {
  if (s.empty() || s.size() > 64) return std::nullopt;
  std::string buf(s);
  const char* begin = buf.c_str();
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(begin, &end);
  if (end != begin + buf.size() || errno == ERANGE || !std::isfinite(v)) return std::nullopt;
  // strtod also takes hex floats, "inf", leading spaces: IAM numbers are decimal.
  for (char c : buf)
    if (!((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'))
      return std::nullopt;
  return v;
}

struct IpAddr {
  int family = 0;  // AF_INET or AF_INET6
  unsigned char bytes[16] = {};
};

std::optional<IpAddr> ParseIp(std::string_view s) {
  if (s.empty() || s.size() > 64) return std::nullopt;
  std::string buf(s);
  IpAddr a;
  if (inet_pton(AF_INET, buf.c_str(), a.bytes) == 1) {
    a.family = AF_INET;
    return a;
  }
  if (inet_pton(AF_INET6, buf.c_str(), a.bytes) == 1) {
    a.family = AF_INET6;
    return a;
  }
  return std::nullopt;
}

// Splits an ARN into its six components (the last may contain ':').
// Returns false when there are fewer than six.
template <typename F>
bool SplitArn(std::string_view s, F&& on_segment) {
  size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    size_t colon = s.find(':', start);
    if (colon == std::string_view::npos) return false;
    on_segment(start, colon - start);
    start = colon + 1;
  }
  on_segment(start, s.size() - start);
  return true;
}

bool ArnMatch(const Pattern& pattern, std::string_view arn) {
  std::vector<std::pair<size_t, size_t>> ps, as;
  bool p6 = SplitArn(pattern.text, [&](size_t b, size_t n) { ps.emplace_back(b, n); });
  bool a6 = SplitArn(arn, [&](size_t b, size_t n) { as.emplace_back(b, n); });
  if (!p6 || !a6) return GlobMatch(pattern, arn, /*ignore_case=*/false);
  for (size_t i = 0; i < 6; ++i) {
    Pattern seg;
    seg.text = pattern.text.substr(ps[i].first, ps[i].second);
    seg.literal.assign(pattern.literal.begin() + static_cast<std::ptrdiff_t>(ps[i].first),
                       pattern.literal.begin() +
                           static_cast<std::ptrdiff_t>(ps[i].first + ps[i].second));
    if (!GlobMatch(seg, arn.substr(as[i].first, as[i].second), false)) return false;
  }
  return true;
}

ConditionOp Positive(ConditionOp op) {
  switch (op) {
    case ConditionOp::kStringNotEquals: return ConditionOp::kStringEquals;
    case ConditionOp::kStringNotEqualsIgnoreCase: return ConditionOp::kStringEqualsIgnoreCase;
    case ConditionOp::kStringNotLike: return ConditionOp::kStringLike;
    case ConditionOp::kNumericNotEquals: return ConditionOp::kNumericEquals;
    case ConditionOp::kDateNotEquals: return ConditionOp::kDateEquals;
    case ConditionOp::kNotIpAddress: return ConditionOp::kIpAddress;
    case ConditionOp::kArnNotEquals: return ConditionOp::kArnEquals;
    case ConditionOp::kArnNotLike: return ConditionOp::kArnLike;
    default: return op;
  }
}

// Does request value `actual` match policy value `want` under positive `op`?
bool MatchOne(ConditionOp op, const Pattern& want, std::string_view actual) {
  switch (op) {
    case ConditionOp::kStringEquals: return want.text == actual;
    case ConditionOp::kStringEqualsIgnoreCase: return EqualsIgnoreCase(want.text, actual);
    case ConditionOp::kStringLike: return GlobMatch(want, actual, false);
    case ConditionOp::kNumericEquals: case ConditionOp::kNumericLessThan:
    case ConditionOp::kNumericLessThanEquals: case ConditionOp::kNumericGreaterThan:
    case ConditionOp::kNumericGreaterThanEquals: case ConditionOp::kDateEquals:
    case ConditionOp::kDateLessThan: case ConditionOp::kDateLessThanEquals:
    case ConditionOp::kDateGreaterThan: case ConditionOp::kDateGreaterThanEquals: {
      bool numeric = FamilyOf(op) == Family::kNumeric;
      auto a = numeric ? ParseNumber(actual) : ParseConditionDate(actual);
      auto w = numeric ? ParseNumber(want.text) : ParseConditionDate(want.text);
      if (!a || !w) return false;
      switch (op) {
        case ConditionOp::kNumericEquals: case ConditionOp::kDateEquals: return *a == *w;
        case ConditionOp::kNumericLessThan: case ConditionOp::kDateLessThan: return *a < *w;
        case ConditionOp::kNumericLessThanEquals: case ConditionOp::kDateLessThanEquals:
          return *a <= *w;
        case ConditionOp::kNumericGreaterThan: case ConditionOp::kDateGreaterThan: return *a > *w;
        default: return *a >= *w;
      }
    }
    case ConditionOp::kBool: return EqualsIgnoreCase(want.text, actual);
    case ConditionOp::kBinaryEquals: return want.text == actual;
    case ConditionOp::kIpAddress: return IpInCidr(actual, want.text);
    case ConditionOp::kArnEquals: case ConditionOp::kArnLike: return ArnMatch(want, actual);
    default: return false;
  }
}

}  // namespace

std::optional<ParsedOperator> ParseConditionOperator(std::string_view name) {
  ParsedOperator out;
  std::string_view rest = name;
  if (ConsumePrefixIgnoreCase(&rest, "ForAnyValue:")) {
    out.set = SetQualifier::kForAnyValue;
  } else if (ConsumePrefixIgnoreCase(&rest, "ForAllValues:")) {
    out.set = SetQualifier::kForAllValues;
  }
  std::string_view base = rest;
  bool found = false;
  for (const auto& o : kOps) {
    if (EqualsIgnoreCase(o.name, base)) {
      out.op = o.op;
      found = true;
      break;
    }
  }
  if (!found && ConsumeSuffixIgnoreCase(&base, "IfExists")) {
    for (const auto& o : kOps) {
      if (EqualsIgnoreCase(o.name, base)) {
        out.op = o.op;
        out.if_exists = true;
        found = true;
        break;
      }
    }
  }
  if (!found) return std::nullopt;
  if (out.op == ConditionOp::kNull && (out.if_exists || out.set != SetQualifier::kNone))
    return std::nullopt;
  return out;
}

std::string_view OperatorName(ConditionOp op) {
  for (const auto& o : kOps)
    if (o.op == op) return o.name;
  return "?";
}

bool IsNegated(ConditionOp op) { return Positive(op) != op; }

std::optional<double> ParseConditionDate(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool all_digits = true;
  for (char c : s)
    if (!(c >= '0' && c <= '9')) all_digits = false;
  if (all_digits) return ParseNumber(s);
  auto t = ParseIso8601(s);
  if (!t) return std::nullopt;
  return ToUnixSecondsFractional(*t);
}

bool IpInCidr(std::string_view ip, std::string_view cidr, bool* malformed_cidr) {
  if (malformed_cidr != nullptr) *malformed_cidr = false;
  std::string_view net = cidr;
  int bits = -1;
  size_t slash = cidr.find('/');
  if (slash != std::string_view::npos) {
    net = cidr.substr(0, slash);
    std::string_view b = cidr.substr(slash + 1);
    if (b.empty() || b.size() > 3) {
      if (malformed_cidr != nullptr) *malformed_cidr = true;
      return false;
    }
    bits = 0;
    for (char c : b) {
      if (c < '0' || c > '9') {
        if (malformed_cidr != nullptr) *malformed_cidr = true;
        return false;
      }
      bits = bits * 10 + (c - '0');
    }
  }
  auto n = ParseIp(net);
  if (!n) {
    if (malformed_cidr != nullptr) *malformed_cidr = true;
    return false;
  }
  int max_bits = n->family == AF_INET ? 32 : 128;
  if (bits < 0) bits = max_bits;
  if (bits > max_bits) {
    if (malformed_cidr != nullptr) *malformed_cidr = true;
    return false;
  }
  auto a = ParseIp(ip);
  if (!a || a->family != n->family) return false;
  int full = bits / 8, rem = bits % 8;
  if (std::memcmp(a->bytes, n->bytes, static_cast<size_t>(full)) != 0) return false;
  if (rem != 0) {
    auto mask = static_cast<unsigned char>(0xFF << (8 - rem));
    if ((a->bytes[full] & mask) != (n->bytes[full] & mask)) return false;
  }
  return true;
}

std::string ValidateConditionValues(const ConditionClause& clause) {
  Family f = FamilyOf(clause.op.op);
  for (const auto& v : clause.values) {
    switch (f) {
      case Family::kNumeric:
        if (!ParseNumber(v)) return "value \"" + v + "\" is not a number";
        break;
      case Family::kDate:
        if (!ParseConditionDate(v))
          return "value \"" + v + "\" is not a date (ISO 8601 or epoch seconds)";
        break;
      case Family::kIp: {
        bool bad = false;
        (void)IpInCidr("0.0.0.0", v, &bad);
        if (bad) return "value \"" + v + "\" is not an IPv4 or IPv6 address or CIDR block";
        break;
      }
      case Family::kNull:
        if (!EqualsIgnoreCase(v, "true") && !EqualsIgnoreCase(v, "false"))
          return "value \"" + v + "\" must be \"true\" or \"false\"";
        break;
      default:
        break;
    }
  }
  return "";
}

bool EvaluateCondition(const ConditionClause& clause, const ContextValues& context,
                       bool variables_enabled, ConditionFailure* failure) {
  const ConditionOp op = clause.op.op;
  const std::vector<std::string>* actual = LookupContext(context, clause.key);
  const bool present = actual != nullptr && !actual->empty();

  auto fail = [&](const std::vector<Pattern>& expected, const std::string& missing_var) {
    if (failure != nullptr) {
      failure->op = clause.op_text;
      failure->key = clause.key;
      failure->expected.clear();
      if (!expected.empty()) {
        for (const auto& p : expected) failure->expected.push_back(p.text);
      } else {
        failure->expected = clause.values;
      }
      failure->actual = present ? *actual : std::vector<std::string>{};
      failure->key_missing = !present;
      failure->missing_variable = missing_var;
    }
    return false;
  };

  if (op == ConditionOp::kNull) {
    for (const auto& v : clause.values) {
      bool want_absent = EqualsIgnoreCase(v, "true");
      if (want_absent != present) return true;
    }
    return fail({}, "");
  }

  std::vector<Pattern> expected;
  expected.reserve(clause.values.size());
  bool vars = variables_enabled && SupportsVariables(op);
  for (const auto& v : clause.values) {
    std::string missing;
    auto p = ExpandVariables(v, context, vars, &missing);
    if (!p) return fail({}, missing);
    expected.push_back(std::move(*p));
  }

  if (!present) {
    if (clause.op.set == SetQualifier::kForAllValues) return true;
    if (clause.op.set == SetQualifier::kForAnyValue) return fail(expected, "");
    if (clause.op.if_exists || IsNegated(op)) return true;
    return fail(expected, "");
  }

  const bool negated = IsNegated(op);
  const ConditionOp positive = Positive(op);
  auto satisfies = [&](const std::string& value) {
    bool any = false;
    for (const auto& p : expected) {
      if (MatchOne(positive, p, value)) {
        any = true;
        break;
      }
    }
    return negated ? !any : any;
  };

  bool all = true, any = false;
  for (const auto& v : *actual) {
    if (satisfies(v)) {
      any = true;
    } else {
      all = false;
    }
  }
  bool result;
  switch (clause.op.set) {
    case SetQualifier::kForAllValues: result = all; break;
    case SetQualifier::kForAnyValue: result = any; break;
    default: result = negated ? all : any; break;
  }
  return result ? true : fail(expected, "");
}

}  // namespace orgtrail::policy
