#include "api/router.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <optional>
#include <stdexcept>

namespace orgtrail::api {
namespace {

// Accepts any request whose Authorization header is not "bad"; records the
// service it was asked to verify.
class FakeAuthenticator : public Authenticator {
 public:
  AuthResult Authenticate(const HttpRequest& req, Protocol protocol,
                          std::string_view service) override {
    last_service = std::string(service);
    ++calls;
    AuthResult r;
    r.access_key_id = "AKIATEST";
    if (req.Header("Authorization") == "bad") {
      switch (protocol) {
        case Protocol::kJson:
          r.status = Status::Error("InvalidSignatureException", "bad sig", 400);
          break;
        case Protocol::kQuery:
          r.status = Status::Error("SignatureDoesNotMatch", "bad sig", 403);
          break;
        default:
          r.status = Status::Error("SignatureDoesNotMatch", "bad sig", 403);
      }
      return r;
    }
    r.principal.account_id = "111122223333";
    r.principal.arn = "arn:aws:iam::111122223333:root";
    r.region = "eu-west-1";
    return r;
  }
  std::string last_service;
  int calls = 0;
};

class CountingObserver : public CallObserver {
 public:
  void OnCall(const CallRecord& rec) override {
    ++count;
    last = rec;
  }
  std::atomic<int> count{0};
  CallRecord last;
};

HttpRequest Req(std::string method, std::string target, HeaderList headers, std::string body = "") {
  HttpRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.headers = std::move(headers);
  r.headers.emplace_back("Host", "127.0.0.1:4580");
  r.body = std::move(body);
  r.remote_ip = "127.0.0.1";
  return r;
}

std::string Auth(std::string_view service) {
  return "AWS4-HMAC-SHA256 Credential=AKIATEST/20261126/eu-west-1/" + std::string(service) +
         "/aws4_request, SignedHeaders=host;x-amz-date, Signature=00";
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() : clock_(FromUnixSeconds(1795000000)), router_({}, auth_, clock_) {
    JsonService kms{kKmsTargetPrefix, "kms", "kms.amazonaws.com", "message", {}};
    kms.ops["ListKeys"] = [this](const auth::RequestContext& ctx, const Json& in) -> Result<Json> {
      last_ctx_ = ctx;
      return Json{{"Keys", Json::array()}, {"echo", in}};
    };
    kms.ops["Boom"] = [](const auth::RequestContext&, const Json&) -> Result<Json> {
      throw std::runtime_error("boom");
    };
    kms.ops["Fail"] = [](const auth::RequestContext&, const Json&) -> Result<Json> {
      return Status::Error("NotFoundException", "nope");
    };
    router_.AddJsonService(std::move(kms));
    router_.AddJsonService({kOrganizationsTargetPrefix, "organizations",
                            "organizations.amazonaws.com", "Message", {}});
    router_.AddJsonService({kCloudTrailTargetPrefix, "cloudtrail", "cloudtrail.amazonaws.com",
                            "message", {}});
    QueryService sts{"sts", kStsNamespace, "sts.amazonaws.com", {}};
    sts.ops["GetCallerIdentity"] = [](const auth::RequestContext& ctx,
                                      const auth::QueryParams&) -> Result<OrderedJson> {
      OrderedJson r;
      r["Account"] = ctx.principal.account_id;
      return r;
    };
    router_.AddQueryService(std::move(sts));
    QueryService iam{"iam", kIamNamespace, "iam.amazonaws.com", {}};
    iam.ops["GetRole"] = [](const auth::RequestContext&,
                            const auth::QueryParams& p) -> Result<OrderedJson> {
      return Status::Error("NoSuchEntity", "The role with name " + p.at("RoleName") +
                                               " cannot be found.", 404);
    };
    router_.AddQueryService(std::move(iam));
    router_.SetS3Handler([this](const auth::RequestContext&, const S3Call& call) {
      last_s3_ = call;
      S3Reply r;
      r.status = 200;
      r.body = "ok";
      return r;
    });
    router_.SetObserver(&observer_);
  }

  HttpRequest Json11(std::string target, std::string body, std::string service = "kms",
                     std::string auth = "") {
    return Req("POST", "/",
               {{"X-Amz-Target", std::move(target)},
                {"Content-Type", "application/x-amz-json-1.1"},
                {"Authorization", auth.empty() ? Auth(service) : auth}},
               std::move(body));
  }
  HttpRequest QueryReq(std::string body, std::string service) {
    return Req("POST", "/",
               {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
                {"Authorization", Auth(service)}},
               std::move(body));
  }

  SimulatedClock clock_;
  FakeAuthenticator auth_;
  CountingObserver observer_;
  Router router_;
  auth::RequestContext last_ctx_;
  S3Call last_s3_;
};

TEST_F(RouterTest, HealthNeedsNoAuth) {
  auto r = router_.Handle(Req("GET", "/_orgtrail/health", {}));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"status\":\"ok\"}");
  EXPECT_EQ(auth_.calls, 0);
  EXPECT_EQ(router_.Handle(Req("GET", "/_orgtrail/metrics", {})).status, 404);
}

TEST_F(RouterTest, InternalHandlerAnswersItsPathOnly) {
  int calls = 0;
  router_.SetInternalHandler("/_orgtrail/clock/advance", [&](const HttpRequest& req) {
    ++calls;
    HttpResponse r;
    r.status = 200;
    r.body = std::string(req.method) + " " + std::string(req.Query());
    return r;
  });
  auto r = router_.Handle(Req("POST", "/_orgtrail/clock/advance?days=3", {}));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "POST days=3");
  EXPECT_EQ(r.Header("x-amzn-RequestId").size(), 36u);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(auth_.calls, 0);
  EXPECT_EQ(observer_.count, 0);  // not an AWS call: nothing recorded
  EXPECT_EQ(router_.Handle(Req("POST", "/_orgtrail/clock", {})).status, 404);
  EXPECT_EQ(router_.Handle(Req("POST", "/_orgtrail/clock/advance/x", {})).status, 404);
  EXPECT_EQ(calls, 1);

