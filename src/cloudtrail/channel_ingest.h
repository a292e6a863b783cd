// AuditEventIngester: the CloudTrail Data API's PutAuditEvents (model
// cloudtrail-data/2021-08-11, REST-JSON, signing name cloudtrail-data).
// The router hands it the authenticated call (query parameters channelArn
// and externalId, and the JSON body); it checks the channel, validates and
// converts every event (channel_events.h), appends all the good events of
// the call to the EventSink in one append (so they share one fsync when the
// sink is the write-ahead log) and answers {"successful":[...],"failed":[...]}.
// PutAuditEventsDeferred leaves the append to the caller's commit step
// (EventSink::AppendAsync), so that orgtraild answers from the log's group
// commit instead of parking a server thread on the fsync.
//
// Whole-call errors (nothing is appended): InvalidChannelARN,
// ChannelNotFound (unknown, deleted, or in another region),
// ChannelInsufficientPermission (the caller's account does not own the
// channel), DuplicatedAuditEventId, ValidationException (shape: event count,
// ids, externalId), SerializationException (body not JSON), access denied by
// the caller's identity policies (cloudtrail-data:PutAuditEvents on the
// channel ARN), and whatever the sink refuses with (ThrottlingException when
// it is full, so that SDKs retry). Per-event failures (the other events are
// kept): InvalidChecksum, EventTooLarge, InvalidEventData.
//
// Thread-safe; `channels`, `sink` and `clock` must outlive it.
#pragma once

#include <functional>
#include <string_view>

#include "auth/principal.h"
#include "auth/service_ops.h"
#include "base/json.h"
#include "base/status.h"
#include "base/time.h"
#include "cloudtrail/channel_events.h"
#include "cloudtrail/channel_service.h"
#include "iam/authorizer.h"
#include "ingest/event_sink.h"

namespace orgtrail::cloudtrail {

class AuditEventIngester {
 public:
  AuditEventIngester(ChannelService& channels, ingest::EventSink& sink, const Clock& clock,
                     AuditEventLimits limits = {});
  AuditEventIngester(const AuditEventIngester&) = delete;
  AuditEventIngester& operator=(const AuditEventIngester&) = delete;

  // Not owned; null = iam::Authorizer::Default(). Call before serving.
  void SetAuthorizer(const iam::Authorizer* authorizer) { authorizer_ = authorizer; }
  const AuditEventLimits& limits() const { return limits_; }

  // One PutAuditEvents call: `query` holds the decoded query-string
  // parameters, `body` the request body. Returns the response object or the
  // whole-call error.
  // Returns once the good events are appended (durable, for the WAL).
  Result<Json> PutAuditEvents(const auth::RequestContext& ctx, const auth::QueryParams& query,
                              std::string_view body);

  // The append of a call's good events: calls `done` exactly once, possibly
  // on another thread (the WAL's flusher, after the fsync), with OK or the
  // sink's error (the call's answer then). Quick, and never calls Append.
  using Commit = std::function<void(std::function<void(Status)> done)>;
  // Same call, without the append: on success the response to give once
  // *commit (set when there are good events; left empty otherwise) has
  // reported OK, as JSON text. Whole-call errors are returned as by
  // PutAuditEvents.
  Result<std::string> PutAuditEventsDeferred(const auth::RequestContext& ctx,
                                             const auth::QueryParams& query,
                                             std::string_view body, Commit* commit);

 private:
  ChannelService& channels_;
  ingest::EventSink& sink_;
  const Clock& clock_;
  const AuditEventLimits limits_;
  const iam::Authorizer* authorizer_ = nullptr;
};

}  // namespace orgtrail::cloudtrail
