#include "server/forum/service.hpp"

#include <spdlog/spdlog.h>

namespace hearth::server {

forum_service::forum_service(runtime& rt, storage::forum_store& store, storage::staff_store& staff,
                             directory_source& directory)
    : rt_(rt), store_(store), staff_(staff), directory_(directory), polls_(storage::open_polls(store)),
      notices_(storage::open_notices(store)),
      appeals_(storage::open_appeals(store)) {}

void forum_service::directory_changed(directory_change const& change) {
  storage::modlog_entry entry;
  entry.action = change.action;
  entry.target = change.target;
  entry.reason = change.reason;
  entry.actor_role = change.actor_role;
  if (auto m = store_.append_modlog(std::move(entry), rt_.now()); !m)
    spdlog::error("writing the moderation log failed: {}", protocol_code(m.error()));
}

void forum_service::subscribe(std::string const& channel, std::shared_ptr<connection> const& c) {
  std::lock_guard lock(subs_mu_);
  subs_[channel][c.get()] = c;
}

void forum_service::unsubscribe(std::string const& channel, connection const* c) {
  std::lock_guard lock(subs_mu_);
  auto it = subs_.find(channel);
  if (it == subs_.end()) return;
  it->second.erase(c);
  if (it->second.empty()) subs_.erase(it);
}

void forum_service::publish(std::string const& channel, std::shared_ptr<std::string const> frame) {
  // Subscribers see a change only once it is durable, like its author. The
  // WAL sync thread only hands the fan-out on (runtime::fanout).
  rt_.when_durable([this, channel, frame = std::move(frame)](bool synced) {
    if (synced) rt_.fanout([this, channel, frame] { publish_now(channel, frame); });
  });
}

bool forum_service::has_subscribers(std::string const& channel) {
  std::lock_guard lock(subs_mu_);
  auto it = subs_.find(channel);
  return it != subs_.end() && !it->second.empty();
}

void forum_service::publish_now(std::string const& channel, std::shared_ptr<std::string const> const& frame) {
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
  rt_.stats().pushes_sent(sent);
}

namespace {
std::string online_key(crypto::bytes const& pk) { return {pk.begin(), pk.end()}; }
}  // namespace

void forum_service::pseudonym_online(crypto::bytes const& pk, std::shared_ptr<connection> const& c) {
  online_.add(online_key(pk), c);
}

void forum_service::pseudonym_offline(crypto::bytes const& pk, connection const* c) {
  online_.remove(online_key(pk), c);
}

void forum_service::close_pseudonym(crypto::bytes const& pk, std::string const& reason) {
  online_.close(online_key(pk), reason, nullptr);
}

void forum_service::push_to_pseudonym(crypto::bytes const& pk, std::shared_ptr<std::string const> frame) {
  rt_.when_durable([this, key = online_key(pk), frame = std::move(frame)](bool synced) {
    if (!synced) return;
    rt_.fanout([this, key, frame] { rt_.stats().pushes_sent(online_.each(key, [&frame](connection& c) { c.push(frame); })); });
  });
}

void forum_service::connection_gone(connection const* c, std::set<std::string> const& channels) {
  std::lock_guard lock(subs_mu_);
  for (auto const& ch : channels) {
    auto it = subs_.find(ch);
    if (it == subs_.end()) continue;
    it->second.erase(c);
    if (it->second.empty()) subs_.erase(it);
  }
}

bool forum_service::take_post_slot(crypto::bytes const& pk) {
  std::lock_guard lock(limits_mu_);
  auto it = post_buckets_.find(pk);
  if (it == post_buckets_.end()) {
    if (post_buckets_.size() > 100000) post_buckets_.clear();
    it = post_buckets_.emplace(pk, rate_bucket(cfg().rate_post.per_second, cfg().rate_post.burst)).first;
  }
  return it->second.take();
}

}  // namespace hearth::server
