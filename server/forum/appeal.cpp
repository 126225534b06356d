// appeal {pseudonym_pk, action_id, text, sig} -> {appeal} and
// ban_status {pseudonym_pk} -> {banned, ...} (docs/protocol.md "Appeals").
// Neither needs a login: a banned pseudonym cannot log in, and the appeal's
// signature shows which pseudonym makes it.
#include "server/forum/notify.hpp"

#include "crypto/domain.hpp"
#include "crypto/ed25519.hpp"
#include "server/validation.hpp"

#include <boost/json.hpp>

namespace hearth::server::forum {

namespace {

constexpr std::size_t max_appeal_code_points = 1000;

crypto::bytes pseudonym_pk_field(fields const& f) {
  auto pk = f.b64("pseudonym_pk");
  if (pk.size() != crypto::ed25519::public_key_bytes) fail(errc::bad_request, "field 'pseudonym_pk' must be 32 bytes");
  return pk;
}

}  // namespace

void op_appeal(forum_call const& c) {
  fields f(c->body);
  auto pk = pseudonym_pk_field(f);
  auto action_id = action_id_field(f);
  auto text = f.str("text");
  auto sig = f.b64("sig");
  auto const n = code_points(text);
  if (n == 0) fail(errc::bad_request, "field 'text' must not be empty");
  if (n > max_appeal_code_points) fail(errc::too_large, "field 'text' is longer than 1000 characters");
  if (!c->conn->auth_bucket.take()) fail(errc::rate_limited, "too many attempts on this connection; slow down");
  run(pool::blocking, c, [c, pk, action_id, text, sig] {
    auto& s = c->ctx;
    auto who = s.store().pseudonym(pk);
    if (!who && who.error() == make_error_code(errc::not_found)) fail(errc::unauthenticated, "unknown pseudonym");
    auto p = check(std::move(who));
    auto entry = check(s.appeals().action(action_id), "no such moderation action");
    if (entry.action != "hide" && entry.action != "ban")
      fail(errc::bad_request, "only a hide or a ban can be appealed");
    bool const own = entry.action == "hide" ? check(s.store().post(entry.target)).author_pk == pk
                                            : entry.target == p.handle;
    if (!own) fail(errc::forbidden, "only the author of a hidden post or the banned pseudonym can appeal");
    auto const bytes = crypto::domain::appeal(s.issuer_name(), action_id, text);
    if (!crypto::ed25519::verify(pk, crypto::as_bytes(bytes), sig))
      fail(errc::invalid_signature, "the appeal signature does not verify for this pseudonym");
    if (auto earlier = s.appeals().appeal(action_id); earlier) fail(errc::conflict, "this action was already appealed");
    if (!notify::in_effect(s, entry, pk)) fail(errc::conflict, "this action is no longer in effect");
    storage::appeal_record a;
    a.action_id = action_id;
    a.action = entry.action;
    a.target = entry.target;
    a.pseudonym_pk = pk;
    a.handle = p.handle;
    a.text = text;
    a.sig = sig;
    auto filed = s.appeals().file(std::move(a), s.rt().now());
    if (!filed && filed.error() == make_error_code(errc::conflict)) fail(errc::conflict, "this action was already appealed");
    return json::object{{"appeal", notify::appeal_view(check(std::move(filed)))}};
  });
}

void op_ban_status(forum_call const& c) {
  fields f(c->body);
  auto pk = pseudonym_pk_field(f);
  run(pool::blocking, c, [c, pk] {
    auto& s = c->ctx;
    auto p = check(s.store().pseudonym(pk), "unknown pseudonym");
    auto until = check(s.store().ban_until(pk));
    if (!until || *until <= s.rt().now()) return json::object{{"banned", false}};
    json::object out{{"banned", true}, {"until", *until}, {"reason", check(s.store().ban_reason(pk))}};
    auto entry = check(s.appeals().latest_action(p.handle, notify::ban_actions));
    out["action_id"] = entry && entry->action == "ban" ? json::value(entry->id) : json::value(nullptr);
    out["appeal"] = nullptr;
    if (entry && entry->action == "ban") {
      auto a = s.appeals().appeal(entry->id);
      if (a) out["appeal"] = notify::appeal_view(*a);
      else if (a.error() != make_error_code(errc::not_found)) check(std::move(a));
    }
    return out;
  });
}

}  // namespace hearth::server::forum
