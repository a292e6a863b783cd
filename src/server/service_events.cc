#include "server/service_events.h"

#include "base/ids.h"
#include "base/strings.h"

namespace orgtrail::server {
namespace {

constexpr char kCloudTrail[] = "cloudtrail.amazonaws.com";

auth::Principal CloudTrailService() {
  auth::Principal p;
  p.type = auth::PrincipalType::kAWSService;
  p.service = kCloudTrail;
  p.arn = kCloudTrail;
  return p;
}

// "arn:aws:kms:<region>:<account>:key/<id>" -> field `i` (3: region, 4: account).
std::string ArnField(const std::string& arn, size_t i) {
  std::vector<std::string> parts = Split(arn, ':');
  return parts.size() > i ? parts[i] : std::string();
}

std::string ObjectArn(const delivery::TrailTarget& trail, const std::string& key) {
  return "arn:aws:s3:::" + trail.bucket + "/" + key;
}

}  // namespace

ingest::ApiCall TrailKeyUseCall(const delivery::TrailTarget& trail, const std::string& object_key,
                                TimePoint when) {
  ingest::ApiCall c;
  c.principal = CloudTrailService();
  c.region = ArnField(trail.kms_key_arn, 3);
  c.request_id = NewUuid();
  c.event_time = when;
  c.event_source = "kms.amazonaws.com";
  c.event_name = "GenerateDataKey";
  Json context = Json::object();
  context["aws:cloudtrail:arn"] = trail.trail_arn;
  context["aws:s3:arn"] = ObjectArn(trail, object_key);
  c.request_parameters = Json{{"keyId", trail.kms_key_arn},
                              {"encryptionContext", std::move(context)},
                              {"keySpec", "AES_256"}};
  c.response_elements = nullptr;
  c.read_only = true;
  c.recipient_account_id = ArnField(trail.kms_key_arn, 4);
  c.resources.push_back({trail.kms_key_arn, c.recipient_account_id, "AWS::KMS::Key"});
  return c;
}

ingest::ApiCall TrailPutObjectCall(const delivery::TrailTarget& trail, const std::string& object_key,
                                   const std::string& bucket_owner,
                                   const std::string& bucket_region, TimePoint when) {
  ingest::ApiCall c;
  c.principal = CloudTrailService();
  c.region = bucket_region;
  c.request_id = NewUuid();
  c.event_time = when;
  c.event_source = "s3.amazonaws.com";
  c.event_name = "PutObject";
  c.request_parameters = Json{{"bucketName", trail.bucket},
                              {"Host", trail.bucket + ".s3." + bucket_region + ".amazonaws.com"},
                              {"key", object_key},
                              {"x-amz-acl", "bucket-owner-full-control"}};
  c.response_elements = nullptr;
  c.read_only = false;
  c.management_event = false;
  c.recipient_account_id = bucket_owner;
  c.resources.push_back({ObjectArn(trail, object_key), "", "AWS::S3::Object"});
  c.resources.push_back({"arn:aws:s3:::" + trail.bucket, bucket_owner, "AWS::S3::Bucket"});
  return c;
}

std::vector<ingest::Event> TrailDeliveryEvents(const delivery::TrailTarget& trail,
                                               const std::string& object_key,
                                               const std::string& bucket_owner,
                                               const std::string& bucket_region, TimePoint when) {
  std::vector<ingest::Event> out;
  if (!trail.kms_key_arn.empty()) {
    out.push_back(ingest::BuildRecord(TrailKeyUseCall(trail, object_key, when), NewUuid()));
  }
  out.push_back(ingest::BuildRecord(
      TrailPutObjectCall(trail, object_key, bucket_owner, bucket_region, when), NewUuid()));
  return out;
}

}  // namespace orgtrail::server
