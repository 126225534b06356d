#include "server/forum/directory_client.hpp"

#include "crypto/encoding.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <spdlog/spdlog.h>

#include <openssl/ssl.h>

#include <set>
#include <stdexcept>

namespace hearth::server {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

constexpr std::size_t max_directory_bytes = 1024 * 1024;
constexpr auto min_poke_gap = std::chrono::seconds(5);

struct url_parts {
  bool tls = false;
  std::string host, port, base;
};

url_parts parse_url(std::string const& url) {
  url_parts u;
  std::string rest;
  if (url.starts_with("https://")) {
    u.tls = true;
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    throw std::runtime_error("the issuer URL must start with http:// or https://: " + url);
  }
  auto const slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  u.base = slash == std::string::npos ? "" : rest.substr(slash);
  while (!u.base.empty() && u.base.back() == '/') u.base.pop_back();
  if (authority.starts_with("[")) {
    auto const close = authority.find(']');
    if (close == std::string::npos) throw std::runtime_error("bad host in " + url);
    u.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') u.port = authority.substr(close + 2);
  } else if (auto const colon = authority.rfind(':'); colon != std::string::npos) {
    u.host = authority.substr(0, colon);
    u.port = authority.substr(colon + 1);
  } else {
    u.host = authority;
  }
  if (u.host.empty()) throw std::runtime_error("no host in " + url);
  if (u.port.empty()) u.port = u.tls ? "443" : "80";
  return u;
}

template <class Stream>
std::string get(Stream& stream, url_parts const& u, beast::tcp_stream& lowest, std::chrono::milliseconds timeout) {
  http::request<http::empty_body> req{http::verb::get, u.base + "/v1/keys", 11};
  req.set(http::field::host, u.host);
  req.set(http::field::user_agent, "hearth-forum");
  req.set(http::field::accept, "application/json");
  lowest.expires_after(timeout);
  http::write(stream, req);
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(max_directory_bytes);
  lowest.expires_after(timeout);
  http::read(stream, buf, parser);
  auto const& res = parser.get();
  if (res.result() != http::status::ok)
    throw std::runtime_error("the issuer answered HTTP " + std::to_string(res.result_int()) + " for /v1/keys");
  return res.body();
}

}  // namespace

std::string fetch_directory_text(std::string const& issuer_url, std::chrono::milliseconds timeout) {
  auto const u = parse_url(issuer_url);
  net::io_context ioc;
  tcp::resolver resolver(ioc);
  try {
    auto const endpoints = resolver.resolve(u.host, u.port);
    if (!u.tls) {
      beast::tcp_stream stream(ioc);
      stream.expires_after(timeout);
      stream.connect(endpoints);
      auto body = get(stream, u, stream, timeout);
      beast::error_code ec;
      stream.socket().shutdown(tcp::socket::shutdown_both, ec);
      return body;
    }
    ssl::context ctx(ssl::context::tls_client);
    ctx.set_default_verify_paths();
    ctx.set_verify_mode(ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
    if (!SSL_set_tlsext_host_name(stream.native_handle(), u.host.c_str()))
      throw std::runtime_error("cannot set the TLS server name");
    stream.set_verify_callback(ssl::host_name_verification(u.host));
    beast::get_lowest_layer(stream).expires_after(timeout);
    beast::get_lowest_layer(stream).connect(endpoints);
    stream.handshake(ssl::stream_base::client);
    auto body = get(stream, u, beast::get_lowest_layer(stream), timeout);
    beast::error_code ec;
    stream.shutdown(ec);
    return body;
  } catch (boost::system::system_error const& e) {
    throw std::runtime_error("cannot fetch " + issuer_url + "/v1/keys: " + e.code().message());
  }
}

directory_client::directory_client(runtime& rt, storage::forum_store& store, storage::pinned_issuer pinned)
    : rt_(rt), store_(store), pinned_(std::move(pinned)) {
  auto copy = store_.directory_copy();
  if (!copy) throw std::runtime_error("cannot read the kept copy of the issuer's directory");
  if (*copy) {
    auto snap = parse_directory(**copy, pinned_.master_pk);
    if (!snap) throw std::runtime_error("the kept copy of the issuer's directory does not verify against the pinned master key");
    current_ = *snap;
  }
  if (!current_ && !refresh())
    throw std::runtime_error("cannot get the issuer's key directory from " + pinned_.issuer_url + ": " +
                             status_.last_error + " (the forum needs it once before it can serve)");
}

directory_client::~directory_client() { stop(); }

void directory_client::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { loop(); });
}

void directory_client::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void directory_client::unknown_key() {
  {
    std::lock_guard lock(mu_);
    auto const now = std::chrono::steady_clock::now();
    if (now - last_poke_ < min_poke_gap) return;  // bounded: a flood of unknown key ids fetches once per gap
    last_poke_ = now;
    poke_ = true;
  }
  cv_.notify_all();
}

void directory_client::loop() {
  auto const period = std::chrono::milliseconds(static_cast<std::int64_t>(rt_.cfg().directory_refresh * 1000));
  refresh();  // at once: the kept copy may be old
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, period, [this] { return stop_ || poke_; });
    if (stop_) break;
    poke_ = false;
    lock.unlock();
    refresh();
    lock.lock();
  }
}

