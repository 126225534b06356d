#include "server/runtime.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <spdlog/spdlog.h>

#include <sched.h>

#include <algorithm>
#include <optional>
#include <thread>

namespace hearth::server {

struct runtime::pools {
  boost::asio::thread_pool cpu;
  boost::asio::thread_pool blocking;
  // One thread, so pushes keep their order; made on first use: serve() runs
  // the fan-out on a strand of the I/O threads instead (fanout_on).
  std::optional<boost::asio::thread_pool> fanout;  // guarded by runtime::fanout_mu_
  pools(unsigned cpu_threads, unsigned blocking_threads) : cpu(cpu_threads), blocking(blocking_threads) {}
};

bool rate_bucket::take(std::chrono::steady_clock::time_point now) {
  if (rate_ <= 0) return true;
  if (last_ != std::chrono::steady_clock::time_point{}) {
    double const elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
  }
  last_ = now;
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

// The cores this process may run on (taskset/cgroups), not the machine's.
unsigned usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int const n = CPU_COUNT(&set);
    if (n > 0) return static_cast<unsigned>(n);
  }
  auto const hc = std::thread::hardware_concurrency();
  return hc ? hc : 2;
}

namespace {

login_limits limits_of(config const& cfg) {
  login_limits l;
  l.failures = cfg.login_failures;
  l.window = std::chrono::duration<double>(cfg.login_failure_window);
  l.per_second = cfg.rate_failed_logins.per_second;
  l.burst = cfg.rate_failed_logins.burst;
  return l;
}

}  // namespace

runtime::runtime(config cfg, storage::data_dir& durability)
    : cfg_(std::move(cfg)), durability_(durability), logins_(limits_of(cfg_)) {
  unsigned const cpu_threads = cfg_.cpu_threads ? cfg_.cpu_threads : usable_cores();
  pools_ = std::make_unique<pools>(cpu_threads, cfg_.blocking_threads ? cfg_.blocking_threads : 8);
  // Half the cores: on two, the other core stays free for signing whatever
  // the login load.
  unsigned const hash_threads = cfg_.hash_threads ? cfg_.hash_threads : std::max(1u, usable_cores() / 2);
  hash_ = std::make_unique<hash_pool>(hash_threads, cfg_.hash_queue);
}

runtime::~runtime() { stop_pools(); }

void runtime::stop_pools() {
  if (!pools_) return;
  hash_->stop();
  pools_->cpu.join();
  pools_->blocking.join();
  // Work that finished on the pools queued its replies for durability: let
  // them go out (into the connections' queues) before the I/O ends.
  if (auto s = durability_.sync(); !s) spdlog::error("syncing the stores' WAL failed at shutdown");
  boost::asio::thread_pool* fanout = nullptr;
  {
    std::lock_guard lock(fanout_mu_);
    if (pools_->fanout) fanout = &*pools_->fanout;
  }
  if (fanout) fanout->join();  // the pushes that sync released
}

std::int64_t runtime::now() const {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void runtime::blocking(std::function<void()> fn) { boost::asio::post(pools_->blocking, std::move(fn)); }
void runtime::cpu(std::function<void()> fn) { boost::asio::post(pools_->cpu, std::move(fn)); }
void runtime::fanout(std::function<void()> fn) {
  std::lock_guard lock(fanout_mu_);
  if (fanout_run_) return fanout_run_(std::move(fn));
  if (!pools_->fanout) pools_->fanout.emplace(1);
  boost::asio::post(*pools_->fanout, std::move(fn));
}
void runtime::fanout_on(std::function<void(std::function<void()>)> run) {
  std::lock_guard lock(fanout_mu_);
  fanout_run_ = std::move(run);
}
bool runtime::hash(std::function<void()> fn) { return hash_->try_submit(std::move(fn)); }

std::string runtime::render_metrics() const {
  auto const stalls = durability_.write_stalls();
  return metrics_.render() +
         "# HELP hearth_wal_syncs_total WAL syncs of the stores (each makes every earlier change durable).\n"
         "# TYPE hearth_wal_syncs_total counter\n"
         "hearth_wal_syncs_total " + std::to_string(durability_.wal_syncs()) + "\n"
         "# HELP hearth_durable_waits_total Replies and pushes that waited for a WAL sync.\n"
         "# TYPE hearth_durable_waits_total counter\n"
         "hearth_durable_waits_total " + std::to_string(durability_.durable_waiters()) + "\n"
         "# HELP hearth_write_stalls_total Times RocksDB began to slow down (delayed) or stop (stopped) writes until flushes or compactions caught up.\n"
         "# TYPE hearth_write_stalls_total counter\n"
         "hearth_write_stalls_total{condition=\"delayed\"} " + std::to_string(stalls.delayed) + "\n"
         "hearth_write_stalls_total{condition=\"stopped\"} " + std::to_string(stalls.stopped) + "\n"
         "# HELP hearth_login_failure_keys Accounts with recent failed logins held in memory (made-up ids never are).\n"
         "# TYPE hearth_login_failure_keys gauge\n"
         "hearth_login_failure_keys " + std::to_string(logins_.accounts()) + "\n"
         "# HELP hearth_login_locked_total Login attempts refused because the account or id failed too often.\n"
         "# TYPE hearth_login_locked_total counter\n"
         "hearth_login_locked_total " + std::to_string(logins_.refused_locked()) + "\n"
         "# HELP hearth_login_failures_limited_total Login attempts refused at the server-wide ceiling of failed logins.\n"
         "# TYPE hearth_login_failures_limited_total counter\n"
         "hearth_login_failures_limited_total " + std::to_string(logins_.refused_ceiling()) + "\n"
         "# HELP hearth_password_hash_pending Password hashes waiting or running on the hashing pool.\n"
         "# TYPE hearth_password_hash_pending gauge\n"
         "hearth_password_hash_pending " + std::to_string(hash_->pending()) + "\n"
         "# HELP hearth_password_hash_refused_total Password checks refused (rate_limited) because the hashing queue was full.\n"
         "# TYPE hearth_password_hash_refused_total counter\n"
         "hearth_password_hash_refused_total " + std::to_string(hash_->refused()) + "\n";
}

}  // namespace hearth::server
