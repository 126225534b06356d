// The WebSocket session: reads frames, hands each to the dispatcher, and
// writes replies and pushes through a bounded queue (PROTOCOL.md §2, §6).
#include "server/net/session.hpp"

#include "server/dispatch.hpp"

#include <deque>

namespace hearth::server::net_layer {

namespace {

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
    st_.a.rt().stats().connection_closed(kind());
  }

  void run(http::request<http::string_body> req) {
    auto const& cfg = st_.a.cfg();
    st_.a.rt().stats().connection_opened(kind());
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

  void handle_frame(std::string text) {
    if (auto const* r = st_.a.endpoint_routes(kind())) dispatch_frame(st_.a.rt(), *r, shared_from_this(), std::move(text));
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
        st_.a.rt().stats().push_dropped();
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
    st_.a.connection_ended(*this);
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

}  // namespace

void start_websocket(tcp::socket&& socket, server_state& st, endpoint e, std::string proxy_identity,
                     http::request<http::string_body> req) {
  auto session = std::make_shared<websocket_session>(std::move(socket), st, e);
  session->proxy_identity = std::move(proxy_identity);
  session->run(std::move(req));
}

}  // namespace hearth::server::net_layer
