#include "server/cfn_plumbing.h"

#include <utility>

#include "api/s3_front.h"
#include "base/ids.h"
#include "cfn/cfn_service.h"
#include "s3/s3_service.h"

namespace orgtrail::server {

namespace {

const char* EventSourceOf(const std::string& service) {
  if (service == "kms") return "kms.amazonaws.com";
  if (service == "cloudtrail") return "cloudtrail.amazonaws.com";
  if (service == "iam") return "iam.amazonaws.com";
  return "";
}

// The <Code>/<Message> of an S3 error body ("" when absent).
std::string XmlElement(const std::string& body, const std::string& name) {
  const std::string open = "<" + name + ">";
  size_t b = body.find(open);
  if (b == std::string::npos) return "";
  b += open.size();
  size_t e = body.find("</" + name + ">", b);
  if (e == std::string::npos) return "";
  return body.substr(b, e - b);
}

}  // namespace

ServiceCallInvoker::ServiceCallInvoker(auth::JsonOps kms_ops, auth::JsonOps cloudtrail_ops,
                                       auth::QueryOps iam_ops, s3::S3Service& s3,
                                       api::CallObserver* observer)
    : kms_ops_(std::move(kms_ops)),
      cloudtrail_ops_(std::move(cloudtrail_ops)),
      iam_ops_(std::move(iam_ops)),
      s3_(s3),
      observer_(observer) {}

void ServiceCallInvoker::Record(const auth::RequestContext& ctx, const std::string& event_source,
                                const std::string& op, Json request_parameters, Json response,
                                const Status& status) const {
  if (!observer_) return;
  api::CallRecord rec;
  rec.context = ctx;
  rec.context.request_id = NewUuid();
  rec.context.user_agent = kCloudFormationAgent;
  rec.event_source = event_source;
  rec.operation = op;
  rec.request_parameters = std::move(request_parameters);
  rec.access_key_id = ctx.principal.access_key_id;
  if (status.ok()) {
    rec.response = std::move(response);
  } else {
    rec.error_code = status.code();
    rec.error_message = status.message();
    rec.http_status = status.http_status();
  }
  try {
    observer_->OnCall(rec);
  } catch (...) {
    // The recorder must not break provisioning; it logs its own failures.
  }
}

Result<Json> ServiceCallInvoker::CallJson(const auth::RequestContext& ctx,
                                          const std::string& service, const std::string& op,
                                          const Json& input) {
  const auth::JsonOps* ops = service == "kms"          ? &kms_ops_
                             : service == "cloudtrail" ? &cloudtrail_ops_
                                                       : nullptr;
  if (!ops) return Status::Internal("CloudFormation cannot call JSON service '" + service + "'");
  Result<Json> out = Status::Error("UnknownOperationException",
                                   "Operation " + op + " is not supported");
  auto it = ops->find(op);
  if (it != ops->end()) {
    try {
      out = it->second(ctx, input);
    } catch (const std::exception&) {
      out = Status::Internal("We encountered an internal error. Please try again.");
    }
  }
  Record(ctx, EventSourceOf(service), op, input.is_object() ? input : Json::object(),
         out.ok() ? *out : Json(), out.status());
  return out;
}

Result<OrderedJson> ServiceCallInvoker::CallQuery(const auth::RequestContext& ctx,
                                                  const std::string& service,
                                                  const std::string& op,
                                                  const auth::QueryParams& params) {
  if (service != "iam")
    return Status::Internal("CloudFormation cannot call Query service '" + service + "'");
  Result<OrderedJson> out =
      Status::Error("InvalidAction", "Could not find operation " + op + " for version 2010-05-08");
  auto it = iam_ops_.find(op);
  if (it != iam_ops_.end()) {
    try {
      out = it->second(ctx, params);
    } catch (const std::exception&) {
      out = Status::Internal("We encountered an internal error. Please try again.");
    }
  }
  if (observer_) {
    Json rp = Json::object();
    for (const auto& [k, v] : params)
      if (k != "Action" && k != "Version") rp[k] = v;
    Json resp;
    if (out.ok())
      resp = Json::parse(out->dump(-1, ' ', false, OrderedJson::error_handler_t::replace),
                         nullptr, false);
    Record(ctx, EventSourceOf(service), op, std::move(rp), std::move(resp), out.status());
  }
  return out;
}

s3::S3Response ServiceCallInvoker::CallS3(const auth::RequestContext& ctx,
                                          const s3::S3Request& req) {
  s3::S3Response resp;
  try {
    resp = s3_.Handle(ctx, req);
  } catch (const std::exception&) {
    resp = s3::S3Response{};
    resp.status = 500;
    resp.headers.emplace_back("Content-Type", "application/xml");
    resp.body =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code>"
        "<Message>We encountered an internal error. Please try again.</Message></Error>";
  }
  if (observer_) {
    api::S3Address addr;
    addr.bucket = req.bucket;
    addr.key = req.key;
    Json rp = Json::object();
    rp["bucketName"] = req.bucket;
    if (!req.key.empty()) rp["key"] = req.key;
    Status st = Status::Ok();
    if (resp.status >= 300) {
      std::string code = XmlElement(resp.body, "Code");
      if (code.empty()) code = std::to_string(resp.status);
      st = Status::Error(code, XmlElement(resp.body, "Message"), resp.status);
    }
    Record(ctx, "s3.amazonaws.com", api::S3OperationName(req.method, addr, req.query, req.headers),
           std::move(rp), Json(), st);
  }
  return resp;
}

auth::QueryOps CloudFormationOps(cfn::CfnService& cfn) {
  auth::QueryOps ops = cfn.Ops();
  if (ops.count("GetTemplateSummary")) return ops;
  auth::QueryHandler get_template = ops.at("GetTemplate");
  auth::QueryHandler validate = ops.at("ValidateTemplate");
  ops["GetTemplateSummary"] = [get_template, validate](const auth::RequestContext& ctx,
                                                        const auth::QueryParams& p)
      -> Result<OrderedJson> {
    auth::QueryParams vp = p;
    if (!p.count("TemplateBody") && !p.count("TemplateURL")) {
      if (!p.count("StackName") && !p.count("StackSetName"))
        return Status::Error("ValidationError",
                             "Either Template URL or Template Body or StackName or StackSetName "
                             "must be specified.");
      if (p.count("StackSetName"))
        return Status::Error("ValidationError", "StackSets are not supported");
      OT_ASSIGN_OR_RETURN(OrderedJson t, get_template(ctx, p));
      vp.erase("StackName");
      vp.erase("ChangeSetName");
      vp["TemplateBody"] = t.value("TemplateBody", "");
    }
    OT_ASSIGN_OR_RETURN(OrderedJson out, validate(ctx, vp));
    out["Version"] = "2010-09-09";
    return out;
  };
  return ops;
}

}  // namespace orgtrail::server
