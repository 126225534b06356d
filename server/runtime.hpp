// What every service of the process shares, whatever its role: the
// configuration, metrics, the worker pools, the clock, durability (waiting for
// the WAL sync) and login-failure counting. It holds no store: a handler
// reaches a store only through its own role's service (issuer/service.hpp,
// forum/service.hpp, staff/accounts.hpp).
#pragma once

#include "crypto/bytes.hpp"
#include "server/config.hpp"
#include "server/connection.hpp"
#include "server/metrics.hpp"
#include "storage/stores.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace hearth::server {

// The cores this process may run on (its CPU affinity).
unsigned usable_cores();

class runtime {
 public:
  // durability: the open data directory whose WAL syncs replies wait for (the
  // runtime uses it for nothing else and does not hand it out).
  runtime(config cfg, storage::data_dir& durability);
  ~runtime();
  runtime(runtime const&) = delete;
  runtime& operator=(runtime const&) = delete;

  config const& cfg() const noexcept { return cfg_; }
  metrics& stats() noexcept { return metrics_; }
  std::int64_t now() const;  // Unix seconds

  // Blocking work (storage scans, staff work) and CPU work (Argon2id, RSA).
  void blocking(std::function<void()> fn);
  void cpu(std::function<void()> fn);
  // Joins the pools, then completes every reply still waiting for durability.
  void stop_pools();

  // Storage writes return before their WAL is synced (group durability):
  // nothing that depends on a change may leave the server before done(true)
  // runs. done runs on the WAL sync thread or at once: keep it short.
  void when_durable(std::function<void(bool)> done) { durability_.when_durable(std::move(done)); }
  // The same, blocking.
  [[nodiscard]] result<void> sync() { return durability_.sync(); }
  // /metrics text: the counters of `stats()` plus the WAL sync counters.
  std::string render_metrics() const;

  // Failure counting for login-style ops, keyed by an identity string
  // (employee id, staff username). Kept in memory only.
  bool too_many_failures(std::string const& key);
  void record_failure(std::string const& key);
  void clear_failures(std::string const& key);

 private:
  struct pools;
  config cfg_;
  storage::data_dir& durability_;
  metrics metrics_;
  std::unique_ptr<pools> pools_;

  struct failure_window {
    std::size_t count = 0;
    std::chrono::steady_clock::time_point start{};
  };
  std::mutex limits_mu_;
  std::map<std::string, failure_window> failures_;
};

}  // namespace hearth::server
