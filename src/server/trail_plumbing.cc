#include "server/trail_plumbing.h"

#include <spdlog/spdlog.h>

#include <cctype>

#include "base/ids.h"
#include "base/strings.h"
#include "cloudtrail/policy_preflight.h"
#include "kms/kms_service.h"
#include "s3/s3_service.h"
#include "server/service_events.h"

namespace orgtrail::server {
namespace {

// Global services record their events in us-east-1, as on AWS.
bool IsGlobalSource(const std::string& source) {
  return source == "iam.amazonaws.com" || source == "organizations.amazonaws.com";
}

std::string LowerFirst(const std::string& s) {
  if (s.empty() || !std::isupper(static_cast<unsigned char>(s[0]))) return s;
  // Leading acronyms are lowered as a whole ("SSEKMSKeyId" stays readable as "sSEKMSKeyId" on
  // AWS; CloudTrail only lowers the first letter).
  std::string out = s;
  out[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[0])));
  return out;
}

}  // namespace

Json LowerCamelKeys(const Json& j) {
  if (j.is_object()) {
    Json out = Json::object();
    for (auto it = j.begin(); it != j.end(); ++it) out[LowerFirst(it.key())] = LowerCamelKeys(*it);
    return out;
  }
  if (j.is_array()) {
    Json out = Json::array();
    for (const auto& v : j) out.push_back(LowerCamelKeys(v));
    return out;
  }
  return j;
}

bool IsReadOnlyOperation(const std::string& event_source, const std::string& op) {
  for (const char* p : {"Get", "List", "Describe", "Head", "Lookup", "Lookup", "Validate"}) {
    if (StartsWith(op, p)) return true;
  }
  if (event_source == "kms.amazonaws.com")
    return op == "Decrypt" || op == "Encrypt" || op == "GenerateDataKey" ||
           op == "GenerateDataKeyWithoutPlaintext";
  if (event_source == "sts.amazonaws.com") return true;  // AssumeRole etc. are readOnly on AWS
  return false;
}

bool IsDataEvent(const std::string& event_source, const std::string& op) {
  if (event_source == "cloudtrail-data.amazonaws.com") return op == "PutAuditEvents";
  if (event_source != "s3.amazonaws.com") return false;
  // S3's object-level operations; bucket configuration calls and
  // ListBuckets/CreateBucket/DeleteBucket are management events.
  static const char* const kObjectLevel[] = {
      "GetObject",        "HeadObject",          "PutObject",          "DeleteObject",
      "DeleteObjects",    "CopyObject",          "RestoreObject",      "ListObjects",
      "ListObjectsV2",    "ListObjectVersions",  "GetObjectAcl",       "PutObjectAcl",
      "GetObjectTagging", "PutObjectTagging",    "DeleteObjectTagging", "GetObjectAttributes",
      "CreateMultipartUpload", "UploadPart",     "CompleteMultipartUpload",
      "AbortMultipartUpload", "ListParts",       "ListMultipartUploads",
      "GetObjectRetention", "PutObjectRetention", "GetObjectLegalHold", "PutObjectLegalHold"};
  for (const char* o : kObjectLevel) {
    if (op == o) return true;
  }
  return false;
}

std::vector<ingest::ResourceRef> DataEventResources(const api::CallRecord& r) {
  std::vector<ingest::ResourceRef> out;
  const Json& p = r.request_parameters;
  auto str = [&p](const char* name) -> std::string {
    if (!p.is_object()) return "";
    auto it = p.find(name);
    return it != p.end() && it->is_string() ? it->get<std::string>() : "";
  };
  if (r.event_source == "cloudtrail-data.amazonaws.com") {
    std::string channel = str("channelArn");
    if (!channel.empty()) out.push_back({channel, r.context.principal.account_id, "AWS::CloudTrail::Channel"});
    return out;
  }
  const std::string bucket = str("bucketName");
  const std::string key = str("key");
  if (!bucket.empty() && !key.empty()) out.push_back({"arn:aws:s3:::" + bucket + "/" + key, "", "AWS::S3::Object"});
  if (!bucket.empty()) out.push_back({"arn:aws:s3:::" + bucket, "", "AWS::S3::Bucket"});
  return out;
}

std::optional<ingest::ApiCall> CallRecorder::ToApiCall(const api::CallRecord& r) {
  ingest::ApiCall call;
  const auth::Principal& p = r.context.principal;
  if (!r.auth_failed && !p.account_id.empty()) {
    call.principal = p;
    call.recipient_account_id = p.account_id;
  } else {
    call.access_key_id = r.access_key_id;
    if (!r.access_key_id.empty()) {
      if (auto cred = credentials_.FindCredential(r.access_key_id)) {
        call.account_id = cred->principal.account_id;
      }
    }
    if (call.account_id.empty()) return std::nullopt;
    call.recipient_account_id = call.account_id;
  }
  call.region = IsGlobalSource(r.event_source) || r.context.region.empty() ? "us-east-1"
                                                                           : r.context.region;
  call.source_ip = r.context.source_ip;
  call.user_agent = r.context.user_agent;
  call.request_id = r.context.request_id;
  call.event_time = r.context.now;
  call.event_source = r.event_source;
  call.event_name = r.operation;
  const bool s3 = r.event_source == "s3.amazonaws.com";
  call.request_parameters = s3 ? r.request_parameters : LowerCamelKeys(r.request_parameters);
  if (call.request_parameters.is_object() && call.request_parameters.empty())
    call.request_parameters = nullptr;
  if (!r.error_code.empty()) {
    call.error_code = r.error_code;
    call.error_message = r.error_message;
    call.response_elements = nullptr;
  } else {
    call.response_elements = r.response.is_null() ? Json(nullptr) : LowerCamelKeys(r.response);
  }
  call.read_only = IsReadOnlyOperation(r.event_source, r.operation);
  call.management_event = !IsDataEvent(r.event_source, r.operation);
  if (!call.management_event) call.resources = DataEventResources(r);
  return call;
}

