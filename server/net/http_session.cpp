// The HTTP session: health, metrics, the key directory, the client
// configuration and the web client's static files; upgrades to WebSocket on
// the endpoints this role serves (PROTOCOL.md §1, §10).
#include "server/net/session.hpp"

#include <algorithm>
#include <fstream>

namespace hearth::server::net_layer {

namespace {

constexpr std::size_t http_body_limit = 8 * 1024;
constexpr std::size_t http_header_limit = 16 * 1024;
constexpr auto http_read_timeout = std::chrono::seconds(30);

// RFC 6455 §4.2.1: the key is the base64 of 16 bytes (24 characters, "==" last).
bool valid_websocket_key(std::string_view key) {
  if (key.size() != 24 || key.substr(22) != "==") return false;
  return std::all_of(key.begin(), key.begin() + 22, [](char ch) {
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '+' || ch == '/';
  });
}

class http_session : public std::enable_shared_from_this<http_session> {
 public:
  http_session(socket_type&& socket, connection_slot slot, server_state& st)
      : stream_(std::move(socket)), slot_(std::move(slot)), st_(st) {}

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
      if (!e || !st_.a.endpoint_routes(*e)) return respond(simple(req, http::status::not_found, "not found\n"));
      if (!origin_allowed(req)) return respond(simple(req, http::status::forbidden, "origin not allowed\n"));
      if (!valid_websocket_key(req[http::field::sec_websocket_key]))
        return respond(simple(req, http::status::bad_request,
                              "Sec-WebSocket-Key must be the base64 of 16 bytes (RFC 6455 section 4.2.1)\n"));
      // (This connection was counted against max_connections when accepted.)
      stream_.expires_never();
      auto identity = *e == endpoint::issuer ? proxy_identity(req) : std::string();
      start_websocket(stream_.release_socket(), std::move(slot_), st_, *e, std::move(identity), std::move(req));
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
  // A page's origin, never the Host it sent (which a DNS-rebinding page
  // controls). No Origin: not a browser, allowed.
  bool origin_allowed(http::request<http::string_body> const& req) const {
    auto it = req.find(http::field::origin);
    if (it == req.end()) return true;
    auto const& allowed = st_.allowed_origins;
    return std::find(allowed.begin(), allowed.end(), it->value()) != allowed.end();
  }

  template <class Body>
  void common_headers(http::response<Body>& res) const {
    res.set(http::field::server, "hearth");
    res.set("Content-Security-Policy", st_.a.content_security_policy());
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Referrer-Policy", "no-referrer");
    res.set("X-Frame-Options", "DENY");
  }

  using response = http::response<http::string_body>;

  response simple(http::request<http::string_body> const& req, http::status status, std::string body,
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
    if (target == "/healthz") return simple(req, http::status::ok, st_.a.health(), "application/json");
    if (target == "/metrics")
      return simple(req, http::status::ok, st_.a.render_metrics(), "text/plain; version=0.0.4; charset=utf-8");
    if (target == "/v1/keys") return simple(req, http::status::ok, st_.a.keys_document(), "application/json");
    if (target == "/v1/config") {
      auto host = req.find(http::field::host);
      auto proto = req.find("X-Forwarded-Proto");
      bool const tls = proto != req.end() && proto->value() == "https";
      std::string const h = host == req.end() ? st_.bound_host_port : std::string(host->value());
      return simple(req, http::status::ok, st_.a.client_config(h, tls), "application/json");
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
    st_.a.rt().stats().http_request(res.result_int());
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

  beast::basic_stream<tcp, io_strand> stream_;
  connection_slot slot_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  server_state& st_;
  std::string remote_address_;
};

}  // namespace

void start_http(socket_type&& socket, connection_slot slot, server_state& st, std::string remote_address) {
  auto s = std::make_shared<http_session>(std::move(socket), std::move(slot), st);
  s->set_remote(std::move(remote_address));
  s->run();
}

}  // namespace hearth::server::net_layer
