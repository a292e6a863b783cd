#include "cfn/template.h"

#include <yaml-cpp/yaml.h>

#include <set>
#include <string>

#include "base/strings.h"

namespace orgtrail::cfn {
namespace {

// Aliases share nodes in yaml-cpp; a budget keeps "billion laughs" bounded.
constexpr size_t kMaxNodes = 200000;
constexpr int kMaxDepth = 100;

Status FormatError(const std::string& what) {
  return ValidationError("Template format error: " + what);
}

Status YamlError(const YAML::Mark& mark, const std::string& what) {
  std::string msg = "YAML not well-formed.";
  if (!mark.is_null())
    msg += " (line " + std::to_string(mark.line + 1) + ", column " +
           std::to_string(mark.column + 1) + ")";
  if (!what.empty()) msg += " " + what;
  return FormatError(msg);
}

bool IsInteger(const std::string& s) {
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  if (i >= s.size() || s.size() - i > 18) return false;
  for (; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  // "007" stays a string (YAML 1.1 would read octal); CloudFormation keeps it.
  size_t first = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  return !(s.size() - first > 1 && s[first] == '0');
}

Json PlainScalar(const std::string& s) {
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (IsInteger(s)) return static_cast<int64_t>(std::stoll(s));
  return s;
}

class YamlConverter {
 public:
  Result<Json> Convert(const YAML::Node& node, int depth) {
    if (++nodes_ > kMaxNodes) return FormatError("The template is too large or too deeply aliased.");
    if (depth > kMaxDepth) return FormatError("The template is nested too deeply.");
    std::string tag = node.Tag();
    OT_ASSIGN_OR_RETURN(Json plain, ConvertUntagged(node, depth, tag));
    if (tag.empty() || tag == "?" || tag == "!" || StartsWith(tag, "tag:yaml.org,2002:"))
      return plain;
    if (tag.size() < 2 || tag[0] != '!') return YamlError(node.Mark(), "Unsupported tag " + tag);
    std::string fn = tag.substr(1);
    static const std::set<std::string> kFns = {
        "Sub", "GetAtt", "Join", "Select", "Split", "If", "Equals", "Not", "And", "Or",
        "FindInMap", "GetAZs", "ImportValue", "Base64", "Cidr", "Length", "ToJsonString"};
    if (fn == "Ref") {
      if (!plain.is_string()) return FormatError("Unsupported tag !Ref: the value must be a string");
      return Json{{"Ref", plain}};
    }
    if (fn == "Condition") {
      if (!plain.is_string())
        return FormatError("Unsupported tag !Condition: the value must be a string");
      return Json{{"Condition", plain}};
    }
    if (fn == "GetAtt" && plain.is_string()) {
      std::string s = plain.get<std::string>();
      size_t dot = s.find('.');
      if (dot == std::string::npos || dot == 0 || dot + 1 == s.size())
        return FormatError("Template error: every Fn::GetAtt object requires two non-empty parameters");
      return Json{{"Fn::GetAtt", Json::array({s.substr(0, dot), s.substr(dot + 1)})}};
    }
    if (!kFns.count(fn)) return YamlError(node.Mark(), "Unsupported tag " + tag);
    return Json{{"Fn::" + fn, plain}};
  }

 private:
  Result<Json> ConvertUntagged(const YAML::Node& node, int depth, const std::string& tag) {
    switch (node.Type()) {
      case YAML::NodeType::Null:
        return Json(nullptr);
      case YAML::NodeType::Scalar:
        if (tag == "?") return PlainScalar(node.Scalar());
        if (tag == "tag:yaml.org,2002:int" && IsInteger(node.Scalar()))
          return Json(static_cast<int64_t>(std::stoll(node.Scalar())));
        if (tag == "tag:yaml.org,2002:bool") return PlainScalar(node.Scalar());
        return Json(node.Scalar());
      case YAML::NodeType::Sequence: {
        Json arr = Json::array();
        for (const auto& child : node) {
          OT_ASSIGN_OR_RETURN(Json v, Convert(child, depth + 1));
          arr.push_back(std::move(v));
        }
        return arr;
      }
      case YAML::NodeType::Map: {
        Json obj = Json::object();
        for (const auto& kv : node) {
          if (!kv.first.IsScalar()) return YamlError(kv.first.Mark(), "Keys must be strings.");
          const std::string& key = kv.first.Scalar();
          if (key == "<<") return YamlError(kv.first.Mark(), "Merge keys are not supported.");
          if (obj.contains(key))
            return YamlError(kv.first.Mark(), "Duplicate key '" + key + "'.");
          OT_ASSIGN_OR_RETURN(Json v, Convert(kv.second, depth + 1));
          obj[key] = std::move(v);
        }
        return obj;
      }
      case YAML::NodeType::Undefined:
        break;
    }
    return YamlError(node.Mark(), "");
  }

  size_t nodes_ = 0;
};

// yaml-cpp 0.7 (Debian 12) never returns, allocating without bound, when a
// stream's first token is a flow entry (",a") or a quoted scalar followed by
// one ("'a',b"). Neither is valid YAML (a block-context document cannot
// start with ","), so such a body is refused before the parser sees it.
bool StartsWithFlowEntry(std::string_view body) {
  size_t i = 0;
  auto skip_space_and_comments = [&] {
    while (i < body.size()) {
      char c = body[i];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        ++i;
      } else if (c == '#') {
        while (i < body.size() && body[i] != '\n') ++i;
      } else {
        break;
      }
    }
  };
  auto at = [&](std::string_view chars) {
    return i < body.size() && chars.find(body[i]) != std::string_view::npos;
  };
  // Directives (%...), directives-end (---) and document-end (...) markers.
  for (int n = 0; n < 64; ++n) {
    skip_space_and_comments();
    if (at("%")) {
      while (i < body.size() && body[i] != '\n') ++i;
    } else if (body.substr(i, 3) == "---" || body.substr(i, 3) == "...") {
      i += 3;
    } else {
      break;
    }
  }
  // Node properties and aliases (&anchor, !tag, *alias) before the first token.
  for (int n = 0; n < 16 && at("&!*"); ++n) {
    ++i;
    while (i < body.size() && !at(" \t\r\n,[]{}")) ++i;
    skip_space_and_comments();
  }
  for (int n = 0; n < 64 && at("\"'"); ++n) {  // adjacent quoted scalars
    const char quote = body[i++];
    while (i < body.size()) {
      if (quote == '"' && body[i] == '\\') {
        i += 2;
      } else if (body[i] == quote) {
        if (quote == '\'' && i + 1 < body.size() && body[i + 1] == '\'') {
          i += 2;  // '' inside a single-quoted scalar
        } else {
          ++i;
          break;
        }
      } else {
        ++i;
      }
    }
    skip_space_and_comments();
  }
  return at(",");
}

// Broader form of the same guard: a line whose first character is ',' in
// block context (outside flow collections, quoted scalars and block
// scalars). Valid YAML only as the continuation of a multi-line plain
// scalar, which templates do not use; yaml-cpp loops on it at the root.
bool HasBlockLevelFlowEntry(std::string_view body) {
  int flow_depth = 0;
  char quote = 0;
  bool line_start = true;        // only spaces seen on this line so far
  int block_scalar_indent = -1;  // >= 0: inside a block scalar deeper than this
  int indent = 0;
  int last_line_indent = 0;
  bool pending_block_scalar = false;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '\n') {
      if (pending_block_scalar) block_scalar_indent = last_line_indent;
      pending_block_scalar = false;
      line_start = true;
      indent = 0;
      continue;
    }
    if (line_start && c == ' ') {
      ++indent;
      continue;
    }
    if (line_start) {
      line_start = false;
      if (block_scalar_indent >= 0) {
        if (indent > block_scalar_indent || c == '\r') {
          while (i + 1 < body.size() && body[i + 1] != '\n') ++i;  // scalar content
          continue;
        }
        block_scalar_indent = -1;
      }
      last_line_indent = indent;
      if (quote == 0 && flow_depth == 0 && c == ',') return true;
    }
    if (quote != 0) {
      if (quote == '"' && c == '\\') {
        ++i;
      } else if (c == quote) {
        if (quote == '\'' && i + 1 < body.size() && body[i + 1] == '\'') {
          ++i;
        } else {
          quote = 0;
        }
      }
      continue;
    }
    if (c == '#' && (i == 0 || body[i - 1] == ' ' || body[i - 1] == '\t')) {
      while (i + 1 < body.size() && body[i + 1] != '\n') ++i;
      continue;
    }
    if (c == '"' || c == '\'') {
      if (i == 0 || std::string_view(" \t[{,:-?").find(body[i - 1]) != std::string_view::npos) quote = c;
    } else if ((c == '[' || c == '{') &&
               (flow_depth > 0 || i == 0 ||
                std::string_view(" \t\n[{,:-?").find(body[i - 1]) != std::string_view::npos)) {
      ++flow_depth;  // a flow collection starts only where a token may (not inside "a{b")
    } else if ((c == ']' || c == '}') && flow_depth > 0) {
      --flow_depth;
    } else if ((c == '|' || c == '>') && flow_depth == 0 &&
               (i == 0 || body[i - 1] == ' ' || body[i - 1] == '\t')) {
      // A block scalar header ends its line (after optional indicators).
      size_t j = i + 1;
      while (j < body.size() && std::string_view("+-0123456789").find(body[j]) != std::string_view::npos) ++j;
      while (j < body.size() && (body[j] == ' ' || body[j] == '\t' || body[j] == '\r')) ++j;
      if (j >= body.size() || body[j] == '\n' || body[j] == '#') pending_block_scalar = true;
    }
  }
  return false;
}

