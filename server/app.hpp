// The server's shared state: configuration, the two stores, the key
// directory, worker pools, live-channel subscriptions, rate limits, metrics.
#pragma once

#include "server/config.hpp"
#include "server/connection.hpp"
#include "server/directory.hpp"
#include "server/metrics.hpp"
#include "storage/stores.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace hearth::server {

// The cores this process may run on (its CPU affinity).
unsigned usable_cores();

class app {
 public:
  // Opens the data directory (throws storage::open_error / std::runtime_error
  // with a message for the operator).
  app(config cfg, std::filesystem::path const& data_dir);
  ~app();
  app(app const&) = delete;
  app& operator=(app const&) = delete;

  config const& cfg() const noexcept { return cfg_; }
  storage::issuer_store& issuer_store() { return data_->issuer(); }
  storage::forum_store& forum_store() { return data_->forum(); }
  metrics& stats() noexcept { return metrics_; }
  std::string const& issuer_name() const noexcept { return issuer_; }
  std::int64_t now() const;  // Unix seconds

  std::shared_ptr<directory_snapshot const> directory() const { return std::atomic_load(&directory_); }
  // Re-reads the directory from the store (after a rotation or revocation).
  [[nodiscard]] result<void> reload_directory();
  // Rotates when the active key's issue_until has passed (if auto_rotate).
  void maybe_auto_rotate();

  // Consistent online copy of both stores into `to` (must not exist). Blocking.
  void backup_to(std::filesystem::path const& to);
  std::filesystem::path const& data_path() const { return data_->path(); }

  // Blocking work (storage) and CPU work (Argon2id, RSA).
  void blocking(std::function<void()> fn);
  void cpu(std::function<void()> fn);
  // Joins the pools, then completes every reply still waiting for durability.
  void stop_pools();

  // Storage writes return before their WAL is synced (group durability):
  // nothing that depends on a change may leave the server before done(true)
  // runs. done runs on the WAL sync thread or at once: keep it short.
  void when_durable(std::function<void(bool)> done) { data_->when_durable(std::move(done)); }
  // /metrics text: the counters of `stats()` plus the WAL sync counters.
  std::string render_metrics() const;

  // Live channels.
  void subscribe(std::string const& channel, std::shared_ptr<connection> const& c);
  void unsubscribe(std::string const& channel, connection const* c);
  // Queues frame to the channel's subscribers once every change made so far
  // is durable.
  void publish(std::string const& channel, std::shared_ptr<std::string const> frame);
  // Whether anyone is subscribed to the channel now (to skip building a frame
  // nobody would receive).
  bool has_subscribers(std::string const& channel);

  // Logged-in pseudonyms, to close their connections on a ban.
  void pseudonym_online(crypto::bytes const& pk, std::shared_ptr<connection> const& c);
  void pseudonym_offline(crypto::bytes const& pk, connection const* c);
  void close_pseudonym(crypto::bytes const& pk, std::string const& reason);
  // Drops a closed connection's subscriptions (its own channel list).
  void connection_gone(connection const* c, std::set<std::string> const& channels);

  // Failure counting for login-style ops, keyed by an identity string
  // (employee id, staff username). Kept in memory only.
  bool too_many_failures(std::string const& key);
  void record_failure(std::string const& key);
  void clear_failures(std::string const& key);

  // Per-pseudonym post rate across its connections.
  bool take_post_slot(crypto::bytes const& pk);

 private:
  void publish_now(std::string const& channel, std::shared_ptr<std::string const> const& frame);
  struct pools;
  config cfg_;
  std::unique_ptr<storage::data_dir> data_;
  std::string issuer_;
  metrics metrics_;
  std::shared_ptr<directory_snapshot const> directory_;
  std::mutex rotate_mu_;
  std::unique_ptr<pools> pools_;

  std::mutex subs_mu_;
  std::map<std::string, std::map<connection const*, std::weak_ptr<connection>>> subs_;
  std::multimap<crypto::bytes, std::pair<connection const*, std::weak_ptr<connection>>> online_;

  struct failure_window {
    std::size_t count = 0;
    std::chrono::steady_clock::time_point start{};
  };
  std::mutex limits_mu_;
  std::map<std::string, failure_window> failures_;
  std::map<crypto::bytes, rate_bucket> post_buckets_;
};

}  // namespace hearth::server
