#include "server/issuer/service.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <stdexcept>

namespace hearth::server {

namespace json = boost::json;

issuer_service::issuer_service(runtime& rt, storage::issuer_store& store, storage::staff_store& staff,
                               std::string issuer_name)
    : rt_(rt), store_(store), staff_(staff), issuer_(std::move(issuer_name)) {
  auto dir = load_directory(store_, issuer_);
  if (!dir) throw std::runtime_error("cannot load the key directory: " + std::string(protocol_code(dir.error())));
  directory_ = *dir;
}

rotation issuer_service::default_rotation() const {
  return rotation{cfg().key_bits, cfg().issue_days, cfg().accept_days};
}

result<void> issuer_service::reload_directory(directory_change const& change) {
  // The new directory is served at once (keys, every login): it must not
  // show a key that a crash could take back.
  if (auto s = rt_.sync(); !s) return s.error();
  auto dir = load_directory(store_, issuer_);
  if (!dir) return dir.error();
  std::atomic_store(&directory_, *dir);
  std::vector<std::function<void(directory_change const&)>> listeners;
  {
    std::lock_guard lock(listeners_mu_);
    listeners = listeners_;
  }
  for (auto const& fn : listeners) fn(change);
  return {};
}

void issuer_service::on_change(std::function<void(directory_change const&)> fn) {
  std::lock_guard lock(listeners_mu_);
  listeners_.push_back(std::move(fn));
}

void issuer_service::maybe_auto_rotate() {
  if (!cfg().auto_rotate) return;
  auto dir = current();
  auto const* active = dir->active();
  if (active && active->issue_until > rt_.now()) return;
  std::lock_guard lock(rotate_mu_);
  if (current()->seq != dir->seq) return;  // someone else rotated meanwhile
  auto r = rotate_keys(store_, default_rotation(), rt_.now());
  if (!r) {
    spdlog::error("automatic key rotation failed: {}", protocol_code(r.error()));
    return;
  }
  auto const fresh = load_directory(store_, issuer_);
  std::string target;
  if (fresh && (*fresh)->active()) target = (*fresh)->active()->key_id;
  directory_change change{"keys.rotate", target, "automatic rotation: the active key's issuing period ended", "admin"};
  if (auto rl = reload_directory(change); !rl) {
    spdlog::error("reloading the key directory failed: {}", protocol_code(rl.error()));
    return;
  }
  spdlog::info("automatic key rotation: directory seq {}", current()->seq);
}

void issuer_service::refresh_issued() const {
  // (issued_mu_ held) Counts are re-read when the directory changed or the
  // refresh period passed.
  auto const dir = current();
  auto const now = std::chrono::steady_clock::now();
  auto const period = std::chrono::duration<double>(cfg().issued_refresh);
  if (issued_seq_ == dir->seq && now - issued_at_ < period) return;
  std::map<std::string, std::uint64_t, std::less<>> fresh;
  for (auto const& k : dir->keys) {
    auto n = store_.issued_count(k.key_id);
    if (!n) return;  // keep the previous counts; try again next time
    fresh[k.key_id] = *n;
  }
  issued_ = std::move(fresh);
  issued_seq_ = dir->seq;
  issued_at_ = now;
}

std::uint64_t issuer_service::issued(std::string_view key_id) const {
  std::lock_guard lock(issued_mu_);
  refresh_issued();
  auto it = issued_.find(key_id);
  return it == issued_.end() ? 0 : it->second;
}

std::string issuer_service::document() const {
  auto const dir = current();
  json::object issued;
  {
    std::lock_guard lock(issued_mu_);
    refresh_issued();
    for (auto const& k : dir->keys) {
      auto it = issued_.find(k.key_id);
      issued[k.key_id] = it == issued_.end() ? 0 : it->second;
    }
  }
  auto doc = json::parse(dir->json).as_object();
  doc["issued"] = std::move(issued);
  return json::serialize(doc);
}

}  // namespace hearth::server
