// appeals {before?, limit?} -> {items, next}: open appeals, oldest first;
// appeal.decide {action_id, outcome, reason} -> {appeal}: a moderator other
// than the one who acted upholds or overturns (docs/protocol.md "Appeals").
#include "server/staff/ops.hpp"

#include "crypto/encoding.hpp"
#include "server/forum/notify.hpp"
#include "server/staff_common.hpp"
#include "server/validation.hpp"
#include "storage/notices.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

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

// What a decision brings, once it is kept: the moderation log entry (with
// the hide or ban undone, when overturned and still in effect), the staff
// audit entry and the appellant's notice; then the appeal is settled. live:
// in answer to the decision (pushes go out); otherwise finishing one a stop
// interrupted, where `logged` says the log entry was already written and a
// notice already kept is not repeated.
void apply_outcome(forum_service& s, storage::appeal_record const& a, storage::modlog_entry const& entry,
                   storage::staff_role decider_role, bool live, bool logged = false);

}  // namespace

void op_appeals(forum_call const& c) {
  fields f(c->body);
  auto before = f.opt_str("before");
  auto limit = *page_limit(f);
  auto const by = require(*c, storage::staff_role::moderator);
  run(pool::blocking, c, [c, by, before, limit] {
    return page_view(c->ctx.appeals().open_appeals(before, limit), "items",
                     [&](storage::appeal_record const& a) { return staff_appeal_view(c->ctx, a, by.username); });
  });
}

void op_appeal_decide(forum_call const& c) {
  fields f(c->body);
  auto action_id = action_id_field(f);
  auto outcome = f.str("outcome");
  if (outcome != "uphold" && outcome != "overturn") fail(errc::bad_request, "field 'outcome' must be uphold or overturn");
  auto reason = reason_field(f);
  auto const me = require(*c, storage::staff_role::moderator);
  run(pool::blocking, c, [c, me, action_id, overturn = outcome == "overturn", reason] {
    auto& s = c->ctx;
    auto a = check(s.appeals().appeal(action_id), "no such appeal");
    auto entry = check(s.appeals().action(action_id), "no such moderation action");
    // Entries kept before the acting account was recorded name nobody.
    if (!entry.actor.empty() && entry.actor == me.username)
      fail(errc::forbidden, "another moderator must decide an appeal against your own action");
    auto const state = overturn ? storage::appeal_state::overturned : storage::appeal_state::upheld;
    // The decision first: of two moderators deciding at once, one wins and
    // only its outcome is applied and logged.
    auto decided = s.appeals().decide(action_id, state, me.username, reason, c->rt.now());
    if (!decided && decided.error() == make_error_code(errc::conflict)) fail(errc::conflict, "this appeal was already decided");
    a = check(std::move(decided));
    apply_outcome(s, a, entry, me.role, true);
    return json::object{{"appeal", staff_appeal_view(s, a, me.username)}};
  });
}

void finish_decisions(forum_service& s) {
  auto pending = s.appeals().unsettled();
  if (!pending) return spdlog::error("reading the decided appeals failed: {}", protocol_code(pending.error()));
  for (auto const& a : *pending) {
    try {
      auto entry = check(s.appeals().action(a.action_id));
      // The outcome's log entry is written in one batch with the undone
      // hide or ban, after the action appealed: present, it all was.
      std::string_view const outcomes[] = {"appeal.upheld", "appeal.overturned"};
      auto logged = check(s.appeals().latest_action(entry.target, outcomes));
      bool const applied = logged && logged->id > a.action_id;
      auto role = s.staff().staff(a.decided_by);
      apply_outcome(s, a, entry, role ? role->role : storage::staff_role::moderator, false, applied);
      spdlog::info("appeal against {} ({}): the decision's outcome was {}", a.action_id,
                   storage::appeal_state_name(a.state), applied ? "already applied" : "applied now");
    } catch (std::exception const& e) {
      spdlog::error("finishing the decided appeal against {} failed: {}", a.action_id, e.what());
    }
  }
}

namespace {

void apply_outcome(forum_service& s, storage::appeal_record const& a, storage::modlog_entry const& entry,
                   storage::staff_role decider_role, bool live, bool logged) {
  bool const overturn = a.state == storage::appeal_state::overturned;
  auto const hide = entry.action == "hide";
  auto const kind = std::string(overturn ? "appeal.overturned" : "appeal.upheld");
  auto const now = s.rt().now();
  if (!logged) {
    actor const by{a.decided_by, decider_role};
    auto log = modlog(by, kind, entry.target, a.decision);
    // Undone only while it is still the action in effect: not once a
    // moderator restored or unbanned meanwhile, nor for a post its author
    // deleted since, nor a ban that ran out (the outcome is then logged alone).
    bool const undo = overturn && forum::notify::in_effect(s, entry, a.pseudonym_pk);
    std::optional<storage::post_record> restored;
    if (undo && hide) {
      restored = check(s.store().restore(entry.target, std::move(log), now));
    } else if (undo) {
      check(s.store().unban(a.pseudonym_pk, std::move(log), now));
    } else {
      check(s.store().append_modlog(std::move(log), now));
    }
    if (live && restored && !restored->hidden && !restored->deleted)
      s.publish(restored->channel, forum::event_frame("post", forum::post_view(*restored)));

    audit(s.staff(), by, now, overturn ? "appeal.overturn" : "appeal.uphold", a.action_id, a.decision);
  }

  // The appellant's notice, unless a stop came after it was kept.
  bool told = false;
  if (!live) {
    auto recent = check(s.notices().list(a.pseudonym_pk, std::nullopt, 50));
    for (auto const& n : recent.items) told = told || (n.action_id == a.action_id && n.kind == kind);
  }
  if (!told) {
    storage::notice n;
    n.kind = kind;
    n.post_id = hide ? entry.target : std::string();
    n.action_id = a.action_id;
    n.reason = a.decision;
    if (live) forum::notify::tell(s, a.pseudonym_pk, std::move(n));
    else check(s.notices().add(a.pseudonym_pk, std::move(n), now));
  }
  check(s.appeals().settle(a.action_id));
}

}  // namespace

}  // namespace hearth::server::staff
