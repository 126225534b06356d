#include "server/runtime.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <spdlog/spdlog.h>

#include <sched.h>

#include <thread>

namespace hearth::server {

struct runtime::pools {
  boost::asio::thread_pool cpu;
  boost::asio::thread_pool blocking;
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

runtime::runtime(config cfg, storage::data_dir& durability) : cfg_(std::move(cfg)), durability_(durability) {
  unsigned const cpu_threads = cfg_.cpu_threads ? cfg_.cpu_threads : usable_cores();
  pools_ = std::make_unique<pools>(cpu_threads, cfg_.blocking_threads ? cfg_.blocking_threads : 8);
}

runtime::~runtime() { stop_pools(); }

void runtime::stop_pools() {
  if (!pools_) return;
  pools_->cpu.join();
  pools_->blocking.join();
  // Work that finished on the pools queued its replies for durability: let
  // them go out (into the connections' queues) before the I/O ends.
  if (auto s = durability_.sync(); !s) spdlog::error("syncing the stores' WAL failed at shutdown");
}

std::int64_t runtime::now() const {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void runtime::blocking(std::function<void()> fn) { boost::asio::post(pools_->blocking, std::move(fn)); }
void runtime::cpu(std::function<void()> fn) { boost::asio::post(pools_->cpu, std::move(fn)); }

std::string runtime::render_metrics() const {
  return metrics_.render() +
         "# HELP hearth_wal_syncs_total WAL syncs of the stores (each makes every earlier change durable).\n"
         "# TYPE hearth_wal_syncs_total counter\n"
         "hearth_wal_syncs_total " + std::to_string(durability_.wal_syncs()) + "\n"
         "# HELP hearth_durable_waits_total Replies and pushes that waited for a WAL sync.\n"
         "# TYPE hearth_durable_waits_total counter\n"
         "hearth_durable_waits_total " + std::to_string(durability_.durable_waiters()) + "\n";
}

bool runtime::too_many_failures(std::string const& key) {
  std::lock_guard lock(limits_mu_);
  auto it = failures_.find(key);
  if (it == failures_.end()) return false;
  auto const window = std::chrono::duration<double>(cfg_.login_failure_window);
  if (std::chrono::steady_clock::now() - it->second.start > window) {
    failures_.erase(it);
    return false;
  }
  return it->second.count >= cfg_.login_failures;
}

void runtime::record_failure(std::string const& key) {
  std::lock_guard lock(limits_mu_);
  auto& f = failures_[key];
  auto const now = std::chrono::steady_clock::now();
  if (f.count == 0 || now - f.start > std::chrono::duration<double>(cfg_.login_failure_window)) {
    f.count = 0;
    f.start = now;
  }
  ++f.count;
  if (failures_.size() > 100000) failures_.clear();  // bound memory under a flood of ids
}

void runtime::clear_failures(std::string const& key) {
  std::lock_guard lock(limits_mu_);
  failures_.erase(key);
}

}  // namespace hearth::server