bool directory_client::refresh() {
  std::string why;
  bool ok = false;
  try {
    auto const text = fetch_directory_text(pinned_.issuer_url, std::chrono::seconds(10));
    ok = take(text, why);
  } catch (std::exception const& e) {
    why = e.what();
  }
  std::lock_guard lock(mu_);
  ++fetches_;
  if (ok) {
    status_.reachable = true;
    status_.verified_at = rt_.now();
    status_.last_error.clear();
  } else {
    ++failures_;
    status_.reachable = false;
    status_.last_error = why;
    spdlog::warn("issuer directory: {}; serving the last verified copy", why);
  }
  return ok;
}

bool directory_client::take(std::string const& text, std::string& why) {
  auto parsed = parse_directory(text, pinned_.master_pk);
  if (!parsed) {
    std::lock_guard lock(mu_);
    ++refused_;
    why = parsed.error() == make_error_code(errc::invalid_signature)
              ? "refused a directory whose signature does not verify under the pinned master key"
              : "refused a directory that is malformed or names another master key";
    return false;
  }
  auto fresh = *parsed;
  auto const old = current();
  if (old) {
    if (fresh->seq < old->seq) {
      std::lock_guard lock(mu_);
      ++refused_;
      why = "refused a directory with seq " + std::to_string(fresh->seq) + " lower than the verified " +
            std::to_string(old->seq);
      return false;
    }
    if (fresh->seq == old->seq) {
      bool same = fresh->keys.size() == old->keys.size() && fresh->issuer == old->issuer;
      for (std::size_t i = 0; same && i < fresh->keys.size(); ++i)
        same = fresh->keys[i].key_id == old->keys[i].key_id && fresh->keys[i].state == old->keys[i].state &&
               fresh->keys[i].accept_until == old->keys[i].accept_until;
      if (!same) {
        std::lock_guard lock(mu_);
        ++refused_;
        why = "refused a directory with the same seq " + std::to_string(fresh->seq) + " but other keys";
        return false;
      }
    }
  }
  if (auto s = store_.save_directory_copy(fresh->json, fresh->seq); !s) {
    why = "cannot keep the directory in the forum store";
    return false;
  }
  if (auto s = rt_.sync(); !s) {
    why = "cannot sync the forum store";
    return false;
  }
  std::atomic_store(&current_, fresh);
  if (!old || old->seq == fresh->seq) return true;

  // What changed, for the public moderation log.
  std::vector<directory_change> changes;
  for (auto const& k : fresh->keys) {
    auto const* before = old->find(k.key_id);
    if (k.state == storage::key_state::active && !before)
      changes.push_back({"keys.rotate", k.key_id, "the issuer rotated its keys (directory seq " +
                                                      std::to_string(fresh->seq) + ")", "admin"});
    if (k.state == storage::key_state::revoked && (!before || before->state != storage::key_state::revoked))
      changes.push_back({"keys.revoke", k.key_id, "the issuer revoked this key (directory seq " +
                                                      std::to_string(fresh->seq) + ")", "admin"});
  }
  std::vector<std::function<void(directory_change const&)>> listeners;
  {
    std::lock_guard lock(listeners_mu_);
    listeners = listeners_;
  }
  for (auto const& ch : changes)
    for (auto const& fn : listeners) fn(ch);
  spdlog::info("issuer directory: now seq {}", fresh->seq);
  return true;
}

std::uint64_t directory_client::issued(std::string_view key_id) const {
  auto const snap = current();
  auto it = snap->issued.find(key_id);
  return it == snap->issued.end() ? 0 : it->second;
}

void directory_client::on_change(std::function<void(directory_change const&)> fn) {
  std::lock_guard lock(listeners_mu_);
  listeners_.push_back(std::move(fn));
}

directory_client::status directory_client::health() const {
  std::lock_guard lock(mu_);
  return status_;
}

std::string directory_client::render_metrics() const {
  std::lock_guard lock(mu_);
  auto const snap = current();
  std::int64_t const age = status_.verified_at ? rt_.now() - status_.verified_at : -1;
  return "# HELP hearth_issuer_directory_seq The seq of the verified issuer directory this forum serves.\n"
         "# TYPE hearth_issuer_directory_seq gauge\n"
         "hearth_issuer_directory_seq " + std::to_string(snap ? snap->seq : 0) + "\n"
         "# HELP hearth_issuer_directory_age_seconds Seconds since the issuer's directory was last fetched and verified (-1: not since start).\n"
         "# TYPE hearth_issuer_directory_age_seconds gauge\n"
         "hearth_issuer_directory_age_seconds " + std::to_string(age) + "\n"
         "# HELP hearth_issuer_reachable Whether the last fetch of the issuer's directory succeeded.\n"
         "# TYPE hearth_issuer_reachable gauge\n"
         "hearth_issuer_reachable " + std::to_string(status_.reachable ? 1 : 0) + "\n"
         "# HELP hearth_issuer_directory_fetches_total Fetches of the issuer's directory, by outcome.\n"
         "# TYPE hearth_issuer_directory_fetches_total counter\n"
         "hearth_issuer_directory_fetches_total{result=\"ok\"} " + std::to_string(fetches_ - failures_) + "\n"
         "hearth_issuer_directory_fetches_total{result=\"failed\"} " + std::to_string(failures_ - refused_) + "\n"
         "hearth_issuer_directory_fetches_total{result=\"refused\"} " + std::to_string(refused_) + "\n";
}

}  // namespace hearth::server
