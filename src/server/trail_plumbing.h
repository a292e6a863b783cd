// The organization trail's plumbing inside orgtraild: the adapters that join
// the control-plane services to the trail's data plane.
//
//   CallRecorder      api::CallObserver -> CloudTrail record -> ingest::EventSink
//   S3BucketDirectory cloudtrail::BucketDirectory over the S3 bucket catalog
//   KmsKeyDirectory   cloudtrail::KeyDirectory over KMS (no material exposed)
//   S3LogWriter       delivery::LogWriter: PutObject into the trail's bucket as
//                     the service principal cloudtrail.amazonaws.com, SSE-KMS
//                     with encryption context aws:cloudtrail:arn = trail ARN
//
// Constructed and owned by server::Server; all are thread-safe (they only
// call thread-safe services).
#pragma once

#include <string>

#include "api/call_observer.h"
#include "auth/credentials.h"
#include "cloudtrail/directories.h"
#include "delivery/log_writer.h"
#include "ingest/event_sink.h"
#include "ingest/record_builder.h"

namespace orgtrail::kms {
class KmsService;
}
namespace orgtrail::s3 {
class S3Service;
}

namespace orgtrail::server {

// Turns every API call into a CloudTrail record for the caller's account and
// the request's region (IAM and Organizations, global services, in us-east-1)
// and appends it to `sink`. Calls with no known account (anonymous, unknown
// key) have no account to be delivered to and are counted, not recorded.
class CallRecorder final : public api::CallObserver {
 public:
  CallRecorder(ingest::EventSink& sink, auth::CredentialLookup& credentials)
      : sink_(sink), credentials_(credentials) {}
  // Returns once the event is durable in `sink` (or dropped, logged).
  void OnCall(const api::CallRecord& record) override;
  // Calls `then` once the event is durable in `sink` (or dropped, logged),
  // on the sink's thread; the event is built before this returns.
  void OnCallAsync(const api::CallRecord& record, std::function<void()> then) override;
  // The sink's: a call whose event could not be kept is not run.
  Status Admission() override { return sink_.Admission(); }

  // Exposed for tests: the ApiCall a CallRecord becomes (nullopt: not recorded).
  std::optional<ingest::ApiCall> ToApiCall(const api::CallRecord& record);

 private:
  ingest::EventSink& sink_;
  auth::CredentialLookup& credentials_;
};

// Whether an operation only reads (Get*, List*, Describe*, Head*, Lookup*, ...).
bool IsReadOnlyOperation(const std::string& event_source, const std::string& operation);
// Whether a call is a data event (S3 object-level operations, PutAuditEvents),
// delivered only to trails whose selectors ask for it, as on AWS.
bool IsDataEvent(const std::string& event_source, const std::string& operation);
// The resources of a data event (the object and bucket ARNs, the channel ARN)
// that data-event selectors match on.
std::vector<ingest::ResourceRef> DataEventResources(const api::CallRecord& record);
// CloudTrail writes request parameter names in lowerCamelCase ("KeyId" -> "keyId").
Json LowerCamelKeys(const Json& j);

class S3BucketDirectory final : public cloudtrail::BucketDirectory {
 public:
  explicit S3BucketDirectory(s3::S3Service& s3) : s3_(s3) {}
  std::optional<cloudtrail::BucketInfo> FindBucket(const std::string& name) override;

 private:
  s3::S3Service& s3_;
};

class KmsKeyDirectory final : public cloudtrail::KeyDirectory {
 public:
  explicit KmsKeyDirectory(kms::KmsService& kms) : kms_(kms) {}
  std::optional<cloudtrail::KeyInfo> FindKey(const std::string& key_ref, const std::string& region,
                                             const std::string& account) override;

 private:
  kms::KmsService& kms_;
};

class S3LogWriter final : public delivery::LogWriter {
 public:
  S3LogWriter(s3::S3Service& s3, const Clock& clock) : s3_(s3), clock_(clock) {}
  Status PutLogObject(const delivery::TrailTarget& trail, const std::string& key,
                      std::string gzip_bytes) override;

  // Where the records of the trail service's own calls go (its KMS
  // GenerateDataKey and S3 PutObject for each delivered file, as AWS records
  // them: server/service_events.h). Null (the default): not recorded. Set
  // once, before delivery starts; must outlive the writer.
  void SetServiceEventSink(ingest::EventSink* sink) { service_events_ = sink; }

 private:
  void RecordServiceCalls(const delivery::TrailTarget& trail, const std::string& key);

  s3::S3Service& s3_;
  const Clock& clock_;
  ingest::EventSink* service_events_ = nullptr;
};

}  // namespace orgtrail::server
