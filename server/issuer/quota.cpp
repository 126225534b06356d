// quota -> {key_id, epoch, allowed, used} for the active key (PROTOCOL.md §5).
#include "server/issuer/ops.hpp"

namespace hearth::server::issuer {

void op_quota(issuer_call const& c) {
  auto id = employee_of(c);
  run(pool::blocking, c, [c, id] {
    auto dir = c->ctx.current();
    auto const* active = dir->active();
    if (!active) fail(errc::key_expired, "no key is active");
    auto q = check(c->ctx.store().quota(id, active->key_id));
    return json::object{
        {"key_id", active->key_id}, {"epoch", active->epoch}, {"allowed", c->ctx.cfg().quota}, {"used", q.used}};
  });
}

}  // namespace hearth::server::issuer
