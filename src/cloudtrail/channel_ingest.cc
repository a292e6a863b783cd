#include "cloudtrail/channel_ingest.h"

#include <future>
#include <memory>
#include <unordered_set>
#include <vector>

#include "base/ids.h"
#include "base/json_escape.h"

namespace orgtrail::cloudtrail {
namespace {

Status Validation(const std::string& why) {
  return Status::Error("ValidationException", "1 validation error detected: " + why);
}

// Uuid in the model: 1-128 of [-_A-Za-z0-9].
bool IsValidAuditEventId(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

// ExternalId: 2-1224 of [\w+=,.@:/-].
bool IsValidExternalId(const std::string& id) {
  if (id.size() < 2 || id.size() > 1224) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string_view("_+=,.@:/-").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

}  // namespace

AuditEventIngester::AuditEventIngester(ChannelService& channels, ingest::EventSink& sink,
                                       const Clock& clock, AuditEventLimits limits)
    : channels_(channels), sink_(sink), clock_(clock), limits_(limits) {}

Result<Json> AuditEventIngester::PutAuditEvents(const auth::RequestContext& ctx,
                                                const auth::QueryParams& query,
                                                std::string_view body) {
  Commit commit;
  OT_ASSIGN_OR_RETURN(std::string out, PutAuditEventsDeferred(ctx, query, body, &commit));
  if (commit) {
    std::promise<Status> appended;
    commit([&appended](Status s) { appended.set_value(std::move(s)); });
    OT_RETURN_IF_ERROR(appended.get_future().get());
  }
  return Json::parse(out);
}

Result<std::string> AuditEventIngester::PutAuditEventsDeferred(const auth::RequestContext& ctx,
                                                        const auth::QueryParams& query,
                                                        std::string_view body, Commit* commit) {
  *commit = nullptr;
  // The channel: its ARN, the caller's right to use it, its owner.
  auto arn_it = query.find("channelArn");
  if (arn_it == query.end() || arn_it->second.empty())
    return Status::Error("InvalidChannelARN", "The channelArn query parameter is required.");
  const std::string& channel_arn = arn_it->second;
  std::string region, account, id;
  if (!ParseChannelArn(channel_arn, &region, &account, &id))
    return Status::Error("InvalidChannelARN",
                         "The channel ARN " + channel_arn.substr(0, 256) + " is not valid.");
  if (auto ext = query.find("externalId"); ext != query.end() && !IsValidExternalId(ext->second))
    return Validation(
        "Value at 'externalId' failed to satisfy constraint: Member must have length between 2 "
        "and 1224 and match pattern [\\w+=,.@:\\/-]*");

  iam::AuthzCheck check;
  check.action = "cloudtrail-data:PutAuditEvents";
  check.resource = channel_arn;
  check.resource_account = ctx.principal.account_id;
  check.style = iam::DenyStyle::kJson;
  const iam::Authorizer& authz = authorizer_ != nullptr ? *authorizer_ : iam::Authorizer::Default();
  OT_RETURN_IF_ERROR(authz.Authorize(ctx, check));

  OT_ASSIGN_OR_RETURN(auto channel, channels_.Find(channel_arn));
  if (!channel || channel->region != ctx.region)
    return Status::Error("ChannelNotFound", "The channel " + channel_arn + " was not found.");
  if (channel->owner_account != ctx.principal.account_id)
    return Status::Error("ChannelInsufficientPermission",
                         "The caller's account ID " + ctx.principal.account_id +
                             " must be the same as the channel owner's account ID.");

  // The body.
  if (body.size() > limits_.max_body_bytes)
    return Status::Error(
        "RequestEntityTooLarge",
        "The request body is larger than " + std::to_string(limits_.max_body_bytes) + " bytes.",
        413);
  OT_ASSIGN_OR_RETURN(AuditEventsBody in, ParseAuditEventsBody(body));
  if (in.list == AuditEventsBody::List::kAbsentOrNull)
    return Validation(
        "Value null at 'auditEvents' failed to satisfy constraint: Member must not "
        "be null");
  if (in.list == AuditEventsBody::List::kNotArray)
    return Status::Error("SerializationException", "Member 'auditEvents' must be a list.");
  const std::vector<AuditEventEntry>& events = in.events;
  if (events.empty() || events.size() > limits_.max_events_per_call)
    return Validation(
        "Value at 'auditEvents' failed to satisfy constraint: Member must have "
        "length between 1 and " +
        std::to_string(limits_.max_events_per_call));
  std::unordered_set<std::string_view> ids;
  ids.reserve(events.size());
  for (const AuditEventEntry& e : events) {
    if (!e.is_object)
      return Status::Error("SerializationException", "Each audit event must be a JSON object.");
    if (!e.id || !IsValidAuditEventId(*e.id))
      return Validation(
          "Value at 'auditEvents.member.id' failed to satisfy constraint: Member must have "
          "length between 1 and 128 and match pattern ^[-_A-Za-z0-9]+$");
    if (!ids.insert(*e.id).second)
      return Status::Error(
          "DuplicatedAuditEventId",
          "Two or more entries in the request have the same event ID " + *e.id + ".");
  }

  // Each event on its own: a bad one fails alone.
  const TimePoint now = clock_.Now();
  AuditEventOrigin origin{channel->arn, channel->owner_account, channel->region, now};
  // The answer, written as it goes: {"successful":[{"id","eventID"}...],
  // "failed":[{"id","errorCode","errorMessage"}...]}.
  std::string successful = "{\"successful\":[", failed = "],\"failed\":[";
  successful.reserve(successful.size() + events.size() * 96);
  std::string first_error;
  std::vector<ingest::Event> good;
  good.reserve(events.size());
  for (const AuditEventEntry& e : events) {
    const std::string& event_ref = *e.id;
    auto fail = [&](const std::string& code, const std::string& message) {
      if (first_error.empty()) first_error = code;
      if (failed.back() != '[') failed.push_back(',');
      failed.append("{\"id\":");
      AppendJsonString(event_ref, failed);
      failed.append(",\"errorCode\":");
      AppendJsonString(code, failed);
      failed.append(",\"errorMessage\":");
      AppendJsonString(message, failed);
      failed.push_back('}');
    };
    if (!e.data) {
      fail("InvalidEventData", "eventData is required and must be a string");
      continue;
    }
    const std::string& data = *e.data;
    if (e.checksum_given && (!e.checksum || !ChecksumMatches(data, *e.checksum))) {
      fail("InvalidChecksum", "eventDataChecksum is not the SHA-256 of eventData");
      continue;
    }
    AuditEventResult r = ConvertAuditEvent(data, origin, limits_, NewUuid());
    if (!r.ok) {
      fail(r.error.code, r.error.message);
      continue;
    }
    if (successful.back() != '[') successful.push_back(',');
    successful.append("{\"id\":");
    AppendJsonString(event_ref, successful);
    successful.append(",\"eventID\":");
    AppendJsonString(r.event.event_id, successful);
    successful.push_back('}');
    good.push_back(std::move(r.event));
  }

  if (good.empty()) {
    channels_.NoteIngestion(channel->arn, now, std::string(), first_error);
  } else {
    // The events move into the sink when the commit runs; shared so that
    // the Commit stays copyable without copying them.
    auto events = std::make_shared<std::vector<ingest::Event>>(std::move(good));
    *commit = [this, events, arn = channel->arn, now](std::function<void(Status)> done) {
      const std::string first_id = events->front().event_id;
      sink_.AppendAsync(
          std::move(*events), [this, arn, now, first_id, done = std::move(done)](const Status& s) {
            channels_.NoteIngestion(arn, now, first_id, s.ok() ? std::string() : s.code());
            done(s);
          });
    };
  }
  successful.append(failed);
  successful.append("]}");
  return successful;
}

}  // namespace orgtrail::cloudtrail
