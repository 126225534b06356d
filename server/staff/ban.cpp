// ban {handle, reason, until?} -> {handle, until} and unban {handle, reason}.
#include "server/staff/ops.hpp"

#include "server/forum/notify.hpp"
#include "server/forum/ops.hpp"
#include "server/staff_common.hpp"
#include "server/validation.hpp"

#include <boost/json.hpp>

namespace hearth::server::staff {

namespace {

// The flagged posts of one author still in the flag queue leave it: a ban
// deals with all of them at once.
std::size_t dismiss_flags_of(storage::forum_store& forum, crypto::bytes const& author) {
  std::vector<std::string> ids;
  std::optional<std::string> cursor;
  do {
    auto pg = check(forum.flag_queue(cursor, 100));
    for (auto const& item : pg.items)
      if (item.post.author_pk == author) ids.push_back(item.post.id);
    cursor = pg.next;
  } while (cursor);
  for (auto const& id : ids) check(forum.dismiss(id));
  return ids.size();
}

}  // namespace

void op_ban(forum_call const& c) {
  fields f(c->body);
  auto handle = handle_field(f);
  auto reason = reason_field(f);
  auto until = f.opt_integer("until");
  auto const by = require(*c, storage::staff_role::moderator);
  auto banned = std::make_shared<crypto::bytes>();  // the pseudonym, for the close once the ban is durable
  run_then(
      pool::blocking, c,
      [c, by, handle, reason, until, banned] {
        auto& forum = c->ctx.store();
        auto p = check(forum.pseudonym_by_handle(handle), "no pseudonym with this handle");
        auto const limit = forum::valid_until(p, *c->ctx.directory());
        auto const now = c->rt.now();
        std::int64_t const end = until ? std::min(*until, limit) : limit;
        if (end <= now) fail(errc::bad_request, "the ban would end before now (its end is clamped to the certification's end)");
        check(forum.ban(p.pk, end, modlog(by, "ban", p.handle, reason), now));
        forum::notify::moderated(c->ctx, p.pk, "ban", {}, p.handle, forum::notify::ban_actions, reason);
        auto const dismissed = dismiss_flags_of(forum, p.pk);
        audit(*c, c->ctx.staff(), by, "ban", p.handle,
              dismissed ? reason + " (" + std::to_string(dismissed) + " flagged posts left the queue)" : reason);
        *banned = p.pk;
        return json::object{{"handle", p.handle}, {"until", end}};
      },
      // Its connections close only once the ban is durable: a crash cannot
      // let a pseudonym that saw the close log in again.
      [c, banned](json::object&) { c->ctx.close_pseudonym(*banned, "banned"); });
}

void op_unban(forum_call const& c) {
  fields f(c->body);
  auto handle = handle_field(f);
  auto reason = reason_field(f);
  auto const by = require(*c, storage::staff_role::moderator);
  run(pool::blocking, c, [c, by, handle, reason] {
    auto& forum = c->ctx.store();
    auto p = check(forum.pseudonym_by_handle(handle), "no pseudonym with this handle");
    check(forum.unban(p.pk, modlog(by, "unban", p.handle, reason), c->rt.now()), "this pseudonym is not banned");
    forum::notify::moderated(c->ctx, p.pk, "unban", {}, p.handle, forum::notify::ban_actions, reason);
    audit(*c, c->ctx.staff(), by, "unban", p.handle, reason);
    return json::object{{"handle", p.handle}};
  });
}

}  // namespace hearth::server::staff
