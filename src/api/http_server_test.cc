#include "api/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <vector>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <thread>

namespace orgtrail::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(HttpServer::Options opts = {}) {
    opts.threads = 2;
    opts.default_body_limit = 1024;
    server_ = std::make_unique<HttpServer>(opts, [this](const HttpRequest& req) {
      ++calls_;
      HttpResponse r;
      if (req.body_too_large) {
        r.status = 413;
        r.body = "too large";
        r.close = true;
        return r;
      }
      if (req.target == "/throw") throw std::runtime_error("boom");
      r.status = 200;
      r.SetHeader("Content-Type", "text/plain");
      r.body = req.method + " " + req.target + " " + std::to_string(req.body.size()) + " " +
               std::string(req.Header("X-Test"));
      return r;
    });
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_NE(server_->port(), 0);
  }

  tcp::socket Connect() {
    tcp::socket s(ioc_);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    return s;
  }

  // Writes raw bytes and reads until the peer closes or `until` appears.
  std::string RawExchange(tcp::socket& s, const std::string& bytes, std::string until = "") {
    asio::write(s, asio::buffer(bytes));
    std::string out;
    char buf[4096];
    for (;;) {
      beast::error_code ec;
      size_t n = s.read_some(asio::buffer(buf), ec);
      out.append(buf, n);
      if (ec) break;
      if (!until.empty() && out.find(until) != std::string::npos) break;
    }
    return out;
  }

  void TearDown() override {
    if (server_) server_->Stop();
  }

  asio::io_context ioc_;
  std::unique_ptr<HttpServer> server_;
  std::atomic<int> calls_{0};
};

TEST_F(HttpServerTest, KeepAliveReusesTheConnection) {
  StartServer();
  beast::tcp_stream stream(Connect());
  beast::flat_buffer buf;
  for (int i = 0; i < 3; ++i) {
    http::request<http::string_body> req(http::verb::post, "/x?i=" + std::to_string(i), 11);
    req.set(http::field::host, "localhost");
    req.set("X-Test", "v");
    req.body() = "hello";
    req.prepare_payload();
    http::write(stream, req);
    http::response<http::string_body> res;
    http::read(stream, buf, res);
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_EQ(res.body(), "POST /x?i=" + std::to_string(i) + " 5 v");
    EXPECT_TRUE(res.keep_alive());
  }
  EXPECT_EQ(calls_, 3);
}

TEST_F(HttpServerTest, OversizeBodyRejectedAndServerKeepsServing) {
  StartServer();
  {
    auto s = Connect();
    std::string body(4096, 'x');
    std::string out = RawExchange(
        s, "PUT /big HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\n\r\n" + body);
    EXPECT_EQ(out.rfind("HTTP/1.1 413", 0), 0u) << out;
    EXPECT_NE(out.find("too large"), std::string::npos);
  }
  {
    // Chunked body past the limit: discovered while de-chunking.
    auto s = Connect();
    std::string chunk(800, 'y');
    std::string req = "PUT /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 3; ++i) req += "320\r\n" + chunk + "\r\n";
    req += "0\r\n\r\n";
    std::string out = RawExchange(s, req);
    EXPECT_EQ(out.rfind("HTTP/1.1 413", 0), 0u) << out;
  }
  {
    // A chunked body within the limit is decoded.
    auto s = Connect();
    std::string out = RawExchange(
        s, "PUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        "PUT /c 5");
    EXPECT_NE(out.find("PUT /c 5"), std::string::npos) << out;
  }
  auto s = Connect();
  std::string out = RawExchange(s, "GET /next HTTP/1.1\r\nHost: x\r\n\r\n", "GET /next 0");
  EXPECT_NE(out.find("200 OK"), std::string::npos) << out;
}

TEST_F(HttpServerTest, MalformedRequestLineGets400) {
  StartServer();
  auto s = Connect();
  std::string out = RawExchange(s, "THIS IS NOT HTTP\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 400", 0), 0u) << out;
  EXPECT_EQ(calls_, 0);
}

TEST_F(HttpServerTest, HugeHeadersGet431) {
  StartServer();
  auto s = Connect();
  std::string out =
      RawExchange(s, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(70000, 'a') + "\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 431", 0), 0u) << out.substr(0, 100);
}

TEST_F(HttpServerTest, SlowClientTimesOut) {
  HttpServer::Options o;
  o.header_timeout = std::chrono::milliseconds(300);
  StartServer(o);
  auto s = Connect();
  auto start = std::chrono::steady_clock::now();
  std::string out = RawExchange(s, "GET / HTTP/1.1\r\nHost: x\r\n");  // never finishes
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(out, "");
  EXPECT_LT(took, std::chrono::seconds(5));
  EXPECT_GE(took, std::chrono::milliseconds(250));
  EXPECT_EQ(calls_, 0);
}

TEST_F(HttpServerTest, AnswersExpect100Continue) {
  StartServer();
  auto s = Connect();
  std::string out = RawExchange(
      s, "PUT /e HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n",
      "\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 100 Continue", 0), 0u) << out;
  out = RawExchange(s, "abc", "PUT /e 3");
  EXPECT_NE(out.find("200 OK"), std::string::npos) << out;
  // Over the limit: no 100, straight to the error.
  auto s2 = Connect();
  out = RawExchange(
      s2, "PUT /e HTTP/1.1\r\nHost: x\r\nContent-Length: 99999\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 413", 0), 0u) << out;
}

