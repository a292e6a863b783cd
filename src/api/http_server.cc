#include "api/http_server.h"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <future>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace orgtrail::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

class Session;

}  // namespace

struct HttpServer::Impl {
  Impl(Options o, AsyncHttpHandler h) : options(std::move(o)), handler(std::move(h)) {}

  Options options;
  AsyncHttpHandler handler;
  std::unique_ptr<asio::io_context> ioc;
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  uint16_t bound_port = 0;
  int threads_wanted = 1;
  std::atomic<bool> stopping{false};
  bool running = false;
  // Requests handed to the handler and not answered yet. Stop() waits for
  // them beyond stop_grace (they wait on the server, e.g. an fsync, not on
  // a client), so that no answer arrives after the io_context is gone.
  std::atomic<int64_t> awaiting_answers{0};

  std::mutex mu;  // guards sessions
  std::condition_variable sessions_cv;
  std::map<Session*, std::weak_ptr<Session>> sessions;

  void DoAccept();
  void Register(Session* s, std::weak_ptr<Session> w) {
    std::lock_guard<std::mutex> l(mu);
    sessions.emplace(s, std::move(w));
  }
  void Unregister(Session* s) {
    std::lock_guard<std::mutex> l(mu);
    sessions.erase(s);
    sessions_cv.notify_all();
  }
  void AnswerQueued() {
    if (awaiting_answers.fetch_sub(1) == 1 && stopping) {
      std::lock_guard<std::mutex> l(mu);
      sessions_cv.notify_all();
    }
  }
};

namespace {

constexpr size_t kDrainLimit = 8 << 20;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(HttpServer::Impl& server, tcp::socket socket)
      : server_(server), stream_(std::move(socket)) {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ip_ = ep.address().to_string();
  }
  ~Session() { server_.Unregister(this); }

