// The WebSocket session: reads frames, hands each to the dispatcher, and
// writes replies and pushes through a bounded queue (PROTOCOL.md §2, §6).
//
// Bounds on what one connection can make the server hold: a message over
// frame_max is never buffered (it is read in pieces and dropped, and the
// connection closes with 1009 once the peer's close handshake is done); at
// most ops_in_flight of its requests are worked on at once; and no further
// request is read while a reply waits in the queue (the peer is not taking
// them) or the queue is at a bound. So a peer that stops reading costs at most
// ops_in_flight replies, whatever it sends; and once one frame's write has
// made no progress for write_timeout, the socket is cut, so it does not hold
// them (and its connection slot) for ever.
#include "server/net/session.hpp"

#include "server/dispatch.hpp"

#include <vector>

namespace hearth::server::net_layer {

namespace {

// A FIFO that holds no memory while empty (std::deque keeps a map and a
// 512-byte block from construction, per connection, most of which are idle):
// a vector read from `head_`, reset when it empties.
template <class T>
class frame_queue {
 public:
  bool empty() const { return head_ == items_.size(); }
  std::size_t size() const { return items_.size() - head_; }
  T& front() { return items_[head_]; }
  void push_back(T v) { items_.push_back(std::move(v)); }
  T& back() { return items_.back(); }
  void pop_front() {
    items_[head_++] = T{};
    settle();
  }
  void pop_back() {
    items_.pop_back();
    settle();
  }

