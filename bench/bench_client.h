// Helpers shared by the benchmark programs: a temp data dir, the bootstrap
// credentials of an in-process server::Server, a keep-alive HTTP client
// (Beast, synchronous) and SigV4 signing via auth::SignRequest. Header-only
// so that every bench/*.cc stays one program. Not thread-safe per Client.
#pragma once

#include <stdlib.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "auth/sigv4.h"

namespace orgtrail::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

inline std::string MakeTempDir(const char* name) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (std::string(name) + "-XXXXXX")).string();
  if (!mkdtemp(tmpl.data())) {
    std::perror("mkdtemp");
    std::exit(1);
  }
  return tmpl;
}

inline auth::SigningCredentials ReadBootstrapCredentials(const std::string& data_dir) {
  std::ifstream f(data_dir + "/aws/credentials");
  std::string line;
  auth::SigningCredentials c;
  auto value = [](const std::string& l) {
    std::string v = l.substr(l.find('=') + 1);
    v.erase(0, v.find_first_not_of(' '));
    return v;
  };
  while (std::getline(f, line)) {
    if (line.rfind("aws_access_key_id", 0) == 0) c.access_key_id = value(line);
    if (line.rfind("aws_secret_access_key", 0) == 0) c.secret_access_key = value(line);
  }
  return c;
}

struct Signed {
  http::request<http::string_body> req;
};

// A signed request ready to be sent (possibly many times).
inline http::request<http::string_body> SignedRequest(const auth::SigningCredentials& creds,
                                                      uint16_t port, http::verb method,
                                                      const std::string& target,
                                                      const std::string& service, bool is_s3,
                                                      auth::HeaderList headers, std::string body) {
  std::string host = "127.0.0.1:" + std::to_string(port);
  headers.insert(headers.begin(), {"Host", host});
  auth::SignOptions so;
  so.region = "us-east-1";
  so.service = service;
  so.time = std::chrono::system_clock::now();
  so.is_s3 = is_s3;
  std::string m(http::to_string(method));
  auth::SignRequest(creds, so, m, target, headers, body);
  http::request<http::string_body> req(method, target, 11);
  for (auto& [n, v] : headers) req.set(n, v);
  req.body() = std::move(body);
  req.keep_alive(true);
  req.prepare_payload();
  return req;
}

class Client {
 public:
  explicit Client(uint16_t port) : stream_(ioc_) {
    stream_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    stream_.socket().set_option(tcp::no_delay(true));
  }
  // Sends and reads the response; throws on I/O errors.
  http::response<http::string_body>& RoundTrip(const http::request<http::string_body>& req) {
    http::write(stream_, req);
    res_ = {};
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ull << 30);
    http::read(stream_, buf_, parser);
    res_ = parser.release();
    return res_;
  }

  // Sends `req` and reads the answer's body straight into `body` with a few
  // large reads (headers through Beast). A load generator that copies and
  // allocates little leaves the shared cores to the server it measures.
  // Returns the status code; needs a Content-Length answer. Throws on I/O errors.
  int Fetch(const http::request<http::string_body>& req, std::string& body) {
    http::write(stream_, req);
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(1ull << 30);
    http::read_header(stream_, buf_, parser);
    const size_t n = parser.content_length() ? static_cast<size_t>(*parser.content_length()) : 0;
    if (body.size() != n) body.resize(n);
    size_t have = std::min(n, buf_.size());
    asio::buffer_copy(asio::buffer(body.data(), have), buf_.data(), have);
    buf_.consume(have);
    if (have < n) asio::read(stream_.socket(), asio::buffer(body.data() + have, n - have));
    return static_cast<int>(parser.get().result_int());
  }

 private:
  asio::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buf_;
  http::response<http::string_body> res_;
};

inline double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(i), v.end());
  return v[i];
}

// --name value lookup with a default.
inline std::string Flag(int argc, char** argv, const std::string& name, const std::string& def) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == "--" + name) return argv[i + 1];
  return def;
}

}  // namespace orgtrail::bench
