// ChannelService and AuditEventIngester on an in-memory catalog and event
// queue (the server wires the write-ahead log in the queue's place).
#include "cloudtrail/channel_service.h"

#include <gtest/gtest.h>

#include <optional>

#include "cloudtrail/channel_ingest.h"
#include "crypto/hash.h"
#include "ingest/memory_event_queue.h"

namespace orgtrail::cloudtrail {
namespace {

constexpr char kOwner[] = "111111111111";
constexpr char kOther[] = "222222222222";
constexpr char kRegion[] = "us-east-1";

std::string Eds(const std::string& account = kOwner) {
  return "arn:aws:cloudtrail:us-east-1:" + account + ":eventdatastore/EXAMPLE-1234";
}

Json CreateInput(const std::string& name) {
  return {{"Name", name},
          {"Source", "Custom"},
          {"Destinations", Json::array({{{"Type", "EVENT_DATA_STORE"}, {"Location", Eds()}}})}};
}

std::string Event(const std::string& uid) {
  return Json{{"version", "1"},
              {"userIdentity", {{"type", "T"}, {"principalId", "p"}}},
              {"eventSource", "app.example.com"},
              {"eventName", "Op"},
              {"eventTime", "2026-01-02T03:04:05Z"},
              {"UID", uid}}
      .dump();
}

// An EventSink that refuses everything, as a full write-ahead log does.
class FullSink : public ingest::EventSink {
 public:
  Status Append(std::vector<ingest::Event>) override {
    return Status::Error("ThrottlingException", "the write-ahead log is full", 400);
  }
};

class ChannelTest : public ::testing::Test {
 protected:
  ChannelTest() : clock_(FromUnixSeconds(1'800'000'000)) {
    db_ = std::move(catalog::Db::Open(":memory:")).value();
    svc_ = std::make_unique<ChannelService>(*db_, clock_);
    ingester_ = std::make_unique<AuditEventIngester>(*svc_, queue_, clock_);
  }

  static auth::RequestContext Ctx(const std::string& account, const std::string& region = kRegion) {
    auth::RequestContext c;
    c.principal.account_id = account;
    c.principal.arn = "arn:aws:iam::" + account + ":root";
    c.region = region;
    return c;
  }
  Result<Json> Call(const std::string& op, const auth::RequestContext& ctx, const Json& in) {
    auto ops = svc_->Ops();
    return ops.at(op)(ctx, in);
  }
  Json Ok(const std::string& op, const auth::RequestContext& ctx, const Json& in) {
    auto r = Call(op, ctx, in);
    EXPECT_TRUE(r.ok()) << op << ": " << r.status().ToString();
    return r.ok() ? *r : Json();
  }
  std::string Err(const std::string& op, const auth::RequestContext& ctx, const Json& in) {
    auto r = Call(op, ctx, in);
    EXPECT_FALSE(r.ok()) << op << " unexpectedly succeeded: " << (r.ok() ? r->dump() : "");
    return r.ok() ? "" : r.status().code();
  }
  Result<Json> Put(const auth::RequestContext& ctx, const std::string& arn, const Json& events,
                   AuditEventIngester* ingester = nullptr) {
    auth::QueryParams q{{"channelArn", arn}};
    return (ingester ? ingester : ingester_.get())
        ->PutAuditEvents(ctx, q, Json{{"auditEvents", events}}.dump());
  }

  SimulatedClock clock_;
  std::unique_ptr<catalog::Db> db_;
  std::unique_ptr<ChannelService> svc_;
  ingest::MemoryEventQueue queue_;
  std::unique_ptr<AuditEventIngester> ingester_;
};

TEST_F(ChannelTest, CreateGetListUpdateDelete) {
  Json in = CreateInput("app-events");
  in["Tags"] = Json::array({{{"Key", "team"}, {"Value", "sec"}}});
  Json c = Ok("CreateChannel", Ctx(kOwner), in);
  const std::string arn = c["ChannelArn"];
  std::string region, account, id;
  ASSERT_TRUE(ParseChannelArn(arn, &region, &account, &id));
  EXPECT_EQ(region, kRegion);
  EXPECT_EQ(account, kOwner);
  EXPECT_EQ(c["Tags"][0]["Key"], "team");

  Json g = Ok("GetChannel", Ctx(kOwner), {{"Channel", arn}});
  EXPECT_EQ(g["Name"], "app-events");
  EXPECT_EQ(g["Source"], "Custom");
  EXPECT_EQ(g["Destinations"][0]["Location"], Eds());
  EXPECT_TRUE(g["IngestionStatus"].empty());
  // By id alone, too.
  EXPECT_EQ(Ok("GetChannel", Ctx(kOwner), {{"Channel", id}})["ChannelArn"], arn);

  EXPECT_EQ(Err("CreateChannel", Ctx(kOwner), CreateInput("app-events")),
            "ChannelAlreadyExistsException");
  // The same name is fine in another account or region.
  Ok("CreateChannel", Ctx(kOwner, "eu-west-1"), CreateInput("app-events"));

  Json second = Ok("CreateChannel", Ctx(kOwner), CreateInput("second"));
  Json page = Ok("ListChannels", Ctx(kOwner), {{"MaxResults", 1}});
  ASSERT_EQ(page["Channels"].size(), 1u);
  ASSERT_TRUE(page.contains("NextToken"));
  Json rest = Ok("ListChannels", Ctx(kOwner), {{"NextToken", page["NextToken"]}});
  ASSERT_EQ(rest["Channels"].size(), 1u);
  EXPECT_NE(rest["Channels"][0], page["Channels"][0]);
  EXPECT_FALSE(rest.contains("NextToken"));
  EXPECT_EQ(Err("ListChannels", Ctx(kOwner), {{"NextToken", "bogus-token"}}),
            "InvalidNextTokenException");

  EXPECT_EQ(Err("UpdateChannel", Ctx(kOwner), {{"Channel", arn}, {"Name", "second"}}),
            "ChannelAlreadyExistsException");
  EXPECT_EQ(Ok("UpdateChannel", Ctx(kOwner), {{"Channel", arn}, {"Name", "renamed"}})["Name"],
            "renamed");
  EXPECT_EQ(Ok("GetChannel", Ctx(kOwner), {{"Channel", arn}})["Name"], "renamed");

  Ok("DeleteChannel", Ctx(kOwner), {{"Channel", second["ChannelArn"]}});
  EXPECT_EQ(Err("GetChannel", Ctx(kOwner), {{"Channel", second["ChannelArn"]}}),
            "ChannelNotFoundException");
  EXPECT_EQ(Ok("ListChannels", Ctx(kOwner), Json::object())["Channels"].size(), 1u);
}

TEST_F(ChannelTest, ValidationErrors) {
  Json in = CreateInput("ok-name");
  in["Source"] = "Okta";
  EXPECT_EQ(Err("CreateChannel", Ctx(kOwner), in), "InvalidSourceException");
  EXPECT_EQ(Err("CreateChannel", Ctx(kOwner), CreateInput("a")), "InvalidParameterException");
  EXPECT_EQ(Err("CreateChannel", Ctx(kOwner), CreateInput("bad name!")),
            "InvalidParameterException");
  in = CreateInput("ok-name");
  in["Destinations"] = Json::array();
  EXPECT_EQ(Err("CreateChannel", Ctx(kOwner), in), "InvalidParameterException");
  in["Destinations"] = Json::array({{{"Type", "AWS_SERVICE"}, {"Location", "config"}}});
  EXPECT_EQ(Err("CreateChannel", Ctx(kOwner), in), "InvalidParameterException");
  in["Destinations"] =
      Json::array({{{"Type", "EVENT_DATA_STORE"}, {"Location", "arn:aws:s3:::b"}}});
  EXPECT_EQ(Err("CreateChannel", Ctx(kOwner), in), "EventDataStoreARNInvalidException");
  in["Destinations"] = Json::array({{{"Type", "EVENT_DATA_STORE"}, {"Location", Eds(kOther)}}});
  EXPECT_EQ(Err("CreateChannel", Ctx(kOwner), in), "EventDataStoreARNInvalidException");
  in.erase("Destinations");
  EXPECT_EQ(Err("CreateChannel", Ctx(kOwner), in), "ValidationException");
  EXPECT_EQ(Err("GetChannel", Ctx(kOwner), {{"Channel", "arn:aws:s3:::nope"}}),
            "ChannelARNInvalidException");
  EXPECT_EQ(Err("GetChannel", Ctx(kOwner), Json::object()), "ChannelARNInvalidException");
  EXPECT_EQ(Err("ListChannels", Ctx(kOwner), {{"MaxResults", 0}}), "InvalidParameterException");
}

TEST_F(ChannelTest, OtherAccountsAndRegionsDoNotSeeTheChannel) {
  const std::string arn = Ok("CreateChannel", Ctx(kOwner), CreateInput("mine"))["ChannelArn"];
  EXPECT_EQ(Err("GetChannel", Ctx(kOther), {{"Channel", arn}}), "ChannelNotFoundException");
  EXPECT_EQ(Err("DeleteChannel", Ctx(kOther), {{"Channel", arn}}), "ChannelNotFoundException");
  EXPECT_EQ(Err("GetChannel", Ctx(kOwner, "eu-west-1"), {{"Channel", arn}}),
            "ChannelNotFoundException");
  EXPECT_TRUE(Ok("ListChannels", Ctx(kOther), Json::object())["Channels"].empty());
}

TEST_F(ChannelTest, LimitPerRegion) {
  for (size_t i = 0; i < kMaxChannelsPerRegion; ++i)
    Ok("CreateChannel", Ctx(kOwner), CreateInput("ch-" + std::to_string(i)));
  EXPECT_EQ(Err("CreateChannel", Ctx(kOwner), CreateInput("one-more")),
            "ChannelMaxLimitExceededException");
}

TEST_F(ChannelTest, PutAuditEventsAppendsGoodEventsInOneBatch) {
  const std::string arn = Ok("CreateChannel", Ctx(kOwner), CreateInput("chan"))["ChannelArn"];
  const std::string e1 = Event("u1"), e2 = Event("u2");
  Json events =
      Json::array({{{"id", "a"}, {"eventData", e1}},
                   {{"id", "b"}, {"eventData", e2}, {"eventDataChecksum", crypto::Sha256Hex(e2)}},
                   {{"id", "c"}, {"eventData", e2}, {"eventDataChecksum", crypto::Sha256Hex(e1)}},
                   {{"id", "d"}, {"eventData", "{"}},
                   {{"id", "e"}}});
  auto r = Put(Ctx(kOwner), arn, events);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ((*r)["successful"].size(), 2u);
  EXPECT_EQ((*r)["successful"][0]["id"], "a");
  EXPECT_EQ((*r)["successful"][1]["id"], "b");
  ASSERT_EQ((*r)["failed"].size(), 3u);
  EXPECT_EQ((*r)["failed"][0]["errorCode"], "InvalidChecksum");
  EXPECT_EQ((*r)["failed"][1]["errorCode"], "InvalidEventData");
  EXPECT_EQ((*r)["failed"][2]["errorCode"], "InvalidEventData");
  std::vector<ingest::Event> got = queue_.Drain(100);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].event_id, (*r)["successful"][0]["eventID"]);
  EXPECT_EQ(got[0].account_id, kOwner);
  EXPECT_NE(got[0].event_id, got[1].event_id);

