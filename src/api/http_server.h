// HttpServer: the HTTP/1.1 front of orgtraild (Boost.Beast over Asio).
//
// Accepts keep-alive connections on one address and serves them from a small
// pool of threads; each connection runs on its own strand, so one slow client
// never blocks another. The server knows nothing about AWS: every complete
// request is handed to a handler (the api::Router in orgtraild) and the
// handler's HttpResponse is written back. An AsyncHttpHandler may answer
// later from another thread (orgtraild answers once the call's event is
// fsync'd), so no server thread waits for it; the connection reads its next
// request only after the answer is written.
//
// Limits: request headers are bounded (431 past max_header_bytes); the body
// limit is chosen per request by a BodyLimitFn once the headers are in, and a
// request whose body is over it (by Content-Length or while de-chunking) is
// still passed to the handler with body_too_large set, so that the caller can
// answer in its own protocol's shape; the connection is then closed. The body
// is never buffered past the limit. `Expect: 100-continue` is answered (only
// when the announced body fits). Malformed requests get a plain 400 and the
// connection is closed. Connections idle or slow past the timeouts are closed.
//
// Stop() is graceful: it stops accepting, closes idle connections, lets
// requests in flight finish (up to stop_grace), then joins the threads.
//
// Thread-safety: Start/Stop/port may be called from any one thread; the
// handler is called concurrently from the pool threads and must be
// thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "api/http_types.h"
#include "base/status.h"

namespace orgtrail::api {

class HttpServer {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    uint16_t port = 0;  // 0: the kernel picks; see port()
    int threads = 0;    // 0: one per core
    // Added to the server threads' nice value (0: as the process). A
    // positive value lets the process's other threads (the work behind
    // calls already answered) come first when the machine is saturated.
    int nice_increment = 0;
    uint32_t max_header_bytes = 64 * 1024;
    uint64_t default_body_limit = 1 << 20;
    BodyLimitFn body_limit;  // optional; overrides default_body_limit per request
    // Waiting for (and receiving) a request's headers, idle keep-alive included.
    std::chrono::milliseconds header_timeout{60000};
    // Receiving a request body, and writing a response.
    std::chrono::milliseconds io_timeout{60000};
    // How long Stop() waits for requests in flight.
    std::chrono::milliseconds stop_grace{30000};
  };

  HttpServer(Options options, HttpHandler handler);
  HttpServer(Options options, AsyncHttpHandler handler);
  ~HttpServer();  // Stop()s if running
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens without serving yet (connections queue in the
  // backlog), so that the caller can learn port() before Start(). Fails
  // (Status "InternalError") when the address cannot be resolved or bound.
  Status Bind();
  // Bind()s if not done yet, then starts accepting and the threads.
  Status Start();
  // The bound port (meaningful after Start()).
  uint16_t port() const;
  // Graceful stop; idempotent; returns when every thread has exited.
  void Stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace orgtrail::api