TEST_F(HttpServerTest, HandlerExceptionGives500AndServerStaysUp) {
  StartServer();
  auto s = Connect();
  std::string out = RawExchange(s, "GET /throw HTTP/1.1\r\nHost: x\r\n\r\n", "Internal Server Error");
  EXPECT_EQ(out.rfind("HTTP/1.1 500", 0), 0u) << out;
  out = RawExchange(s, "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n", "GET /ok 0");
  EXPECT_NE(out.find("200 OK"), std::string::npos) << out;
}

TEST_F(HttpServerTest, HeadKeepsDeclaredLengthWithoutBody) {
  HttpServer::Options o;
  o.threads = 1;
  server_ = std::make_unique<HttpServer>(o, [](const HttpRequest&) {
    HttpResponse r;
    r.SetHeader("Content-Length", "12345");
    return r;
  });
  ASSERT_TRUE(server_->Start().ok());
  auto s = Connect();
  std::string out = RawExchange(s, "HEAD /b/k HTTP/1.1\r\nHost: x\r\n\r\n", "\r\n\r\n");
  EXPECT_NE(out.find("Content-Length: 12345"), std::string::npos) << out;
  // The connection is still usable: the next response starts right after.
  out = RawExchange(s, "HEAD /b/k HTTP/1.1\r\nHost: x\r\n\r\n", "\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 200", 0), 0u) << out;
}

TEST_F(HttpServerTest, StopIsGracefulAndClosesIdleConnections) {
  std::atomic<bool> in_handler{false};
  HttpServer::Options o;
  o.threads = 2;
  server_ = std::make_unique<HttpServer>(o, [&](const HttpRequest&) {
    in_handler = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    HttpResponse r;
    r.body = "done";
    return r;
  });
  ASSERT_TRUE(server_->Start().ok());
  auto idle = Connect();
  auto busy = Connect();
  asio::write(busy, asio::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
  while (!in_handler) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  server_->Stop();
  std::string out = RawExchange(busy, "");
  EXPECT_NE(out.find("done"), std::string::npos) << out;
  EXPECT_NE(out.find("Connection: close"), std::string::npos) << out;
  EXPECT_EQ(RawExchange(idle, ""), "");
  server_.reset();
}

// An asynchronous handler answers from another thread after returning; the
// connection waits for the answer (no second request is read meanwhile) and
// Stop() waits for answers still owed.
TEST_F(HttpServerTest, AsyncHandlerAnswersFromAnotherThread) {
  HttpServer::Options o;
  o.threads = 1;
  std::mutex mu;
  std::vector<std::thread> answerers;
  std::atomic<int> returned{0};
  server_ = std::make_unique<HttpServer>(
      o, AsyncHttpHandler([&](const HttpRequest& req, HttpResponder respond) {
        std::string body = req.method + " " + req.target;
        std::lock_guard<std::mutex> lock(mu);
        answerers.emplace_back([&returned, body, respond = std::move(respond)] {
          // Answer only once the handler (and its thread) has moved on.
          while (returned.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          HttpResponse r;
          r.body = body;
          respond(r);
          respond(r);  // a second answer is ignored
        });
        ++returned;
      }));
  ASSERT_TRUE(server_->Start().ok());
  beast::tcp_stream a(Connect());
  beast::tcp_stream b(Connect());
  beast::flat_buffer buf_a, buf_b;
  for (int i = 0; i < 3; ++i) {
    returned = 0;
    http::request<http::string_body> ra(http::verb::get, "/a" + std::to_string(i), 11);
    http::request<http::string_body> rb(http::verb::get, "/b" + std::to_string(i), 11);
    http::write(a, ra);
    http::write(b, rb);
    http::response<http::string_body> res_a, res_b;
    http::read(a, buf_a, res_a);
    http::read(b, buf_b, res_b);
    EXPECT_EQ(res_a.body(), "GET /a" + std::to_string(i));
    EXPECT_EQ(res_b.body(), "GET /b" + std::to_string(i));
    EXPECT_TRUE(res_a.keep_alive());
  }
  // An answer still owed when Stop() begins is written before it returns.
  returned = 0;
  http::request<http::string_body> last(http::verb::get, "/last", 11);
  http::write(a, last);
  while (true) {
    std::lock_guard<std::mutex> lock(mu);
    if (answerers.size() == 7) break;
  }
  std::thread stopper([&] { server_->Stop(); });
  http::response<http::string_body> res;
  beast::error_code ec;
  http::read(a, buf_a, res, ec);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(res.body(), "GET /last");
  stopper.join();
  for (auto& t : answerers) t.join();
}

TEST_F(HttpServerTest, AsyncHandlerThrowingBeforeAnsweringGets500) {
  HttpServer::Options o;
  o.threads = 1;
  server_ = std::make_unique<HttpServer>(
      o, AsyncHttpHandler(
             [](const HttpRequest&, HttpResponder) { throw std::runtime_error("x"); }));
  ASSERT_TRUE(server_->Start().ok());
  auto s = Connect();
  std::string out = RawExchange(s, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "Internal Server Error");
  EXPECT_EQ(out.rfind("HTTP/1.1 500", 0), 0u) << out;
}

}  // namespace
}  // namespace orgtrail::api
