// What an op handler sees of a WebSocket connection. The Beast session that
// implements it lives in net.cpp; handlers never include Beast.
#pragma once

#include "crypto/bytes.hpp"
#include "server/metrics.hpp"
#include "storage/records.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace hearth::server {

// A token bucket: `take()` is false when the caller is over its rate.
class rate_bucket {
 public:
  rate_bucket() = default;
  rate_bucket(double per_second, double burst) : rate_(per_second), burst_(burst), tokens_(burst) {}
  bool take(std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

 private:
  double rate_ = 0, burst_ = 0, tokens_ = 0;
  std::chrono::steady_clock::time_point last_{};
};

struct issuer_state {
  std::string employee_id;  // empty until authenticated
  // Header-mode employer identity set by a trusted proxy on the upgrade
  // request. Never logged.
  std::string proxy_identity;
};

struct forum_state {
  crypto::bytes nonce;  // current login challenge, empty if none
  std::chrono::steady_clock::time_point nonce_expiry{};
  crypto::bytes pk;     // logged-in pseudonym, empty if none
  std::string handle;
  // Its certifications as read at login (a renewal only adds to them, so a
  // validity computed from these is never later than the true one).
  std::shared_ptr<std::vector<storage::certification> const> certs;
  // The topics it is subscribed to: channel names, and polls_topic(channel)
  // for a channel subscribed with polls (server/forum/poll_views.hpp).
  std::set<std::string> subscriptions;
};

struct staff_state {
  std::string username;  // empty until logged in
  storage::staff_role role = storage::staff_role::moderator;
};

// Close codes of RFC 6455 that hearth uses.
inline constexpr std::uint16_t close_policy = 1008;

class connection : public std::enable_shared_from_this<connection> {
 public:
  explicit connection(endpoint e) : state_(state_for(e)), endpoint_(e) {}
  virtual ~connection() = default;
  connection(connection const&) = delete;
  connection& operator=(connection const&) = delete;

  // Thread-safe. A reply is queued behind earlier frames; while the queue is
  // over its bound the connection stops reading (backpressure).
  virtual void send(std::shared_ptr<std::string const> frame) = 0;
  // Thread-safe. A subscription event: a connection whose queue is over its
  // bound is closed with 1008 instead of buffering without bound.
  virtual void push(std::shared_ptr<std::string const> frame) = 0;
  // Thread-safe.
  virtual void close(std::uint16_t code, std::string reason) = 0;
  // Thread-safe: runs fn on this connection's strand.
  virtual void dispatch(std::function<void()> fn) = 0;

  endpoint kind() const noexcept { return endpoint_; }

  // Touched only on the connection's strand. A connection holds the state of
  // its own endpoint (kind()) only: an op runs on one endpoint's
  // connections, so asking for another's is a bug (std::bad_variant_access).
  // One state instead of all three keeps the many idle connections small.
  issuer_state& issuer() { return std::get<issuer_state>(state_); }
  forum_state& forum() { return std::get<forum_state>(state_); }
  staff_state& staff() { return std::get<staff_state>(state_); }
  // The same, or null on another endpoint's connection.
  issuer_state* issuer_if() noexcept { return std::get_if<issuer_state>(&state_); }
  forum_state* forum_if() noexcept { return std::get_if<forum_state>(&state_); }
  staff_state* staff_if() noexcept { return std::get_if<staff_state>(&state_); }

  rate_bucket ops_bucket, auth_bucket, issue_bucket;

 private:
  using state = std::variant<issuer_state, forum_state, staff_state>;
  static state state_for(endpoint e) {
    switch (e) {
      case endpoint::issuer: break;
      case endpoint::forum: return forum_state{};
      case endpoint::staff: return staff_state{};
    }
    return issuer_state{};
  }
  state state_;
  endpoint endpoint_;
};

}  // namespace hearth::server