  void Start() {
    server_.Register(this, weak_from_this());
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->DoReadHeader(); });
  }

  // Runs on the session's strand: closes the connection if it waits for a
  // request; a request in flight finishes and then the connection closes.
  void OnServerStop() {
    if (idle_) Close();
  }

  asio::any_io_executor executor() { return stream_.get_executor(); }

 private:
  void DoReadHeader() {
    if (server_.stopping) return Close();
    idle_ = true;
    parser_.emplace();
    parser_->header_limit(server_.options.max_header_bytes);
    // Checked by hand once the headers are in. (Not boost::none: Beast 1.74
    // compares Content-Length against an empty optional as "too large".)
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    stream_.expires_after(server_.options.header_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              self->OnHeader(ec);
                            });
  }

  void OnHeader(beast::error_code ec) {
    idle_ = false;
    if (ec) {
      if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
          ec == beast::error::timeout || ec == asio::error::eof ||
          ec == asio::error::connection_reset || ec == asio::error::bad_descriptor)
        return Close();
      if (ec == http::error::header_limit)
        return WritePlainError(431, "Request Header Fields Too Large");
      // Any other parse error: malformed request line or headers.
      return WritePlainError(400, "Bad Request");
    }
    const auto& h = parser_->get();
    HeaderList headers;
    headers.reserve(16);
    for (const auto& f : h.base()) headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    std::string_view method(h.method_string().data(), h.method_string().size());
    std::string_view target(h.target().data(), h.target().size());
    limit_ = server_.options.body_limit ? server_.options.body_limit(method, target, headers)
                                        : server_.options.default_body_limit;
    request_ = HttpRequest();
    request_.method = std::string(method);
    request_.target = std::string(target);
    request_.headers = std::move(headers);
    request_.remote_ip = remote_ip_;
    request_.body_limit = limit_;
    keep_alive_ = h.keep_alive();

    if (parser_->is_done()) return Dispatch();
    auto len = parser_->content_length();
    if (len && *len > limit_) return TooLarge();
    parser_->body_limit(limit_);
    auto expect = h[http::field::expect];
    if (EqualsIgnoreCase(std::string_view(expect.data(), expect.size()), "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      stream_.expires_after(server_.options.io_timeout);
      http::async_write(stream_, *cont,
                        [self = shared_from_this(), cont](beast::error_code ec, size_t) {
                          if (ec) return self->Close();
                          self->DoReadBody();
                        });
      return;
    }
    DoReadBody();
  }

  void DoReadBody() {
    // Beast reads into buffer_ at most its free capacity (at least 512
    // bytes) per read_some, and a flat_buffer sized by the headers never
    // grows: a 130 KB body took some 200 reads, each a syscall plus a trip
    // through the strand and the timer (~15 % of the CPU of a
    // PutAuditEvents load). Room for up to 256 KB of the body makes that a
    // few reads; the buffer keeps its capacity for the connection's next
    // requests.
    if (auto len = parser_->content_length()) {
      const size_t want = buffer_.size() + static_cast<size_t>(std::min<std::uint64_t>(*len, 256 * 1024));
      if (buffer_.capacity() < want) buffer_.reserve(want);
    }
    stream_.expires_after(server_.options.io_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec == http::error::body_limit) return self->TooLarge();
                       if (ec == beast::error::timeout || ec == http::error::end_of_stream ||
                           ec == asio::error::eof || ec == asio::error::connection_reset ||
                           ec == asio::error::operation_aborted)
                         return self->Close();
                       if (ec) return self->WritePlainError(400, "Bad Request");
                       self->Dispatch();
                     });
  }

  void TooLarge() {
    request_.body_too_large = true;
    keep_alive_ = false;
    drain_after_write_ = true;
    Dispatch();
  }

  void Dispatch() {
    if (!request_.body_too_large) request_.body = std::move(parser_->get().body());
    parser_.reset();
    const bool is_head = request_.method == "HEAD";
    // The answer may come from another thread (or before the handler
    // returns): it is written on this session's strand, after Dispatch.
    auto answered = std::make_shared<std::atomic<bool>>(false);
    server_.awaiting_answers.fetch_add(1);
    HttpResponder respond = [self = shared_from_this(), is_head, answered](HttpResponse r) {
      if (answered->exchange(true)) return;  // a second answer is a handler bug: ignore it
      HttpServer::Impl& server = self->server_;
      asio::post(self->stream_.get_executor(), [self, is_head, r = std::move(r)]() mutable {
        self->WriteResponse(std::move(r), is_head);
      });
      server.AnswerQueued();
    };
    const char* failure = nullptr;
    try {
      server_.handler(request_, respond);
    } catch (const std::exception& e) {
      spdlog::error("http handler threw: {}", e.what());
      failure = "exception";
    } catch (...) {
      spdlog::error("http handler threw a non-standard exception");
      failure = "exception";
    }
    request_ = HttpRequest();
    if (failure != nullptr && !answered->load()) {
      HttpResponse resp;
      resp.status = 500;
      resp.body = "Internal Server Error";
      respond(std::move(resp));
    }
  }

  void WritePlainError(int status, const char* text) {
    HttpResponse r;
    r.status = status;
    r.body = text;
    r.SetHeader("Content-Type", "text/plain");
    r.close = true;
    keep_alive_ = false;
    drain_after_write_ = true;
    WriteResponse(std::move(r), false);
  }

  void WriteResponse(HttpResponse r, bool is_head) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(11);
    res->result(static_cast<unsigned>(r.status));
    std::string declared_length;
    for (auto& [n, v] : r.headers) {
      if (EqualsIgnoreCase(n, "Content-Length")) {
        declared_length = v;
        continue;
      }
      if (EqualsIgnoreCase(n, "Transfer-Encoding") || EqualsIgnoreCase(n, "Connection")) continue;
      res->insert(n, v);
    }
    bool no_body = r.status < 200 || r.status == 204 || r.status == 304;
    if (is_head) {
      if (r.content_length_override >= 0)
        res->set(http::field::content_length, std::to_string(r.content_length_override));
      else if (!declared_length.empty())
        res->set(http::field::content_length, declared_length);
      else
        res->set(http::field::content_length, std::to_string(r.body.size()));
    } else if (!no_body) {
      res->body() = std::move(r.body);
      res->content_length(res->body().size());
    }
    bool keep = keep_alive_ && !r.close && !server_.stopping;
    res->keep_alive(keep);
    stream_.expires_after(server_.options.io_timeout);
    http::async_write(stream_, *res, [self = shared_from_this(), res, keep](beast::error_code ec, size_t) {
      if (ec) return self->Close();
      if (!keep) return self->ShutdownAndDrain();
      self->DoReadHeader();
    });
  }

  // After an error that leaves unread request bytes, half-close and read
  // what the client still sends (bounded), so that closing does not reset
  // the connection before the client has read our answer.
  void ShutdownAndDrain() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (!drain_after_write_ || ec) return Close();
    drained_ = 0;
    drain_buf_.resize(64 * 1024);
    stream_.expires_after(std::chrono::seconds(2));
    DoDrain();
  }

  void DoDrain() {
    stream_.async_read_some(asio::buffer(drain_buf_),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > kDrainLimit) return self->Close();
                              self->DoDrain();
                            });
  }

  void Close() {
    idle_ = false;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  HttpServer::Impl& server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpRequest request_;
  std::string remote_ip_;
  uint64_t limit_ = 0;
  bool keep_alive_ = true;
  bool idle_ = false;
  bool drain_after_write_ = false;
  size_t drained_ = 0;
  std::vector<char> drain_buf_;
};

}  // namespace

