#include "cfn/template.h"

#include <yaml.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "base/strings.h"

namespace orgtrail::cfn {
namespace {

// Bounds on what one template may expand to. Aliases copy the anchored
// subtree, so without a budget a 50 KB body ("billion laughs") could build
// gigabytes; both counts include every alias expansion and every copy an
// anchor keeps.
constexpr size_t kMaxNodes = 200000;
constexpr size_t kMaxScalarBytes = 4 << 20;
// Deeper than any real template; also bounds this file's recursion.
constexpr int kMaxDepth = 100;

constexpr std::string_view kYamlTagPrefix = "tag:yaml.org,2002:";

Status FormatError(const std::string& what) {
  return ValidationError("Template format error: " + what);
}

// libyaml's marks are 0-based; AWS and editors count from 1.
Status YamlError(const yaml_mark_t& mark, const std::string& what) {
  std::string msg = "YAML not well-formed. (line " + std::to_string(mark.line + 1) + ", column " +
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

bool IsNullScalar(const std::string& s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

// The typing of an untagged plain scalar: booleans, null and decimal
// integers; everything else (floats such as 1.10, yes/no, hex) stays the
// text as written, so values reach the providers as the author typed them.
Json PlainScalar(const std::string& s) {
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (IsNullScalar(s)) return nullptr;
  if (IsInteger(s)) return static_cast<int64_t>(std::stoll(s));
  return s;
}

// Converts the value of a node tagged with a short-form intrinsic (`fn` is
// the tag without its '!') to the long form.
Result<Json> LongForm(const std::string& fn, Json value, const yaml_mark_t& mark) {
  static const std::set<std::string> kFns = {
      "Sub",         "GetAtt", "Join", "Select", "Split",        "If",
      "Equals",      "Not",    "And",  "Or",     "FindInMap",    "GetAZs",
      "ImportValue", "Base64", "Cidr", "Length", "ToJsonString", "Transform"};
  if (fn == "Ref" || fn == "Condition") {
    if (!value.is_string())
      return FormatError("Unsupported tag !" + fn + ": the value must be a string");
    return Json{{fn, std::move(value)}};
  }
  if (fn == "GetAtt" && value.is_string()) {
    std::string s = value.get<std::string>();
    size_t dot = s.find('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == s.size())
      return FormatError(
          "Template error: every Fn::GetAtt object requires two non-empty parameters");
    return Json{{"Fn::GetAtt", Json::array({s.substr(0, dot), s.substr(dot + 1)})}};
  }
  if (!kFns.count(fn)) return YamlError(mark, "Unsupported tag !" + fn);
  return Json{{"Fn::" + fn, std::move(value)}};
}

// Reads one YAML document through libyaml's event API (a bounded state
// machine: every call consumes input or fails) and builds the JSON tree.
// Anchors are kept as finished subtrees; an alias copies one, charged
// against the node and byte budgets. Not copyable (owns the parser).
class YamlReader {
 public:
  explicit YamlReader(std::string_view body) : body_(body) {
    yaml_parser_initialize(&parser_);
    yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(body.data()),
                                 body.size());
  }
  ~YamlReader() {
    if (have_event_) yaml_event_delete(&event_);
    yaml_parser_delete(&parser_);
  }
  YamlReader(const YamlReader&) = delete;
  YamlReader& operator=(const YamlReader&) = delete;

  // The single document of the stream; an empty stream or a second
  // document is an error.
  Result<Json> ReadDocument() {
    OT_RETURN_IF_ERROR(Expect(YAML_STREAM_START_EVENT));
    OT_RETURN_IF_ERROR(Next());
    if (event_.type != YAML_DOCUMENT_START_EVENT)
      return FormatError("YAML not well-formed. The template is empty.");
    OT_RETURN_IF_ERROR(Next());
    OT_ASSIGN_OR_RETURN(Json root, Node(0));
    OT_RETURN_IF_ERROR(Expect(YAML_DOCUMENT_END_EVENT));
    OT_RETURN_IF_ERROR(Next());
    if (event_.type != YAML_STREAM_END_EVENT)
      return YamlError(event_.start_mark,
                       "Expected exactly one document; a template cannot hold several.");
    return root;
  }

 private:
  struct Anchor {
    Json value;
    size_t nodes = 0;
    size_t bytes = 0;
    int height = 0;  // levels below the anchored node, so an alias cannot exceed kMaxDepth
    // The scalar's text when the anchored node may serve as a mapping key.
    std::optional<std::string> key;
  };

  // Replaces the current event with the next one; a libyaml error becomes
  // a ValidationError naming the position.
  Status Next() {
    if (have_event_) yaml_event_delete(&event_);
    have_event_ = false;
    if (!yaml_parser_parse(&parser_, &event_)) return ParserError();
    have_event_ = true;
    return Status::Ok();
  }

  Status Expect(yaml_event_type_t type) {
    OT_RETURN_IF_ERROR(Next());
    if (event_.type != type) return YamlError(event_.start_mark, "Unexpected YAML event.");
    return Status::Ok();
  }

  Status ParserError() const {
    std::string what = parser_.problem ? parser_.problem : "";
    if (parser_.context) what += std::string(what.empty() ? "" : " ") + parser_.context;
    if (parser_.error == YAML_MEMORY_ERROR) return FormatError("The template is too large.");
    if (parser_.error == YAML_READER_ERROR) {
      // The reader reports a byte offset (bad encoding, control characters).
      yaml_mark_t mark{};
      size_t end = std::min(parser_.problem_offset, body_.size());
      for (size_t i = 0; i < end; ++i) {
        if (body_[i] == '\n') {
          ++mark.line;
          mark.column = 0;
        } else if ((static_cast<unsigned char>(body_[i]) & 0xC0) != 0x80) {
          ++mark.column;
        }
      }
      return YamlError(mark, what);
    }
    return YamlError(parser_.problem_mark, what);
  }

  // Adds `nodes` and `bytes` to the tree being built and checks the budget.
  Status Charge(size_t nodes, size_t bytes, const yaml_mark_t& mark) {
    nodes_ += nodes;
    bytes_ += bytes;
    if (nodes_ + copied_nodes_ > kMaxNodes || bytes_ + copied_bytes_ > kMaxScalarBytes)
      return YamlError(mark,
                       "The template is too large once its anchors and aliases are expanded.");
    return Status::Ok();
  }

  static std::string Str(const yaml_char_t* s) {
    return s ? std::string(reinterpret_cast<const char*>(s)) : std::string();
  }
  static std::string Str(const yaml_char_t* s, size_t n) {
    return std::string(reinterpret_cast<const char*>(s), n);
  }

  // Converts the node whose first event is the current one; on return the
  // current event is the node's last (its scalar, alias or end event).
  Result<Json> Node(int depth) {
    const yaml_mark_t mark = event_.start_mark;
    if (depth > kMaxDepth) return YamlError(mark, "The template is nested too deeply.");
    std::string anchor;
    std::string tag;
    switch (event_.type) {
      case YAML_ALIAS_EVENT: {
        auto it = anchors_.find(Str(event_.data.alias.anchor));
        if (it == anchors_.end())
          return YamlError(mark, "Unknown alias *" + Str(event_.data.alias.anchor) + ".");
        if (depth + it->second.height > kMaxDepth)
          return YamlError(mark, "The template is nested too deeply.");
        OT_RETURN_IF_ERROR(Charge(it->second.nodes, it->second.bytes, mark));
        return it->second.value;
      }
      case YAML_SCALAR_EVENT:
        anchor = Str(event_.data.scalar.anchor);
        tag = Str(event_.data.scalar.tag);
        break;
      case YAML_SEQUENCE_START_EVENT:
        anchor = Str(event_.data.sequence_start.anchor);
        tag = Str(event_.data.sequence_start.tag);
        break;
      case YAML_MAPPING_START_EVENT:
        anchor = Str(event_.data.mapping_start.anchor);
        tag = Str(event_.data.mapping_start.tag);
        break;
      default:
        return YamlError(mark, "Unexpected YAML event.");
    }
    const size_t nodes_before = nodes_;
    const size_t bytes_before = bytes_;
    std::optional<std::string> key_text;
    Json value;
    if (event_.type == YAML_SCALAR_EVENT) {
      std::string text = Str(event_.data.scalar.value, event_.data.scalar.length);
      OT_RETURN_IF_ERROR(Charge(1, text.size(), mark));
      value = Scalar(text, tag, event_.data.scalar.style == YAML_PLAIN_SCALAR_STYLE);
      if (value.is_string() || value.is_number() || value.is_boolean()) key_text = text;
    } else if (event_.type == YAML_SEQUENCE_START_EVENT) {
      OT_RETURN_IF_ERROR(Charge(1, 0, mark));
      OT_ASSIGN_OR_RETURN(value, Sequence(depth));
    } else {
      OT_RETURN_IF_ERROR(Charge(1, 0, mark));
      OT_ASSIGN_OR_RETURN(value, Mapping(depth));
    }
    if (!tag.empty() && tag != "!" && !StartsWith(tag, kYamlTagPrefix)) {
      if (tag.size() < 2 || tag[0] != '!') return YamlError(mark, "Unsupported tag " + tag);
      OT_ASSIGN_OR_RETURN(value, LongForm(tag.substr(1), std::move(value), mark));
      key_text.reset();
    }
    if (!anchor.empty()) {
      // The anchor keeps its own copy of the subtree: charged too, or nested
      // anchors (&a [&b [&c ...]]) would copy a large subtree once per level.
      const size_t nodes = nodes_ - nodes_before;
      const size_t bytes = bytes_ - bytes_before;
      copied_nodes_ += nodes;
      copied_bytes_ += bytes;
      OT_RETURN_IF_ERROR(Charge(0, 0, mark));
      anchors_[anchor] = Anchor{value, nodes, bytes, Height(value), std::move(key_text)};
    }
    return value;
  }

  // Levels below `v`; at most kMaxDepth, as every tree built here is.
  static int Height(const Json& v) {
    int h = 0;
    if (v.is_array() || v.is_object())
      for (const auto& child : v) h = std::max(h, 1 + Height(child));
    return h;
  }

  // Typing is that of the parser libyaml replaced (docs/status.md): only untagged
  // plain scalars are typed; quoted and block scalars and those with a
  // non-specific or intrinsic tag are strings; !!int and !!bool are honoured.
  static Json Scalar(const std::string& text, const std::string& tag, bool plain) {
    if (tag.empty()) return plain ? PlainScalar(text) : Json(text);
    if (tag == std::string(kYamlTagPrefix) + "int" && IsInteger(text))
      return static_cast<int64_t>(std::stoll(text));
    if (tag == std::string(kYamlTagPrefix) + "bool") return PlainScalar(text);
    return text;
  }

  Result<Json> Sequence(int depth) {
    Json arr = Json::array();
    for (;;) {
      OT_RETURN_IF_ERROR(Next());
      if (event_.type == YAML_SEQUENCE_END_EVENT) return arr;
      OT_ASSIGN_OR_RETURN(Json v, Node(depth + 1));
      arr.push_back(std::move(v));
    }
  }

  Result<Json> Mapping(int depth) {
    Json obj = Json::object();
    for (;;) {
      OT_RETURN_IF_ERROR(Next());
      if (event_.type == YAML_MAPPING_END_EVENT) return obj;
      const yaml_mark_t key_mark = event_.start_mark;
      OT_ASSIGN_OR_RETURN(std::string key, Key(depth));
      if (key == "<<") return YamlError(key_mark, "Merge keys are not supported.");
      if (obj.contains(key)) return YamlError(key_mark, "Duplicate key '" + key + "'.");
      OT_RETURN_IF_ERROR(Next());
      OT_ASSIGN_OR_RETURN(Json v, Node(depth + 1));
      obj[key] = std::move(v);
    }
  }

  // A mapping key must be a string: a scalar other than null, an untagged
  // or standard-tagged one, or an alias of such a scalar. Its text is the
  // key as written ("1" and '1' are the same key).
  Result<std::string> Key(int depth) {
    const yaml_mark_t mark = event_.start_mark;
    if (event_.type == YAML_ALIAS_EVENT) {
      auto it = anchors_.find(Str(event_.data.alias.anchor));
      if (it == anchors_.end())
        return YamlError(mark, "Unknown alias *" + Str(event_.data.alias.anchor) + ".");
      if (!it->second.key) return YamlError(mark, "Keys must be strings.");
      OT_RETURN_IF_ERROR(Charge(it->second.nodes, it->second.bytes, mark));
      return *it->second.key;
    }
    if (event_.type != YAML_SCALAR_EVENT) return YamlError(mark, "Keys must be strings.");
    std::string tag = Str(event_.data.scalar.tag);
    if (!tag.empty() && tag != "!" && !StartsWith(tag, kYamlTagPrefix))
      return YamlError(mark, "Keys must be strings; tag " + tag + " is not allowed on a key.");
    std::string text = Str(event_.data.scalar.value, event_.data.scalar.length);
    if (tag.empty() && event_.data.scalar.style == YAML_PLAIN_SCALAR_STYLE && IsNullScalar(text))
      return YamlError(mark, "Keys must be strings.");
    OT_ASSIGN_OR_RETURN(Json typed, Node(depth + 1));  // registers an anchor, charges the budget
    (void)typed;
    return text;
  }

  std::string_view body_;
  yaml_parser_t parser_;
  yaml_event_t event_;
  bool have_event_ = false;
  std::map<std::string, Anchor> anchors_;
  // Nodes and scalar bytes of the tree (aliases expanded), and of the
  // anchors' copies; the budget bounds their sum.
  size_t nodes_ = 0;
  size_t bytes_ = 0;
  size_t copied_nodes_ = 0;
  size_t copied_bytes_ = 0;
};

Result<Json> ParseYaml(std::string_view body) {
  YamlReader reader(body);
  return reader.ReadDocument();
}

}  // namespace

Result<Json> ParseTemplateSyntax(std::string_view body) {
  if (body.size() > kMaxTemplateBodyBytes)
    return ValidationError(
        "1 validation error detected: Value '...' at 'templateBody' failed to "
        "satisfy constraint: Member must have length less than or equal to " +
        std::to_string(kMaxTemplateBodyBytes));
  if (!IsValidUtf8(body)) return FormatError("The template must be UTF-8 text.");
  std::string_view t = Trim(body);
  if (t.empty()) return ValidationError("Template body can not be empty.");  // NOLINT
  if (t.front() == '{') {
    // The same nesting bound as for YAML: later passes over the tree recurse.
    bool too_deep = false;
    auto depth_check = [&too_deep](int depth, Json::parse_event_t, Json&) {
      if (depth > kMaxDepth + 1) too_deep = true;
      return true;
    };
    Json j = Json::parse(t.begin(), t.end(), depth_check, /*allow_exceptions=*/false);
    if (j.is_discarded()) return FormatError("JSON not well-formed.");
    if (too_deep) return FormatError("The template is nested too deeply.");
    return j;
  }
  return ParseYaml(body);
}

Result<Json> ParseTemplate(std::string_view body) {
  OT_ASSIGN_OR_RETURN(Json t, ParseTemplateSyntax(body));
  if (!t.is_object()) return FormatError("template is not a JSON or YAML object.");
  static const std::set<std::string> kSections = {"AWSTemplateFormatVersion",
                                                  "Description",
                                                  "Metadata",
                                                  "Parameters",
                                                  "Rules",
                                                  "Mappings",
                                                  "Conditions",
                                                  "Transform",
                                                  "Resources",
                                                  "Outputs"};
  std::string unknown;
  for (const auto& [k, v] : t.items()) {
    if (!kSections.count(k)) unknown += (unknown.empty() ? "" : ", ") + k;
  }
  if (!unknown.empty())
    return FormatError("Invalid template property or properties [" + unknown + "]");
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
    return ValidationError(
        "Template format error: Transform is not supported by this orgtrail "
        "build (macros such as AWS::Serverless are not implemented)");
  for (const char* section : {"Parameters", "Mappings", "Conditions", "Outputs", "Metadata"}) {
    if (t.contains(section) && !t[section].is_object() && !t[section].is_null())
      return FormatError(std::string("The ") + section + " section must be an object.");
  }
  if (!t.contains("Resources") || !t["Resources"].is_object() || t["Resources"].empty())
    return FormatError("At least one Resources member must be defined.");
  for (const auto& [name, res] : t["Resources"].items()) {
    if (!res.is_object() || !res.contains("Type"))
      return FormatError("[/Resources/" + name +
                         "] Every Resources object must contain a Type member.");
    if (!res["Type"].is_string())
      return FormatError("[/Resources/" + name + "/Type] Every Type member must be a string.");
    static const std::set<std::string> kAttrs = {
        "Type",      "Properties",     "DependsOn",
        "Condition", "DeletionPolicy", "UpdateReplacePolicy",
        "Metadata",  "CreationPolicy", "UpdatePolicy"};
    for (const auto& [attr, v] : res.items()) {
      if (!kAttrs.count(attr))
        return FormatError("Invalid template resource property '" + attr + "'");
    }
    if (res.contains("Properties") && !res["Properties"].is_object() &&
        !res["Properties"].is_null())
      return FormatError("[/Resources/" + name +
                         "/Properties] Every Properties member must be an object.");
  }
  return t;
}

}  // namespace orgtrail::cfn
