// What every service of the process shares, whatever its role: the
// configuration, metrics, the worker pools (and the password-hashing pool),
// the clock, durability (waiting for the WAL sync) and login-failure limits. It holds no store: a handler
// reaches a store only through its own role's service (issuer/service.hpp,
// forum/service.hpp, staff/accounts.hpp).
#pragma once

#include "crypto/bytes.hpp"
#include "server/config.hpp"
#include "server/connection.hpp"
#include "server/hash_pool.hpp"
#include "server/limits.hpp"
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

  // Blocking work (storage scans, staff work) and CPU work (RSA signing).
  void blocking(std::function<void()> fn);
  void cpu(std::function<void()> fn);
  // Live pushes to many connections (a post to a channel's subscribers): in
  // the order they were queued, and never on the WAL sync thread, so a
  // fan-out to thousands delays no other reply's completion. They run where
  // fanout_on() says (serve() gives a strand of the I/O threads), else on a
  // thread of their own, started when first needed.
  void fanout(std::function<void()> fn);
  // Where fan-outs run from now on: `run` must run each function it is given
  // once, in the order given. serve() passes a strand of its I/O threads: a
  // push is then queued to each session from the thread that writes it, with
  // no hand-off between threads per subscriber. An empty `run` goes back to
  // the fan-out thread.
  void fanout_on(std::function<void(std::function<void()>)> run);
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

  // Password hashing (Argon2id) on its own bounded pool, never on `cpu`:
  // false (fn dropped) when its queue is full; the caller answers rate_limited.
  [[nodiscard]] bool hash(std::function<void()> fn);
  // Failed-login limits for login-style ops (server/login_attempt.hpp).
  login_limiter& logins() noexcept { return logins_; }

 private:
  struct pools;
  config cfg_;
  storage::data_dir& durability_;
  metrics metrics_;
  login_limiter logins_;
  std::unique_ptr<pools> pools_;
  std::unique_ptr<hash_pool> hash_;
  std::mutex fanout_mu_;
  std::function<void(std::function<void()>)> fanout_run_;  // guarded by fanout_mu_
};

}  // namespace hearth::server
