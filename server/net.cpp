// The network side: listener → http_session → websocket_session, as in
// Beast's chat-multi example. Every socket gets its own strand; every pending
// handler holds shared_from_this(). Op handlers live in ops_*.cpp and see a
// session only through server/connection.hpp.
#include "server/server.hpp"

#include "server/control.hpp"
#include "server/ops.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>
#include <fstream>
#include <set>

namespace hearth::server {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr std::size_t http_body_limit = 8 * 1024;
constexpr std::size_t http_header_limit = 16 * 1024;
constexpr auto http_read_timeout = std::chrono::seconds(30);
constexpr std::uint64_t max_request_id = (std::uint64_t{1} << 53) - 1;

char const* const content_security_policy =
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

void log_failure(beast::error_code ec, char const* what) {
  if (ec == net::error::operation_aborted || ec == websocket::error::closed || ec == http::error::end_of_stream ||
      ec == net::error::eof || ec == beast::error::timeout || ec == net::error::connection_reset ||
      ec == net::error::broken_pipe)
    return;
  spdlog::debug("{}: {}", what, ec.message());
}

// At most max bytes of a UTF-8 string, cut at a code point boundary.
std::string utf8_prefix(std::string const& s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n) + "...";
}

// The request id of a frame that is not valid JSON, when it is still
// readable: the frame starts with {"id": <integer>. Otherwise null.
json::value leading_id(std::string_view text) {
  auto skip = [&](std::size_t i) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) ++i;
    return i;
  };
  std::size_t i = skip(0);
  if (i >= text.size() || text[i] != '{') return nullptr;
  i = skip(i + 1);
  if (text.substr(i, 4) != "\"id\"") return nullptr;
  i = skip(i + 4);
  if (i >= text.size() || text[i] != ':') return nullptr;
  i = skip(i + 1);
  std::uint64_t id = 0;
  std::size_t digits = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9' && digits < 17; ++i, ++digits) id = id * 10 + (text[i] - '0');
  if (digits == 0 || id > max_request_id) return nullptr;
  if (i < text.size() && text[i] != ',' && text[i] != '}' && text[i] != ' ') return nullptr;
  return id;
}

// All live WebSocket sessions, so that shutdown can close them.
class session_registry {
 public:
  void add(std::shared_ptr<connection> const& c) {
    std::lock_guard lock(mu_);
    sessions_[c.get()] = c;
  }
  void remove(connection const* c) {
    std::lock_guard lock(mu_);
    sessions_.erase(c);
  }
  std::size_t size() {
    std::lock_guard lock(mu_);
    return sessions_.size();
  }
  void close_all() {
    std::vector<std::weak_ptr<connection>> all;
    {
      std::lock_guard lock(mu_);
      for (auto const& [_, w] : sessions_) all.push_back(w);
    }
    for (auto const& w : all)
      if (auto c = w.lock()) c->close(static_cast<std::uint16_t>(websocket::close_code::going_away), "server shutting down");
  }

 private:
  std::mutex mu_;
  std::map<connection const*, std::weak_ptr<connection>> sessions_;
};

struct server_state {
  app& a;
  session_registry sessions;
  std::atomic<std::size_t> tcp_connections{0};
  std::string bound_host_port;
};

// ----------------------------------------------------------------- websocket

class websocket_session final : public connection {
 public:
  websocket_session(tcp::socket&& socket, server_state& st, endpoint e)
      : connection(e), ws_(std::move(socket)), st_(st), close_timer_(ws_.get_executor()) {
    auto const& cfg = st_.a.cfg();
    ops_bucket = rate_bucket(cfg.rate_ops.per_second, cfg.rate_ops.burst);
    auth_bucket = rate_bucket(cfg.rate_auth.per_second, cfg.rate_auth.burst);
    issue_bucket = rate_bucket(cfg.rate_issue.per_second, cfg.rate_issue.burst);
  }

  ~websocket_session() override {
    st_.a.stats().connection_closed(kind());
  }

