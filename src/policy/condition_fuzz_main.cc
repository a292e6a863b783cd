// libFuzzer entry point for the condition evaluator (conditions.h) and the
// matching helpers under it: operator-name parsing, value validation,
// variable expansion, globbing, IP/CIDR and date parsing. Not part of
// ot_policy (the *_main.cc suffix keeps it out of the library glob); built
// as condition_fuzz with -DORGTRAIL_FUZZ=ON (see `make fuzz`).
//
// Input, '\n'-separated lines:
//   1. the operator as written ("ForAnyValue:StringLikeIfExists"); an
//      unknown name falls back to one picked from kOperators by its length
//   2. the condition key
//   3. the policy's values, separated by '|'
//   4... context entries "key=v1|v2" (the first byte of line 1, odd/even,
//        turns policy variables on/off)
// Every accepted clause is evaluated with a failure report; the values are
// also fed to IpInCidr and ParseConditionDate directly.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "policy/conditions.h"
#include "policy/matching.h"

namespace {

using namespace orgtrail::policy;

constexpr const char* kOperators[] = {
    "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringLike",
    "StringNotLike", "ForAnyValue:StringLike", "ForAllValues:StringEquals",
    "NumericLessThan", "NumericGreaterThanEqualsIfExists", "DateGreaterThan",
    "DateLessThanEquals", "Bool", "BinaryEquals", "IpAddress", "NotIpAddressIfExists",
    "ArnLike", "ArnNotEquals", "ArnEqualsIfExists", "Null", "ForAllValues:ArnLike"};

std::string_view NextLine(std::string_view& in) {
  size_t nl = in.find('\n');
  std::string_view line = in.substr(0, nl);
  in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  return line;
}

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    out.emplace_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos
                                                                   : at - start));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  ConditionClause clause;
  clause.op_text = std::string(NextLine(in));
  std::optional<ParsedOperator> op = ParseConditionOperator(clause.op_text);
  if (!op) {
    clause.op_text = kOperators[clause.op_text.size() % (sizeof(kOperators) / sizeof(*kOperators))];
    op = ParseConditionOperator(clause.op_text);
    if (!op) __builtin_trap();  // every name in the table must parse
  }
  clause.op = *op;
  (void)OperatorName(clause.op.op);
  (void)IsNegated(clause.op.op);
  clause.key = std::string(NextLine(in));
  clause.values = Split(NextLine(in), '|');

  ContextValues context;
  while (!in.empty()) {
    std::string_view line = NextLine(in);
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    context[std::string(line.substr(0, eq))] = Split(line.substr(eq + 1), '|');
  }

  for (const auto& v : clause.values) {
    bool malformed = false;
    (void)IpInCidr(v, v, &malformed);
    (void)ParseConditionDate(v);
    std::string missing;
    if (auto p = ExpandVariables(v, context, true, &missing)) {
      for (const auto& [k, vals] : context)
        for (const auto& c : vals) (void)GlobMatch(*p, c, (size + k.size()) % 2 == 0);
    }
  }
  if (!ValidateConditionValues(clause).empty()) return 0;  // the parser refuses these
  const bool variables = !clause.op_text.empty() && (clause.op_text[0] & 1);
  ConditionFailure failure;
  const bool held = EvaluateCondition(clause, context, variables, &failure);
  if (!held) (void)(failure.op.size() + failure.key.size() + failure.actual.size());
  return 0;
}
