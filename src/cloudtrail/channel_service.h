// ChannelService: CloudTrail channels (model cloudtrail/2013-11-01:
// CreateChannel, GetChannel, ListChannels, UpdateChannel, DeleteChannel) for
// the "Custom" source, the receiving end of the CloudTrail Data API
// (PutAuditEvents, see channel_ingest.h). A channel belongs to the account
// that created it in the region it was created in; it is invisible to every
// other account and region (ChannelNotFoundException).
//
// Destinations: AWS sends a Custom channel's events to event data stores
// (Type EVENT_DATA_STORE, Location the store's ARN). orgtraild has no event
// data stores: it validates and keeps the Destinations as given (so the AWS
// CLI, SDKs and templates work unchanged) and delivers the channel's events
// to the owner account's trails instead — for an organization member or the
// management account, to the organization trail — as delivery routes any
// event of that account and region (docs/ingest.md).
//
// Ops() hands the JSON 1.1 table to the server, which merges it into the
// CloudTrail service's table (same X-Amz-Target prefix). Every operation is
// first authorized as cloudtrail:<Operation> on the channel ARN ("*" for
// CreateChannel/ListChannels) through the iam::Authorizer.
//
// Thread-safe: mutations run under one mutex (name uniqueness and the
// per-region limit are checked and written together); lookups for
// PutAuditEvents only read the catalog. The ingestion status GetChannel
// reports is kept in memory (it is advisory, as on AWS).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "auth/principal.h"
#include "auth/service_ops.h"
#include "base/json.h"
#include "base/status.h"
#include "base/time.h"
#include "catalog/db.h"
#include "cloudtrail/channel_store.h"
#include "iam/authorizer.h"

namespace orgtrail::cloudtrail {

inline constexpr size_t kMaxChannelsPerRegion = 25;
inline constexpr char kCustomChannelSource[] = "Custom";

// Parses arn:aws:cloudtrail:<region>:<12 digits>:channel/<id>; false when
// `arn` is not a channel ARN.
bool ParseChannelArn(const std::string& arn, std::string* region, std::string* account,
                     std::string* id);

class ChannelService {
 public:
  // `db` and `clock` must outlive the service. Creates the catalog tables.
  ChannelService(catalog::Db& db, const Clock& clock);
  ChannelService(const ChannelService&) = delete;
  ChannelService& operator=(const ChannelService&) = delete;

  // CreateChannel, GetChannel, ListChannels, UpdateChannel, DeleteChannel.
  auth::JsonOps Ops();
  // Not owned; null = iam::Authorizer::Default(). Call before serving.
  void SetAuthorizer(const iam::Authorizer* authorizer) { authorizer_ = authorizer; }

  Result<Json> CreateChannel(const auth::RequestContext& ctx, const Json& in);
  Result<Json> GetChannel(const auth::RequestContext& ctx, const Json& in);
  Result<Json> ListChannels(const auth::RequestContext& ctx, const Json& in);
  Result<Json> UpdateChannel(const auth::RequestContext& ctx, const Json& in);
  Result<Json> DeleteChannel(const auth::RequestContext& ctx, const Json& in);

  // --- For PutAuditEvents ---
  // The channel with this exact ARN, whoever owns it; nullopt when none.
  Result<std::optional<ChannelRecord>> Find(const std::string& arn);
  // Notes one PutAuditEvents call for GetChannel's IngestionStatus.
  // `event_id` is the first eventID accepted or attempted ("" if none);
  // `error_code` is "" on success.
  void NoteIngestion(const std::string& arn, TimePoint when, const std::string& event_id,
                     const std::string& error_code);

 private:
  struct IngestionStatus {
    TimePoint last_success{};
    std::string last_success_event_id;
    TimePoint last_attempt{};
    std::string last_attempt_event_id;
    std::string last_error_code;
  };

  // The caller's channel named by `ref` (an ARN or the channel's id) in
  // ctx.region. ChannelARNInvalidException / ChannelNotFoundException.
  Result<ChannelRecord> Resolve(const auth::RequestContext& ctx, const Json& in);

  ChannelStore store_;
  const Clock& clock_;
  const iam::Authorizer* authorizer_ = nullptr;
  std::mutex mu_;  // serializes mutations
  std::mutex status_mu_;
  std::map<std::string, IngestionStatus> status_;  // guarded by status_mu_
};

}  // namespace orgtrail::cloudtrail
