// The listener and serve(): accepts connections, runs the I/O threads, the
// once-a-second tick (automatic key rotation) and the clean shutdown on
// SIGINT/SIGTERM.
#include "server/server.hpp"

#include "server/control.hpp"
#include "server/net/session.hpp"

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <thread>
#include <vector>

namespace hearth::server {

namespace net_layer {

void log_failure(beast::error_code ec, char const* what) {
  if (ec == net::error::operation_aborted || ec == websocket::error::closed || ec == http::error::end_of_stream ||
      ec == net::error::eof || ec == beast::error::timeout || ec == net::error::connection_reset ||
      ec == net::error::broken_pipe)
    return;
  spdlog::debug("{}: {}", what, ec.message());
}

namespace {

// Accept errors that mean the process or the system is out of a resource:
// accepting again at once would fail again at once (and spin).
bool out_of_resources(beast::error_code const& ec) {
  return ec == net::error::no_descriptors || ec == net::error::no_buffer_space || ec == net::error::no_memory ||
         ec == beast::error_code(ENFILE, beast::system_category());
}

constexpr auto accept_backoff = std::chrono::milliseconds(100);
constexpr char const too_many_connections[] =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 21\r\n"
    "Connection: close\r\nRetry-After: 1\r\n\r\ntoo many connections\n";

class listener : public std::enable_shared_from_this<listener> {
 public:
  listener(net::io_context& ioc, tcp::endpoint ep, server_state& st)
      : ioc_(ioc), acceptor_(ioc), backoff_(ioc), st_(st) {
    acceptor_.open(ep.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(net::socket_base::max_listen_connections);
    acceptor_.native_non_blocking(true);
    spare_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  }
  ~listener() {
    if (spare_ >= 0) ::close(spare_);
  }
  tcp::endpoint local() const { return acceptor_.local_endpoint(); }
  void run() { do_accept(); }
  void stop() {
    beast::error_code ec;
    acceptor_.close(ec);
    backoff_.cancel();
  }

 private:
  void do_accept() {
    acceptor_.async_accept(net::make_strand(ioc_), beast::bind_front_handler(&listener::on_accept, shared_from_this()));
  }

  void on_accept(beast::error_code ec, socket_type socket) {
    if (ec == net::error::operation_aborted) return;
    if (out_of_resources(ec)) return back_off(ec);
    if (ec) {
      log_failure(ec, "accept");
    } else if (st_.tcp_connections.load() >= st_.a.cfg().max_connections) {
      refuse(socket);
    } else {
      // The peer's address is used only to decide whether a proxy's identity
      // header is trusted; it is never stored or logged.
      std::string remote;
      beast::error_code rec;
      auto ep = socket.remote_endpoint(rec);
      if (!rec) remote = ep.address().to_string();
      // Replies and pushes are small frames sent as soon as they are ready:
      // Nagle's algorithm would hold one back until the peer acknowledges
      // the last, which a subscriber that only receives does on its
      // delayed-ACK timer (tens of milliseconds).
      socket.set_option(tcp::no_delay(true), rec);
      start_http(std::move(socket), connection_slot(st_.tcp_connections), st_, std::move(remote));
    }
    do_accept();
  }

  // Out of descriptors: the connection waiting longest is taken with the
  // spare descriptor and closed at once (its client learns now, rather than
  // after a timeout), and accepting resumes after a pause instead of failing
  // in a loop. Connections that close meanwhile free descriptors.
  void back_off(beast::error_code ec) {
    if (std::chrono::steady_clock::now() - last_warning_ > std::chrono::seconds(10)) {
      spdlog::warn("cannot accept connections ({}); refusing them until descriptors are free "
                   "(raise LimitNOFILE or lower limits.max_connections)", ec.message());
      last_warning_ = std::chrono::steady_clock::now();
    }
    if (spare_ >= 0) {
      ::close(spare_);
      int const fd = ::accept4(acceptor_.native_handle(), nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) ::close(fd);
      spare_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    backoff_.expires_after(accept_backoff);
    backoff_.async_wait([self = shared_from_this()](beast::error_code e) {
      if (!e) self->do_accept();
    });
  }

  // Past max_connections (plain HTTP counts too): a fixed 503, then close.
  static void refuse(socket_type& socket) {
    beast::error_code ignored;
    socket.non_blocking(true, ignored);
    socket.write_some(net::buffer(too_many_connections, sizeof too_many_connections - 1), ignored);
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  net::steady_timer backoff_;
  server_state& st_;
  int spare_ = -1;  // a descriptor held back for shedding connections when none is left
  std::chrono::steady_clock::time_point last_warning_{};
};

// The origin of a browser page loaded from the listener itself: the listen
// address, and the loopback names when it listens on loopback or on every
// address. Not the Host header of a request, which a DNS-rebinding page sets.
std::vector<std::string> own_origins(tcp::endpoint const& local) {
  auto const a = local.address();
  std::string const port = local.port() == 80 ? "" : ":" + std::to_string(local.port());
  std::vector<std::string> out;
  if (a.is_loopback() || a.is_unspecified())
    out = {"http://127.0.0.1" + port, "http://localhost" + port, "http://[::1]" + port};
  if (!a.is_unspecified()) {
    std::string const host = a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
    if (std::find(out.begin(), out.end(), "http://" + host + port) == out.end()) out.push_back("http://" + host + port);
  }
  return out;
}

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
}  // namespace net_layer

using namespace net_layer;

int serve(app& a, std::function<void(std::string const& url)> const& on_listening) {
  auto const& cfg = a.cfg();
  unsigned threads = cfg.io_threads ? cfg.io_threads : usable_cores();
  // Sessions still queued in the io_context when it is destroyed refer to st:
  // st must outlive ioc, so it is declared first.
  server_state st{a, {}, {}, {}, {}};
  net::io_context ioc(static_cast<int>(threads));
  // Fan-outs run on the I/O threads, one at a time and in order. From a
  // separate thread, every push to every subscriber was a hand-off between
  // threads (a lock and often a wake-up each); on one core at 50,000 pushes
  // a second those hand-offs could form a convoy that doubled the cost of a
  // push and did not clear while the load lasted.
  auto fanout_strand = net::make_strand(ioc);
  a.rt().fanout_on([fanout_strand](std::function<void()> fn) { net::post(fanout_strand, std::move(fn)); });

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
  st.bound_host_port = host + ":" + std::to_string(local.port());
  st.allowed_origins = own_origins(local);
  st.allowed_origins.insert(st.allowed_origins.end(), cfg.allowed_origins.begin(), cfg.allowed_origins.end());
  l->run();

  // Automatic key rotation: checked every second (cheap), done on the pool.
  net::steady_timer rotate_timer(ioc);
  std::function<void()> schedule_rotation = [&] {
    rotate_timer.expires_after(std::chrono::seconds(1));
    rotate_timer.async_wait([&](beast::error_code ec) {
      if (ec) return;
      a.rt().blocking([&a] { a.tick(); });
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
  a.stop();
  a.rt().fanout_on({});  // the strand goes with ioc
  spdlog::info("stopped");
  return 0;
}

}  // namespace hearth::server
