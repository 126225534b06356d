// Where a forum gets the issuer's key directory: in one process (`all`), the
// issuer service itself; on a forum of its own, a verified copy fetched from
// the issuer (forum/directory_client.hpp). Either way the forum sees only
// public keys, the signed document and the unsigned `issued` counts.
#pragma once

#include "server/directory.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace hearth::server {

// A change of the directory, as the forum's public moderation log records it.
struct directory_change {
  std::string action;      // "keys.rotate" or "keys.revoke"
  std::string target;      // the key id
  std::string reason;
  std::string actor_role;  // "admin" (the issuer's admin or its automatic rotation)
};

class directory_source {
 public:
  virtual ~directory_source() = default;
  // The current directory; never null once the service is up.
  virtual std::shared_ptr<directory_snapshot const> current() const = 0;
  // The JSON answered at GET /v1/keys and by op `keys`: the signed directory
  // plus `issued`, the tokens issued per key (unsigned, coarse in time).
  virtual std::string document() const = 0;
  virtual std::uint64_t issued(std::string_view key_id) const = 0;
  // A token named a key this directory does not know: look again soon (the
  // source bounds how often).
  virtual void unknown_key() {}
  // Called after each change (on whatever thread made or saw it).
  virtual void on_change(std::function<void(directory_change const&)> fn) = 0;
};

}  // namespace hearth::server