  Json status = Ok("GetChannel", Ctx(kOwner), {{"Channel", arn}})["IngestionStatus"];
  EXPECT_EQ(status["LatestIngestionSuccessEventID"], got[0].event_id);
  EXPECT_TRUE(status.contains("LatestIngestionSuccessTime"));
}

TEST_F(ChannelTest, PutAuditEventsWholeCallErrors) {
  const std::string arn = Ok("CreateChannel", Ctx(kOwner), CreateInput("chan"))["ChannelArn"];
  Json one = Json::array({{{"id", "a"}, {"eventData", Event("u")}}});
  auto code = [](const Result<Json>& r) { return r.ok() ? std::string("OK") : r.status().code(); };
  EXPECT_EQ(code(Put(Ctx(kOwner), "arn:aws:s3:::b", one)), "InvalidChannelARN");
  EXPECT_EQ(code(Put(Ctx(kOwner), "", one)), "InvalidChannelARN");
  EXPECT_EQ(code(Put(Ctx(kOwner), arn + "0", one)), "ChannelNotFound");
  EXPECT_EQ(code(Put(Ctx(kOwner, "eu-west-1"), arn, one)), "ChannelNotFound");
  EXPECT_EQ(code(Put(Ctx(kOther), arn, one)), "ChannelInsufficientPermission");
  Json dup = one;
  dup.push_back(one[0]);
  EXPECT_EQ(code(Put(Ctx(kOwner), arn, dup)), "DuplicatedAuditEventId");
  EXPECT_EQ(code(Put(Ctx(kOwner), arn, Json::array())), "ValidationException");
  Json many = Json::array();
  for (int i = 0; i < 101; ++i)
    many.push_back({{"id", "e" + std::to_string(i)}, {"eventData", Event("u")}});
  EXPECT_EQ(code(Put(Ctx(kOwner), arn, many)), "ValidationException");
  Json bad_id = Json::array({{{"id", "no spaces"}, {"eventData", Event("u")}}});
  EXPECT_EQ(code(Put(Ctx(kOwner), arn, bad_id)), "ValidationException");

  auth::QueryParams q{{"channelArn", arn}};
  EXPECT_EQ(code(ingester_->PutAuditEvents(Ctx(kOwner), q, "{nope")), "SerializationException");
  EXPECT_EQ(code(ingester_->PutAuditEvents(Ctx(kOwner), q, "[]")), "SerializationException");
  EXPECT_EQ(code(ingester_->PutAuditEvents(Ctx(kOwner), q, std::string(100000, '['))),
            "SerializationException");
  EXPECT_EQ(code(ingester_->PutAuditEvents(Ctx(kOwner), q, std::string(2 << 20, ' '))),
            "RequestEntityTooLarge");
  q["externalId"] = "x";
  EXPECT_EQ(code(ingester_->PutAuditEvents(Ctx(kOwner), q, Json{{"auditEvents", one}}.dump())),
            "ValidationException");
  EXPECT_EQ(queue_.size(), 0u);

  // The limits are configurable upward.
  AuditEventLimits limits;
  limits.max_events_per_call = 1000;
  AuditEventIngester bulk(*svc_, queue_, clock_, limits);
  EXPECT_EQ(code(Put(Ctx(kOwner), arn, many, &bulk)), "OK");
  EXPECT_EQ(queue_.size(), 101u);
}

TEST_F(ChannelTest, SinkBackPressureIsTheWholeCallError) {
  const std::string arn = Ok("CreateChannel", Ctx(kOwner), CreateInput("chan"))["ChannelArn"];
  FullSink full;
  AuditEventIngester ingester(*svc_, full, clock_);
  auto r =
      Put(Ctx(kOwner), arn, Json::array({{{"id", "a"}, {"eventData", Event("u")}}}), &ingester);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "ThrottlingException");
  Json status = Ok("GetChannel", Ctx(kOwner), {{"Channel", arn}})["IngestionStatus"];
  EXPECT_EQ(status["LatestIngestionErrorCode"], "ThrottlingException");
  EXPECT_FALSE(status.contains("LatestIngestionSuccessTime"));
}