  void run(http::request<http::string_body> req) {
    auto const& cfg = st_.a.cfg();
    st_.a.stats().connection_opened(kind());
    websocket::stream_base::timeout t;
    t.handshake_timeout = std::chrono::milliseconds(static_cast<long>(cfg.handshake_timeout * 1000));
    t.idle_timeout = std::chrono::milliseconds(static_cast<long>(cfg.idle_timeout * 1000));
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.read_message_max(cfg.frame_max);
    ws_.auto_fragment(false);
    ws_.text(true);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "hearth"); }));
    st_.sessions.add(shared_from_this());
    ws_.async_accept(req, beast::bind_front_handler(&websocket_session::on_accept, self()));
  }

  // ---- connection interface (thread-safe)

  void send(std::shared_ptr<std::string const> frame) override {
    net::post(ws_.get_executor(), [s = self(), frame = std::move(frame)]() mutable {
      s->enqueue(std::move(frame), false);
    });
  }
  void push(std::shared_ptr<std::string const> frame) override {
    net::post(ws_.get_executor(), [s = self(), frame = std::move(frame)]() mutable {
      s->enqueue(std::move(frame), true);
    });
  }
  void close(std::uint16_t code, std::string reason) override {
    net::post(ws_.get_executor(), [s = self(), code, reason = std::move(reason)]() mutable {
      s->do_close(code, std::move(reason));
    });
  }
  void dispatch(std::function<void()> fn) override { net::post(ws_.get_executor(), std::move(fn)); }

 private:
  std::shared_ptr<websocket_session> self() {
    return std::static_pointer_cast<websocket_session>(shared_from_this());
  }

  void on_accept(beast::error_code ec) {
    if (ec) return end(ec, "accept");
    do_read();
  }

  void do_read() {
    if (reading_ || closing_) return;
    reading_ = true;
    ws_.async_read(buffer_, beast::bind_front_handler(&websocket_session::on_read, self()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    reading_ = false;
    if (ec) return end(ec, "read");
    if (!ws_.got_text()) {
      buffer_.consume(buffer_.size());
      return do_close(static_cast<std::uint16_t>(websocket::close_code::unknown_data), "binary frames are not accepted");
    }
    std::string text = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    handle_frame(std::move(text));
    if (queue_.size() < st_.a.cfg().write_queue_messages && queued_bytes_ < st_.a.cfg().write_queue_bytes)
      do_read();
    // else: backpressure — reading resumes in on_write once the queue drains.
  }

  void reply_error(json::value id, errc code, std::string const& message) {
    json::object out;
    out["id"] = std::move(id);
    out["ok"] = false;
    out["error"] = json::object{{"code", protocol_code(code)}, {"message", message}};
    st_.a.stats().op_done(kind(), "invalid", protocol_code(code), std::chrono::nanoseconds(0));
    enqueue(std::make_shared<std::string const>(json::serialize(out)), false);
  }

  std::span<op_entry const> table() const {
    switch (kind()) {
      case endpoint::issuer: return issuer_ops();
      case endpoint::forum: return forum_ops();
      case endpoint::staff: return staff_ops();
    }
    return {};
  }

  void handle_frame(std::string text) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec) return reply_error(leading_id(text), errc::bad_request, "the frame is not valid JSON");
    if (!v.is_object()) return reply_error(nullptr, errc::bad_request, "the frame must be a JSON object");
    auto& obj = v.as_object();
    json::value id = nullptr;
    bool id_ok = false;
    if (auto it = obj.find("id"); it != obj.end()) {
      auto const& idv = it->value();
      if (idv.is_int64() && idv.as_int64() >= 0 && static_cast<std::uint64_t>(idv.as_int64()) <= max_request_id) {
        id = idv;
        id_ok = true;
      } else if (idv.is_uint64() && idv.as_uint64() <= max_request_id) {
        id = idv;
        id_ok = true;
      }
    }
    if (!id_ok) {
      return reply_error(nullptr, errc::bad_request,
                         obj.contains("id") ? "field 'id' must be an integer from 0 to 2^53-1" : "missing field 'id'");
    }
    auto op_it = obj.find("op");
    if (op_it == obj.end() || !op_it->value().is_string())
      return reply_error(id, errc::bad_request,
                         op_it == obj.end() ? "missing field 'op'" : "field 'op' must be a string");
    std::string op(op_it->value().as_string());
    if (!ops_bucket.take()) return reply_error(id, errc::rate_limited, "too many requests on this connection; slow down");

    op_handler handler = nullptr;
    for (auto const& e : table())
      if (e.name == op) handler = e.handler;
    if (!handler) return reply_error(id, errc::unknown_op, "the " + std::string(endpoint_name(kind())) +
                                                               " endpoint has no op '" + utf8_prefix(op, 64) + "'");
    auto c = std::make_shared<call const>(call{st_.a, shared_from_this(), std::move(id), std::move(op),
                                               std::move(obj), std::chrono::steady_clock::now()});
    try {
      handler(c);
    } catch (...) {
      answer_exception(*c, std::current_exception());
    }
  }

  // A push that finds the queue at a bound closes the connection only if the
  // peer is not reading: nothing was written for slow_reader_grace, or the
  // queue is slow_reader_hard_factor times over a bound. Replies and pushes
  // are sent once a WAL sync makes them durable, so a subscriber gets every
  // post of one sync interval at once; a reader that keeps up drains such a
  // burst and must not be taken for a slow one.
  static constexpr auto slow_reader_grace = std::chrono::seconds(1);
  static constexpr std::size_t slow_reader_hard_factor = 4;

  void enqueue(std::shared_ptr<std::string const> frame, bool is_push) {
    if (closing_) return;
    auto const& cfg = st_.a.cfg();
    if (is_push && (queue_.size() >= cfg.write_queue_messages || queued_bytes_ >= cfg.write_queue_bytes)) {
      bool const stalled = std::chrono::steady_clock::now() - last_write_progress_ > slow_reader_grace;
      bool const far_over = queue_.size() >= slow_reader_hard_factor * cfg.write_queue_messages ||
                            queued_bytes_ >= slow_reader_hard_factor * cfg.write_queue_bytes;
      if (stalled || far_over) {
        st_.a.stats().push_dropped();
        drop_queued();
        return do_close(close_policy, "too slow: the subscription could not keep up");
      }
    }
    queued_bytes_ += frame->size();
    queue_.push_back(std::move(frame));
    if (!writing_) {
      last_write_progress_ = std::chrono::steady_clock::now();  // the clock starts with the first frame waiting
      do_write();
    }
  }

  // Drops every queued frame except one being written right now: its buffer
  // must live until async_write completes.
  void drop_queued() {
    auto const keep = writing_ && !queue_.empty() ? 1u : 0u;
    while (queue_.size() > keep) {
      queued_bytes_ -= queue_.back()->size();
      queue_.pop_back();
    }
  }

  void do_write() {
    writing_ = true;
    ws_.async_write(net::buffer(*queue_.front()), beast::bind_front_handler(&websocket_session::on_write, self()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    writing_ = false;
    if (ec) return end(ec, "write");
    last_write_progress_ = std::chrono::steady_clock::now();
    if (!queue_.empty()) {
      queued_bytes_ -= queue_.front()->size();
      queue_.pop_front();
    }
    if (closing_) return;
    if (!queue_.empty()) do_write();
    if (queue_.size() < st_.a.cfg().write_queue_messages && queued_bytes_ < st_.a.cfg().write_queue_bytes)
      do_read();
  }

  void do_close(std::uint16_t code, std::string reason) {
    if (closing_) return;
    closing_ = true;
    if (reason.size() > 120) reason.resize(120);  // a close frame's reason fits in 123 bytes
    ws_.async_close(websocket::close_reason(static_cast<websocket::close_code>(code), reason),
                    [s = self()](beast::error_code) { s->close_timer_.cancel(); });
    // A peer that never reads would keep the close pending: cut it off.
    close_timer_.expires_after(std::chrono::milliseconds(static_cast<long>(st_.a.cfg().close_timeout * 1000)));
    close_timer_.async_wait([s = self()](beast::error_code ec) {
      if (ec) return;
      beast::error_code ignored;
      beast::get_lowest_layer(s->ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
      beast::get_lowest_layer(s->ws_).socket().close(ignored);
    });
  }

  void end(beast::error_code ec, char const* what) {
    log_failure(ec, what);
    if (ended_) return;
    ended_ = true;
    closing_ = true;
    drop_queued();
    if (!forum.pk.empty()) st_.a.pseudonym_offline(forum.pk, this);
    st_.a.connection_gone(this, forum.subscriptions);
    st_.sessions.remove(this);
    close_timer_.cancel();
  }

  websocket::stream<beast::tcp_stream> ws_;
  server_state& st_;
  net::steady_timer close_timer_;
  beast::flat_buffer buffer_;
  std::deque<std::shared_ptr<std::string const>> queue_;
  std::size_t queued_bytes_ = 0;
  std::chrono::steady_clock::time_point last_write_progress_{};  // last completed write (or start of one)
  bool reading_ = false, writing_ = false, closing_ = false, ended_ = false;
};

// ---------------------------------------------------------------------- http

std::string_view mime_type(std::string_view path) {
  auto const dot = path.rfind('.');
  if (dot == std::string_view::npos) return "application/octet-stream";
  auto ext = path.substr(dot);
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".wasm") return "application/wasm";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  if (ext == ".map") return "application/json";
  return "application/octet-stream";
}

// Maps a request target to a file under web_dir, or nothing: no "..", no
// hidden files, no directory listings.
std::optional<std::filesystem::path> static_file(std::filesystem::path const& web_dir, std::string_view target) {
  if (web_dir.empty()) return std::nullopt;
  if (target == "/" || target == "/index.html") return web_dir / "index.html";
  if (target == "/staff" || target == "/staff/") return web_dir / "staff.html";
  if (target.empty() || target[0] != '/') return std::nullopt;
  std::string_view rest = target.substr(1);
  std::filesystem::path p = web_dir;
  while (!rest.empty()) {
    auto const slash = rest.find('/');
    auto seg = rest.substr(0, slash);
    if (seg.empty() || seg[0] == '.' || seg.find('\\') != std::string_view::npos ||
        seg.find('%') != std::string_view::npos || seg.find('\0') != std::string_view::npos)
      return std::nullopt;
    p /= std::string(seg);
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(p, ec)) return std::nullopt;
  return p;
}

class http_session : public std::enable_shared_from_this<http_session> {
 public:
  http_session(tcp::socket&& socket, server_state& st) : stream_(std::move(socket)), st_(st) {
    ++st_.tcp_connections;
  }
  ~http_session() { --st_.tcp_connections; }

  void run() { do_read(); }

 private:
  void do_read() {
    parser_.emplace();
    parser_->body_limit(http_body_limit);
    parser_->header_limit(http_header_limit);
    stream_.expires_after(http_read_timeout);
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&http_session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream) {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
      return;
    }
    if (ec) return log_failure(ec, "http read");
    auto req = parser_->release();
    auto target = std::string_view(req.target());
    if (auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);

    if (websocket::is_upgrade(req)) {
      std::optional<endpoint> e;
      if (target == "/v1/issuer") e = endpoint::issuer;
      else if (target == "/v1/forum") e = endpoint::forum;
      else if (target == "/v1/staff") e = endpoint::staff;
      if (!e) return respond(simple(req, http::status::not_found, "not found\n"));
      if (!origin_allowed(req)) return respond(simple(req, http::status::forbidden, "origin not allowed\n"));
      if (st_.sessions.size() >= st_.a.cfg().max_connections)
        return respond(simple(req, http::status::service_unavailable, "too many connections\n"));
      stream_.expires_never();
      auto session = std::make_shared<websocket_session>(stream_.release_socket(), st_, *e);
      if (*e == endpoint::issuer) session->proxy_identity = proxy_identity(req);
      session->run(std::move(req));
      return;
    }
    respond(handle(req, target));
  }

  // Header mode: the employee id set by a trusted proxy on the upgrade
  // request. Honoured only when the TCP peer is a configured proxy address.
  std::string proxy_identity(http::request<http::string_body> const& req) const {
    auto const& cfg = st_.a.cfg();
    if (cfg.auth != employer_auth::header) return {};
    auto it = req.find(cfg.auth_header);
    if (it == req.end()) return {};
    bool const trusted = std::find(cfg.trusted_proxies.begin(), cfg.trusted_proxies.end(), remote_address_) !=
                         cfg.trusted_proxies.end();
    if (!trusted) return {};
    std::string id(it->value());
    if (id.empty() || id.size() > 128 || !printable_line(id)) return {};
    return id;
  }

 public:
  void set_remote(std::string r) { remote_address_ = std::move(r); }

 private:
  bool origin_allowed(http::request<http::string_body> const& req) const {
    auto it = req.find(http::field::origin);
    if (it == req.end()) return true;
    std::string_view origin = it->value();
    auto const& allowed = st_.a.cfg().allowed_origins;
    if (!allowed.empty()) {
      for (auto const& o : allowed)
        if (o == origin) return true;
      return false;
    }
    auto host = req.find(http::field::host);
    if (host == req.end()) return false;
    std::string const h(host->value());
    return origin == "http://" + h || origin == "https://" + h;
  }

  template <class Body>
  static void common_headers(http::response<Body>& res) {
    res.set(http::field::server, "hearth");
    res.set("Content-Security-Policy", content_security_policy);
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Referrer-Policy", "no-referrer");
    res.set("X-Frame-Options", "DENY");
  }

  using response = http::response<http::string_body>;

  static response simple(http::request<http::string_body> const& req, http::status status, std::string body,
                         std::string_view type = "text/plain; charset=utf-8") {
    response res{status, req.version()};
    common_headers(res);
    res.set(http::field::content_type, type);
    res.set(http::field::cache_control, "no-store");
    res.keep_alive(req.keep_alive());
    if (req.method() != http::verb::head) res.body() = std::move(body);
    else res.content_length(body.size());
    res.prepare_payload();
    if (req.method() == http::verb::head) res.content_length(body.size());
    return res;
  }

  response handle(http::request<http::string_body> const& req, std::string_view target) {
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      auto res = simple(req, http::status::method_not_allowed, "method not allowed\n");
      res.set(http::field::allow, "GET, HEAD");
      return res;
    }
    if (target == "/healthz") return simple(req, http::status::ok, "{\"status\":\"ok\"}", "application/json");
    if (target == "/metrics")
      return simple(req, http::status::ok, st_.a.render_metrics(), "text/plain; version=0.0.4; charset=utf-8");
    if (target == "/v1/keys") {
      auto res = simple(req, http::status::ok, st_.a.directory()->json, "application/json");
      return res;
    }
    if (target.starts_with("/v1/")) return simple(req, http::status::not_found, "not found\n");
    if (auto file = static_file(st_.a.cfg().web_dir, target)) {
      std::ifstream in(*file, std::ios::binary);
      std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (in.bad()) return simple(req, http::status::internal_server_error, "cannot read file\n");
      auto res = simple(req, http::status::ok, std::move(body), mime_type(file->string()));
      bool const hashed_asset = target.starts_with("/assets/");
      res.set(http::field::cache_control, hashed_asset ? "public, max-age=31536000, immutable" : "no-cache");
      return res;
    }
    return simple(req, http::status::not_found, "not found\n");
  }

  void respond(response res) {
    st_.a.stats().http_request(res.result_int());
    bool const keep = res.keep_alive();
    auto sp = std::make_shared<response>(std::move(res));
    http::async_write(stream_, *sp,
                      [self = shared_from_this(), sp, keep](beast::error_code ec, std::size_t) {
                        if (ec) return log_failure(ec, "http write");
                        if (!keep) {
                          self->stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
                          return;
                        }
                        self->do_read();
                      });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  server_state& st_;
  std::string remote_address_;
};

