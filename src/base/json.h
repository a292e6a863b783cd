// JSON helpers for the control-plane services. Services receive the request
// body of JSON 1.1 calls as nlohmann::json (an object) and read members with
// these helpers, which turn a missing or wrongly typed member into the AWS
// error a client expects ("ValidationException"-style, code chosen by the
// caller's protocol mapping). Thread-safe (pure functions).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/status.h"

namespace orgtrail {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

// Parses `text`; malformed input -> SerializationException-style Status
// (code "SerializationException", 400).
Result<Json> ParseJson(std::string_view text);

// Reads an optional string member; present but not a string -> error.
Result<std::optional<std::string>> OptString(const Json& obj, const char* name);
// Reads a required string member; absent/empty -> "ValidationException".
Result<std::string> ReqString(const Json& obj, const char* name);
Result<std::optional<bool>> OptBool(const Json& obj, const char* name);
Result<std::optional<int64_t>> OptInt(const Json& obj, const char* name);

}  // namespace orgtrail
