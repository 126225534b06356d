// anonymity -> {key_id, epoch, issued, certified, min_crowd}: the crowd a
// pseudonym of the active key hides in. `issued` comes from the issuer's
// directory answer (never from an issuer store), `certified` from the forum.
// `keys` gives the same per key that is not revoked (docs/protocol.md).
#include "server/forum/ops.hpp"

#include <boost/json.hpp>

namespace hearth::server::forum {

void op_anonymity(forum_call const& c) {
  pseudonym_of(c);
  run(pool::blocking, c, [c] {
    auto dir = c->ctx.directory();
    auto const* active = dir->active();
    if (!active) fail(errc::key_expired, "no key is active");
    auto const issued = c->ctx.keys().issued(active->key_id);
    auto certified = check(c->ctx.store().certified_count(active->key_id));
    json::array keys;
    for (auto const& k : dir->keys) {
      if (k.state == storage::key_state::revoked) continue;
      keys.push_back(json::object{{"key_id", k.key_id},
                                  {"epoch", k.epoch},
                                  {"state", key_state_name(k.state)},
                                  {"issued", c->ctx.keys().issued(k.key_id)},
                                  {"certified", check(c->ctx.store().certified_count(k.key_id))}});
    }
    return json::object{{"key_id", active->key_id},
                        {"epoch", active->epoch},
                        {"issued", issued},
                        {"certified", certified},
                        {"min_crowd", c->ctx.cfg().min_crowd},
                        {"keys", std::move(keys)}};
  });
}

}  // namespace hearth::server::forum
