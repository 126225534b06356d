// The composition root of a running server: opens the data directory, reads
// its role, and builds the services that role has (PROTOCOL.md §10). Only the
// network layer and the command line see `app`; op handlers see their own
// role's service through their call (server/call.hpp).
#pragma once

#include "server/config.hpp"
#include "server/dispatch.hpp"
#include "server/runtime.hpp"
#include "storage/stores.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace hearth::server {

class issuer_service;
class forum_service;
class directory_client;
class directory_source;
struct staff_accounts;

class app {
 public:
  // Opens the data directory (throws storage::open_error / std::runtime_error
  // with a message for the operator).
  app(config cfg, std::filesystem::path const& data_dir);
  ~app();
  app(app const&) = delete;
  app& operator=(app const&) = delete;

  storage::role role() const noexcept { return role_; }
  runtime& rt() noexcept { return *rt_; }
  config const& cfg() const noexcept { return rt_->cfg(); }

  // The ops of an endpoint, or nullptr when this role does not serve it (404).
  routes const* endpoint_routes(endpoint e) const;
  // GET /v1/keys and op `keys`: this role's directory (the issuer's own, or
  // the forum's verified copy).
  std::string keys_document() const;
  // GET /v1/config for a request with this Host header (PROTOCOL.md §10).
  std::string client_config(std::string_view host, bool tls) const;
  // GET /healthz body.
  std::string health() const;
  std::string render_metrics() const;
  // The Content-Security-Policy of every HTTP answer: the client may connect
  // to this origin and, on a forum of its own, to its issuer's.
  std::string const& content_security_policy() const noexcept { return csp_; }
  // A WebSocket session ended: drop what the forum kept for it.
  void connection_ended(connection& c);

  // Every second: automatic key rotation (issuer).
  void tick();
  // Background work that needs stopping before the stores close.
  void stop();

  // Consistent online copy of the stores into `to` (must not exist). Blocking.
  void backup_to(std::filesystem::path const& to);
  // Scrubs the stores' write order now (storage::data_dir::scrub). Blocking.
  void scrub();
  std::filesystem::path const& data_path() const { return data_->path(); }

 private:
  std::unique_ptr<storage::data_dir> data_;
  storage::role role_;
  std::unique_ptr<runtime> rt_;
  std::unique_ptr<issuer_service> issuer_;
  std::unique_ptr<directory_client> fetched_;
  directory_source* keys_ = nullptr;
  std::unique_ptr<forum_service> forum_;
  std::unique_ptr<staff_accounts> accounts_;
  routes issuer_routes_, forum_routes_, staff_routes_;
  std::string csp_;
};

}  // namespace hearth::server