void HttpServer::Impl::DoAccept() {
  acceptor->async_accept(asio::make_strand(*ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || stopping) return;
      spdlog::warn("accept failed: {}", ec.message());
      // Back off briefly on resource exhaustion (EMFILE) instead of spinning.
      if (ec == asio::error::no_descriptors) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      return DoAccept();
    }
    if (stopping) return;
    beast::error_code nec;
    socket.set_option(tcp::no_delay(true), nec);
    std::make_shared<Session>(*this, std::move(socket))->Start();
    DoAccept();
  });
}

HttpServer::HttpServer(Options options, AsyncHttpHandler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

HttpServer::HttpServer(Options options, HttpHandler handler)
    : HttpServer(std::move(options),
                 AsyncHttpHandler([h = std::move(handler)](const HttpRequest& req,
                                                           HttpResponder respond) {
                   respond(h(req));
                 })) {}

HttpServer::~HttpServer() { Stop(); }

uint16_t HttpServer::port() const { return impl_->bound_port; }

Status HttpServer::Bind() {
  Impl& s = *impl_;
  if (s.running || s.acceptor) return Status::Internal("HttpServer already bound");
  int n = s.options.threads > 0 ? s.options.threads
                                : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  s.threads_wanted = n;
  s.ioc = std::make_unique<asio::io_context>(n);
  beast::error_code ec;
  auto addr = asio::ip::make_address(s.options.host, ec);
  tcp::endpoint ep;
  if (ec) {
    tcp::resolver resolver(*s.ioc);
    auto results = resolver.resolve(s.options.host, std::to_string(s.options.port), ec);
    if (ec || results.empty())
      return Status::Internal("cannot resolve listen host '" + s.options.host + "': " + ec.message());
    ep = results.begin()->endpoint();
  } else {
    ep = tcp::endpoint(addr, s.options.port);
  }
  s.acceptor.emplace(asio::make_strand(*s.ioc));
  s.acceptor->open(ep.protocol(), ec);
  if (!ec) s.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor->bind(ep, ec);
  if (!ec) s.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    s.acceptor.reset();
    return Status::Internal("cannot listen on " + s.options.host + ":" +
                            std::to_string(s.options.port) + ": " + ec.message());
  }
  s.bound_port = s.acceptor->local_endpoint().port();
  return Status::Ok();
}

Status HttpServer::Start() {
  Impl& s = *impl_;
  if (s.running) return Status::Internal("HttpServer already started");
  if (!s.acceptor) OT_RETURN_IF_ERROR(Bind());
  int n = static_cast<int>(s.threads_wanted);
  s.stopping = false;
  s.work.emplace(asio::make_work_guard(*s.ioc));
  s.DoAccept();
  const int nice_increment = s.options.nice_increment;
  for (int i = 0; i < n; ++i) {
    s.threads.emplace_back([&s, nice_increment] {
      if (nice_increment != 0) {
        // Per thread on Linux: PRIO_PROCESS with a thread id.
        const auto tid = static_cast<id_t>(::gettid());
        errno = 0;
        const int now = ::getpriority(PRIO_PROCESS, tid);
        if (errno == 0 && ::setpriority(PRIO_PROCESS, tid, now + nice_increment) != 0)
          spdlog::warn("http: cannot lower the server threads' priority: {}", std::strerror(errno));
      }
      s.ioc->run();
    });
    pthread_setname_np(s.threads.back().native_handle(), "ot-http");
  }
  s.running = true;
  return Status::Ok();
}

void HttpServer::Stop() {
  Impl& s = *impl_;
  if (!s.running) {
    s.acceptor.reset();  // bound but never started
    s.ioc.reset();
    return;
  }
  s.stopping = true;
  {
    std::promise<void> closed;
    asio::dispatch(s.acceptor->get_executor(), [&s, &closed] {
      beast::error_code ec;
      s.acceptor->close(ec);
      closed.set_value();
    });
    closed.get_future().wait();
  }
  {
    std::vector<std::shared_ptr<Session>> live;
    {
      std::lock_guard<std::mutex> l(s.mu);
      for (auto& [p, w] : s.sessions)
        if (auto sp = w.lock()) live.push_back(std::move(sp));
    }
    for (auto& sp : live) asio::post(sp->executor(), [sp] { sp->OnServerStop(); });
  }
  {
    std::unique_lock<std::mutex> l(s.mu);
    s.sessions_cv.wait_for(l, s.options.stop_grace, [&s] { return s.sessions.empty(); });
    s.sessions_cv.wait(l, [&s] { return s.awaiting_answers.load() == 0; });
  }
  s.work.reset();
  s.ioc->stop();
  for (auto& t : s.threads) t.join();
  s.threads.clear();
  s.acceptor.reset();
  s.ioc.reset();
  s.running = false;
}

}  // namespace orgtrail::api