Result<Json> ParseYaml(std::string_view body) {
  // YAML allows no C0 control characters but tab, LF and CR (nor DEL);
  // refusing them here also keeps yaml-cpp off inputs it loops on.
  for (size_t i = 0; i < body.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(body[i]);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
      return FormatError("YAML not well-formed. Control character at offset " + std::to_string(i) +
                         ".");
    }
  }
  if (StartsWithFlowEntry(body) || HasBlockLevelFlowEntry(body)) {
    return FormatError("YAML not well-formed. (line 1) A document cannot start with ','.");
  }
  try {
    std::vector<YAML::Node> docs = YAML::LoadAll(std::string(body));
    if (docs.size() != 1) return FormatError("YAML not well-formed. Expected exactly one document.");
    YamlConverter conv;
    return conv.Convert(docs[0], 0);
  } catch (const YAML::Exception& e) {
    return YamlError(e.mark, "");
  } catch (const std::exception& e) {
    return FormatError("YAML not well-formed.");
  }
}

}  // namespace

Result<Json> ParseTemplateSyntax(std::string_view body) {
  if (body.size() > kMaxTemplateBodyBytes)
    return ValidationError("1 validation error detected: Value '...' at 'templateBody' failed to "
                           "satisfy constraint: Member must have length less than or equal to " +
                           std::to_string(kMaxTemplateBodyBytes));
  if (!IsValidUtf8(body)) return FormatError("The template must be UTF-8 text.");
  std::string_view t = Trim(body);
  if (t.empty()) return ValidationError("Template body can not be empty.");  // NOLINT
  if (t.front() == '{') {
    Json j = Json::parse(t.begin(), t.end(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return FormatError("JSON not well-formed.");
    return j;
  }
  return ParseYaml(body);
}

Result<Json> ParseTemplate(std::string_view body) {
  OT_ASSIGN_OR_RETURN(Json t, ParseTemplateSyntax(body));
  if (!t.is_object()) return FormatError("template is not a JSON or YAML object.");
  static const std::set<std::string> kSections = {
      "AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Rules", "Mappings",
      "Conditions", "Transform", "Resources", "Outputs"};
  std::string unknown;
  for (const auto& [k, v] : t.items()) {
    if (!kSections.count(k)) unknown += (unknown.empty() ? "" : ", ") + k;
  }
  if (!unknown.empty()) return FormatError("Invalid template property or properties [" + unknown + "]");
  if (t.contains("AWSTemplateFormatVersion")) {
    const Json& v = t["AWSTemplateFormatVersion"];
    if (!v.is_string() || v.get<std::string>() != "2010-09-09")
      return FormatError("Unsupported template version '" +
                         (v.is_string() ? v.get<std::string>() : v.dump()) +
                         "'. The only valid template version is 2010-09-09.");
  }
  if (t.contains("Description") && !t["Description"].is_string())
    return FormatError("Every Description member must be a string.");
  if (t.contains("Transform"))
    return ValidationError("Template format error: Transform is not supported by this orgtrail "
                           "build (macros such as AWS::Serverless are not implemented)");
  for (const char* section : {"Parameters", "Mappings", "Conditions", "Outputs", "Metadata"}) {
    if (t.contains(section) && !t[section].is_object() && !t[section].is_null())
      return FormatError(std::string("The ") + section + " section must be an object.");
  }
  if (!t.contains("Resources") || !t["Resources"].is_object() || t["Resources"].empty())
    return FormatError("At least one Resources member must be defined.");
  for (const auto& [name, res] : t["Resources"].items()) {
    if (!res.is_object() || !res.contains("Type"))
      return FormatError("[/Resources/" + name + "] Every Resources object must contain a Type member.");
    if (!res["Type"].is_string())
      return FormatError("[/Resources/" + name + "/Type] Every Type member must be a string.");
    static const std::set<std::string> kAttrs = {
        "Type", "Properties", "DependsOn", "Condition", "DeletionPolicy", "UpdateReplacePolicy",
        "Metadata", "CreationPolicy", "UpdatePolicy"};
    for (const auto& [attr, v] : res.items()) {
      if (!kAttrs.count(attr))
        return FormatError("Invalid template resource property '" + attr + "'");
    }
    if (res.contains("Properties") && !res["Properties"].is_object() && !res["Properties"].is_null())
      return FormatError("[/Resources/" + name + "/Properties] Every Properties member must be an object.");
  }
  return t;
}

}  // namespace orgtrail::cfn
