#include "server/session_index.hpp"

#include <vector>

namespace hearth::server {

void session_index::add(std::string const& account, std::shared_ptr<connection> const& c) {
  std::lock_guard lock(mu_);
  sessions_.emplace(account, std::make_pair(c.get(), std::weak_ptr<connection>(c)));
}

void session_index::remove(std::string const& account, connection const* c) {
  std::lock_guard lock(mu_);
  auto [b, e] = sessions_.equal_range(account);
  for (auto it = b; it != e; ++it)
    if (it->second.first == c) {
      sessions_.erase(it);
      return;
    }
}

std::size_t session_index::close(std::string const& account, std::string const& reason,
                                 std::function<void(connection&)> revoke, connection const* keep) {
  std::vector<std::shared_ptr<connection>> targets;
  {
    std::lock_guard lock(mu_);
    auto [b, e] = sessions_.equal_range(account);
    for (auto it = b; it != e;) {
      if (it->second.first == keep) {
        ++it;
        continue;
      }
      if (auto c = it->second.second.lock()) targets.push_back(std::move(c));
      it = sessions_.erase(it);
    }
  }
  for (auto const& c : targets) {
    if (revoke) c->dispatch([c, revoke] { revoke(*c); });
    c->close(close_policy, reason);
  }
  return targets.size();
}

std::size_t session_index::each(std::string const& account, std::function<void(connection&)> const& fn) {
  std::vector<std::shared_ptr<connection>> targets;
  {
    std::lock_guard lock(mu_);
    auto [b, e] = sessions_.equal_range(account);
    for (auto it = b; it != e; ++it)
      if (auto c = it->second.second.lock()) targets.push_back(std::move(c));
  }
  for (auto const& c : targets) fn(*c);
  return targets.size();
}

}  // namespace hearth::server
