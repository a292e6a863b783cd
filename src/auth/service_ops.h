// The operation tables services hand to api/: "a new AWS operation is a codec
// table entry plus a service method". JSON 1.1 services take and return JSON
// objects; Query services take the decoded form parameters and return a JSON
// tree the Query codec renders as the <OpResult> XML (objects become elements,
// arrays become <member> lists).
#pragma once

#include <functional>
#include <map>
#include <string>

#include "auth/principal.h"
#include "base/json.h"
#include "base/status.h"

namespace orgtrail::auth {

using JsonHandler = std::function<Result<Json>(const RequestContext&, const Json& input)>;
using JsonOps = std::map<std::string, JsonHandler>;

using QueryParams = std::map<std::string, std::string>;
using QueryHandler =
    std::function<Result<OrderedJson>(const RequestContext&, const QueryParams& params)>;
using QueryOps = std::map<std::string, QueryHandler>;

}  // namespace orgtrail::auth
