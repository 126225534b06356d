// modlog, channels and channels.add {name, description} for staff.
#include "server/staff/ops.hpp"

#include "server/forum/ops.hpp"
#include "server/staff_common.hpp"
#include "server/validation.hpp"

#include <boost/json.hpp>

namespace hearth::server::staff {

void op_modlog(forum_call const& c) {
  fields f(c->body);
  auto before = f.opt_str("before");
  auto limit = *page_limit(f);
  require(*c, storage::staff_role::moderator);
  run(pool::blocking, c, [c, before, limit] { return forum::modlog_page(c->ctx, before, limit); });
}

void op_channels(forum_call const& c) {
  require(*c, storage::staff_role::moderator);
  run(pool::blocking, c, [c] { return forum::channels_view(c->ctx); });
}

void op_channels_add(forum_call const& c) {
  fields f(c->body);
  auto name = channel_field(f, "name");
  auto description = f.str("description");
  if (code_points(description) > 500)
    fail(errc::too_large, "field 'description' is longer than 500 characters");
  auto const by = require(*c, storage::staff_role::admin);
  run(pool::blocking, c, [c, by, name, description] {
    check(c->ctx.store().add_channel({name, description}), "a channel with this name exists");
    audit(*c, c->ctx.staff(), by, "channels.add", name, description);
    return json::object{};
  });
}

}  // namespace hearth::server::staff
