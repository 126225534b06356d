// The open connections signed in as each account (a staff username, an
// employee id, a pseudonym), so that removing the account, changing its
// password or banning it can end them. Holds weak references only;
// thread-safe.
#pragma once

#include "server/connection.hpp"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace hearth::server {

class session_index {
 public:
  void add(std::string const& account, std::shared_ptr<connection> const& c);
  void remove(std::string const& account, connection const* c);
  // Ends every connection of the account except `keep`: each forgets the
  // account at once (revoke, unless empty, runs on its strand before any
  // later frame of it), then closes with 1008 and reason. Returns how many.
  std::size_t close(std::string const& account, std::string const& reason, std::function<void(connection&)> revoke,
                    connection const* keep = nullptr);
  // Calls fn (outside the lock) on each live connection of the account;
  // returns how many.
  std::size_t each(std::string const& account, std::function<void(connection&)> const& fn);

 private:
  std::mutex mu_;
  std::multimap<std::string, std::pair<connection const*, std::weak_ptr<connection>>, std::less<>> sessions_;
};

}  // namespace hearth::server
