// /v1/staff (PROTOCOL.md §7): moderators review flagged posts; admins manage
// keys, the roster, staff and channels. Every action lands in the staff audit
// log; moderation and key actions also in the public moderation log, with the
// actor's role and never the username.
#include "server/ops.hpp"

#include "crypto/password.hpp"
#include "server/staff_common.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

namespace hearth::server {
namespace {

using storage::staff_role;

constexpr std::size_t max_reason_code_points = 1000;
constexpr std::size_t max_description_code_points = 500;
constexpr std::size_t max_roster_import = 100000;

staff_role require(call const& c, staff_role needed) {
  auto const& st = c.conn->staff;
  if (st.username.empty()) fail(errc::unauthenticated, "sign in first (op 'login')");
  if (needed == staff_role::admin && st.role != staff_role::admin) fail(errc::forbidden, "this op needs an admin");
  return st.role;
}

std::string reason_field(fields const& f, bool required = true) {
  auto r = required ? f.str("reason") : f.opt_str("reason").value_or("");
  if (code_points(r) > max_reason_code_points) fail(errc::too_large, "field 'reason' is longer than 1000 characters");
  return r;
}

void audit(call const& c, std::string action, std::string target, std::string detail = {}) {
  storage::audit_entry e;
  e.at = c.a.now();
  e.actor = c.conn->staff.username;
  e.actor_role = c.conn->staff.role;
  e.action = std::move(action);
  e.target = std::move(target);
  e.detail = std::move(detail);
  if (auto r = c.a.issuer_store().append_audit(std::move(e)); !r)
    spdlog::error("writing the audit log failed: {}", protocol_code(r.error()));
}

storage::modlog_entry modlog(call const& c, std::string action, std::string target, std::string reason) {
  storage::modlog_entry e;
  e.action = std::move(action);
  e.target = std::move(target);
  e.reason = std::move(reason);
  e.actor_role = std::string(role_name(c.conn->staff.role));
  return e;
}

void op_login(call_ptr const& c) {
  fields f(c->body);
  auto username = f.str("username");
  auto password = f.str("password");
  if (!valid_staff_username(username)) fail(errc::bad_request, "field 'username' must match ^[A-Za-z0-9_.-]{1,64}$");
  if (password.size() > 1024) fail(errc::bad_request, "the password is too long");
  if (!c->conn->auth_bucket.take() || c->a.too_many_failures("staff:" + username))
    fail(errc::rate_limited, "too many attempts; wait a few minutes and try again");
  run_then(
      pool::cpu, c,
      [c, username, password] {
        auto rec = c->a.issuer_store().staff(username);
        bool const ok = rec && crypto::verify_password(rec->password_hash, password);
        if (!ok) {
          if (!rec) (void)crypto::hash_password(password, {c->a.cfg().argon2_opslimit, c->a.cfg().argon2_memlimit});
          c->a.record_failure("staff:" + username);
          fail(errc::unauthenticated, "unknown username or wrong password");
        }
        c->a.clear_failures("staff:" + username);
        return json::object{{"username", rec->username}, {"role", role_name(rec->role)}};
      },
      [c](json::object& out) {
        auto& st = c->conn->staff;
        if (!st.username.empty()) fail(errc::conflict, "this connection is already signed in");
        st.username = std::string(out["username"].as_string());
        st.role = out["role"].as_string() == "admin" ? staff_role::admin : staff_role::moderator;
      });
}

// ---------------------------------------------------------------- moderator

void op_flags(call_ptr const& c) {
  fields f(c->body);
  auto before = f.opt_str("before");
  auto limit = *page_limit(f);
  require(*c, staff_role::moderator);
  run(pool::blocking, c, [c, before, limit] {
    return page_view(c->a.forum_store().flag_queue(before, limit), "items", [](storage::flag_item const& it) {
      json::object reasons;
      for (auto const& [r, n] : it.reasons) reasons[r] = n;
      json::array notes;
      for (auto const& n : it.notes) notes.push_back(json::value(n));
      return json::object{{"post", post_view_for_staff(it.post)},
                          {"flags", it.flags},
                          {"reasons", std::move(reasons)},
                          {"notes", std::move(notes)}};
    });
  });
}

// A post in context for moderators: the whole thread of a top-level post, or
// of a reply's parent, with hidden posts shown in full (marked "hidden").
void op_thread(call_ptr const& c) {
  fields f(c->body);
  auto id = post_id_field(f);
  require(*c, staff_role::moderator);
  run(pool::blocking, c, [c, id] {
    auto& forum = c->a.forum_store();
    auto p = check(forum.post(id), "no such post");
    auto t = check(forum.thread(p.parent.empty() ? id : p.parent), "no such post");
    auto view = [](storage::post_record const& p) {
      return p.deleted ? hidden_placeholder(p) : json::value(post_view_for_staff(p));
    };
    json::array replies;
    for (auto const& r : t.replies) replies.push_back(view(r));
    return json::object{{"post", view(t.post)}, {"replies", std::move(replies)}};
  });
}

void op_hide(call_ptr const& c) {
  fields f(c->body);
  auto id = post_id_field(f);
  auto reason = reason_field(f);
  require(*c, staff_role::moderator);
  run(pool::blocking, c, [c, id, reason] {
    auto p = check(c->a.forum_store().hide(id, modlog(*c, "hide", id, reason), c->a.now()), "no such post");
    publish_hidden(c->a, p);
    audit(*c, "hide", id, reason);
    return json::object{{"post_id", id}};
  });
}

void op_restore(call_ptr const& c) {
  fields f(c->body);
  auto id = post_id_field(f);
  auto reason = reason_field(f);
  require(*c, staff_role::moderator);
  run(pool::blocking, c, [c, id, reason] {
    auto p = check(c->a.forum_store().restore(id, modlog(*c, "restore", id, reason), c->a.now()), "no such post");
    if (!p.hidden && !p.deleted) c->a.publish(p.channel, event_frame("post", post_view(p)));
    audit(*c, "restore", id, reason);
    return json::object{{"post_id", id}};
  });
}

void op_dismiss(call_ptr const& c) {
  fields f(c->body);
  auto id = post_id_field(f);
  require(*c, staff_role::moderator);
  run(pool::blocking, c, [c, id] {
    check(c->a.forum_store().dismiss(id), "no such post");
    audit(*c, "dismiss", id);
    return json::object{{"post_id", id}};
  });
}

std::string handle_field(fields const& f) {
  auto h = f.str("handle");
  if (!matches_name(h, 3, 20, "_")) fail(errc::bad_request, "field 'handle' must match ^[A-Za-z0-9_]{3,20}$");
  return h;
}

void op_ban(call_ptr const& c) {
  fields f(c->body);
  auto handle = handle_field(f);
  auto reason = reason_field(f);
  auto until = f.opt_integer("until");
  require(*c, staff_role::moderator);
  run(pool::blocking, c, [c, handle, reason, until] {
    auto& forum = c->a.forum_store();
    auto p = check(forum.pseudonym_by_handle(handle), "no pseudonym with this handle");
    auto const limit = valid_until(p, *c->a.directory());
    auto const now = c->a.now();
    std::int64_t const end = until ? std::min(*until, limit) : limit;
    if (end <= now) fail(errc::bad_request, "the ban would end before now (its end is clamped to the certification's end)");
    check(forum.ban(p.pk, end, modlog(*c, "ban", p.handle, reason), now));
    c->a.close_pseudonym(p.pk, "banned");
    audit(*c, "ban", p.handle, reason);
    return json::object{{"handle", p.handle}, {"until", end}};
  });
}

void op_unban(call_ptr const& c) {
  fields f(c->body);
  auto handle = handle_field(f);
  auto reason = reason_field(f);
  require(*c, staff_role::moderator);
  run(pool::blocking, c, [c, handle, reason] {
    auto& forum = c->a.forum_store();
    auto p = check(forum.pseudonym_by_handle(handle), "no pseudonym with this handle");
    check(forum.unban(p.pk, modlog(*c, "unban", p.handle, reason), c->a.now()), "this pseudonym is not banned");
    audit(*c, "unban", p.handle, reason);
    return json::object{{"handle", p.handle}};
  });
}

// -------------------------------------------------------------------- admin

rotation rotation_from(call const& c, fields const& f) {
  rotation r{c.a.cfg().key_bits, c.a.cfg().issue_days, c.a.cfg().accept_days};
  if (auto bits = f.opt_integer("bits")) {
    if (*bits != 2048 && *bits != 3072 && *bits != 4096) fail(errc::bad_request, "field 'bits' must be 2048, 3072 or 4096");
    r.bits = static_cast<unsigned>(*bits);
  }
  auto issue = f.opt_number("issue_days");
  auto accept = f.opt_number("accept_days");
  if (issue) r.issue_days = *issue;
  if (accept) r.accept_days = *accept;
  if (issue && !accept && r.accept_days < r.issue_days) r.accept_days = r.issue_days;
  if (!(r.issue_days > 0) || !(r.accept_days > 0))
    fail(errc::bad_request, "fields 'issue_days' and 'accept_days' must be positive numbers");
  if (r.accept_days < r.issue_days) fail(errc::bad_request, "field 'accept_days' must be at least 'issue_days'");
  return r;
}

// After a rotation or revocation (directory already reloaded): log it.
void after_key_change(call const& c, std::string const& action, std::string const& target, std::string const& reason) {
  auto entry = modlog(c, action, target, reason);
  check(c.a.forum_store().append_modlog(std::move(entry), c.a.now()));
  audit(c, action, target, reason);
}

void op_keys_rotate(call_ptr const& c) {
  fields f(c->body);
  auto r = rotation_from(*c, f);
  auto reason = reason_field(f, false);
  require(*c, staff_role::admin);
  run(pool::cpu, c, [c, r, reason] {
    check(rotate_keys(c->a.issuer_store(), r, c->a.now()), "the key directory changed meanwhile; try again");
    check(c->a.reload_directory());
    auto const* active = c->a.directory()->active();
    after_key_change(*c, "keys.rotate", active ? active->key_id : "", reason);
    return json::parse(c->a.directory()->json).as_object();
  });
}

void op_keys_revoke(call_ptr const& c) {
  fields f(c->body);
  auto key_id = f.str("key_id");
  auto reason = reason_field(f);
  require(*c, staff_role::admin);
  rotation r{c->a.cfg().key_bits, c->a.cfg().issue_days, c->a.cfg().accept_days};
  run(pool::cpu, c, [c, key_id, reason, r] {
    auto res = revoke_key(c->a.issuer_store(), key_id, r, c->a.now());
    if (!res && res.error() == make_error_code(errc::not_found)) fail(errc::key_unknown, "no key with this key_id");
    if (!res && res.error() == make_error_code(errc::conflict)) fail(errc::conflict, "this key is already revoked");
    check(std::move(res));
    check(c->a.reload_directory());
    after_key_change(*c, "keys.revoke", key_id, reason);
    return json::parse(c->a.directory()->json).as_object();
  });
}

void op_roster_import(call_ptr const& c) {
  fields f(c->body);
  auto const& arr = f.array("employees");
  if (arr.size() > max_roster_import) fail(errc::too_large, "import at most 100000 employees per call");
  std::vector<std::string> ids;
  ids.reserve(arr.size());
  for (auto const& v : arr) {
    if (!v.is_string()) fail(errc::bad_request, "field 'employees' must be an array of strings");
    ids.emplace_back(v.as_string());
  }
  require(*c, staff_role::admin);
  if (c->a.cfg().auth != employer_auth::roster)
    fail(errc::bad_request, "this server authenticates employees through its proxy; it has no roster");
  run(pool::blocking, c, [c, ids = std::move(ids)] {
    auto codes = check(import_roster(c->a.issuer_store(), ids),
                       "every employee id must be 1..128 printable characters and appear once");
    json::object out;
    for (auto& [id, code] : codes) out[id] = code;
    audit(*c, "roster.import", std::to_string(ids.size()) + " employees");
    return json::object{{"codes", std::move(out)}};
  });
}

void op_roster_remove(call_ptr const& c) {
  fields f(c->body);
  auto id = f.str("employee_id");
  if (!valid_employee_id(id)) fail(errc::bad_request, "field 'employee_id' must be 1..128 printable characters");
  require(*c, staff_role::admin);
  run(pool::blocking, c, [c, id] {
    check(c->a.issuer_store().remove_employee(id), "no such employee on the roster");
    audit(*c, "roster.remove", id);
    return json::object{};
  });
}

void op_staff_add(call_ptr const& c) {
  fields f(c->body);
  auto username = f.str("username");
  auto role = f.str("role");
  auto password = f.str("password");
  if (!valid_staff_username(username)) fail(errc::bad_request, "field 'username' must match ^[A-Za-z0-9_.-]{1,64}$");
  if (role != "moderator" && role != "admin") fail(errc::bad_request, "field 'role' must be moderator or admin");
  if (code_points(password) < 10) fail(errc::bad_request, "the password must be at least 10 characters long");
  if (password.size() > 1024) fail(errc::bad_request, "the password is too long");
  require(*c, staff_role::admin);
  run(pool::cpu, c, [c, username, role, password] {
    storage::staff_record rec;
    rec.username = username;
    rec.role = role == "admin" ? staff_role::admin : staff_role::moderator;
    rec.password_hash = check(crypto::hash_password(password, {c->a.cfg().argon2_opslimit, c->a.cfg().argon2_memlimit}));
    check(c->a.issuer_store().add_staff(rec), "a staff account with this username exists");
    audit(*c, "staff.add", username, role);
    return json::object{};
  });
}

void op_staff_remove(call_ptr const& c) {
  fields f(c->body);
  auto username = f.str("username");
  if (!valid_staff_username(username)) fail(errc::bad_request, "field 'username' must match ^[A-Za-z0-9_.-]{1,64}$");
  require(*c, staff_role::admin);
  run(pool::blocking, c, [c, username] {
    auto r = c->a.issuer_store().remove_staff(username);
    if (!r && r.error() == make_error_code(errc::forbidden)) fail(errc::forbidden, "the last admin cannot be removed");
    check(std::move(r), "no staff account with this username");
    audit(*c, "staff.remove", username);
    return json::object{};
  });
}

void op_staff_list(call_ptr const& c) {
  require(*c, staff_role::admin);
  run(pool::blocking, c, [c] {
    json::array out;
    for (auto const& s : check(c->a.issuer_store().list_staff()))
      out.push_back(json::object{{"username", s.username}, {"role", role_name(s.role)}});
    return json::object{{"staff", std::move(out)}};
  });
}

void op_channels_add(call_ptr const& c) {
  fields f(c->body);
  auto name = channel_field(f, "name");
  auto description = f.str("description");
  if (code_points(description) > max_description_code_points)
    fail(errc::too_large, "field 'description' is longer than 500 characters");
  require(*c, staff_role::admin);
  run(pool::blocking, c, [c, name, description] {
    check(c->a.forum_store().add_channel({name, description}), "a channel with this name exists");
    audit(*c, "channels.add", name, description);
    return json::object{};
  });
}

void op_channels(call_ptr const& c) {
  require(*c, staff_role::moderator);
  run(pool::blocking, c, [c] { return channels_view(c->a); });
}

void op_audit(call_ptr const& c) {
  fields f(c->body);
  auto before = f.opt_str("before");
  auto limit = *page_limit(f);
  require(*c, staff_role::admin);
  run(pool::blocking, c, [c, before, limit] {
    return page_view(c->a.issuer_store().audit(before, limit), "entries", [](storage::audit_entry const& e) {
      return json::object{{"id", e.id},         {"at", e.at},         {"actor", e.actor},
                          {"role", role_name(e.actor_role)},          {"action", e.action},
                          {"target", e.target}, {"detail", e.detail}};
    });
  });
}

void op_modlog(call_ptr const& c) {
  fields f(c->body);
  auto before = f.opt_str("before");
  auto limit = *page_limit(f);
  require(*c, staff_role::moderator);
  run(pool::blocking, c, [c, before, limit] { return modlog_page(c->a, before, limit); });
}

constexpr op_entry table[] = {
    {"keys", op_keys},
    {"login", op_login},
    {"flags", op_flags},
    {"thread", op_thread},
    {"hide", op_hide},
    {"restore", op_restore},
    {"dismiss", op_dismiss},
    {"ban", op_ban},
    {"unban", op_unban},
    {"modlog", op_modlog},
    {"channels", op_channels},
    {"keys.rotate", op_keys_rotate},
    {"keys.revoke", op_keys_revoke},
    {"roster.import", op_roster_import},
    {"roster.remove", op_roster_remove},
    {"staff.add", op_staff_add},
    {"staff.remove", op_staff_remove},
    {"staff.list", op_staff_list},
    {"channels.add", op_channels_add},
    {"audit", op_audit},
};

}  // namespace

std::span<op_entry const> staff_ops() { return table; }

}  // namespace hearth::server
