#include "server/app.hpp"

#include "crypto/random.hpp"
#include "server/forum/directory_client.hpp"
#include "server/forum/ops.hpp"
#include "server/issuer/ops.hpp"
#include "server/staff/ops.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <stdexcept>

namespace hearth::server {

namespace json = boost::json;

namespace {

// ws(s)://HOST/v1/<endpoint> from an http(s) base URL (the pinned issuer URL).
std::string ws_url_of(std::string const& http_url, std::string_view endpoint_path) {
  std::string u = http_url;
  while (!u.empty() && u.back() == '/') u.pop_back();
  if (u.starts_with("https://")) u = "wss://" + u.substr(8);
  else if (u.starts_with("http://")) u = "ws://" + u.substr(7);
  return u + std::string(endpoint_path);
}

}  // namespace

app::app(config cfg, std::filesystem::path const& data_dir) {
  crypto::init();
  storage::store_options opts;
  opts.time_granularity = cfg.time_granularity;
  opts.deferred_sync = true;  // replies wait on when_durable (see run() in call.hpp)
  opts.sync_interval = std::chrono::microseconds(static_cast<std::int64_t>(cfg.wal_sync_interval_ms * 1000));
  opts.scrub_interval = std::chrono::seconds(static_cast<std::int64_t>(cfg.scrub_interval));
  opts.block_cache_bytes = static_cast<std::size_t>(cfg.block_cache_mb) << 20;
  data_ = storage::open(data_dir, opts);
  role_ = data_->role();
  rt_ = std::make_unique<runtime>(std::move(cfg), *data_);
  accounts_ = std::make_unique<staff_accounts>(staff_accounts{*rt_, data_->staff()});

  if (auto* store = data_->issuer()) {
    issuer_ = std::make_unique<issuer_service>(*rt_, *store, data_->staff(), read_instance(data_dir).issuer);
    keys_ = issuer_.get();
  }
  if (auto* store = data_->forum()) {
    if (!keys_) {
      auto pinned = store->pinned();
      if (!pinned || !*pinned)
        throw std::runtime_error("this forum has no pinned issuer; initialise it with `hearth init --role forum "
                                 "--issuer-url URL --master-key B64URL`");
      fetched_ = std::make_unique<directory_client>(*rt_, *store, **pinned);
      keys_ = fetched_.get();
    }
    forum_ = std::make_unique<forum_service>(*rt_, *store, data_->staff(), *keys_);
    staff::finish_decisions(*forum_);
    keys_->on_change([f = forum_.get()](directory_change const& ch) { f->directory_changed(ch); });
    if (fetched_) fetched_->start();
  }

  std::string connect = "'self'";
  if (!issuer_) {
    auto cfgj = json::parse(client_config("", false)).as_object();
    if (auto it = cfgj.find("issuer"); it != cfgj.end()) {
      std::string u(it->value().as_string());
      auto const scheme_end = u.find("://");
      auto const path = u.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
      connect += " " + u.substr(0, path);
    }
  }
  csp_ = "default-src 'self'; connect-src " + connect +
         "; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
         "frame-ancestors 'none'; form-action 'self'";

  // The routes of each endpoint this role serves; `keys` is on all of them.
  auto keys_route = [this](call_base&& b) {
    auto doc = keys_document();
    b.ok(json::parse(doc).as_object());
  };
  if (issuer_) issuer_routes_.add_all(issuer::endpoint_ops(), *issuer_);
  if (forum_) forum_routes_.add_all(forum::endpoint_ops(), *forum_);
  staff_routes_.add("keys", keys_route);
  staff_routes_.add_all(staff::account_ops(), *accounts_);
  if (issuer_) staff_routes_.add_all(staff::issuer_ops(), *issuer_);
  if (forum_) staff_routes_.add_all(staff::forum_ops(), *forum_);
}

app::~app() { stop(); }

void app::stop() {
  if (fetched_) fetched_->stop();
  rt_->stop_pools();
}

routes const* app::endpoint_routes(endpoint e) const {
  switch (e) {
    case endpoint::issuer: return issuer_ ? &issuer_routes_ : nullptr;
    case endpoint::forum: return forum_ ? &forum_routes_ : nullptr;
    case endpoint::staff: return &staff_routes_;
  }
  return nullptr;
}

std::string app::keys_document() const { return keys_->document(); }

std::string app::client_config(std::string_view host, bool tls) const {
  std::string const self = std::string(tls ? "wss://" : "ws://") + std::string(host);
  json::object out{{"role", storage::role_name(role_)}};
  if (issuer_) out["issuer"] = self + "/v1/issuer";
  else if (!cfg().issuer_ws_url.empty()) out["issuer"] = cfg().issuer_ws_url;
  else if (auto* store = data_->forum()) {
    if (auto pinned = store->pinned(); pinned && *pinned) out["issuer"] = ws_url_of((*pinned)->issuer_url, "/v1/issuer");
  }
  if (forum_) out["forum"] = self + "/v1/forum";
  else if (!cfg().forum_url.empty()) out["forum"] = cfg().forum_url;
  return json::serialize(out);
}

std::string app::health() const {
  json::object out{{"status", "ok"}};  // exactly this under all and issuer (PROTOCOL.md §1)
  if (fetched_) {
    auto const h = fetched_->health();
    json::object issuer{{"reachable", h.reachable}, {"directory_seq", fetched_->current()->seq}};
    if (h.verified_at) issuer["verified_at"] = h.verified_at;
    if (!h.reachable) {
      issuer["note"] = "the issuer cannot be reached; serving the last verified key directory";
      if (!h.last_error.empty()) issuer["error"] = h.last_error;
    }
    out["issuer"] = std::move(issuer);
  }
  return json::serialize(out);
}

std::string app::render_metrics() const {
  auto text = rt_->render_metrics();
  if (fetched_) text += fetched_->render_metrics();
  return text;
}

void app::connection_ended(connection& c) {
  if (auto* s = c.staff_if(); s && !s->username.empty()) accounts_->sessions->remove(s->username, &c);
  if (auto* s = c.issuer_if(); s && issuer_ && !s->employee_id.empty())
    issuer_->employee_sessions().remove(s->employee_id, &c);
  auto* f = c.forum_if();
  if (!f || !forum_) return;
  if (!f->pk.empty()) forum_->pseudonym_offline(f->pk, &c);
  forum_->connection_gone(&c, f->subscriptions);
}

void app::tick() {
  if (issuer_) issuer_->maybe_auto_rotate();
}

void app::backup_to(std::filesystem::path const& to) {
  storage::backup(*data_, to);
  if (std::filesystem::exists(data_->path() / "instance.toml"))
    std::filesystem::copy_file(data_->path() / "instance.toml", to / "instance.toml");
}

void app::scrub() {
  if (auto r = data_->scrub(); !r) throw std::runtime_error("the scrub failed; see the server's log");
}

}  // namespace hearth::server
