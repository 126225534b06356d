// flags {before?, limit?} -> {items, next}: the flag queue, most flagged first;
// thread {post_id}: a post in context for moderators.
#include "server/staff/ops.hpp"

#include "server/forum/ops.hpp"
#include "server/staff_common.hpp"
#include "server/validation.hpp"

#include <boost/json.hpp>

namespace hearth::server::staff {

void op_flags(forum_call const& c) {
  fields f(c->body);
  auto before = f.opt_str("before");
  auto limit = *page_limit(f);
  require(*c, storage::staff_role::moderator);
  run(pool::blocking, c, [c, before, limit] {
    return page_view(c->ctx.store().flag_queue(before, limit), "items", [](storage::flag_item const& it) {
      json::object reasons;
      for (auto const& [r, n] : it.reasons) reasons[r] = n;
      json::array notes;
      for (auto const& n : it.notes) notes.push_back(json::value(n));
      return json::object{{"post", forum::post_view_for_staff(it.post)},
                          {"flags", it.flags},
                          {"reasons", std::move(reasons)},
                          {"notes", std::move(notes)}};
    });
  });
}

// A post in context for moderators: the thread of a top-level post, or of a
// reply's parent, with hidden posts shown in full (marked "hidden"); paged
// like the forum's thread ({after?, limit?} -> {post, replies, next}).
void op_thread(forum_call const& c) {
  fields f(c->body);
  auto id = post_id_field(f);
  auto after = f.opt_str("after");
  auto limit = *page_limit(f);
  require(*c, storage::staff_role::moderator);
  run(pool::blocking, c, [c, id, after, limit] {
    auto& forum = c->ctx.store();
    auto p = check(forum.post(id), "no such post");
    auto t = forum::thread_page(forum, p.parent.empty() ? id : p.parent, after, limit);
    auto view = [](storage::post_record const& p) {
      return p.deleted ? forum::hidden_placeholder(p) : json::value(forum::post_view_for_staff(p));
    };
    json::array replies;
    for (auto const& r : t.replies) replies.push_back(view(r));
    return json::object{{"post", view(t.post)}, {"replies", std::move(replies)}, {"next", cursor_value(t.next)}};
  });
}

}  // namespace hearth::server::staff
