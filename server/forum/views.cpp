// The forum's views of stored records (PROTOCOL.md §6) and the checks its
// handlers share.
#include "server/forum/ops.hpp"

#include "crypto/encoding.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <ctime>

namespace hearth::server::forum {

bool one_of(std::string_view v, std::span<std::string_view const> set) noexcept {
  for (auto const& s : set)
    if (s == v) return true;
  return false;
}

json::object reactions_view(std::map<std::string, std::uint64_t> const& counts) {
  json::object reactions;
  for (auto r : reaction_names) {
    auto it = counts.find(std::string(r));
    reactions[r] = it == counts.end() ? 0 : it->second;
  }
  return reactions;
}

json::object post_view_for_staff(storage::post_record const& p) {
  json::object o{{"id", p.id},
                 {"channel", p.channel},
                 {"parent", p.parent.empty() ? json::value(nullptr) : json::value(p.parent)},
                 {"author", json::object{{"handle", p.author_handle}, {"pk", crypto::base64url_encode(p.author_pk)}}},
                 {"body", p.body},
                 {"created_at", p.created_at},
                 {"nonce", p.nonce},
                 {"sig", crypto::base64url_encode(p.sig)},
                 {"reactions", reactions_view(p.reactions)},
                 {"replies", p.replies}};
  if (p.hidden) o["hidden"] = true;
  return o;
}

namespace {

// Whether JSON text needs an escape in `s`: a '"', a '\\' or a control
// character. Eight bytes at a time (a post's body is most of a feed page).
bool needs_escape(std::string_view s) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  auto has_zero = [](std::uint64_t v) { return (v - ones) & ~v & highs; };
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t v;
    std::memcpy(&v, s.data() + i, 8);
    // bytes below 0x20: (v & ~0x1f..) has a zero byte exactly there
    if (has_zero(v & 0xe0e0e0e0e0e0e0e0ull) | has_zero(v ^ (ones * '"')) | has_zero(v ^ (ones * '\\'))) return true;
  }
  for (; i < s.size(); ++i) {
    auto const c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == '"' || c == '\\') return true;
  }
  return false;
}

// Writes JSON text: strings escaped by Boost.JSON's own serializer.
class json_writer {
 public:
  explicit json_writer(std::string& out) : out_(out) {}
  json_writer& raw(std::string_view s) {
    out_.append(s);
    return *this;
  }
  json_writer& str(std::string_view s) {
    // Most text needs no escape: as Boost.JSON writes it, only '"', '\\'
    // and control characters are escaped (UTF-8 passes through).
    if (!needs_escape(s)) {
      out_.push_back('"');
      out_.append(s);
      out_.push_back('"');
      return *this;
    }
    sr_.reset(s);
    char buf[1024];
    while (!sr_.done()) out_.append(sr_.read(buf, sizeof buf));
    return *this;
  }
  json_writer& key(std::string_view k) { return str(k).raw(":"); }
  template <class Int>
  json_writer& num(Int v) {
    char buf[24];
    auto const r = std::to_chars(buf, buf + sizeof buf, v);
    return raw(std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
  }
  // base64url never needs an escape: written straight in, quoted.
  json_writer& b64(crypto::byte_view b) {
    out_.push_back('"');
    crypto::base64url_append(out_, b);
    out_.push_back('"');
    return *this;
  }

 private:
  std::string& out_;
  json::serializer sr_;
};

// post_view(p), written out (keys in post_view_for_staff's order).
void write_post(json_writer& w, storage::post_record const& p) {
  // Keys are written with their punctuation as one piece of text each.
  w.raw("{\"id\":").str(p.id);
  if (p.hidden || p.deleted) {
    w.raw(",\"hidden\":true}");
    return;
  }
  w.raw(",\"channel\":").str(p.channel).raw(",\"parent\":");
  if (p.parent.empty()) w.raw("null");
  else w.str(p.parent);
  w.raw(",\"author\":{\"handle\":").str(p.author_handle);
  w.raw(",\"pk\":").b64(p.author_pk);
  w.raw("},\"body\":").str(p.body).raw(",\"created_at\":").num(p.created_at);
  w.raw(",\"nonce\":").str(p.nonce).raw(",\"sig\":").b64(p.sig);
  w.raw(",\"reactions\":{");
  char const* sep = "";
  for (auto r : reaction_names) {
    // (the counts are few, often none: a look at each beats a keyed find,
    // which would make a std::string of r)
    std::uint64_t n = 0;
    for (auto const& [name, count] : p.reactions)
      if (name == r) n = count;
    w.raw(sep).key(r).num(n);
    sep = ",";
  }
  w.raw("},\"replies\":").num(p.replies).raw("}");
}

}  // namespace