  router_.SetInternalHandler("/_orgtrail/clock/advance", [](const HttpRequest&) -> HttpResponse {
    throw std::runtime_error("boom");
  });
  auto boom = router_.Handle(Req("POST", "/_orgtrail/clock/advance", {}));
  EXPECT_EQ(boom.status, 500);
  EXPECT_EQ(observer_.count, 0);
}

TEST_F(RouterTest, JsonTargetDispatchesWithContext) {
  auto r = router_.Handle(Json11("TrentService.ListKeys", "{\"Limit\":5}"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(auth_.last_service, "kms");
  Json b = Json::parse(r.body);
  EXPECT_EQ(b["echo"]["Limit"], 5);
  EXPECT_EQ(last_ctx_.region, "eu-west-1");
  EXPECT_EQ(last_ctx_.principal.account_id, "111122223333");
  EXPECT_EQ(last_ctx_.source_ip, "127.0.0.1");
  EXPECT_EQ(last_ctx_.now, clock_.Now());
  EXPECT_EQ(r.Header("x-amzn-RequestId"), last_ctx_.request_id);
  EXPECT_EQ(last_ctx_.request_id.size(), 36u);
  ASSERT_EQ(observer_.count, 1);
  EXPECT_EQ(observer_.last.event_source, "kms.amazonaws.com");
  EXPECT_EQ(observer_.last.operation, "ListKeys");
  EXPECT_EQ(observer_.last.request_parameters["Limit"], 5);
  EXPECT_TRUE(observer_.last.error_code.empty());
}

// The asynchronous path answers only once the observer releases the call
// (orgtraild: once its event is fsync'd); orgtrail's own paths at once.
TEST_F(RouterTest, HandleAsyncAnswersWhenTheObserverIsDone) {
  class HoldingObserver : public CallObserver {
   public:
    void OnCall(const CallRecord&) override { ADD_FAILURE() << "OnCall on the async path"; }
    void OnCallAsync(const CallRecord& rec, std::function<void()> then) override {
      operation = rec.operation;
      held = std::move(then);
    }
    std::string operation;
    std::function<void()> held;
  } holding;
  router_.SetObserver(&holding);
  std::optional<HttpResponse> answer;
  router_.HandleAsync(Json11("TrentService.ListKeys", "{}"),
                      [&](HttpResponse r) { answer = std::move(r); });
  EXPECT_FALSE(answer.has_value());
  EXPECT_EQ(holding.operation, "ListKeys");
  ASSERT_TRUE(holding.held);
  holding.held();
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->Header("x-amzn-RequestId").size(), 36u);

  answer.reset();
  holding.held = nullptr;
  router_.HandleAsync(Req("GET", "/_orgtrail/health", {}), [&](HttpResponse r) { answer = r; });
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 200);
  EXPECT_FALSE(holding.held);

  // The default OnCallAsync (OnCall, then answer) keeps the old behaviour.
  router_.SetObserver(&observer_);
  answer.reset();
  router_.HandleAsync(Json11("TrentService.Nope", "{}"), [&](HttpResponse r) { answer = r; });
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 400);
  EXPECT_EQ(observer_.count, 1);
  EXPECT_EQ(observer_.last.error_code, "UnknownOperationException");
}