// The deferred form appends nothing until its commit runs, then appends the
// good events in one AppendAsync and reports the sink's answer; a call
// without a good event has nothing to commit.
TEST_F(ChannelTest, DeferredPutAuditEventsAppendsInItsCommit) {
  const std::string arn = Ok("CreateChannel", Ctx(kOwner), CreateInput("chan"))["ChannelArn"];
  auth::QueryParams q{{"channelArn", arn}};
  Json events = Json::array(
      {{{"id", "a"}, {"eventData", Event("u1")}}, {{"id", "b"}, {"eventData", Event("u2")}}});
  AuditEventIngester::Commit commit;
  auto r = ingester_->PutAuditEventsDeferred(Ctx(kOwner), q, Json{{"auditEvents", events}}.dump(),
                                             &commit);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Json answer = Json::parse(*r);
  ASSERT_EQ(answer["successful"].size(), 2u);
  EXPECT_EQ(answer["failed"], Json::array());
  ASSERT_TRUE(commit);
  EXPECT_TRUE(queue_.Drain(100).empty()) << "appended before the commit";
  std::optional<Status> done;
  commit([&](Status s) { done = std::move(s); });
  ASSERT_TRUE(done.has_value());
  EXPECT_TRUE(done->ok()) << done->ToString();
  std::vector<ingest::Event> got = queue_.Drain(100);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].event_id, answer["successful"][1]["eventID"]);
  EXPECT_EQ(answer["successful"][1]["id"], "b");

  Json bad = Json::array({{{"id", "a"}, {"eventData", "{"}}});
  r = ingester_->PutAuditEventsDeferred(Ctx(kOwner), q, Json{{"auditEvents", bad}}.dump(), &commit);
  ASSERT_TRUE(r.ok());
  answer = Json::parse(*r);
  ASSERT_EQ(answer["failed"].size(), 1u);
  EXPECT_EQ(answer["failed"][0]["id"], "a");
  EXPECT_EQ(answer["failed"][0]["errorCode"], "InvalidEventData");
  EXPECT_EQ(answer["successful"], Json::array());
  EXPECT_FALSE(commit);

  FullSink full;
  AuditEventIngester refusing(*svc_, full, clock_);
  r = refusing.PutAuditEventsDeferred(Ctx(kOwner), q, Json{{"auditEvents", events}}.dump(),
                                      &commit);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(commit);
  done.reset();
  commit([&](Status s) { done = std::move(s); });
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->code(), "ThrottlingException");
  Json status = Ok("GetChannel", Ctx(kOwner), {{"Channel", arn}})["IngestionStatus"];
  EXPECT_EQ(status["LatestIngestionErrorCode"], "ThrottlingException");
}

TEST_F(ChannelTest, ChannelsSurviveReopeningTheCatalog) {
  const std::string arn = Ok("CreateChannel", Ctx(kOwner), CreateInput("kept"))["ChannelArn"];
  ChannelService again(*db_, clock_);
  auto found = again.Find(arn);
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->name, "kept");
}

}  // namespace
}  // namespace orgtrail::cloudtrail
