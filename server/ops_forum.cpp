// /v1/forum (PROTOCOL.md §6): pseudonyms certify, log in and talk. This
// endpoint never sees or reads an employer identity.
#include "server/ops.hpp"

#include "crypto/blind_rsa.hpp"
#include "crypto/domain.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/encoding.hpp"
#include "crypto/random.hpp"

#include <boost/json.hpp>

#include <ctime>

namespace hearth::server {

// ------------------------------------------------------------------- views

namespace {
constexpr std::string_view reaction_names[] = {"+1", "heart", "laugh", "sad"};
constexpr std::string_view flag_reasons[] = {"spam", "harassment", "doxxing", "off_topic", "other"};
constexpr std::size_t max_body_code_points = 10000;
constexpr std::size_t max_note_code_points = 1000;
constexpr std::size_t nonce_bytes = 32;
constexpr std::size_t min_client_nonce = 16, max_client_nonce = 64;

bool one_of(std::string_view v, auto const& set) {
  for (auto const& s : set)
    if (s == v) return true;
  return false;
}
}  // namespace

json::object post_view_for_staff(storage::post_record const& p) {
  json::object reactions;
  for (auto r : reaction_names) {
    auto it = p.reactions.find(std::string(r));
    reactions[r] = it == p.reactions.end() ? 0 : it->second;
  }
  json::object o{{"id", p.id},
                 {"channel", p.channel},
                 {"parent", p.parent.empty() ? json::value(nullptr) : json::value(p.parent)},
                 {"author", json::object{{"handle", p.author_handle}, {"pk", crypto::base64url_encode(p.author_pk)}}},
                 {"body", p.body},
                 {"created_at", p.created_at},
                 {"nonce", p.nonce},
                 {"sig", crypto::base64url_encode(p.sig)},
                 {"reactions", std::move(reactions)},
                 {"replies", p.replies}};
  if (p.hidden) o["hidden"] = true;
  return o;
}

json::value hidden_placeholder(storage::post_record const& p) { return json::object{{"id", p.id}, {"hidden", true}}; }

json::object post_view(storage::post_record const& p) {
  if (p.hidden || p.deleted) return hidden_placeholder(p).as_object();
  return post_view_for_staff(p);
}

std::int64_t valid_until(std::span<storage::certification const> certs, directory_snapshot const& dir) {
  std::int64_t until = 0;
  for (auto const& cert : certs) {
    auto const* k = dir.find(cert.key_id);
    if (!k || k->state == storage::key_state::revoked) continue;
    until = std::max(until, std::min(cert.accept_until, k->accept_until));
  }
  return until;
}

std::int64_t valid_until(storage::pseudonym_record const& p, directory_snapshot const& dir) {
  return valid_until(std::span<storage::certification const>(p.certifications), dir);
}

json::object pseudonym_view(storage::pseudonym_record const& p, directory_snapshot const& dir) {
  return json::object{{"handle", p.handle},
                      {"pk", crypto::base64url_encode(p.pk)},
                      {"since_epoch", p.since_epoch},
                      {"valid_until", valid_until(p, dir)},
                      {"posts", p.posts}};
}

json::object modlog_view(storage::modlog_entry const& e) {
  return json::object{{"id", e.id},         {"at", e.at},         {"action", e.action},
                      {"target", e.target}, {"reason", e.reason}, {"actor_role", e.actor_role}};
}

std::shared_ptr<std::string const> event_frame(std::string_view name, json::object data) {
  json::object ev{{"event", name}, {"data", std::move(data)}};
  return std::make_shared<std::string const>(json::serialize(ev));
}

void publish_hidden(app& a, storage::post_record const& p) {
  a.publish(p.channel, event_frame("post_hidden", json::object{{"post_id", p.id}}));
}

std::string channel_field(fields const& f, std::string_view name) {
  auto ch = f.str(name);
  if (!matches_name(ch, 1, 32, "-", false))
    fail(errc::bad_request, "field '" + std::string(name) + "' must match ^[a-z0-9-]{1,32}$");
  return ch;
}

std::string post_id_field(fields const& f, std::string_view name) {
  auto id = f.str(name);
  if (id.empty() || id.size() > 64 || !printable_line(id))
    fail(errc::bad_request, "field '" + std::string(name) + "' is not a post id");
  return id;
}

json::value cursor_value(std::optional<std::string> const& next) {
  return next ? json::value(*next) : json::value(nullptr);
}

json::object channels_view(app& a) {
  json::array out;
  for (auto const& ch : check(a.forum_store().channels()))
    out.push_back(json::object{{"name", ch.name}, {"description", ch.description}});
  return json::object{{"channels", std::move(out)}};
}

json::object modlog_page(app& a, std::optional<std::string> const& before, std::size_t limit) {
  return page_view(a.forum_store().modlog(before, limit), "entries", modlog_view);
}

namespace {

std::string until_text(std::int64_t t) {
  std::time_t tt = t;
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

crypto::bytes const& pseudonym_of(call const& c) {
  auto const& pk = c.conn->forum.pk;
  if (pk.empty()) fail(errc::unauthenticated, "log in with your pseudonym first (ops 'challenge' and 'login')");
  return pk;
}

// Banned pseudonyms cannot post, react or flag; one whose certification lapsed
// (or whose key was revoked) while it was logged in must renew first. The
// certifications read at login answer when they still make it valid (against
// the current directory, so a revocation counts at once); else the record is
// read again, in case it was renewed meanwhile.
using certifications_ptr = std::shared_ptr<std::vector<storage::certification> const>;

void check_may_act(app& a, crypto::bytes const& pk, certifications_ptr const& at_login) {
  auto ban = check(a.forum_store().ban_until(pk));
  if (ban && *ban > a.now()) fail(errc::banned, "this pseudonym is banned until " + until_text(*ban));
  if (at_login && valid_until(std::span<storage::certification const>(*at_login), *a.directory()) > a.now()) return;
  auto rec = check(a.forum_store().pseudonym(pk));
  if (valid_until(rec, *a.directory()) <= a.now())
    fail(errc::key_expired, "this pseudonym's certification has lapsed; renew it with a new token (certify)");
}

crypto::bytes pk_field(fields const& f, std::string_view name) {
  auto pk = f.b64(name);
  if (pk.size() != crypto::ed25519::public_key_bytes || !crypto::ed25519::is_valid_public_key(pk))
    fail(errc::bad_request, "field '" + std::string(name) + "' must be a canonical Ed25519 public key of large order");
  return pk;
}

crypto::bytes token_id(std::string_view key_id, crypto::byte_view prepared) {
  std::string in = "hearth/token/v1";
  in.push_back('\0');
  in += key_id;
  in.push_back('\0');
  in.append(reinterpret_cast<char const*>(prepared.data()), prepared.size());
  return crypto::sha256(crypto::as_bytes(in));
}

void op_certify(call_ptr const& c) {
  fields f(c->body);
  auto key_id = f.str("key_id");
  auto prefix = f.b64("prefix");
  auto sig = f.b64("sig");
  auto pk = pk_field(f, "pseudonym_pk");
  auto handle = f.str("handle");
  if (prefix.size() != crypto::blind_rsa::prefix_bytes) fail(errc::bad_request, "field 'prefix' must be 32 bytes");
  if (!matches_name(handle, 3, 20, "_")) fail(errc::bad_request, "field 'handle' must match ^[A-Za-z0-9_]{3,20}$");
  if (!c->conn->auth_bucket.take()) fail(errc::rate_limited, "too many attempts on this connection; slow down");
  auto dir = c->a.directory();
  auto const* key = dir->find(key_id);
  if (!key) fail(errc::key_unknown, "no key with this key_id; fetch the key directory again");
  if (key->state == storage::key_state::revoked) fail(errc::key_expired, "this key was revoked");
  if (key->accept_until <= c->a.now()) fail(errc::key_expired, "tokens of this key are no longer accepted");

  run(pool::io, c, [c, dir, key, prefix = std::move(prefix), sig = std::move(sig), pk = std::move(pk),
                          handle = std::move(handle)] {
    auto const msg = crypto::domain::pseudonym_token_msg(pk);
    crypto::bytes prepared = prefix;
    prepared.insert(prepared.end(), msg.begin(), msg.end());
    if (!crypto::blind_rsa::verify(key->public_key, crypto::blind_rsa::variant::pss_randomized, prepared, sig))
      fail(errc::invalid_token, "the token's signature does not verify under this key");
    storage::certification cert{key->key_id, key->epoch, key->accept_until};
    auto out = c->a.forum_store().certify(token_id(key->key_id, prepared), pk, handle, cert);
    if (!out && out.error() == make_error_code(errc::conflict))
      fail(errc::conflict, "this handle is taken; choose another");
    if (!out && out.error() == make_error_code(errc::token_spent))
      fail(errc::token_spent, "this token was already used");
    return json::object{{"pseudonym", pseudonym_view(check(std::move(out)).pseudonym, *dir)}};
  });
}

void op_challenge(call_ptr const& c) {
  auto& st = c->conn->forum;
  st.nonce = crypto::random_bytes(nonce_bytes);
  st.nonce_expiry = std::chrono::steady_clock::now() +
                    std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                        std::chrono::duration<double>(c->a.cfg().nonce_ttl));
  c->ok(json::object{{"nonce", crypto::base64url_encode(st.nonce)}});
}

void op_login(call_ptr const& c) {
  fields f(c->body);
  auto pk = f.b64("pseudonym_pk");
  auto sig = f.b64("sig");
  if (!c->conn->auth_bucket.take()) fail(errc::rate_limited, "too many attempts on this connection; slow down");
  auto& st = c->conn->forum;
  auto nonce = std::move(st.nonce);  // any attempt consumes the challenge
  st.nonce.clear();
  if (nonce.empty()) fail(errc::unauthenticated, "ask for a 'challenge' first");
  if (std::chrono::steady_clock::now() > st.nonce_expiry)
    fail(errc::unauthenticated, "the challenge expired; ask for a new one");
  auto const bytes = crypto::domain::login(c->a.issuer_name(), crypto::base64url_encode(nonce));
  if (!crypto::ed25519::verify(pk, crypto::as_bytes(bytes), sig))
    fail(errc::unauthenticated, "the login signature does not verify");
  auto certs = std::make_shared<std::vector<storage::certification>>();  // filled by the work, kept by then
  run_then(
      pool::io, c,
      [c, pk, certs] {
        auto rec = c->a.forum_store().pseudonym(pk);
        if (!rec) {
          if (rec.error() == make_error_code(errc::not_found)) fail(errc::unauthenticated, "unknown pseudonym; certify it first");
          check(std::move(rec));
        }
        auto ban = check(c->a.forum_store().ban_until(pk));
        if (ban && *ban > c->a.now()) fail(errc::banned, "this pseudonym is banned until " + until_text(*ban));
        auto dir = c->a.directory();
        if (valid_until(*rec, *dir) <= c->a.now())
          fail(errc::key_expired, "this pseudonym's certification has lapsed; renew it with a new token (certify)");
        *certs = rec->certifications;
        return json::object{{"pseudonym", pseudonym_view(*rec, *dir)}};
      },
      [c, pk, certs](json::object& out) {
        auto& st = c->conn->forum;
        if (!st.pk.empty()) fail(errc::conflict, "this connection is already logged in");
        st.pk = pk;
        st.certs = certs;
        st.handle = std::string(out["pseudonym"].as_object()["handle"].as_string());
        c->a.pseudonym_online(pk, c->conn);
      });
}

void op_channels(call_ptr const& c) {
  pseudonym_of(*c);
  run(pool::blocking, c, [c] { return channels_view(c->a); });
}

bool valid_client_nonce(std::string_view n) {
  return matches_name(n, min_client_nonce, max_client_nonce, "-_");
}

void op_post(call_ptr const& c) {
  fields f(c->body);
  storage::new_post p;
  p.channel = channel_field(f);
  auto parent = f.opt_str("parent");
  if (parent) {
    if (parent->empty() || parent->size() > 64 || !printable_line(*parent))
      fail(errc::bad_request, "field 'parent' is not a post id");
    p.parent = *parent;
  }
  p.body = f.str("body");
  p.nonce = f.str("nonce");
  p.sig = f.b64("sig");
  auto const n = code_points(p.body);
  if (n == 0) fail(errc::bad_request, "field 'body' must not be empty");
  if (n > max_body_code_points) fail(errc::too_large, "field 'body' is longer than 10000 characters");
  if (!valid_client_nonce(p.nonce)) fail(errc::bad_request, "field 'nonce' must be 16..64 base64url characters");
  p.author_pk = pseudonym_of(*c);
  p.author_handle = c->conn->forum.handle;
  if (!c->a.take_post_slot(p.author_pk)) fail(errc::rate_limited, "posting too fast; wait a moment");
  run(pool::io, c, [c, p = std::move(p), certs = c->conn->forum.certs] {
    auto const bytes = crypto::domain::post(c->a.issuer_name(), p.channel, p.parent, p.nonce, p.body);
    if (!crypto::ed25519::verify(p.author_pk, crypto::as_bytes(bytes), p.sig))
      fail(errc::invalid_signature, "the post signature does not verify for this pseudonym");
    check_may_act(c->a, p.author_pk, certs);
    auto out = c->a.forum_store().append_post(p, c->a.now());
    if (!out && out.error() == make_error_code(errc::conflict))
      fail(errc::conflict, "this nonce was already used for a different post");
    if (!out && out.error() == make_error_code(errc::not_found))
      fail(errc::not_found, p.parent.empty() ? "no such channel" : "no such channel or parent post");
    if (!out && out.error() == make_error_code(errc::bad_request))
      fail(errc::bad_request, "the parent must be a top-level post in the same channel");
    auto r = check(std::move(out));
    auto view = post_view(r.post);
    if (r.created && c->a.has_subscribers(r.post.channel)) c->a.publish(r.post.channel, event_frame("post", view));
    return json::object{{"post", std::move(view)}};
  });
}

void op_feed(call_ptr const& c) {
  fields f(c->body);
  auto channel = channel_field(f);
  auto before = f.opt_str("before");
  auto limit = *page_limit(f);
  pseudonym_of(*c);
  run(pool::blocking, c, [c, channel, before, limit] {
    return page_view(c->a.forum_store().feed(channel, before, limit), "posts",
                     [](storage::post_record const& p) { return post_view(p); }, "no such channel");
  });
}

void op_thread(call_ptr const& c) {
  fields f(c->body);
  auto id = post_id_field(f);
  pseudonym_of(*c);
  run(pool::blocking, c, [c, id] {
    auto r = c->a.forum_store().thread(id);
    if ((!r && r.error() == make_error_code(errc::bad_request)) || (r && !r->post.parent.empty()))
      fail(errc::bad_request, "this is a reply; ask for the thread of its parent");
    auto t = check(std::move(r), "no such post");
    json::array replies;
    for (auto const& r : t.replies) replies.push_back(post_view(r));
    return json::object{{"post", post_view(t.post)}, {"replies", std::move(replies)}};
  });
}

void op_delete(call_ptr const& c) {
  fields f(c->body);
  auto id = post_id_field(f);
  auto pk = pseudonym_of(*c);
  run(pool::blocking, c, [c, id, pk] {
    auto out = c->a.forum_store().delete_post(id, pk);
    if (!out && out.error() == make_error_code(errc::forbidden)) fail(errc::forbidden, "only its author can delete a post");
    auto p = check(std::move(out), "no such post");
    publish_hidden(c->a, p);
    return json::object{{"post_id", p.id}};
  });
}

void op_react(call_ptr const& c) {
  fields f(c->body);
  auto id = post_id_field(f);
  auto reaction = f.str("reaction");
  auto on = f.boolean("on");
  if (!one_of(reaction, reaction_names)) fail(errc::bad_request, "field 'reaction' must be one of +1, heart, laugh, sad");
  auto pk = pseudonym_of(*c);
  run(pool::io, c, [c, id, reaction, on, pk, certs = c->conn->forum.certs] {
    check_may_act(c->a, pk, certs);
    auto counts = check(c->a.forum_store().react(id, pk, reaction, on), "no such post");
    json::object reactions;
    for (auto r : reaction_names) {
      auto it = counts.find(std::string(r));
      reactions[r] = it == counts.end() ? 0 : it->second;
    }
    return json::object{{"post_id", id}, {"reactions", std::move(reactions)}};
  });
}

void op_flag(call_ptr const& c) {
  fields f(c->body);
  auto id = post_id_field(f);
  auto reason = f.str("reason");
  auto note = f.opt_str("note").value_or("");
  if (!one_of(reason, flag_reasons))
    fail(errc::bad_request, "field 'reason' must be one of spam, harassment, doxxing, off_topic, other");
  if (code_points(note) > max_note_code_points) fail(errc::too_large, "field 'note' is longer than 1000 characters");
  auto pk = pseudonym_of(*c);
  run(pool::io, c, [c, id, reason, note, pk, certs = c->conn->forum.certs] {
    check_may_act(c->a, pk, certs);
    check(c->a.forum_store().flag(id, pk, reason, note), "no such post");
    return json::object{{"post_id", id}};
  });
}

void op_subscribe(call_ptr const& c) {
  fields f(c->body);
  auto channel = channel_field(f);
  pseudonym_of(*c);
  run_then(
      pool::blocking, c,
      [c, channel] {
        bool found = false;
        for (auto const& ch : check(c->a.forum_store().channels()))
          if (ch.name == channel) found = true;
        if (!found) fail(errc::not_found, "no such channel");
        return json::object{};
      },
      [c, channel](json::object&) {
        c->conn->forum.subscriptions.insert(channel);
        c->a.subscribe(channel, c->conn);
      });
}

void op_unsubscribe(call_ptr const& c) {
  fields f(c->body);
  auto channel = channel_field(f);
  pseudonym_of(*c);
  c->conn->forum.subscriptions.erase(channel);
  c->a.unsubscribe(channel, c->conn.get());
  c->ok();
}

void op_profile(call_ptr const& c) {
  fields f(c->body);
  auto handle = f.str("handle");
  if (!matches_name(handle, 3, 20, "_")) fail(errc::bad_request, "field 'handle' must match ^[A-Za-z0-9_]{3,20}$");
  pseudonym_of(*c);
  run(pool::blocking, c, [c, handle] {
    auto p = check(c->a.forum_store().pseudonym_by_handle(handle), "no pseudonym with this handle");
    return pseudonym_view(p, *c->a.directory());
  });
}

void op_anonymity(call_ptr const& c) {
  pseudonym_of(*c);
  run(pool::blocking, c, [c] {
    auto dir = c->a.directory();
    auto const* active = dir->active();
    if (!active) fail(errc::key_expired, "no key is active");
    auto issued = check(c->a.issuer_store().issued_count(active->key_id));
    auto certified = check(c->a.forum_store().certified_count(active->key_id));
    return json::object{{"key_id", active->key_id},
                        {"epoch", active->epoch},
                        {"issued", issued},
                        {"certified", certified},
                        {"min_crowd", c->a.cfg().min_crowd}};
  });
}

void op_modlog(call_ptr const& c) {
  fields f(c->body);
  auto before = f.opt_str("before");
  auto limit = *page_limit(f);
  pseudonym_of(*c);
  run(pool::blocking, c, [c, before, limit] { return modlog_page(c->a, before, limit); });
}

constexpr op_entry table[] = {
    {"keys", op_keys},          {"certify", op_certify},     {"challenge", op_challenge},
    {"login", op_login},        {"channels", op_channels},   {"post", op_post},
    {"feed", op_feed},          {"thread", op_thread},       {"delete", op_delete},
    {"react", op_react},        {"flag", op_flag},           {"subscribe", op_subscribe},
    {"unsubscribe", op_unsubscribe}, {"profile", op_profile}, {"anonymity", op_anonymity},
    {"modlog", op_modlog},
};

}  // namespace

std::span<op_entry const> forum_ops() { return table; }

}  // namespace hearth::server