// A call whose event could not be kept is refused before it runs, in its
// protocol's error shape, and reported to nobody.
TEST_F(RouterTest, RefusedAdmissionRunsNothing) {
  class FullObserver : public CountingObserver {
   public:
    Status Admission() override {
      return Status::Error("ServiceUnavailable", "disk full", 503);
    }
  } full;
  router_.SetObserver(&full);
  auto r = router_.Handle(Json11("TrentService.ListKeys", "{}"));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(Json::parse(r.body)["__type"], "ServiceUnavailable");
  EXPECT_TRUE(last_ctx_.request_id.empty()) << "the operation ran";
  auto q = router_.Handle(QueryReq("Action=GetCallerIdentity&Version=2011-06-15", "sts"));
  EXPECT_EQ(q.status, 503);
  EXPECT_NE(q.body.find("<Code>ServiceUnavailable</Code>"), std::string::npos) << q.body;
  auto s3 = router_.Handle(Req("PUT", "/bkt/key", {{"Authorization", Auth("s3")}}, "x"));
  EXPECT_EQ(s3.status, 503);
  EXPECT_TRUE(last_s3_.bucket.empty()) << "the S3 handler ran";
  EXPECT_EQ(full.count, 0);
  // orgtrail's own paths are not calls: still answered.
  EXPECT_EQ(router_.Handle(Req("GET", "/_orgtrail/health", {})).status, 200);
  router_.SetObserver(&observer_);
  EXPECT_EQ(router_.Handle(Json11("TrentService.ListKeys", "{}")).status, 200);
}

TEST_F(RouterTest, JsonErrors) {
  auto unknown = router_.Handle(Json11("TrentService.Nope", "{}"));
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(Json::parse(unknown.body)["__type"], "UnknownOperationException");

  auto malformed = router_.Handle(Json11("TrentService.ListKeys", "{nope"));
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(Json::parse(malformed.body)["__type"], "SerializationException");

  auto fail = router_.Handle(Json11("TrentService.Fail", "{}"));
  EXPECT_EQ(fail.Header("X-Amzn-ErrorType"), "NotFoundException");
  EXPECT_EQ(observer_.last.error_code, "NotFoundException");

  auto org = router_.Handle(Json11("AWSOrganizationsV20161128.DescribeOrganization", "{}",
                                   "organizations"));
  Json ob = Json::parse(org.body);
  EXPECT_EQ(ob["__type"], "UnknownOperationException");
  EXPECT_TRUE(ob.contains("Message"));

  auto ct = router_.Handle(Json11(
      "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.DescribeTrails", "{}", "cloudtrail"));
  EXPECT_EQ(auth_.last_service, "cloudtrail");
  EXPECT_EQ(Json::parse(ct.body)["__type"], "UnknownOperationException");

  auto other = router_.Handle(Json11("DynamoDB_20120810.ListTables", "{}", "dynamodb"));
  EXPECT_EQ(Json::parse(other.body)["__type"], "UnknownOperationException");
}

