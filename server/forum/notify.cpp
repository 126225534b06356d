#include "server/forum/notify.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <exception>

namespace hearth::server::forum::notify {

namespace {

void put_if(json::object& o, std::string_view key, std::string const& v) {
  if (!v.empty()) o[key] = v;
}

// A notice that could not be kept is logged by its kind alone.
void failed(std::string_view kind, boost::system::error_code const& ec) {
  spdlog::error("keeping a {} notification failed: {}", kind, protocol_code(ec));
}

}  // namespace

json::object notice_view(storage::notice const& n) {
  json::object o{{"id", n.id}, {"kind", n.kind}, {"at", n.at}, {"read", n.read}};
  put_if(o, "post_id", n.post_id);
  put_if(o, "reply_id", n.reply_id);
  put_if(o, "by", n.by);
  put_if(o, "reaction", n.reaction);
  put_if(o, "action_id", n.action_id);
  put_if(o, "reason", n.reason);
  put_if(o, "poll_id", n.poll_id);
  return o;
}

json::object appeal_view(storage::appeal_record const& a) {
  json::object o{{"action_id", a.action_id}, {"action", a.action}, {"target", a.target},
                 {"text", a.text},           {"at", a.at},         {"state", storage::appeal_state_name(a.state)}};
  if (a.state != storage::appeal_state::open) {
    o["decision"] = a.decision;
    o["decided_at"] = a.decided_at;
  }
  return o;
}

namespace {

// Pushes a kept notice, with pk's unread count, to pk's connections.
void push_notice(forum_service& s, crypto::bytes const& pk, storage::notice const& added) {
  auto unread = s.notices().unread(pk);
  json::object data{{"notice", notice_view(added)}, {"unread", unread ? *unread : 0}};
  s.push_to_pseudonym(pk, event_frame("notification", std::move(data)));
}

}  // namespace

bool in_effect(forum_service& s, storage::modlog_entry const& entry, crypto::bytes const& pk) {
  auto const hide = entry.action == "hide";
  if (hide) {
    auto p = check(s.store().post(entry.target));
    if (!p.hidden || p.deleted) return false;
  } else {
    auto until = check(s.store().ban_until(pk));
    if (!until || *until <= s.rt().now()) return false;
  }
  auto latest = check(s.appeals().latest_action(
      entry.target, hide ? std::span<std::string_view const>(hide_actions) : std::span<std::string_view const>(ban_actions)));
  return latest && latest->id == entry.id;
}

void tell(forum_service& s, crypto::bytes const& pk, storage::notice n) {
  auto const kind = n.kind;
  auto added = s.notices().add(pk, std::move(n), s.rt().now());
  if (!added) return failed(kind, added.error());
  push_notice(s, pk, *added);
}

void reply(forum_service& s, storage::post_record const& r) {
  if (r.parent.empty()) return;
  s.rt().blocking([&s, parent = r.parent, id = r.id, by = r.author_handle, author = r.author_pk] {
    try {
      auto p = s.store().post(parent);
      if (!p) return failed("reply", p.error());
      if (p->author_pk == author || p->deleted) return;  // one's own thread, or a post taken back
      storage::notice n;
      n.kind = "reply";
      n.post_id = parent;
      n.reply_id = id;
      n.by = by;
      tell(s, p->author_pk, std::move(n));
    } catch (std::exception const&) {
      spdlog::error("keeping a reply notification failed");
    }
  });
}

void reaction(forum_service& s, std::string post_id, std::string reaction, crypto::bytes reactor) {
  s.rt().blocking([&s, post_id = std::move(post_id), reaction = std::move(reaction), reactor = std::move(reactor)] {
    try {
      auto p = s.store().post(post_id);
      if (!p) return failed("reaction", p.error());
      if (p->author_pk == reactor || p->hidden || p->deleted) return;
      auto added = s.notices().add_reaction(p->author_pk, reactor, post_id, reaction, s.rt().now());
      if (!added) return failed("reaction", added.error());
      if (!*added) return;  // told before
      push_notice(s, p->author_pk, **added);
    } catch (std::exception const&) {
      spdlog::error("keeping a reaction notification failed");
    }
  });
}

void moderated(forum_service& s, crypto::bytes const& pk, std::string_view kind, std::string const& post_id,
               std::string const& target, std::span<std::string_view const> actions, std::string const& reason,
               std::string const& poll_id) {
  auto entry = s.appeals().latest_action(target, actions);
  if (!entry) return failed(kind, entry.error());
  storage::notice n;
  n.kind = std::string(kind);
  n.post_id = post_id;
  n.poll_id = poll_id;
  n.action_id = *entry ? (*entry)->id : std::string();
  n.reason = reason;
  tell(s, pk, std::move(n));
}

}  // namespace hearth::server::forum::notify
