#include "cloudtrail/channel_service.h"

#include <algorithm>
#include <set>

#include "base/ids.h"
#include "base/strings.h"

namespace orgtrail::cloudtrail {
namespace {

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool CharsIn(std::string_view s, std::string_view extra) {
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              extra.find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

Status Invalid(const std::string& why) { return Status::Error("InvalidParameterException", why); }

Status NotFound(const std::string& ref) {
  return Status::Error("ChannelNotFoundException", "Channel " + ref + " not found.");
}

// ChannelName: 3-128 of [a-zA-Z0-9._-].
Status ValidateChannelName(const std::string& name) {
  if (name.size() < 3 || name.size() > 128 || !CharsIn(name, "._-"))
    return Invalid("Channel name " + name +
                   " is not valid: use 3 to 128 characters from a-z, A-Z, 0-9, '.', '_' and '-'.");
  return Status::Ok();
}

// Destinations for a Custom channel: 1-200 EVENT_DATA_STORE entries whose
// Location is an event data store ARN of the caller's account. Returns the
// normalised list (Type, Location only).
Result<Json> ParseDestinations(const auth::RequestContext& ctx, const Json& in) {
  auto it = in.find("Destinations");
  if (it == in.end() || it->is_null())
    return Status::Error("ValidationException",
                         "1 validation error detected: Value null at 'destinations' failed to "
                         "satisfy constraint: Member must not be null");
  if (!it->is_array())
    return Status::Error("SerializationException", "Member 'Destinations' must be a list");
  if (it->empty() || it->size() > 200)
    return Invalid("A channel must have between 1 and 200 destinations.");
  Json out = Json::array();
  std::set<std::string> seen;
  for (const Json& d : *it) {
    if (!d.is_object())
      return Invalid("Each destination must be an object with Type and Location.");
    OT_ASSIGN_OR_RETURN(auto type, OptString(d, "Type"));
    OT_ASSIGN_OR_RETURN(auto location, OptString(d, "Location"));
    if (!type || !location) return Invalid("Each destination needs a Type and a Location.");
    if (*type != "EVENT_DATA_STORE" && *type != "AWS_SERVICE")
      return Invalid("Destination type " + *type +
                     " is not valid; use EVENT_DATA_STORE or AWS_SERVICE.");
    if (*type != "EVENT_DATA_STORE")
      return Invalid("Channels with the source Custom must have EVENT_DATA_STORE destinations.");
    if (location->size() < 3 || location->size() > 1024 || !CharsIn(*location, "._/-:*"))
      return Invalid("Destination location " + *location + " is not valid.");
    // arn:aws:cloudtrail:<region>:<account>:eventdatastore/<id>
    std::vector<std::string> parts = Split(*location, ':');
    if (parts.size() != 6 || parts[0] != "arn" || parts[1] != "aws" || parts[2] != "cloudtrail" ||
        parts[3].empty() || !AllDigits(parts[4]) || parts[4].size() != 12 ||
        !StartsWith(parts[5], "eventdatastore/") || parts[5].size() <= 15)
      return Status::Error("EventDataStoreARNInvalidException",
                           "The specified event data store ARN " + *location + " is not valid.");
    if (parts[4] != ctx.principal.account_id)
      return Status::Error("EventDataStoreARNInvalidException",
                           "The event data store " + *location + " does not belong to account " +
                               ctx.principal.account_id + ".");
    if (!seen.insert(*location).second)
      return Invalid("Destination " + *location + " is listed more than once.");
    out.push_back({{"Type", *type}, {"Location", *location}});
  }
  return out;
}

Json DestinationsOf(const ChannelRecord& c) {
  auto j = ParseJson(c.destinations_json);
  return j.ok() ? *j : Json::array();
}

Json TagsJson(const std::vector<Tag>& tags) {
  Json out = Json::array();
  for (const auto& [k, v] : tags) out.push_back({{"Key", k}, {"Value", v}});
  return out;
}

}  // namespace

bool ParseChannelArn(const std::string& arn, std::string* region, std::string* account,
                     std::string* id) {
  if (arn.size() > 256) return false;
  std::vector<std::string> parts = Split(arn, ':');
  if (parts.size() != 6 || parts[0] != "arn" || parts[1] != "aws" || parts[2] != "cloudtrail")
    return false;
  if (parts[3].empty() || !CharsIn(parts[3], "-")) return false;
  if (parts[4].size() != 12 || !AllDigits(parts[4])) return false;
  if (!StartsWith(parts[5], "channel/")) return false;
  std::string rest = parts[5].substr(8);
  if (rest.empty() || rest.size() > 128 || !CharsIn(rest, "-")) return false;
  if (region) *region = parts[3];
  if (account) *account = parts[4];
  if (id) *id = rest;
  return true;
}

ChannelService::ChannelService(catalog::Db& db, const Clock& clock) : store_(db), clock_(clock) {}

auth::JsonOps ChannelService::Ops() {
  using Method = Result<Json> (ChannelService::*)(const auth::RequestContext&, const Json&);
  auto op = [this](const std::string& name, Method m) -> auth::JsonHandler {
    return [this, name, m](const auth::RequestContext& ctx, const Json& in) -> Result<Json> {
      iam::AuthzCheck check;
      check.action = "cloudtrail:" + name;
      check.resource = "*";
      if (in.is_object()) {
        auto it = in.find("Channel");
        if (it != in.end() && it->is_string()) {
          const std::string ref = it->get<std::string>();
          check.resource = StartsWith(ref, "arn:")
                               ? ref
                               : "arn:aws:cloudtrail:" + ctx.region + ":" +
                                     ctx.principal.account_id + ":channel/" + ref;
        }
      }
      check.resource_account = ctx.principal.account_id;
      check.style = iam::DenyStyle::kJson;
      const iam::Authorizer& a = authorizer_ != nullptr ? *authorizer_ : iam::Authorizer::Default();
      OT_RETURN_IF_ERROR(a.Authorize(ctx, check));
      if (!in.is_object())
        return Status::Error("SerializationException", "Body must be a JSON object");
      return (this->*m)(ctx, in);
    };
  };
  auth::JsonOps ops;
  ops["CreateChannel"] = op("CreateChannel", &ChannelService::CreateChannel);
  ops["GetChannel"] = op("GetChannel", &ChannelService::GetChannel);
  ops["ListChannels"] = op("ListChannels", &ChannelService::ListChannels);
  ops["UpdateChannel"] = op("UpdateChannel", &ChannelService::UpdateChannel);
  ops["DeleteChannel"] = op("DeleteChannel", &ChannelService::DeleteChannel);
  return ops;
}

Result<ChannelRecord> ChannelService::Resolve(const auth::RequestContext& ctx, const Json& in) {
  OT_ASSIGN_OR_RETURN(auto ref, OptString(in, "Channel"));
  if (!ref || ref->empty())
    return Status::Error("ChannelARNInvalidException", "A channel ARN or ID must be provided.");
  std::string arn = *ref;
  if (!StartsWith(arn, "arn:")) {
    if (arn.size() > 128 || !CharsIn(arn, "-"))
      return Status::Error("ChannelARNInvalidException",
                           "The channel ARN or ID " + *ref + " is not valid.");
    arn = "arn:aws:cloudtrail:" + ctx.region + ":" + ctx.principal.account_id + ":channel/" + arn;
  }
  if (!ParseChannelArn(arn, nullptr, nullptr, nullptr))
    return Status::Error("ChannelARNInvalidException",
                         "The channel ARN " + *ref + " is not valid.");
  OT_ASSIGN_OR_RETURN(auto found, store_.FindByArn(arn));
  if (!found || found->owner_account != ctx.principal.account_id || found->region != ctx.region)
    return NotFound(*ref);
  return *found;
}

Result<Json> ChannelService::CreateChannel(const auth::RequestContext& ctx, const Json& in) {
  OT_ASSIGN_OR_RETURN(std::string name, ReqString(in, "Name"));
  OT_ASSIGN_OR_RETURN(std::string source, ReqString(in, "Source"));
  OT_RETURN_IF_ERROR(ValidateChannelName(name));
  if (source != kCustomChannelSource)
    return Status::Error("InvalidSourceException",
                         "Source " + source +
                             " is not valid: orgtrail supports only channels with the source "
                             "Custom.");
  OT_ASSIGN_OR_RETURN(Json destinations, ParseDestinations(ctx, in));
  OT_ASSIGN_OR_RETURN(std::vector<Tag> tags, ParseTagsList(in, "Tags"));

  std::lock_guard<std::mutex> lock(mu_);
  OT_ASSIGN_OR_RETURN(auto own, store_.ListOwnedBy(ctx.principal.account_id, ctx.region));
  for (const auto& c : own) {
    if (c.name == name)
      return Status::Error("ChannelAlreadyExistsException",
                           "A channel named " + name + " already exists: " + c.arn + ".");
  }
  if (own.size() >= kMaxChannelsPerRegion)
    return Status::Error("ChannelMaxLimitExceededException",
                         "Account " + ctx.principal.account_id + " already has " +
                             std::to_string(kMaxChannelsPerRegion) + " channels in " + ctx.region +
                             ".");
  ChannelRecord c;
  c.id = NewUuid();
  c.arn = "arn:aws:cloudtrail:" + ctx.region + ":" + ctx.principal.account_id + ":channel/" + c.id;
  c.name = name;
  c.owner_account = ctx.principal.account_id;
  c.region = ctx.region;
  c.source = source;
  c.destinations_json = destinations.dump();
  c.created = ToUnixSeconds(clock_.Now());
  OT_RETURN_IF_ERROR(store_.Insert(c, tags));
  Json out = {{"ChannelArn", c.arn},
              {"Name", c.name},
              {"Source", c.source},
              {"Destinations", destinations}};
  if (!tags.empty()) out["Tags"] = TagsJson(tags);
  return out;
}

Result<Json> ChannelService::GetChannel(const auth::RequestContext& ctx, const Json& in) {
  OT_ASSIGN_OR_RETURN(ChannelRecord c, Resolve(ctx, in));
  Json status = Json::object();
  {
    std::lock_guard<std::mutex> lock(status_mu_);
    auto it = status_.find(c.arn);
    if (it != status_.end()) {
      const IngestionStatus& s = it->second;
      if (s.last_success != TimePoint{}) {
        status["LatestIngestionSuccessTime"] = ToUnixSecondsFractional(s.last_success);
        status["LatestIngestionSuccessEventID"] = s.last_success_event_id;
      }
      if (s.last_attempt != TimePoint{}) {
        status["LatestIngestionAttemptTime"] = ToUnixSecondsFractional(s.last_attempt);
        if (!s.last_attempt_event_id.empty())
          status["LatestIngestionAttemptEventID"] = s.last_attempt_event_id;
      }
      if (!s.last_error_code.empty()) status["LatestIngestionErrorCode"] = s.last_error_code;
    }
  }
  return Json{{"ChannelArn", c.arn},
              {"Name", c.name},
              {"Source", c.source},
              {"Destinations", DestinationsOf(c)},
              {"IngestionStatus", status}};
}

Result<Json> ChannelService::ListChannels(const auth::RequestContext& ctx, const Json& in) {
  OT_ASSIGN_OR_RETURN(auto max_results, OptInt(in, "MaxResults"));
  OT_ASSIGN_OR_RETURN(auto token, OptString(in, "NextToken"));
  if (max_results && (*max_results < 1 || *max_results > 1000))
    return Invalid("MaxResults must be between 1 and 1000.");
  const size_t limit = max_results ? static_cast<size_t>(*max_results) : 1000;
  OT_ASSIGN_OR_RETURN(auto own, store_.ListOwnedBy(ctx.principal.account_id, ctx.region));
  // The token is the ARN of the first channel of the next page.
  size_t start = 0;
  if (token) {
    auto it = std::find_if(own.begin(), own.end(),
                           [&](const ChannelRecord& c) { return c.arn == *token; });
    if (it == own.end())
      return Status::Error("InvalidNextTokenException",
                           "The NextToken " + *token + " is not valid.");
    start = static_cast<size_t>(it - own.begin());
  }
  Json list = Json::array();
  size_t i = start;
  for (; i < own.size() && list.size() < limit; ++i)
    list.push_back({{"ChannelArn", own[i].arn}, {"Name", own[i].name}});
  Json out = {{"Channels", list}};
  if (i < own.size()) out["NextToken"] = own[i].arn;
  return out;
}

Result<Json> ChannelService::UpdateChannel(const auth::RequestContext& ctx, const Json& in) {
  std::lock_guard<std::mutex> lock(mu_);
  OT_ASSIGN_OR_RETURN(ChannelRecord c, Resolve(ctx, in));
  OT_ASSIGN_OR_RETURN(auto name, OptString(in, "Name"));
  if (name) {
    OT_RETURN_IF_ERROR(ValidateChannelName(*name));
    OT_ASSIGN_OR_RETURN(auto own, store_.ListOwnedBy(ctx.principal.account_id, ctx.region));
    for (const auto& other : own) {
      if (other.name == *name && other.arn != c.arn)
        return Status::Error("ChannelAlreadyExistsException",
                             "A channel named " + *name + " already exists: " + other.arn + ".");
    }
    c.name = *name;
  }
  if (in.contains("Destinations") && !in["Destinations"].is_null()) {
    OT_ASSIGN_OR_RETURN(Json destinations, ParseDestinations(ctx, in));
    c.destinations_json = destinations.dump();
  }
  OT_RETURN_IF_ERROR(store_.Update(c));
  return Json{{"ChannelArn", c.arn},
              {"Name", c.name},
              {"Source", c.source},
              {"Destinations", DestinationsOf(c)}};
}

Result<Json> ChannelService::DeleteChannel(const auth::RequestContext& ctx, const Json& in) {
  std::lock_guard<std::mutex> lock(mu_);
  OT_ASSIGN_OR_RETURN(ChannelRecord c, Resolve(ctx, in));
  OT_RETURN_IF_ERROR(store_.Delete(c.arn));
  {
    std::lock_guard<std::mutex> status_lock(status_mu_);
    status_.erase(c.arn);
  }
  return Json::object();
}

Result<std::optional<ChannelRecord>> ChannelService::Find(const std::string& arn) {
  return store_.FindByArn(arn);
}

void ChannelService::NoteIngestion(const std::string& arn, TimePoint when,
                                   const std::string& event_id, const std::string& error_code) {
  std::lock_guard<std::mutex> lock(status_mu_);
  IngestionStatus& s = status_[arn];
  s.last_attempt = when;
  s.last_attempt_event_id = event_id;
  s.last_error_code = error_code;
  if (error_code.empty()) {
    s.last_success = when;
    s.last_success_event_id = event_id;
  }
}

}  // namespace orgtrail::cloudtrail