TEST_F(RouterTest, AuthFailureExecutesNothing) {
  auto r = router_.Handle(Json11("TrentService.ListKeys", "{}", "kms", "bad"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Json::parse(r.body)["__type"], "InvalidSignatureException");
  EXPECT_TRUE(last_ctx_.request_id.empty());
  EXPECT_TRUE(observer_.last.auth_failed);
  EXPECT_EQ(observer_.last.access_key_id, "AKIATEST");
}

TEST_F(RouterTest, HandlerExceptionIsInternalErrorInProtocolShape) {
  auto r = router_.Handle(Json11("TrentService.Boom", "{}"));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(Json::parse(r.body)["__type"], "InternalError");
  EXPECT_EQ(observer_.last.error_code, "InternalError");
}

TEST_F(RouterTest, QueryChosenByScopeService) {
  auto r = router_.Handle(QueryReq("Action=GetCallerIdentity&Version=2011-06-15", "sts"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                        "<GetCallerIdentityResult><Account>111122223333</Account>"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(auth_.last_service, "sts");
  EXPECT_EQ(observer_.last.event_source, "sts.amazonaws.com");
  EXPECT_EQ(observer_.last.operation, "GetCallerIdentity");
  EXPECT_EQ(observer_.last.response["Account"], "111122223333");
  EXPECT_EQ(observer_.last.request_parameters, Json::object());  // Action/Version dropped

  auto e = router_.Handle(QueryReq("Action=GetRole&Version=2010-05-08&RoleName=x", "iam"));
  EXPECT_EQ(e.status, 404);
  EXPECT_NE(e.body.find("<Code>NoSuchEntity</Code>"), std::string::npos);
  EXPECT_NE(e.body.find(kIamNamespace), std::string::npos);

  auto unknown = router_.Handle(QueryReq("Action=Frobnicate&Version=2010-05-08", "iam"));
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("<Code>InvalidAction</Code>"), std::string::npos);

  auto noversion = router_.Handle(QueryReq("Action=GetRole", "iam"));
  EXPECT_EQ(noversion.status, 400);
  EXPECT_NE(noversion.body.find("<Code>MissingParameter</Code>"), std::string::npos);

  auto get = router_.Handle(Req("GET", "/?Action=GetCallerIdentity&Version=2011-06-15",
                                {{"Authorization", Auth("sts")}}));
  EXPECT_EQ(get.status, 200) << get.body;
}

TEST_F(RouterTest, ClassifiesS3PathAndVirtualHost) {
  auto path = router_.Classify(Req("GET", "/bucket/a/b%20c", {}));
  EXPECT_EQ(path.kind, Route::Kind::kS3);
  auto r = router_.Handle(Req("GET", "/bucket/a/b%20c%2Bd?prefix=x%2Fy&location",
                              {{"Authorization", Auth("s3")}, {"X-Amz-Date", "1"}}));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(last_s3_.bucket, "bucket");
  EXPECT_EQ(last_s3_.key, "a/b c+d");
  ASSERT_EQ(last_s3_.query.size(), 2u);
  EXPECT_EQ(last_s3_.query[0].second, "x/y");
  EXPECT_EQ(last_s3_.query[1].first, "location");
  EXPECT_EQ(last_s3_.headers.count("x-amz-date"), 1u);
  EXPECT_FALSE(r.Header("x-amz-request-id").empty());
  EXPECT_FALSE(r.Header("x-amz-id-2").empty());
  EXPECT_EQ(auth_.last_service, "s3");

  HttpRequest vh = Req("PUT", "/dir/obj", {{"Authorization", Auth("s3")}}, "data");
  vh.headers.back().second = "mybucket.s3.localhost:4580";
  ASSERT_EQ(router_.Handle(vh).status, 200);
  EXPECT_EQ(last_s3_.bucket, "mybucket");
  EXPECT_EQ(last_s3_.key, "dir/obj");
  EXPECT_EQ(last_s3_.body, "data");
  EXPECT_EQ(observer_.last.operation, "PutObject");

  auto bad = router_.Handle(Req("GET", "/bucket/%zz", {{"Authorization", Auth("s3")}}));
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("<Code>InvalidURI</Code>"), std::string::npos);

  auto denied = router_.Handle(Req("GET", "/bucket/k", {{"Authorization", "bad"}}));
  EXPECT_EQ(denied.status, 403);
  EXPECT_NE(denied.body.find("<Code>SignatureDoesNotMatch</Code>"), std::string::npos);
  EXPECT_FALSE(denied.Header("x-amz-request-id").empty());
}

TEST_F(RouterTest, ParsesS3Addresses) {
  auto a = ParseS3Address("127.0.0.1:4580", "/", "s3.localhost");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->bucket, "");
  auto b = ParseS3Address("b.s3.localhost", "/", "s3.localhost");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->virtual_host);
  EXPECT_EQ(b->bucket, "b");
  auto c = ParseS3Address("s3.localhost", "/b/", "s3.localhost");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->virtual_host);
  EXPECT_EQ(c->bucket, "b");
  EXPECT_EQ(c->key, "");
  auto d = ParseS3Address("xs3.localhost", "/b/k", "s3.localhost");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->bucket, "b");
}