// ------------------------------------------------------------------ listener

class listener : public std::enable_shared_from_this<listener> {
 public:
  listener(net::io_context& ioc, tcp::endpoint ep, server_state& st) : ioc_(ioc), acceptor_(ioc), st_(st) {
    acceptor_.open(ep.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(net::socket_base::max_listen_connections);
  }
  tcp::endpoint local() const { return acceptor_.local_endpoint(); }
  void run() { do_accept(); }
  void stop() {
    beast::error_code ec;
    acceptor_.close(ec);
  }

 private:
  void do_accept() {
    acceptor_.async_accept(net::make_strand(ioc_), beast::bind_front_handler(&listener::on_accept, shared_from_this()));
  }
  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted) return;
    if (ec) {
      log_failure(ec, "accept");
    } else {
      // The peer's address is used only to decide whether a proxy's identity
      // header is trusted; it is never stored or logged.
      std::string remote;
      beast::error_code rec;
      auto ep = socket.remote_endpoint(rec);
      if (!rec) remote = ep.address().to_string();
      auto s = std::make_shared<http_session>(std::move(socket), st_);
      s->set_remote(std::move(remote));
      s->run();
    }
    do_accept();
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  server_state& st_;
};

tcp::endpoint parse_listen(std::string const& listen) {
  auto const colon = listen.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("--listen must be HOST:PORT, got '" + listen + "'");
  std::string host = listen.substr(0, colon);
  std::string const port_text = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host == "localhost") host = "127.0.0.1";
  beast::error_code ec;
  auto addr = net::ip::make_address(host, ec);
  if (ec) throw std::runtime_error("--listen: '" + host + "' is not an IP address");
  unsigned long port = 0;
  try {
    std::size_t used = 0;
    port = std::stoul(port_text, &used);
    if (used != port_text.size() || port > 65535) throw std::out_of_range("port");
  } catch (std::exception const&) {
    throw std::runtime_error("--listen: '" + port_text + "' is not a port number (0..65535)");
  }
  return {addr, static_cast<unsigned short>(port)};
}

}  // namespace

