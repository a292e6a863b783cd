#include "api/query_codec.h"

#include "base/strings.h"

namespace orgtrail::api {

Result<auth::QueryParams> DecodeQueryForm(std::string_view form, bool skip_signing) {
  auto pairs = ParseQueryString(form, /*plus_as_space=*/true);
  if (!pairs)
    return Status::Error("MalformedQueryString", "The query string contains a malformed escape");
  auth::QueryParams out;
  for (auto& [k, v] : *pairs) {
    if (skip_signing && StartsWith(k, "X-Amz-")) continue;
    out[k] = std::move(v);
  }
  return out;
}

namespace {

void AppendElement(std::string_view name, const OrderedJson& value, std::string* out) {
  if (value.is_null()) return;
  out->push_back('<');
  out->append(name);
  out->push_back('>');
  AppendQueryXmlValue(value, out);
  out->append("</");
  out->append(name);
  out->push_back('>');
}

}  // namespace

void AppendQueryXmlValue(const OrderedJson& value, std::string* out) {
  switch (value.type()) {
    case OrderedJson::value_t::object:
      for (const auto& [k, v] : value.items()) AppendElement(k, v, out);
      break;
    case OrderedJson::value_t::array:
      for (const auto& v : value) AppendElement("member", v, out);
      break;
    case OrderedJson::value_t::string:
      out->append(XmlEscape(value.get_ref<const std::string&>()));
      break;
    case OrderedJson::value_t::boolean:
      out->append(value.get<bool>() ? "true" : "false");
      break;
    case OrderedJson::value_t::null:
    case OrderedJson::value_t::discarded:
      break;
    default:  // numbers
      out->append(value.dump());
      break;
  }
}

std::string RenderQueryResponse(std::string_view op, std::string_view xml_namespace,
                                const OrderedJson& result, std::string_view request_id) {
  std::string out;
  out.reserve(256);
  out.append("<");
  out.append(op);
  out.append("Response xmlns=\"");
  out.append(XmlEscape(xml_namespace));
  out.append("\">");
  if (!result.is_null()) {
    out.append("<");
    out.append(op);
    out.append("Result>");
    AppendQueryXmlValue(result, &out);
    out.append("</");
    out.append(op);
    out.append("Result>");
  }
  out.append("<ResponseMetadata><RequestId>");
  out.append(XmlEscape(request_id));
  out.append("</RequestId></ResponseMetadata></");
  out.append(op);
  out.append("Response>");
  return out;
}

std::string RenderQueryError(std::string_view xml_namespace, const Status& status,
                             std::string_view request_id) {
  std::string out = "<ErrorResponse xmlns=\"";
  out.append(XmlEscape(xml_namespace));
  out.append("\"><Error><Type>");
  out.append(status.sender_fault() ? "Sender" : "Receiver");
  out.append("</Type><Code>");
  out.append(XmlEscape(status.code()));
  out.append("</Code><Message>");
  out.append(XmlEscape(status.message()));
  out.append("</Message></Error><RequestId>");
  out.append(XmlEscape(request_id));
  out.append("</RequestId></ErrorResponse>");
  return out;
}

HttpResponse QuerySuccess(std::string_view op, std::string_view xml_namespace,
                          const OrderedJson& result, std::string_view request_id) {
  HttpResponse r;
  r.status = 200;
  r.headers.emplace_back("Content-Type", "text/xml");
  r.headers.emplace_back("x-amzn-RequestId", std::string(request_id));
  r.body = RenderQueryResponse(op, xml_namespace, result, request_id);
  return r;
}

HttpResponse QueryError(std::string_view xml_namespace, const Status& status,
                        std::string_view request_id) {
  HttpResponse r;
  r.status = status.http_status();
  r.headers.emplace_back("Content-Type", "text/xml");
  r.headers.emplace_back("x-amzn-RequestId", std::string(request_id));
  r.body = RenderQueryError(xml_namespace, status, request_id);
  return r;
}

}  // namespace orgtrail::api
