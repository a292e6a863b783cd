#include "base/json.h"

namespace orgtrail {
namespace {
Status TypeError(const char* name, const char* want) {
  return Status::Error("SerializationException",
                       std::string("Member '") + name + "' must be " + want);
}
}  // namespace

Result<Json> ParseJson(std::string_view text) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Error("SerializationException", "Malformed JSON body");
  return j;
}

Result<std::optional<std::string>> OptString(const Json& obj, const char* name) {
  if (!obj.is_object()) return Status::Error("SerializationException", "Body must be a JSON object");
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return TypeError(name, "a string");
  return std::optional<std::string>(it->get<std::string>());
}

Result<std::string> ReqString(const Json& obj, const char* name) {
  OT_ASSIGN_OR_RETURN(auto v, OptString(obj, name));
  if (!v || v->empty())
    return Status::Error("ValidationException",
                         std::string("1 validation error detected: Value null at '") + name +
                             "' failed to satisfy constraint: Member must not be null");
  return *v;
}

Result<std::optional<bool>> OptBool(const Json& obj, const char* name) {
  if (!obj.is_object()) return Status::Error("SerializationException", "Body must be a JSON object");
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::optional<bool>();
  if (!it->is_boolean()) return TypeError(name, "a boolean");
  return std::optional<bool>(it->get<bool>());
}

Result<std::optional<int64_t>> OptInt(const Json& obj, const char* name) {
  if (!obj.is_object()) return Status::Error("SerializationException", "Body must be a JSON object");
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::optional<int64_t>();
  if (!it->is_number_integer()) return TypeError(name, "an integer");
  return std::optional<int64_t>(it->get<int64_t>());
}

}  // namespace orgtrail
