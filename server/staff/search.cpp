// search {query, channel?, before?, limit?} -> {posts, next} for moderators:
// as the forum's search, with hidden posts too, shown in full and marked
// "hidden" (deleted posts are erased, never found). The query is never
// logged, nor kept, nor audited: a search changes nothing.
#include "server/staff/ops.hpp"

#include "server/forum/ops.hpp"
#include "server/staff_common.hpp"
#include "server/validation.hpp"
#include "storage/search.hpp"

namespace hearth::server::staff {

void op_search(forum_call const& c) {
  auto r = search_fields(fields(c->body));
  require(*c, storage::staff_role::moderator);
  run(pool::blocking, c, [c, r] {
    return page_view(storage::search_posts(c->ctx.store(), r.query, r.channel, r.before, r.limit, true), "posts",
                     [](storage::post_record const& p) { return forum::post_view_for_staff(p); }, "no such channel");
  });
}

}  // namespace hearth::server::staff