void CallRecorder::OnCall(const api::CallRecord& record) {
  auto call = ToApiCall(record);
  if (!call) return;
  std::vector<ingest::Event> events;
  events.push_back(ingest::BuildRecord(*call, NewUuid()));
  Status s = sink_.Append(std::move(events));
  if (!s.ok()) spdlog::warn("recorder: event for {} dropped: {}", record.operation, s.ToString());
}

void CallRecorder::OnCallAsync(const api::CallRecord& record, std::function<void()> then) {
  std::vector<ingest::Event> events;
  try {
    auto call = ToApiCall(record);
    if (call) events.push_back(ingest::BuildRecord(*call, NewUuid()));
  } catch (const std::exception& e) {
    spdlog::error("recorder: no event for {}: {}", record.operation, e.what());
  }
  if (events.empty()) return then();
  sink_.AppendAsync(std::move(events),
                    [op = record.operation, then = std::move(then)](const Status& s) {
                      if (!s.ok())
                        spdlog::warn("recorder: event for {} dropped: {}", op, s.ToString());
                      then();
                    });
}

std::optional<cloudtrail::BucketInfo> S3BucketDirectory::FindBucket(const std::string& name) {
  auto b = s3_.buckets().Get(name);
  if (!b.ok()) return std::nullopt;
  cloudtrail::BucketInfo out{b->name, b->owner_account, b->region, std::nullopt};
  auto policy = s3_.buckets().GetConfig(name, "policy");
  if (policy.ok()) out.policy = *policy;
  return out;
}

std::optional<cloudtrail::KeyInfo> KmsKeyDirectory::FindKey(const std::string& key_ref,
                                                            const std::string& region,
                                                            const std::string& account) {
  auto k = kms_.LookupKey(key_ref, region, account);
  if (!k.ok()) return std::nullopt;
  return cloudtrail::KeyInfo{k->arn, k->account_id, k->region, k->key_state == "Enabled",
                            k->policy};
}

Status S3LogWriter::PutLogObject(const delivery::TrailTarget& trail, const std::string& key,
                                 std::string gzip_bytes) {
  // The same context CreateTrail's pre-flight checks the policies with.
  const auth::RequestContext ctx = cloudtrail::DeliveryContext(
      trail.trail_arn, trail.owner_account, trail.home_region, clock_.Now());

  s3::S3Request req;
  req.method = "PUT";
  req.bucket = trail.bucket;
  req.key = key;
  req.headers["content-type"] = "application/json";
  req.headers["content-encoding"] = "gzip";
  req.headers["x-amz-acl"] = "bucket-owner-full-control";
  if (!trail.kms_key_arn.empty()) {
    req.headers["x-amz-server-side-encryption"] = "aws:kms";
    req.headers["x-amz-server-side-encryption-aws-kms-key-id"] = trail.kms_key_arn;
    Json ec = {{"aws:cloudtrail:arn", trail.trail_arn}};
    req.headers["x-amz-server-side-encryption-context"] = Base64Encode(ec.dump());
  }
  req.body = std::move(gzip_bytes);
  s3::S3Response r = s3_.Handle(ctx, req);
  if (r.status / 100 == 2) {
    RecordServiceCalls(trail, key);
    return Status::Ok();
  }
  // The S3 error body is XML: surface its code and message.
  std::string code = "S3Error", message = r.body;
  auto cut = [&](const std::string& tag) -> std::string {
    size_t a = r.body.find("<" + tag + ">");
    size_t b = r.body.find("</" + tag + ">");
    if (a == std::string::npos || b == std::string::npos || b < a) return "";
    return r.body.substr(a + tag.size() + 2, b - a - tag.size() - 2);
  };
  if (auto c = cut("Code"); !c.empty()) code = c;
  if (auto m = cut("Message"); !m.empty()) message = m;
  return Status::Error(code, message, r.status);
}

void S3LogWriter::RecordServiceCalls(const delivery::TrailTarget& trail, const std::string& key) {
  if (service_events_ == nullptr) return;
  auto bucket = s3_.buckets().Get(trail.bucket);
  if (!bucket.ok()) return;  // deleted meanwhile: nobody to record it for
  Status st = service_events_->Append(
      TrailDeliveryEvents(trail, key, bucket->owner_account, bucket->region, clock_.Now()));
  // The log file is delivered either way; a full or failing event log is
  // reported by its own errors, and a delivery must not fail for it.
  if (!st.ok()) spdlog::warn("trail {}: service call records for {} not kept: {}", trail.name, key, st.ToString());
}

}  // namespace orgtrail::server
