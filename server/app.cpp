#include "server/app.hpp"

#include "crypto/random.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <spdlog/spdlog.h>

#include <sched.h>

#include <cstdlib>
#include <thread>

namespace hearth::server {

struct app::pools {
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

namespace {
}  // namespace

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
unsigned or_cores(unsigned n) { return n ? n : usable_cores(); }
}  // namespace

app::app(config cfg, std::filesystem::path const& data_dir) : cfg_(std::move(cfg)) {
  crypto::init();
  storage::store_options opts;
  opts.time_granularity = cfg_.time_granularity;
  opts.deferred_sync = true;  // replies wait on when_durable (see run() in ops.hpp)
  opts.sync_interval = std::chrono::microseconds(static_cast<std::int64_t>(cfg_.wal_sync_interval_ms * 1000));
  data_ = storage::open(data_dir, opts);
  issuer_ = read_instance(data_dir).issuer;
  auto dir = load_directory(data_->issuer(), issuer_);
  if (!dir) throw std::runtime_error("cannot load the key directory: " + std::string(protocol_code(dir.error())));
  directory_ = *dir;
  pools_ = std::make_unique<pools>(or_cores(cfg_.cpu_threads), cfg_.blocking_threads ? cfg_.blocking_threads : 8);
}

app::~app() { stop_pools(); }

void app::stop_pools() {
  if (!pools_) return;
  pools_->cpu.join();
  pools_->blocking.join();
  // Work that finished on the pools queued its replies for durability: let
  // them go out (into the connections' queues) before the I/O ends.
  if (auto s = data_->sync(); !s) spdlog::error("syncing the stores' WAL failed at shutdown");
}

std::int64_t app::now() const {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

result<void> app::reload_directory() {
  // The new directory is served at once (keys, every login): it must not
  // show a key that a crash could take back.
  if (auto s = data_->sync(); !s) return s.error();
  auto dir = load_directory(data_->issuer(), issuer_);
  if (!dir) return dir.error();
  std::atomic_store(&directory_, *dir);
  return {};
}

void app::maybe_auto_rotate() {
  if (!cfg_.auto_rotate) return;
  auto dir = directory();
  auto const* active = dir->active();
  if (active && active->issue_until > now()) return;
  std::lock_guard lock(rotate_mu_);
  if (directory()->seq != dir->seq) return;  // someone else rotated meanwhile
  auto r = rotate_keys(data_->issuer(), rotation{cfg_.key_bits, cfg_.issue_days, cfg_.accept_days}, now());
  if (!r) {
    spdlog::error("automatic key rotation failed: {}", protocol_code(r.error()));
    return;
  }
  if (auto rl = reload_directory(); !rl) {
    spdlog::error("reloading the key directory failed: {}", protocol_code(rl.error()));
    return;
  }
  auto const* fresh = directory()->active();
  spdlog::info("automatic key rotation: directory seq {} (epoch {})", directory()->seq, fresh ? fresh->epoch : 0);
  storage::modlog_entry entry;
  entry.action = "keys.rotate";
  entry.target = fresh ? fresh->key_id : "";
  entry.reason = "automatic rotation: the active key's issuing period ended";
  entry.actor_role = "admin";
  if (auto m = data_->forum().append_modlog(std::move(entry), now()); !m)
    spdlog::error("writing the moderation log failed: {}", protocol_code(m.error()));
}

void app::backup_to(std::filesystem::path const& to) {
  storage::backup(*data_, to);
  std::filesystem::copy_file(data_->path() / "instance.toml", to / "instance.toml");
}

void app::blocking(std::function<void()> fn) { boost::asio::post(pools_->blocking, std::move(fn)); }
void app::cpu(std::function<void()> fn) { boost::asio::post(pools_->cpu, std::move(fn)); }

void app::subscribe(std::string const& channel, std::shared_ptr<connection> const& c) {
  std::lock_guard lock(subs_mu_);
  subs_[channel][c.get()] = c;
}

void app::unsubscribe(std::string const& channel, connection const* c) {
  std::lock_guard lock(subs_mu_);
  auto it = subs_.find(channel);
  if (it == subs_.end()) return;
  it->second.erase(c);
  if (it->second.empty()) subs_.erase(it);
}

void app::publish(std::string const& channel, std::shared_ptr<std::string const> frame) {
  // Subscribers see a change only once it is durable, like its author.
  when_durable([this, channel, frame = std::move(frame)](bool synced) {
    if (synced) publish_now(channel, frame);
  });
}

bool app::has_subscribers(std::string const& channel) {
  std::lock_guard lock(subs_mu_);
  auto it = subs_.find(channel);
  return it != subs_.end() && !it->second.empty();
}

std::string app::render_metrics() const {
  return metrics_.render() +
         "# HELP hearth_wal_syncs_total WAL syncs of the stores (each makes every earlier change durable).\n"
         "# TYPE hearth_wal_syncs_total counter\n"
         "hearth_wal_syncs_total " + std::to_string(data_->wal_syncs()) + "\n"
         "# HELP hearth_durable_waits_total Replies and pushes that waited for a WAL sync.\n"
         "# TYPE hearth_durable_waits_total counter\n"
         "hearth_durable_waits_total " + std::to_string(data_->durable_waiters()) + "\n";
}

void app::publish_now(std::string const& channel, std::shared_ptr<std::string const> const& frame) {
  std::vector<std::weak_ptr<connection>> targets;
  {
    std::lock_guard lock(subs_mu_);
    auto it = subs_.find(channel);
    if (it == subs_.end()) return;
    targets.reserve(it->second.size());
    for (auto const& [_, w] : it->second) targets.push_back(w);
  }
  std::uint64_t sent = 0;
  for (auto const& w : targets)
    if (auto c = w.lock()) {
      c->push(frame);
      ++sent;
    }
  metrics_.pushes_sent(sent);
}

void app::pseudonym_online(crypto::bytes const& pk, std::shared_ptr<connection> const& c) {
  std::lock_guard lock(subs_mu_);
  online_.emplace(pk, std::make_pair(c.get(), std::weak_ptr<connection>(c)));
}

void app::pseudonym_offline(crypto::bytes const& pk, connection const* c) {
  std::lock_guard lock(subs_mu_);
  auto [b, e] = online_.equal_range(pk);
  for (auto it = b; it != e; ++it)
    if (it->second.first == c) {
      online_.erase(it);
      return;
    }
}

void app::close_pseudonym(crypto::bytes const& pk, std::string const& reason) {
  std::vector<std::weak_ptr<connection>> targets;
  {
    std::lock_guard lock(subs_mu_);
    auto [b, e] = online_.equal_range(pk);
    for (auto it = b; it != e; ++it) targets.push_back(it->second.second);
  }
  for (auto const& w : targets)
    if (auto c = w.lock()) c->close(close_policy, reason);
}

void app::connection_gone(connection const* c, std::set<std::string> const& channels) {
  std::lock_guard lock(subs_mu_);
  for (auto const& ch : channels) {
    auto it = subs_.find(ch);
    if (it == subs_.end()) continue;
    it->second.erase(c);
    if (it->second.empty()) subs_.erase(it);
  }
}

bool app::too_many_failures(std::string const& key) {
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

void app::record_failure(std::string const& key) {
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

void app::clear_failures(std::string const& key) {
  std::lock_guard lock(limits_mu_);
  failures_.erase(key);
}

bool app::take_post_slot(crypto::bytes const& pk) {
  std::lock_guard lock(limits_mu_);
  auto it = post_buckets_.find(pk);
  if (it == post_buckets_.end()) {
    if (post_buckets_.size() > 100000) post_buckets_.clear();
    it = post_buckets_.emplace(pk, rate_bucket(cfg_.rate_post.per_second, cfg_.rate_post.burst)).first;
  }
  return it->second.take();
}

}  // namespace hearth::server