 private:
  void settle() {
    if (empty()) {
      head_ = 0;
      if (items_.capacity() > 16) std::vector<T>().swap(items_);  // a burst's block goes back
      else items_.clear();
    } else if (head_ >= 64 && head_ * 2 >= items_.size()) {
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }
  std::vector<T> items_;
  std::size_t head_ = 0;
};

class websocket_session final : public connection {
 public:
  websocket_session(socket_type&& socket, connection_slot slot, server_state& st, endpoint e)
      : connection(e), ws_(std::move(socket)), slot_(std::move(slot)), st_(st) {
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
    // frame_max is enforced here, not by Beast: Beast fails an over-long
    // message by closing the socket with the rest of it unread, which the
    // peer sees as a reset (1006) instead of the close 1009.
    ws_.read_message_max(0);
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
      if (s->in_flight_ > 0) --s->in_flight_;  // every request gets exactly one reply
      s->enqueue(std::move(frame), false);
      s->do_read();
    });
  }
  // Dispatched, not posted: a fan-out runs on an I/O thread, and from there
  // a push to a session whose strand is idle is queued for writing at once
  // instead of being queued again behind the fan-out (from any other thread
  // it is posted). enqueue() never ends the session itself, so a caller may
  // hold a lock of its own.
  void push(std::shared_ptr<std::string const> frame) override {
    net::dispatch(ws_.get_executor(), [s = self(), frame = std::move(frame)]() mutable {
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

  // Whether another request may be read now (see the top of this file).
  bool may_read() const {
    auto const& cfg = st_.a.cfg();
    return in_flight_ < cfg.ops_in_flight && queued_replies_ == 0 && queue_.size() < cfg.write_queue_messages &&
           queued_bytes_ < cfg.write_queue_bytes;
  }

  // Starts reading the next message when the bounds allow; otherwise reading
  // resumes from on_write or from a reply.
  void do_read() {
    if (reading_ || closing_ || !may_read()) return;
    read_more();
  }

  // Reads the next piece of the current message: at most one byte past the
  // limit is ever buffered.
  //
  // Most connections wait idle for their next message most of the time, and
  // a read's space is set aside before it waits for data. So between
  // messages the read is given no space at all: it ends, with nothing
  // copied, once Beast has taken a frame's header (and what came with it)
  // from the socket; then the message is read into space sized to what its
  // frame says is left, from the bytes Beast already holds, without another
  // system call.
  //
  // The read is into buffer_'s prepared space, committed by on_read, rather
  // than through Beast's dynamic-buffer overload, which does the same inside
  // one more layer of composed operation: that layer made the read pending
  // on every idle connection 96 bytes larger (448 -> 352 bytes, an allocator
  // size class down).
  void read_more() {
    reading_ = true;
    auto handler = beast::bind_front_handler(&websocket_session::on_read, self());
    // Not a null pointer: Beast's UTF-8 check of the empty piece computes a
    // bound 3 bytes before its start, which wraps below a null one.
    static char nothing;
    if (ws_.is_message_done()) return ws_.async_read_some(net::mutable_buffer(&nothing, 0), std::move(handler));
    std::size_t const limit = st_.a.cfg().frame_max + 1 - buffer_.size();
    ws_.async_read_some(buffer_.prepare(std::min(ws_.read_size_hint(buffer_), limit)), std::move(handler));
  }

  void on_read(beast::error_code ec, std::size_t bytes) {
    reading_ = false;
    buffer_.commit(bytes);
    if (ec) return end(ec, "read");
    if (!ws_.got_text()) {
      buffer_.consume(buffer_.size());
      return do_close(static_cast<std::uint16_t>(websocket::close_code::unknown_data), "binary frames are not accepted");
    }
    if (buffer_.size() > st_.a.cfg().frame_max) {
      // Beast's close reads and discards the rest of the message, and what
      // follows, until the peer's close frame: the peer gets its 1009.
      buffer_.consume(buffer_.size());
      return do_close(static_cast<std::uint16_t>(websocket::close_code::too_big), "message too big");
    }
    if (!ws_.is_message_done()) return read_more();  // the rest of this message, whatever the bounds
    std::string text = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    buffer_.shrink_to_fit();  // an idle connection holds no read buffer (the next message allocates its own)
    ++in_flight_;
    handle_frame(std::move(text));
    do_read();
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
    if (!is_push) ++queued_replies_;
    queue_.push_back({std::move(frame), !is_push});
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
      pop(queue_.back());
      queue_.pop_back();
    }
  }

  struct queued {
    std::shared_ptr<std::string const> frame;
    bool reply = false;  // else a push
  };

  void pop(queued const& q) {
    queued_bytes_ -= q.frame->size();
    if (q.reply) --queued_replies_;
  }

  void do_write() {
    writing_ = true;
    write_started_ = std::chrono::steady_clock::now();
    ws_.async_write(net::buffer(*queue_.front().frame), beast::bind_front_handler(&websocket_session::on_write, self()));
    watch_write();
  }

  // The write timeout without a timer operation per frame (a fan-out writes
  // one frame to each of thousands of sessions): one wait is pending while
  // frames are written, and when it ends it checks the frame being written
  // now, by when that one started.
  std::chrono::steady_clock::duration write_timeout() const {
    return std::chrono::milliseconds(static_cast<long>(st_.a.cfg().write_timeout * 1000));
  }
  void watch_write() {
    if (write_watched_) return;
    write_watched_ = true;
    if (!write_timer_) write_timer_ = std::make_unique<net::steady_timer>(ws_.get_executor());
    write_timer_->expires_at(write_started_ + write_timeout());
    write_timer_->async_wait([s = self()](beast::error_code ec) { s->on_write_watch(ec); });
  }
  void on_write_watch(beast::error_code ec) {
    write_watched_ = false;
    if (ec || ended_ || !writing_) return;  // cancelled, or nothing being written: the next write watches again
    if (std::chrono::steady_clock::now() - write_started_ >= write_timeout())
      return cut();  // the pending write then fails, which ends the session
    watch_write();  // a later frame: wait until its own deadline
  }

  void on_write(beast::error_code ec, std::size_t) {
    writing_ = false;
    if (ec) return end(ec, "write");
    last_write_progress_ = std::chrono::steady_clock::now();
    if (!queue_.empty()) {
      pop(queue_.front());
      queue_.pop_front();
    }
    if (closing_) return;
    if (!queue_.empty()) do_write();
    do_read();
  }

  void do_close(std::uint16_t code, std::string reason) {
    if (closing_) return;
    closing_ = true;
    if (reason.size() > 120) reason.resize(120);  // a close frame's reason fits in 123 bytes
    ws_.async_close(websocket::close_reason(static_cast<websocket::close_code>(code), reason),
                    [s = self()](beast::error_code ec) {
                      if (s->close_timer_) s->close_timer_->cancel();
                      // With no read pending (a close after a binary or an
                      // over-long message) nothing else ends the session.
                      s->end(ec ? ec : beast::error_code(websocket::error::closed), "close");
                    });
    // A peer that never reads would keep the close pending: cut it off.
    close_timer_ = std::make_unique<net::steady_timer>(ws_.get_executor());
    close_timer_->expires_after(std::chrono::milliseconds(static_cast<long>(st_.a.cfg().close_timeout * 1000)));
    close_timer_->async_wait([s = self()](beast::error_code ec) {
      if (!ec) s->cut();
    });
  }

  // Ends the TCP connection without a close handshake, for a peer that
  // takes no frames.
  void cut() {
    beast::error_code ignored;
    ws_.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
    ws_.next_layer().close(ignored);
  }

  void end(beast::error_code ec, char const* what) {
    log_failure(ec, what);
    if (ended_) return;
    ended_ = true;
    closing_ = true;
    drop_queued();
    st_.a.connection_ended(*this);
    st_.sessions.remove(this);
    if (close_timer_) close_timer_->cancel();
    if (write_timer_) write_timer_->cancel();
  }

  // On the socket itself, not a beast::tcp_stream: the WebSocket layer's own
  // timer keeps the handshake and idle timeouts, and write_timer_ the write
  // timeout, so tcp_stream's two timers per connection would be unused weight
  // (and a timeout wrapper around every write). Without permessage-deflate
  // (hearth never offers it): its state would push Beast's per-connection
  // block past an allocator size class, 2.5 -> 3 KB for every connection.
  websocket::stream<socket_type, false> ws_;
  connection_slot slot_;
  server_state& st_;
  std::unique_ptr<net::steady_timer> close_timer_;  // made by do_close: most sessions never need one
  // A write that makes no progress for write_timeout cuts the socket; made
  // by the first write (an idle connection holds none).
  std::unique_ptr<net::steady_timer> write_timer_;
  std::chrono::steady_clock::time_point write_started_{};  // when the frame being written started
  bool write_watched_ = false;  // a wait on write_timer_ is pending
  beast::flat_buffer buffer_;
  frame_queue<queued> queue_;
  std::size_t queued_bytes_ = 0;
  std::size_t queued_replies_ = 0;
  std::size_t in_flight_ = 0;  // requests handed to the dispatcher and not yet answered
  std::chrono::steady_clock::time_point last_write_progress_{};  // last completed write (or start of one)
  bool reading_ = false, writing_ = false, closing_ = false, ended_ = false;
};

}  // namespace

void start_websocket(socket_type&& socket, connection_slot slot, server_state& st, endpoint e,
                     std::string proxy_identity, http::request<http::string_body> req) {
  auto session = std::make_shared<websocket_session>(std::move(socket), std::move(slot), st, e);
  if (auto* is = session->issuer_if()) is->proxy_identity = std::move(proxy_identity);
  session->run(std::move(req));
}

}  // namespace hearth::server::net_layer
