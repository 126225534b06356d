// notifications {before?, limit?} -> {items, unread, next} and
// notifications.read {up_to?} -> {unread} (docs/protocol.md "Notifications").
#include "server/forum/notify.hpp"

#include "server/validation.hpp"

#include <boost/json.hpp>

namespace hearth::server::forum {

void op_notifications(forum_call const& c) {
  fields f(c->body);
  auto before = f.opt_str("before");
  auto limit = *page_limit(f);
  auto pk = pseudonym_of(c);
  run(pool::blocking, c, [c, before, limit, pk] {
    auto pg = c->ctx.notices().list(pk, before, limit);
    if (!pg && pg.error() == make_error_code(errc::bad_request))
      fail(errc::bad_request, "field 'before' is not a cursor this server issued");
    auto out = check(std::move(pg));
    json::array items;
    for (auto const& n : out.items) {
      auto v = notify::notice_view(n);
      // A hide or a ban names the entry an appeal would name: say whether
      // one was made and how it stands.
      if (!n.action_id.empty() && (n.kind == "hide" || n.kind == "ban")) {
        auto a = c->ctx.appeals().appeal(n.action_id);
        if (a) v["appeal"] = notify::appeal_view(*a);
        else if (a.error() == make_error_code(errc::not_found)) v["appeal"] = nullptr;
        else check(std::move(a));
      }
      items.push_back(std::move(v));
    }
    return json::object{{"items", std::move(items)}, {"unread", out.unread}, {"next", cursor_value(out.next)}};
  });
}

void op_notifications_read(forum_call const& c) {
  fields f(c->body);
  auto up_to = f.opt_str("up_to");
  if (up_to && (up_to->empty() || up_to->size() > 64 || !printable_line(*up_to)))
    fail(errc::bad_request, "field 'up_to' is not a notification id");
  auto pk = pseudonym_of(c);
  run(pool::blocking, c, [c, up_to, pk] {
    auto n = check(c->ctx.notices().mark_read(pk, up_to), "no such notification");
    // The pseudonym's other connections (another tab) show the same count.
    c->ctx.push_to_pseudonym(pk, event_frame("notifications_read", json::object{{"unread", n}}));
    return json::object{{"unread", n}};
  });
}

}  // namespace hearth::server::forum