int serve(app& a, std::function<void(std::string const& url)> const& on_listening) {
  auto const& cfg = a.cfg();
  unsigned threads = cfg.io_threads ? cfg.io_threads : usable_cores();
  // Sessions still queued in the io_context when it is destroyed refer to st:
  // st must outlive ioc, so it is declared first.
  server_state st{a, {}, {}, {}};
  net::io_context ioc(static_cast<int>(threads));

  auto ep = parse_listen(cfg.listen);
  std::shared_ptr<listener> l;
  try {
    l = std::make_shared<listener>(ioc, ep, st);
  } catch (boost::system::system_error const& e) {
    throw std::runtime_error("cannot listen on " + cfg.listen + ": " + e.code().message());
  }
  auto control = start_control(ioc, a, a.data_path());
  auto const local = l->local();
  std::string host = local.address().to_string();
  if (local.address().is_v6()) host = "[" + host + "]";
  std::string const url = "http://" + host + ":" + std::to_string(local.port());
  l->run();

  // Automatic key rotation: checked every second (cheap), done on the pool.
  net::steady_timer rotate_timer(ioc);
  std::function<void()> schedule_rotation = [&] {
    rotate_timer.expires_after(std::chrono::seconds(1));
    rotate_timer.async_wait([&](beast::error_code ec) {
      if (ec) return;
      a.blocking([&a] { a.maybe_auto_rotate(); });
      schedule_rotation();
    });
  };
  schedule_rotation();

  // On SIGINT/SIGTERM: stop accepting, close every session, and stop once they
  // have all closed or close_timeout has passed.
  net::signal_set signals(ioc, SIGINT, SIGTERM);
  net::steady_timer stop_timer(ioc);
  std::chrono::steady_clock::time_point stop_deadline{};
  std::function<void()> wait_for_sessions = [&] {
    if (st.sessions.size() == 0 || std::chrono::steady_clock::now() >= stop_deadline) return ioc.stop();
    stop_timer.expires_after(std::chrono::milliseconds(20));
    stop_timer.async_wait([&](beast::error_code) { wait_for_sessions(); });
  };
  signals.async_wait([&](beast::error_code ec, int sig) {
    if (ec) return;
    spdlog::info("received signal {}, shutting down", sig);
    l->stop();
    stop_control(control);
    rotate_timer.cancel();
    st.sessions.close_all();
    stop_deadline = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(static_cast<long>(cfg.close_timeout * 1000));
    wait_for_sessions();
  });

  on_listening(url);
  spdlog::info("serving on {} with {} I/O thread(s)", url, threads);

  std::vector<std::thread> pool;
  // I/O threads run under SCHED_BATCH (same priority, no privilege needed):
  // a frame arriving while a worker signs or syncs does not preempt it; the
  // I/O thread takes every frame that arrived at the next scheduling point.
  // On an idle core it runs at once as before. Measured on one core: 2.6 ->
  // 0.6 context switches per issue, +3 % issue/s, +3 % posts/s.
  auto io_thread = [&] {
    sched_param sp{};
    if (pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp) != 0)
      spdlog::debug("SCHED_BATCH refused for an I/O thread; running under the default policy");
    ioc.run();
  };
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back(io_thread);
  io_thread();
  for (auto& t : pool) t.join();
  a.stop_pools();
  spdlog::info("stopped");
  return 0;
}

}  // namespace hearth::server
