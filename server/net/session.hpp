// The network layer's shared parts (internal to server/net/): the sessions
// registry, the state every session sees, and the three session kinds.
// listener -> http_session -> websocket_session, as in Beast's chat-multi
// example: every socket gets its own strand; every pending handler holds
// shared_from_this(). Op handlers see a session only through connection.hpp.
#pragma once

#include "server/app.hpp"
#include "server/connection.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hearth::server::net_layer {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// Every accepted socket runs on its own strand, and its type says so: with
// Asio's default (the type-erased any_io_executor), every handler a write
// or read dispatches copied and queried the erased executor, which came to
// about 8 % of the server's time in a fan-out to thousands (a push is a few
// handlers and one system call).
using io_strand = net::strand<net::io_context::executor_type>;
using socket_type = net::basic_stream_socket<tcp, io_strand>;

// Logs a network failure at debug level unless it is an ordinary end.
void log_failure(beast::error_code ec, char const* what);

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

// One accepted TCP connection, counted against limits.max_connections from
// accept to close, whether it serves HTTP or (after an upgrade) a WebSocket.
class connection_slot {
 public:
  connection_slot() = default;
  explicit connection_slot(std::atomic<std::size_t>& count) : count_(&count) { ++*count_; }
  connection_slot(connection_slot&& o) noexcept : count_(std::exchange(o.count_, nullptr)) {}
  connection_slot& operator=(connection_slot&&) = delete;
  ~connection_slot() {
    if (count_) --*count_;
  }

 private:
  std::atomic<std::size_t>* count_ = nullptr;
};

struct server_state {
  app& a;
  session_registry sessions;
  std::atomic<std::size_t> tcp_connections{0};
  std::string bound_host_port;
  // Origins whose pages may open a WebSocket: the loopback origin of the
  // listener, plus server.allowed_origins (PROTOCOL.md §1, docs/protocol.md).
  std::vector<std::string> allowed_origins;
};

// Starts a WebSocket session on an upgraded HTTP request.
void start_websocket(socket_type&& socket, connection_slot slot, server_state& st, endpoint e,
                     std::string proxy_identity, http::request<http::string_body> req);
// Serves HTTP on an accepted socket.
void start_http(socket_type&& socket, connection_slot slot, server_state& st, std::string remote_address);
// Static files of the web client (static_files.cpp).
std::string_view mime_type(std::string_view path);
std::optional<std::filesystem::path> static_file(std::filesystem::path const& web_dir, std::string_view target);

}  // namespace hearth::server::net_layer
