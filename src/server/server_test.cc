#include "server/server.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "auth/sigv4.h"
#include "server/server_testutil.h"

namespace orgtrail::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

using testing::BootstrapCredentials;
using testing::ReadAll;

std::string TempDir() { return testing::MakeTempDir("orgtrail-server"); }

http::response<http::string_body> Send(uint16_t port, http::request<http::string_body> req) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(stream, buf, res);
  return res;
}


TEST(ServerTest, ParsesListen) {
  std::string h;
  uint16_t p = 1;
  ASSERT_TRUE(ParseListen("127.0.0.1:0", &h, &p));
  EXPECT_EQ(h, "127.0.0.1");
  EXPECT_EQ(p, 0);
  ASSERT_TRUE(ParseListen("[::1]:4580", &h, &p));
  EXPECT_EQ(h, "::1");
  EXPECT_EQ(p, 4580);
  EXPECT_FALSE(ParseListen("localhost", &h, &p));
  EXPECT_FALSE(ParseListen("h:99999", &h, &p));
  EXPECT_FALSE(ParseListen("h:12x", &h, &p));
}

TEST(ServerTest, StartsServesHealthAndBootstrapIsIdempotent) {
  std::string dir = TempDir();
  std::string account;
  {
    Options o;
    o.data_dir = dir;
    o.listen = "127.0.0.1:0";
    o.threads = 2;
    Server s(o);
    ASSERT_TRUE(s.Start().ok());
    ASSERT_NE(s.port(), 0);
    account = s.account_id();
    EXPECT_EQ(account.size(), 12u);
    EXPECT_EQ(s.endpoint_url(), "http://127.0.0.1:" + std::to_string(s.port()));
    EXPECT_TRUE(std::filesystem::exists(dir + "/catalog.db"));
    EXPECT_TRUE(std::filesystem::exists(dir + "/keys/master.key"));
    EXPECT_TRUE(std::filesystem::is_directory(dir + "/objects"));
    auto perms = std::filesystem::status(dir + "/keys").permissions();
    EXPECT_EQ(perms & std::filesystem::perms::all, std::filesystem::perms::owner_all);

    http::request<http::string_body> req(http::verb::get, "/_orgtrail/health", 11);
    req.set(http::field::host, "127.0.0.1");
    auto res = Send(s.port(), req);
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_EQ(res.body(), "{\"status\":\"ok\"}");

    // A signed call with the bootstrap credentials reaches STS.
    auth::SigningCredentials sc = BootstrapCredentials(dir);
    ASSERT_FALSE(sc.access_key_id.empty());
    std::string host = "127.0.0.1:" + std::to_string(s.port());
    std::string body = "Action=GetCallerIdentity&Version=2011-06-15";
    auth::HeaderList headers = {{"Host", host},
                                {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    auth::SignOptions so;
    so.region = "us-east-1";
    so.service = "sts";
    so.time = std::chrono::system_clock::now();
    auth::SignRequest(sc, so, "POST", "/", headers, body);
    http::request<http::string_body> call(http::verb::post, "/", 11);
    for (auto& [n, v] : headers) call.set(n, v);
    call.body() = body;
    auto cres = Send(s.port(), call);
    EXPECT_EQ(cres.result_int(), 200) << cres.body();
    EXPECT_NE(cres.body().find("<Account>" + account + "</Account>"), std::string::npos)
        << cres.body();

    // A bad signature is refused in the Query shape.
    std::string authz(call["Authorization"]);
    authz.back() = authz.back() == '0' ? '1' : '0';
    call.set("Authorization", authz);
    auto bad = Send(s.port(), call);
    EXPECT_EQ(bad.result_int(), 403) << bad.body();
    EXPECT_NE(bad.body().find("<ErrorResponse"), std::string::npos);
    s.Stop();
  }
  {
    Options o;
    o.data_dir = dir;
    o.listen = "127.0.0.1:0";
    o.threads = 1;
    Server s(o);
    ASSERT_TRUE(s.Start().ok());
    EXPECT_EQ(s.account_id(), account);
    EXPECT_NE(ReadAll(dir + "/aws/config").find(std::to_string(s.port())), std::string::npos);
  }
  std::filesystem::remove_all(dir);
}

TEST(ServerTest, RejectsBadOptions) {
  Options o;
  o.data_dir = TempDir();
  o.listen = "nonsense";
  Server s(o);
  auto st = s.Start();
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.code(), "InvalidParameterValue");
  std::filesystem::remove_all(o.data_dir);
}

}  // namespace
}  // namespace orgtrail::server
