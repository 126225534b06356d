// appeals {before?, limit?} -> {items, next}: open appeals, oldest first;
// appeal.decide {action_id, outcome, reason} -> {appeal}: a moderator other
// than the one who acted upholds or overturns (docs/protocol.md "Appeals").
#include "server/staff/ops.hpp"

#include "crypto/encoding.hpp"
#include "server/forum/notify.hpp"
#include "server/staff_common.hpp"
#include "server/validation.hpp"

#include <boost/json.hpp>

namespace hearth::server::staff {

namespace {

json::object staff_appeal_view(forum_service& s, storage::appeal_record const& a, std::string const& me) {
  auto v = forum::notify::appeal_view(a);
  v["handle"] = a.handle;
  v["pseudonym_pk"] = crypto::base64url_encode(a.pseudonym_pk);
  if (!a.decided_by.empty()) v["decided_by"] = a.decided_by;
  auto entry = s.appeals().action(a.action_id);
  if (entry) {
    // Whether the one asking acted: it may not decide. Who did is not shown.
    v["entry"] = forum::modlog_view(*entry);
    v["acted_by_you"] = !entry->actor.empty() && entry->actor == me;
  }
  if (a.action == "hide") {
    if (auto p = s.store().post(a.target); p && !p->deleted) v["post"] = forum::post_view_for_staff(*p);
  }
  return v;
}

}  // namespace

void op_appeals(forum_call const& c) {
  fields f(c->body);
  auto before = f.opt_str("before");
  auto limit = *page_limit(f);
  require(*c, storage::staff_role::moderator);
  run(pool::blocking, c, [c, before, limit] {
    auto const me = c->conn->staff.username;
    return page_view(c->ctx.appeals().open_appeals(before, limit), "items",
                     [&](storage::appeal_record const& a) { return staff_appeal_view(c->ctx, a, me); });
  });
}

void op_appeal_decide(forum_call const& c) {
  fields f(c->body);
  auto action_id = action_id_field(f);
  auto outcome = f.str("outcome");
  if (outcome != "uphold" && outcome != "overturn") fail(errc::bad_request, "field 'outcome' must be uphold or overturn");
  auto reason = reason_field(f);
  require(*c, storage::staff_role::moderator);
  run(pool::blocking, c, [c, action_id, overturn = outcome == "overturn", reason] {
    auto& s = c->ctx;
    auto const me = c->conn->staff.username;
    auto a = check(s.appeals().appeal(action_id), "no such appeal");
    auto entry = check(s.appeals().action(action_id), "no such moderation action");
    // Entries kept before the acting account was recorded name nobody.
    if (!entry.actor.empty() && entry.actor == me)
      fail(errc::forbidden, "another moderator must decide an appeal against your own action");
    auto const state = overturn ? storage::appeal_state::overturned : storage::appeal_state::upheld;
    // The decision first: of two moderators deciding at once, one wins and
    // only its outcome is applied and logged.
    auto decided = s.appeals().decide(action_id, state, me, reason, c->rt.now());
    if (!decided && decided.error() == make_error_code(errc::conflict)) fail(errc::conflict, "this appeal was already decided");
    a = check(std::move(decided));

    auto log = modlog(*c, overturn ? "appeal.overturned" : "appeal.upheld", entry.target, reason);
    auto const hide = entry.action == "hide";
    // Undone only while it is still the action in effect: not once a
    // moderator restored or unbanned meanwhile, nor for a post its author
    // deleted since, nor a ban that ran out (the outcome is then logged alone).
    bool const undo = overturn && forum::notify::in_effect(s, entry, a.pseudonym_pk);
    std::optional<storage::post_record> restored;
    if (undo && hide) {
      restored = check(s.store().restore(entry.target, std::move(log), c->rt.now()));
    } else if (undo) {
      check(s.store().unban(a.pseudonym_pk, std::move(log), c->rt.now()));
    } else {
      check(s.store().append_modlog(std::move(log), c->rt.now()));
    }
    if (restored && !restored->hidden && !restored->deleted)
      s.publish(restored->channel, forum::event_frame("post", forum::post_view(*restored)));

    storage::notice n;
    n.kind = overturn ? "appeal.overturned" : "appeal.upheld";
    n.post_id = hide ? entry.target : std::string();
    n.action_id = action_id;
    n.reason = reason;
    forum::notify::tell(s, a.pseudonym_pk, std::move(n));
    audit(*c, s.staff(), overturn ? "appeal.overturn" : "appeal.uphold", action_id, reason);
    return json::object{{"appeal", staff_appeal_view(s, a, me)}};
  });
}

}  // namespace hearth::server::staff