TEST_F(RouterTest, PutAuditEventsAnswersRestJsonError) {
  auto r = router_.Handle(Req("POST", "/PutAuditEvents?channelArn=x",
                              {{"Authorization", Auth("cloudtrail-data")}}, "{}"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Header("X-Amzn-ErrorType"), "UnsupportedOperationException");
  EXPECT_EQ(Json::parse(r.body)["code"], "UnsupportedOperationException");
  EXPECT_EQ(auth_.last_service, "cloudtrail-data");
}

// A deferred REST-JSON handler's commit runs before the answer: HandleAsync
// answers (and reports the call) only from the commit's `done`, with the
// handler's result when it succeeded and with its error otherwise; Handle
// waits for it. A whole-call error leaves nothing to commit.
TEST_F(RouterTest, DeferredRestJsonAnswersFromItsCommit) {
  std::function<void(Status)> pending;
  int handled = 0;
  router_.SetRestJsonHandler(
      [&](const auth::RequestContext&, const std::string& op, const auth::QueryParams& q,
          std::string_view, RestJsonCommit* commit) -> Result<std::string> {
        ++handled;
        if (q.count("bad")) return Status::Error("ChannelNotFound", "no such channel");
        *commit = [&](std::function<void(Status)> done) { pending = std::move(done); };
        return Json{{"op", op}}.dump();
      });
  auto put = [&](std::string query) {
    return Req("POST", "/PutAuditEvents?channelArn=x" + query,
               {{"Authorization", Auth("cloudtrail-data")}}, "{}");
  };
  std::optional<HttpResponse> answer;
  router_.HandleAsync(put(""), [&](HttpResponse r) { answer = std::move(r); });
  EXPECT_EQ(handled, 1);
  EXPECT_FALSE(answer.has_value()) << "answered before the commit";
  EXPECT_EQ(observer_.count, 0) << "reported before the commit";
  ASSERT_TRUE(pending);
  pending(Status::Ok());
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(Json::parse(answer->body)["op"], "PutAuditEvents");
  EXPECT_EQ(observer_.count, 1);
  EXPECT_TRUE(observer_.last.error_code.empty());

  answer.reset();
  pending = nullptr;
  router_.HandleAsync(put(""), [&](HttpResponse r) { answer = std::move(r); });
  ASSERT_TRUE(pending);
  pending(Status::Error("ThrottlingException", "slow down"));
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 400);
  EXPECT_EQ(answer->Header("X-Amzn-ErrorType"), "ThrottlingException");
  EXPECT_EQ(observer_.count, 2);
  EXPECT_EQ(observer_.last.error_code, "ThrottlingException");

  // No commit for a whole-call error: answered at once.
  answer.reset();
  pending = nullptr;
  router_.HandleAsync(put("&bad=1"), [&](HttpResponse r) { answer = std::move(r); });
  ASSERT_TRUE(answer.has_value());
  EXPECT_FALSE(pending);
  EXPECT_EQ(answer->Header("X-Amzn-ErrorType"), "ChannelNotFound");

  // Handle runs the commit and waits for it (here `done` is called at once).
  router_.SetRestJsonHandler(
      [](const auth::RequestContext&, const std::string&, const auth::QueryParams&,
         std::string_view, RestJsonCommit* commit) -> Result<std::string> {
        *commit = [](std::function<void(Status)> done) {
          done(Status::Error("ServiceUnavailable", "disk full", 503));
        };
        return std::string("{}");
      });
  auto r = router_.Handle(put(""));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(Json::parse(r.body)["code"], "ServiceUnavailable");
}

TEST_F(RouterTest, TooLargeBodiesGetProtocolErrors) {
  auto j = Json11("TrentService.ListKeys", "");
  j.body_too_large = true;
  j.body_limit = 1 << 20;
  auto r = router_.Handle(j);
  EXPECT_EQ(r.status, 413);
  EXPECT_TRUE(r.close);
  EXPECT_EQ(Json::parse(r.body)["__type"], "RequestEntityTooLarge");
  EXPECT_EQ(auth_.calls, 0);
  auto s = Req("PUT", "/b/k", {});
  s.body_too_large = true;
  auto sr = router_.Handle(s);
  EXPECT_NE(sr.body.find("<Code>EntityTooLarge</Code>"), std::string::npos);
}

TEST_F(RouterTest, BodyLimits) {
  EXPECT_EQ(router_.BodyLimit("POST", "/", {{"X-Amz-Target", "TrentService.ListKeys"}}), 1u << 20);
  EXPECT_EQ(router_.BodyLimit("POST", "/", {{"content-type", "application/x-www-form-urlencoded"}}),
            1u << 20);
  EXPECT_EQ(router_.BodyLimit("PUT", "/b/k", {}), 64u << 20);
}

}  // namespace
}  // namespace orgtrail::api
