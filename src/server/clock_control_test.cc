#include "server/clock_control.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <filesystem>

#include "server/server.h"

namespace orgtrail::server {
namespace {

constexpr int64_t kDay = 86400;

api::HttpRequest Req(std::string method, std::string target) {
  api::HttpRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  return r;
}

TEST(AdvanceableClockTest, TicksWithItsBaseAndOnlyMovesForward) {
  SimulatedClock base(FromUnixSeconds(1800000000));
  AdvanceableClock c(base);
  EXPECT_EQ(c.Now(), base.Now());
  base.Advance(std::chrono::seconds(5));
  EXPECT_EQ(ToUnixSeconds(c.Now()), 1800000005);
  c.Advance(std::chrono::hours(24));
  EXPECT_EQ(ToUnixSeconds(c.Now()), 1800000005 + kDay);
  c.Advance(-std::chrono::hours(48));  // ignored
  EXPECT_EQ(ToUnixSeconds(c.Now()), 1800000005 + kDay);
  EXPECT_EQ(c.offset(), std::chrono::hours(24));
}

TEST(ClockAdvanceTest, ParsesDaysOrSeconds) {
  auto d = ParseAdvanceQuery("days=15");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, std::chrono::hours(24 * 15));
  d = ParseAdvanceQuery("seconds=600");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, std::chrono::seconds(600));
  EXPECT_TRUE(ParseAdvanceQuery("days=0").ok());
  for (const char* bad : {"", "days", "days=", "days=-1", "days=1.5", "days=1x", "weeks=2",
                          "days=1&seconds=2", "days=1&days=1", "days=36501",
                          "seconds=99999999999999999999", "days=%zz"}) {
    auto r = ParseAdvanceQuery(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), "InvalidParameterValue") << bad;
  }
}

TEST(ClockAdvanceTest, HandlerAdvancesRunsHookAndAnswersTheNewTime) {
  SimulatedClock base(FromUnixSeconds(1800000000));
  AdvanceableClock c(base);
  std::vector<TimePoint> seen;
  auto h = MakeClockAdvanceHandler(c, [&](TimePoint now) {
    seen.push_back(now);
    return Json{{"lifecycle", {{"transitioned", 3}}}};
  });
  auto r = h(Req("POST", "/_orgtrail/clock/advance?days=15"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  Json b = Json::parse(r.body);
  EXPECT_EQ(b["unixSeconds"], 1800000000 + 15 * kDay);
  EXPECT_EQ(b["offsetSeconds"], 15 * kDay);
  EXPECT_EQ(b["now"], FormatIso8601(FromUnixSeconds(1800000000 + 15 * kDay)));
  EXPECT_EQ(b["lifecycle"]["transitioned"], 3);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], c.Now());

  r = h(Req("POST", "/_orgtrail/clock/advance?seconds=60"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Json::parse(r.body)["unixSeconds"], 1800000060 + 15 * kDay);

  auto bad = h(Req("POST", "/_orgtrail/clock/advance?days=soon"));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Json::parse(bad.body)["__type"], "InvalidParameterValue");
  auto get = h(Req("GET", "/_orgtrail/clock/advance?days=1"));
  EXPECT_EQ(get.status, 405);
  EXPECT_EQ(get.Header("Allow"), "POST");
  EXPECT_EQ(seen.size(), 2u);  // refused requests neither advance nor run the hook
  EXPECT_EQ(ToUnixSeconds(c.Now()), 1800000060 + 15 * kDay);
}

// --- the route inside a running Server -------------------------------------

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

http::response<http::string_body> Post(uint16_t port, const std::string& target) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  http::request<http::string_body> req{http::verb::post, target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(stream, buf, res);
  return res;
}

std::string TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "orgtrail-clock-XXXXXX").string();
  EXPECT_NE(mkdtemp(tmpl.data()), nullptr);
  return tmpl;
}

TEST(ServerClockTest, AdvanceRouteExistsOnlyWithSimulatedClock) {
  for (bool simulated : {false, true}) {
    std::string dir = TempDir();
    Options o;
    o.data_dir = dir;
    o.listen = "127.0.0.1:0";
    o.simulated_clock = simulated;
    Server s(o);
    ASSERT_TRUE(s.Start().ok());
    auto r = Post(s.port(), "/_orgtrail/clock/advance?days=2");
    if (!simulated) {
      EXPECT_EQ(r.result_int(), 404);
    } else {
      ASSERT_EQ(r.result_int(), 200) << r.body();
      Json b = Json::parse(r.body());
      int64_t expected = ToUnixSeconds(RealClock::Default()->Now()) + 2 * kDay;
      EXPECT_NEAR(b["unixSeconds"].get<int64_t>(), expected, 5);
      EXPECT_EQ(b["offsetSeconds"], 2 * kDay);
      EXPECT_TRUE(b["lifecycle"].contains("bucketsScanned")) << r.body();
      EXPECT_EQ(Post(s.port(), "/_orgtrail/clock/advance?days=x").result_int(), 400);
    }
    s.Stop();
    std::filesystem::remove_all(dir);
  }
}

}  // namespace
}  // namespace orgtrail::server
