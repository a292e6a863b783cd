// Condition operators of the IAM policy language: parsing an operator name
// ("ForAnyValue:StringLikeIfExists") into its parts, validating a clause's
// values, and evaluating one clause (operator + key + values) against the
// request context with AWS's semantics:
//   - several values for one key are OR (NOR for negated operators);
//   - a key missing from the request makes the clause false, except: negated
//     operators (StringNotEquals, ArnNotLike, NotIpAddress, ...) are true,
//     ...IfExists is true, ForAllValues: is true, ForAnyValue: is false
//     (even with IfExists), Null tests presence itself;
//   - keys are case-insensitive; policy variables are expanded in string,
//     ARN and Bool values (2012-10-17 policies).
// Used by policy_document.cc (parsing) and evaluator.cc. Pure functions;
// thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "policy/matching.h"

namespace orgtrail::policy {

enum class ConditionOp {
  kStringEquals, kStringNotEquals, kStringEqualsIgnoreCase, kStringNotEqualsIgnoreCase,
  kStringLike, kStringNotLike,
  kNumericEquals, kNumericNotEquals, kNumericLessThan, kNumericLessThanEquals,
  kNumericGreaterThan, kNumericGreaterThanEquals,
  kDateEquals, kDateNotEquals, kDateLessThan, kDateLessThanEquals, kDateGreaterThan,
  kDateGreaterThanEquals,
  kBool, kBinaryEquals,
  kIpAddress, kNotIpAddress,
  kArnEquals, kArnLike, kArnNotEquals, kArnNotLike,
  kNull,
};

enum class SetQualifier { kNone, kForAnyValue, kForAllValues };

struct ParsedOperator {
  ConditionOp op = ConditionOp::kStringEquals;
  SetQualifier set = SetQualifier::kNone;
  bool if_exists = false;
};

// Parses an operator name (case-insensitive, as IAM accepts it). Returns
// nullopt for an unknown operator, NullIfExists, or a set qualifier on Null.
std::optional<ParsedOperator> ParseConditionOperator(std::string_view name);

// The canonical spelling of the base operator ("StringEquals").
std::string_view OperatorName(ConditionOp op);

// Negated operators: true when the request value matches none of the values.
bool IsNegated(ConditionOp op);

// One `operator: {key: values}` pair of a Condition block.
struct ConditionClause {
  std::string op_text;  // as written: "ForAnyValue:StringEqualsIfExists"
  ParsedOperator op;
  std::string key;      // as written: "aws:SourceArn"
  std::vector<std::string> values;  // numbers and booleans as their JSON text
};

// Checks that `values` are acceptable for `op` (numbers for Numeric*, dates
// for Date*, CIDRs for IpAddress, "true"/"false" for Null). Returns an empty
// string when fine, else what is wrong (for the parser's message).
std::string ValidateConditionValues(const ConditionClause& clause);

// Why a clause did not hold, for traces and explanations.
struct ConditionFailure {
  std::string op;                    // as written in the policy
  std::string key;                   // as written in the policy
  std::vector<std::string> expected;  // the policy's values (variables expanded when possible)
  std::vector<std::string> actual;    // the request's values (empty when missing)
  bool key_missing = false;
  std::string missing_variable;       // set when a ${var} was absent
};

// Evaluates one clause against `context`. Returns true when the clause holds.
// On false and `failure` non-null, fills in why.
bool EvaluateCondition(const ConditionClause& clause, const ContextValues& context,
                       bool variables_enabled, ConditionFailure* failure = nullptr);

// Parses an IPv4/IPv6 address or CIDR; exposed for tests. Returns false on
// malformed input.
bool IpInCidr(std::string_view ip, std::string_view cidr, bool* malformed_cidr = nullptr);

// Parses a Date condition value: ISO-8601 or epoch seconds. Exposed for tests.
std::optional<double> ParseConditionDate(std::string_view s);

}  // namespace orgtrail::policy