raw_json posts_page_json(storage::page<storage::post_record> const& page, std::string_view frame_head) {
  raw_json out;
  std::size_t size = frame_head.size() + 32;
  for (auto const& p : page.items) size += p.body.size() + 400;
  out.text.reserve(size);
  out.text.append(frame_head);
  out.framed = !frame_head.empty();
  json_writer w(out.text);
  w.raw("{\"posts\":[");
  char const* sep = "";
  for (auto const& p : page.items) {
    w.raw(sep);
    write_post(w, p);
    sep = ",";
  }
  w.raw("],\"next\":");
  if (page.next) w.str(*page.next);
  else w.raw("null");
  w.raw(out.framed ? "}}" : "}");
  return out;
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

void publish_hidden(forum_service& s, storage::post_record const& p) {
  s.publish(p.channel, event_frame("post_hidden", json::object{{"post_id", p.id}}));
}


json::object channels_view(forum_service& s) {
  json::array out;
  for (auto const& ch : check(s.store().channels()))
    out.push_back(json::object{{"name", ch.name}, {"description", ch.description}});
  return json::object{{"channels", std::move(out)}};
}

namespace {

// At most n code points of UTF-8 text.
std::string_view first_code_points(std::string_view text, std::size_t n) {
  std::size_t i = 0;
  for (std::size_t seen = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;  // a continuation byte
    if (seen++ == n) break;
  }
  return text.substr(0, i);
}

}  // namespace

// Entries about a post (hide, restore, and an appeal's outcome on a hide) say
// what the post is now, so a reader of the log sees what was acted on without
// a separate lookup, and never the text of a post that is hidden or deleted
// (docs/protocol.md). An appeal's outcome on a ban names a handle: no post.
json::object modlog_page(forum_service& s, std::optional<std::string> const& before, std::size_t limit) {
  constexpr std::size_t excerpt_code_points = 120;
  auto& store = s.store();
  return page_view(store.modlog(before, limit), "entries", [&](storage::modlog_entry const& e) {
    auto out = modlog_view(e);
    if (e.action.starts_with("poll.")) {
      // A poll's state, and its question while it is shown to everyone.
      auto p = s.polls().poll(e.target);
      if (!p && p.error() != make_error_code(errc::not_found)) check(std::move(p));
      if (!p) return out;
      out["poll_state"] = p->hidden ? "hidden" : "visible";
      out["excerpt"] = p->hidden ? json::value(nullptr) : json::value(std::string(first_code_points(p->question, excerpt_code_points)));
      return out;
    }
    bool const appeal = e.action.starts_with("appeal.");
    if (e.action != "hide" && e.action != "restore" && !appeal) return out;
    auto p = store.post(e.target);
    if (!p && p.error() != make_error_code(errc::not_found)) check(std::move(p));
    if (appeal && !p) return out;
    bool const visible = p && !p->hidden && !p->deleted;
    out["post_state"] = visible ? "visible" : p && !p->deleted ? "hidden" : "deleted";
    out["excerpt"] = visible ? json::value(std::string(first_code_points(p->body, excerpt_code_points))) : nullptr;
    return out;
  });
}

std::string until_text(std::int64_t t) {
  std::time_t tt = t;
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

crypto::bytes const& pseudonym_of(forum_call const& c) {
  auto const& pk = c->conn->forum().pk;
  if (pk.empty()) fail(errc::unauthenticated, "log in with your pseudonym first (ops 'challenge' and 'login')");
  return pk;
}

// Pages of posts are read from the store this many at a time, so that a page
// of large posts stops at its byte budget without loading the rest.
constexpr std::size_t page_chunk = 16;
constexpr std::size_t per_post_overhead = 512;  // author, ids, signature, reactions in JSON

storage::thread_view thread_page(storage::forum_store& store, std::string const& post_id,
                                 std::optional<std::string> after, std::size_t limit) {
  // Read in chunks, so that a page of large replies stops at the budget
  // without first loading them all.
  bool const cursor_given = after.has_value();
  storage::thread_view out;
  std::size_t bytes = 0;
  for (bool first = true;; first = false) {
    auto r = store.thread(post_id, after, std::min(page_chunk, limit - out.replies.size()));
    if (!r && r.error() == make_error_code(errc::bad_request))
      fail(errc::bad_request, cursor_given ? "this is a reply, or field 'after' is not a cursor this server issued for "
                                             "this thread"
                                           : "this is a reply; ask for the thread of its parent");
    auto t = check(std::move(r), "no such post");
    if (first) out.post = std::move(t.post);
    for (auto& reply : t.replies) {
      bytes += reply.body.size() + per_post_overhead;
      out.replies.push_back(std::move(reply));
    }
    out.next = std::move(t.next);
    if (!out.next || out.replies.size() >= limit || bytes >= max_thread_page_bytes) return out;
    after = out.next;
  }
}

result<storage::page<storage::post_record>> feed_page(storage::forum_store& store, std::string const& channel,
                                                      std::optional<std::string> before, std::size_t limit) {
  storage::page<storage::post_record> out;
  std::size_t bytes = 0;
  for (;;) {
    auto r = store.feed(channel, before, std::min(page_chunk, limit - out.items.size()));
    if (!r) return r;
    for (auto& p : r->items) {
      bytes += p.body.size() + per_post_overhead;
      out.items.push_back(std::move(p));
    }
    out.next = std::move(r->next);
    if (!out.next || out.items.size() >= limit || bytes >= max_thread_page_bytes) return out;
    before = out.next;
  }
}

void check_not_banned(forum_service& s, crypto::bytes const& pk, storage::access a) {
  auto& store = s.store().view(a);
  auto ban = check(store.ban_until(pk));
  if (!ban || *ban <= s.rt().now()) return;
  auto reason = check(store.ban_reason(pk));
  fail(errc::banned, "this pseudonym is banned until " + until_text(*ban) + (reason.empty() ? "" : ": " + reason));
}

// Banned pseudonyms cannot post, react or flag; one whose certification lapsed
// (or whose key was revoked) while it was logged in must renew first. The
// certifications read at login answer when they still make it valid (against
// the current directory, so a revocation counts at once); else the record is
// read again, in case it was renewed meanwhile.
void check_may_act(forum_service& s, crypto::bytes const& pk, certifications_ptr const& at_login,
                   storage::access a) {
  check_not_banned(s, pk, a);
  if (at_login && valid_until(std::span<storage::certification const>(*at_login), *s.directory()) > s.rt().now()) return;
  auto rec = check(s.store().view(a).pseudonym(pk));
  if (valid_until(rec, *s.directory()) <= s.rt().now())
    fail(errc::key_expired, "this pseudonym's certification has lapsed; renew it with a new token (certify)");
}

}  // namespace hearth::server::forum
