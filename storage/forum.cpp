// The forum store: pseudonyms, spent tokens, posts and their indexes,
// reactions, flags, bans, the public moderation log; under the forum role
// also its staff, the pinned issuer and the last verified key directory.
#include "storage/codec.hpp"
#include "storage/impl.hpp"
#include "storage/notices.hpp"
#include "storage/search.hpp"

#include "crypto/ed25519.hpp"
#include "crypto/random.hpp"

#include <rocksdb/options.h>

#include <atomic>
#include <set>
#include <shared_mutex>

namespace hearth::storage::detail {
namespace {

enum cf : std::size_t {
  meta = 0,
  pseudonyms,
  handles,
  tokens,
  counters,
  channels_cf,
  feed_cf,
  replies_cf,
  offfeed,
  posts,
  nonces,
  reactions,
  flags,
  flagsum,
  queue,
  bans,
  modlog_cf,
  staff_cf,
  audit_cf,
  erase_cf,
};

constexpr char pinned_key[] = "issuer.pinned";
constexpr char directory_key[] = "issuer.directory";

// Where a post's record lives: 'f' in its channel's feed (top-level,
// visible), 'h' off the feed (top-level, hidden or deleted), 'r' under its
// parent (a reply, any state).
struct location {
  char tag = 'f';
  std::string channel;
  std::uint64_t parent = 0;
};

std::string encode(location const& l) {
  std::string s(1, l.tag);
  if (l.tag == 'f') s += l.channel;
  if (l.tag == 'r') s += codec::be64(l.parent);
  return s;
}

bool decode(std::string_view in, location& l) {
  if (in.empty()) return false;
  l.tag = in[0];
  in.remove_prefix(1);
  if (l.tag == 'f') {
    l.channel = std::string(in);
    return !in.empty();
  }
  if (l.tag == 'r') {
    if (in.size() != 8) return false;
    l.parent = codec::read_be64(in);
    return true;
  }
  return l.tag == 'h' && in.empty();
}

std::string feed_prefix(std::string_view channel) {
  std::string s(1, static_cast<char>(channel.size()));
  s += channel;
  return s;
}

std::string to_key(bytes const& b) { return crypto::to_string(b); }

// The (author, nonce) index is keyed by a hash: keys end up in places a
// delete cannot reach (SST boundaries recorded in the MANIFEST), so the
// nonce itself must only ever be in a value.
std::string nonce_key(std::string_view pk, std::string_view nonce) {
  codec::writer w;
  w.str(pk);
  w.raw(nonce);
  auto h = crypto::sha256(crypto::as_bytes(w.out()));
  return crypto::to_string(h);
}

std::string fold(std::string_view handle) {
  std::string s(handle);
  for (auto& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

std::string post_lock(std::uint64_t seq) { return "p" + codec::be64(seq); }

std::optional<std::uint64_t> parse_id(std::string_view id) {
  auto v = codec::parse_hex16(id);
  if (!v || *v == 0) return std::nullopt;
  return v;
}

std::string after(std::string key) {  // the smallest key greater than `key`
  key.push_back('\0');
  return key;
}

class forum_impl final : public forum_store {
 public:
  forum_impl(std::filesystem::path const& dir, bool create, store_options const& opts)
      : shared_(std::make_unique<shared>(dir, create, opts)), access_(access::wait), db_(shared_->db),
        stripes_(shared_->locks), granularity_(opts.time_granularity > 0 ? opts.time_granularity : 1),
        post_seq_(shared_->post_seq), modlog_seq_(shared_->modlog_seq), channel_write_mu_(shared_->channel_write_mu),
        channel_names_mu_(shared_->channel_names_mu), channel_names_(shared_->channel_names),
        issuer_mu_(shared_->issuer_mu), erase_hook_(shared_->erase_hook), staff_(shared_->staff), views_(*this) {
    if (create) {
      channel_record general{"general", "General discussion"};
      rocksdb::WriteBatch b;
      b.Put(db_.cf(channels_cf), general.name, codec::encode(general));
      b.Put(db_.cf(meta), schema_key, schema_value("forum"));
      if (!db_.write(b, access::wait)) throw open_error("cannot initialise " + (dir / "forum").string());
    }
    auto it = db_.iterator(channels_cf);
    for (it->SeekToFirst(); it->Valid(); it->Next()) channel_names_.insert(it->key().ToString());
    it = db_.iterator(posts);
    it->SeekToLast();
    if (it->Valid() && it->key().size() == 8) post_seq_ = codec::read_be64(it->key().ToStringView());
    it = db_.iterator(modlog_cf);
    it->SeekToFirst();
    if (it->Valid() && it->key().size() == 8) modlog_seq_ = ~codec::read_be64(it->key().ToStringView());
    staff_ = make_staff(db_, staff_cf, audit_cf);
    build_search_indexes(db_, *this);
    build_modlog_target_index(db_);
    views_.no_wait.reset(new forum_impl(*this, access::no_wait));
  }

  forum_store& view(access a) override { return views_.pick(*this, access_, a); }

  rdb& database() { return db_; }
  void modlog_into(rocksdb::WriteBatch& b, modlog_entry& e, std::int64_t now) { add_modlog(b, e, now, e.action); }
  staff_store& staff() { return *staff_; }
  void on_erase_pending(std::function<void()> hook) { erase_hook_ = std::move(hook); }
  bool erasures_pending() {
    auto it = db_.iterator(erase_cf);
    it->SeekToFirst();
    return it->Valid();
  }

  // An erasure pass (and with scrub, the scrub): the pending erasures read
  // first are done by the maintenance that follows, then forgotten.
  result<void> maintain(bool scrub) {
    std::vector<erase_keys> keys{{feed_cf, {}}, {offfeed, {}}, {replies_cf, {}}, {nonces, {}}};
    std::vector<std::string> done;
    std::vector<std::uint64_t> erased;
    auto it = db_.iterator(erase_cf);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      auto const k = it->key().ToStringView();
      codec::reader r(it->value().ToStringView());
      auto const version = r.u8();
      auto const channel = r.str();
      auto const parent = r.varint();
      auto const nkey = r.str();
      if (k.size() != 8 || version != codec::record_version || !r.done()) return err(errc::internal);
      auto const seq = codec::read_be64(k);
      if (parent != 0) {
        keys[2].keys.push_back(primary(seq, location{'r', {}, parent}).second);
      } else {
        // A top-level post may have lived in the feed and off it: both.
        keys[0].keys.push_back(primary(seq, location{'f', channel, 0}).second);
        keys[1].keys.push_back(primary(seq, location{'h', {}, 0}).second);
      }
      keys[3].keys.push_back(nkey);
      erased.push_back(seq);
      done.emplace_back(k);
    }
    if (!it->status().ok()) return err(errc::internal);
    it.reset();
    if (!scrub && done.empty()) return {};
    if (auto e = erase_search(db_, erased); !e) return e;
    auto m = db_.maintain(scrub, keys);
    if (!m) return m;
    if (done.empty()) return {};
    rocksdb::WriteBatch b;
    for (auto const& k : done) b.Delete(db_.cf(erase_cf), k);
    return db_.write(b, access::wait);
  }

  // ------------------------------------------------------------ pseudonyms

  result<certify_outcome> certify(bytes const& token_id, bytes const& pk, std::string_view handle,
                                  certification const& cert) override {
    if (token_id.empty() || pk.empty() || cert.key_id.empty()) return err(errc::bad_request);
    auto const tkey = to_key(token_id);
    auto const pkey = to_key(pk);
    auto const hkey = fold(handle);
    auto g = stripes_.lock({"t" + tkey, "k" + pkey, "h" + hkey});

    auto spent = db_.get(tokens, tkey, access_);
    if (!spent) return spent.error();
    if (*spent) return err(errc::token_spent);

    auto cur = db_.get(pseudonyms, pkey, access_);
    if (!cur) return cur.error();
    // Every read before the write (access::no_wait: an op makes its reads,
    // then at most one write).
    auto posts = db_.counter(counters, "n" + pkey, access_);
    if (!posts) return posts.error();
    rocksdb::WriteBatch b;
    certify_outcome out;
    if (*cur) {
      if (!codec::decode(**cur, out.pseudonym)) return err(errc::internal);
      bool found = false;
      for (auto& c : out.pseudonym.certifications) {
        if (c.key_id == cert.key_id) {
          c = cert;
          found = true;
        }
      }
      if (!found) {
        out.pseudonym.certifications.push_back(cert);
        b.Merge(db_.cf(counters), "c" + cert.key_id, counter_delta(1));
      }
    } else {
      if (handle.empty()) return err(errc::bad_request);
      auto taken = db_.get(handles, hkey, access_);
      if (!taken) return taken.error();
      if (*taken) return err(errc::conflict);
      out.created = true;
      out.pseudonym.pk = pk;
      out.pseudonym.handle = std::string(handle);
      out.pseudonym.since_epoch = cert.epoch;
      out.pseudonym.certifications = {cert};
      b.Put(db_.cf(handles), hkey, pkey);
      b.Merge(db_.cf(counters), "c" + cert.key_id, counter_delta(1));
    }
    b.Put(db_.cf(pseudonyms), pkey, codec::encode(out.pseudonym));
    b.Put(db_.cf(tokens), tkey, rocksdb::Slice());
    auto w = db_.write(b, access_);
    if (!w) return w.error();
    out.pseudonym.posts = *posts;
    return out;
  }

  result<bool> token_spent(bytes const& token_id) override {
    auto cur = db_.get(tokens, to_key(token_id), access_);
    if (!cur) return {boost::system::in_place_error, cur.error()};
    return cur->has_value();
  }

  result<pseudonym_record> pseudonym(bytes const& pk) override {
    auto pkey = to_key(pk);
    auto cur = db_.get(pseudonyms, pkey, access_);
    if (!cur) return cur.error();
    if (!*cur) return err(errc::not_found);
    pseudonym_record r;
    if (!codec::decode(**cur, r)) return err(errc::internal);
    auto n = db_.counter(counters, "n" + pkey, access_);
    if (!n) return n.error();
    r.posts = *n;
    return r;
  }

  result<pseudonym_record> pseudonym_by_handle(std::string_view handle) override {
    auto cur = db_.get(handles, fold(handle), access_);
    if (!cur) return cur.error();
    if (!*cur) return err(errc::not_found);
    return pseudonym(bytes((*cur)->begin(), (*cur)->end()));
  }

  result<std::uint64_t> certified_count(std::string_view key_id) override {
    return db_.counter(counters, "c" + std::string(key_id), access_);
  }

  // -------------------------------------------------------------- channels

  result<std::vector<channel_record>> channels() override {
    std::vector<channel_record> out;
    auto it = db_.iterator(channels_cf);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      channel_record c;
      if (!codec::decode(it->value().ToStringView(), c)) return err(errc::internal);
      out.push_back(std::move(c));
    }
    if (!it->status().ok()) return err(errc::internal);
    return out;
  }

  result<void> add_channel(channel_record const& c) override {
    if (c.name.empty() || c.name.size() > 255) return err(errc::bad_request);
    std::lock_guard lk(channel_write_mu_);
    auto cur = db_.get(channels_cf, c.name, access_);
    if (!cur) return cur.error();
    if (*cur) return err(errc::conflict);
    rocksdb::WriteBatch b;
    b.Put(db_.cf(channels_cf), c.name, codec::encode(c));
    auto w = db_.write(b, access_);
    if (!w) return w.error();
    std::unique_lock lk2(channel_names_mu_);
    channel_names_.insert(c.name);
    return {};
  }

  // ----------------------------------------------------------------- posts

  result<append_outcome> append_post(new_post const& p, std::int64_t now) override {
    if (p.channel.empty() || p.author_pk.empty() || p.nonce.empty()) return err(errc::bad_request);
    std::optional<std::uint64_t> parent;
    if (!p.parent.empty()) {
      parent = parse_id(p.parent);
      if (!parent) return err(errc::not_found);
    }
    auto const pkey = to_key(p.author_pk);
    auto const nkey = nonce_key(pkey, p.nonce);
    std::vector<std::string> lock_keys{"n" + nkey};
    if (parent) lock_keys.push_back(post_lock(*parent));
    auto g = stripes_.lock(lock_keys);

    auto earlier = db_.get(nonces, nkey, access_);
    if (!earlier) return earlier.error();
    if (*earlier) {
      if ((*earlier)->size() != 8) return err(errc::internal);
      auto rec = load(codec::read_be64(**earlier));
      if (!rec) return rec.error();
      if (rec->channel != p.channel || rec->parent != p.parent || rec->body != p.body) return err(errc::conflict);
      return append_outcome{std::move(*rec), false};
    }
    if (!has_channel(p.channel)) return err(errc::not_found);

    rocksdb::WriteBatch b;
    location loc{'f', p.channel, 0};
    if (parent) {
      auto ploc = locate(*parent);
      if (!ploc) return ploc.error();
      if (!*ploc || (*ploc)->tag == 'h') return err(errc::not_found);
      if ((*ploc)->tag == 'r' || (*ploc)->channel != p.channel) return err(errc::bad_request);
      auto prec = load(*parent, **ploc);
      if (!prec) return prec.error();
      prec->replies += 1;
      put_post(b, *parent, **ploc, *prec);
      loc = location{'r', {}, *parent};
    }

    auto const seq = ++post_seq_;
    post_record r;
    r.id = codec::hex16(seq);
    r.channel = p.channel;
    r.parent = p.parent;
    r.author_pk = p.author_pk;
    r.author_handle = p.author_handle;
    r.body = p.body;
    r.created_at = coarse(now);
    r.nonce = p.nonce;
    r.sig = p.sig;
    put_post(b, seq, loc, r);
    b.Put(db_.cf(posts), codec::be64(seq), encode(loc));
    b.Put(db_.cf(nonces), nkey, codec::be64(seq));
    b.Merge(db_.cf(counters), "n" + pkey, counter_delta(1));
    index_post(db_, b, seq, p.author_pk, p.body);  // same batch: the index never holds what the store does not
    auto w = db_.write(b, access_);
    if (!w) return w.error();
    return append_outcome{std::move(r), true};
  }

  result<post_record> post(std::string_view post_id) override {
    auto seq = parse_id(post_id);
    if (!seq) return err(errc::not_found);
    return load(*seq);
  }

  result<page<post_record>> feed(std::string_view channel, std::optional<std::string> const& before,
                                 std::size_t limit) override {
    if (limit == 0) return err(errc::bad_request);
    std::string start = feed_prefix(channel);
    if (before) {
      auto c = codec::parse_cursor(*before, 'f', 16, channel);
      if (!c) return err(errc::bad_request);
      start = after(feed_prefix(channel) + codec::be64(~*codec::parse_hex16(*c)));
    }
    if (!has_channel(channel)) return err(errc::not_found);
    auto const upper = feed_prefix(channel) + std::string(8, '\xff');
    rocksdb::Slice upper_slice(upper);
    auto it = db_.iterator(feed_cf, &upper_slice, access_);  // no_wait view: memory only
    page<post_record> out;
    for (it->Seek(start); it->Valid(); it->Next()) {
      if (out.items.size() == limit) {
        out.next = codec::make_cursor('f', out.items.back().id, channel);
        break;
      }
      post_record r;
      if (!codec::decode(it->value().ToStringView(), r)) return err(errc::internal);
      out.items.push_back(std::move(r));
    }
    if (auto s = rdb::iterator_status(*it, access_); !s) return s.error();
    return out;
  }

  result<thread_view> thread(std::string_view post_id, std::optional<std::string> const& after_cursor,
                             std::size_t limit) override {
    if (limit == 0) return err(errc::bad_request);
    auto seq = parse_id(post_id);
    if (!seq) return err(errc::not_found);
    auto const prefix = codec::be64(*seq);
    auto const context = codec::hex16(*seq);  // a cursor is good for its own thread only
    std::string start = prefix;
    if (after_cursor) {
      auto c = codec::parse_cursor(*after_cursor, 'r', 16, context);
      if (!c) return err(errc::bad_request);
      start = after(prefix + codec::be64(*codec::parse_hex16(*c)));
    }
    auto loc = locate(*seq);
    if (!loc) return loc.error();
    if (!*loc) return err(errc::not_found);
    if ((*loc)->tag == 'r') return err(errc::bad_request);
    auto rec = load(*seq, **loc);
    if (!rec) return rec.error();
    thread_view out{std::move(*rec), {}, std::nullopt};
    auto const upper = codec::be64(*seq + 1);
    rocksdb::Slice upper_slice(upper);
    auto it = db_.iterator(replies_cf, &upper_slice);
    for (it->Seek(start); it->Valid(); it->Next()) {
      if (out.replies.size() == limit) {
        out.next = codec::make_cursor('r', out.replies.back().id, context);
        break;
      }
      post_record r;
      if (!codec::decode(it->value().ToStringView(), r)) return err(errc::internal);
      out.replies.push_back(std::move(r));
    }
    if (!it->status().ok()) return err(errc::internal);
    return out;
  }

  result<post_record> delete_post(std::string_view post_id, bytes const& author_pk) override {
    auto seq = parse_id(post_id);
    if (!seq) return err(errc::not_found);
    post_record out;
    {
      auto locked = lock_post(*seq);
      if (!locked) return locked.error();
      auto& [g, loc] = *locked;
      auto rec = load(*seq, loc);
      if (!rec) return rec.error();
      if (rec->author_pk != author_pk) return err(errc::forbidden);
      if (rec->deleted) return std::move(*rec);
      bool const was_visible = !rec->hidden;
      rocksdb::WriteBatch b;
      auto const nkey = nonce_key(to_key(rec->author_pk), rec->nonce);
      b.Delete(db_.cf(nonces), nkey);
      // The keys whose older versions hold the erased bytes, for the next
      // erasure pass (kept in the store, so a crash does not forget them).
      codec::writer e;
      e.u8(codec::record_version);
      e.str(rec->channel);
      e.varint(loc.tag == 'r' ? loc.parent : 0);
      e.str(nkey);
      b.Put(db_.cf(erase_cf), codec::be64(*seq), e.out());
      unindex_post(db_, b, *seq, rec->body);
      rec->body.clear();
      rec->nonce.clear();
      rec->sig.clear();
      rec->deleted = true;
      auto const final_loc = move_off_feed(b, *seq, loc);
      put_post(b, *seq, final_loc, *rec);
      if (was_visible) {
        b.Merge(db_.cf(counters), "n" + to_key(rec->author_pk), counter_delta(-1));
        if (loc.tag == 'r') {
          auto r = bump_replies(b, loc.parent, -1);
          if (!r) return r.error();
        }
      }
      auto q = unqueue(b, *seq);
      if (!q) return q.error();
      auto w = db_.write(b, access_);
      if (!w) return w.error();
      out = std::move(*rec);
    }
    if (auto const& hook = erase_hook_) hook();
    return out;
  }

  result<std::map<std::string, std::uint64_t>> react(std::string_view post_id, bytes const& pk,
                                                     std::string_view reaction, bool on) override {
    if (reaction.empty() || reaction.size() > 64 || pk.empty()) return err(errc::bad_request);
    auto seq = parse_id(post_id);
    if (!seq) return err(errc::not_found);
    auto locked = lock_post(*seq, false);
    if (!locked) return locked.error();
    auto& [g, loc] = *locked;
    auto rec = load(*seq, loc);
    if (!rec) return rec.error();
    if (rec->hidden || rec->deleted) return err(errc::not_found);
    codec::writer mk;
    mk.be64(*seq);
    mk.str(reaction);
    mk.raw(to_key(pk));
    auto marker = db_.get(reactions, mk.out(), access_);
    if (!marker) return marker.error();
    if (marker->has_value() == on) return std::move(rec->reactions);
    rocksdb::WriteBatch b;
    auto const name = std::string(reaction);
    if (on) {
      b.Put(db_.cf(reactions), mk.out(), rocksdb::Slice());
      rec->reactions[name] += 1;
    } else {
      b.Delete(db_.cf(reactions), mk.out());
      auto it = rec->reactions.find(name);
      if (it != rec->reactions.end() && --it->second == 0) rec->reactions.erase(it);
    }
    put_post(b, *seq, loc, *rec);
    auto w = db_.write(b, access_);
    if (!w) return w.error();
    return std::move(rec->reactions);
  }

  result<void> flag(std::string_view post_id, bytes const& pk, std::string_view reason,
                    std::string_view note) override {
    if (reason.empty() || pk.empty()) return err(errc::bad_request);
    auto seq = parse_id(post_id);
    if (!seq) return err(errc::not_found);
    auto locked = lock_post(*seq, false);
    if (!locked) return locked.error();
    auto& [g, loc] = *locked;
    auto rec = load(*seq, loc);
    if (!rec) return rec.error();
    if (rec->deleted) return err(errc::not_found);
    auto const mkey = codec::be64(*seq) + to_key(pk);
    auto marker = db_.get(flags, mkey, access_);
    if (!marker) return marker.error();
    if (*marker) return {};
    auto sum = summary(*seq);
    if (!sum) return sum.error();
    rocksdb::WriteBatch b;
    codec::writer v;
    v.u8(codec::record_version);
    v.str(reason);
    v.str(note);
    b.Put(db_.cf(flags), mkey, v.out());
    if (sum->queued) b.Delete(db_.cf(queue), codec::be64(~sum->flags) + codec::be64(*seq));
    sum->flags += 1;
    sum->reasons[std::string(reason)] += 1;
    sum->queued = !rec->hidden;
    if (sum->queued) b.Put(db_.cf(queue), codec::be64(~sum->flags) + codec::be64(*seq), rocksdb::Slice());
    b.Put(db_.cf(flagsum), codec::be64(*seq), codec::encode(*sum));
    return db_.write(b, access_);
  }

  // ------------------------------------------------------------ moderation

  // The notes of every flag on one post (keys: post seq || flagger pk).
  result<std::vector<std::string>> flag_notes(std::uint64_t seq) {
    std::vector<std::string> notes;
    auto const prefix = codec::be64(seq);
    auto const upper = codec::be64(seq + 1);
    rocksdb::Slice upper_slice(upper);
    auto it = db_.iterator(flags, &upper_slice);
    for (it->Seek(prefix); it->Valid(); it->Next()) {
      codec::reader r(it->value().ToStringView());
      if (r.u8() != codec::record_version) return err(errc::internal);
      (void)r.str();  // reason (counted in the summary)
      auto note = r.str();
      if (!r.ok()) return err(errc::internal);
      if (!note.empty()) notes.push_back(std::move(note));
    }
    if (!it->status().ok()) return err(errc::internal);
    return notes;
  }

  result<page<flag_item>> flag_queue(std::optional<std::string> const& before, std::size_t limit) override {
    if (limit == 0) return err(errc::bad_request);
    std::string start;
    if (before) {
      auto c = codec::parse_cursor(*before, 'q', 32, "flags");
      if (!c) return err(errc::bad_request);
      auto n = codec::parse_hex16(c->substr(0, 16));
      auto s = codec::parse_hex16(c->substr(16));
      start = after(codec::be64(~*n) + codec::be64(*s));
    }
    page<flag_item> out;
    auto it = db_.iterator(queue);
    std::string last_payload;
    for (it->Seek(start); it->Valid(); it->Next()) {
      auto k = it->key().ToStringView();
      if (k.size() != 16) return err(errc::internal);
      if (out.items.size() == limit) {
        out.next = codec::make_cursor('q', last_payload, "flags");
        break;
      }
      auto const seq = codec::read_be64(k.substr(8));
      auto rec = load(seq);
      if (!rec) return rec.error();
      auto sum = summary(seq);
      if (!sum) return sum.error();
      last_payload = codec::hex16(~codec::read_be64(k)) + codec::hex16(seq);
      auto notes = flag_notes(seq);
      if (!notes) return notes.error();
      out.items.push_back(flag_item{std::move(*rec), sum->flags, std::move(sum->reasons), std::move(*notes)});
    }
    if (!it->status().ok()) return err(errc::internal);
    return out;
  }

  result<post_record> hide(std::string_view post_id, modlog_entry entry, std::int64_t now) override {
    return moderate(post_id, std::move(entry), now, true);
  }

  result<post_record> restore(std::string_view post_id, modlog_entry entry, std::int64_t now) override {
    return moderate(post_id, std::move(entry), now, false);
  }

  result<void> dismiss(std::string_view post_id) override {
    auto seq = parse_id(post_id);
    if (!seq) return err(errc::not_found);
    auto locked = lock_post(*seq, false);
    if (!locked) return locked.error();
    rocksdb::WriteBatch b;
    auto q = unqueue(b, *seq);
    if (!q) return q.error();
    if (b.Count() == 0) return {};
    return db_.write(b, access_);
  }

  result<void> ban(bytes const& pk, std::int64_t until, modlog_entry entry, std::int64_t now) override {
    auto const pkey = to_key(pk);
    auto g = stripes_.lock({"b" + pkey});
    auto p = db_.get(pseudonyms, pkey, access_);
    if (!p) return p.error();
    if (!*p) return err(errc::not_found);
    rocksdb::WriteBatch b;
    codec::writer v;
    v.u8(codec::record_version);
    v.zigzag(until);
    v.str(entry.reason);
    b.Put(db_.cf(bans), pkey, v.out());
    add_modlog(b, entry, now, "ban");
    return db_.write(b, access_);
  }

  result<void> unban(bytes const& pk, modlog_entry entry, std::int64_t now) override {
    auto const pkey = to_key(pk);
    auto g = stripes_.lock({"b" + pkey});
    auto cur = db_.get(bans, pkey, access_);
    if (!cur) return cur.error();
    if (!*cur) return err(errc::not_found);
    rocksdb::WriteBatch b;
    b.Delete(db_.cf(bans), pkey);
    add_modlog(b, entry, now, "unban");
    return db_.write(b, access_);
  }

  result<std::optional<std::int64_t>> ban_until(bytes const& pk) override {
    auto cur = db_.get(bans, to_key(pk), access_);
    if (!cur) return cur.error();
    if (!*cur) return std::optional<std::int64_t>{};
    codec::reader r(**cur);
    if (r.u8() != codec::record_version) return err(errc::internal);
    auto until = r.zigzag();
    if (!r.done()) (void)r.str();  // the reason, kept since it is shown at login
    if (!r.done()) return err(errc::internal);
    return std::optional<std::int64_t>{until};
  }

  result<std::string> ban_reason(bytes const& pk) override {
    auto cur = db_.get(bans, to_key(pk), access_);
    if (!cur) return cur.error();
    if (!*cur) return std::string();
    codec::reader r(**cur);
    if (r.u8() != codec::record_version) return err(errc::internal);
    (void)r.zigzag();
    std::string reason = r.done() ? std::string() : r.str();
    if (!r.done()) return err(errc::internal);
    return reason;
  }

  result<modlog_entry> append_modlog(modlog_entry entry, std::int64_t now) override {
    if (entry.action.empty()) return err(errc::bad_request);
    rocksdb::WriteBatch b;
    add_modlog(b, entry, now, entry.action);
    auto w = db_.write(b, access_);
    if (!w) return w.error();
    return entry;
  }

  result<page<modlog_entry>> modlog(std::optional<std::string> const& before, std::size_t limit) override {
    if (limit == 0) return err(errc::bad_request);
    std::string start;
    if (before) {
      auto c = codec::parse_cursor(*before, 'm', 16, "modlog");
      if (!c) return err(errc::bad_request);
      start = after(codec::be64(~*codec::parse_hex16(*c)));
    }
    page<modlog_entry> out;
    auto it = db_.iterator(modlog_cf);
    for (it->Seek(start); it->Valid(); it->Next()) {
      if (out.items.size() == limit) {
        out.next = codec::make_cursor('m', out.items.back().id, "modlog");
        break;
      }
      modlog_entry e;
      if (!codec::decode(it->value().ToStringView(), e)) return err(errc::internal);
      out.items.push_back(std::move(e));
    }
    if (!it->status().ok()) return err(errc::internal);
    return out;
  }

  // ------------------------------------------------- the pinned issuer

  result<std::optional<pinned_issuer>> pinned() override {
    auto cur = db_.get(meta, pinned_key, access_);
    if (!cur) return cur.error();
    if (!*cur) return std::optional<pinned_issuer>{};
    pinned_issuer p;
    if (!codec::decode(**cur, p)) return err(errc::internal);
    return std::optional<pinned_issuer>{std::move(p)};
  }

  result<void> set_pinned(pinned_issuer const& p) override {
    if (p.master_pk.size() != crypto::ed25519::public_key_bytes || p.issuer_url.empty()) return err(errc::bad_request);
    std::lock_guard lk(issuer_mu_);
    auto cur = db_.get(meta, pinned_key, access_);
    if (!cur) return cur.error();
    if (*cur) return err(errc::conflict);
    rocksdb::WriteBatch b;
    b.Put(db_.cf(meta), pinned_key, codec::encode(p));
    return db_.write(b, access_);
  }

  result<std::optional<std::string>> directory_copy() override {
    auto cur = db_.get(meta, directory_key, access_);
    if (!cur) return cur.error();
    if (!*cur) return std::optional<std::string>{};
    codec::directory_copy c;
    if (!codec::decode(**cur, c)) return err(errc::internal);
    return std::optional<std::string>{std::move(c.json)};
  }

  result<void> save_directory_copy(std::string json, std::uint64_t seq) override {
    if (json.empty()) return err(errc::bad_request);
    std::lock_guard lk(issuer_mu_);
    auto cur = db_.get(meta, directory_key, access_);
    if (!cur) return cur.error();
    if (*cur) {
      codec::directory_copy stored;
      if (!codec::decode(**cur, stored)) return err(errc::internal);
      if (seq < stored.seq) return err(errc::conflict);
    }
    rocksdb::WriteBatch b;
    b.Put(db_.cf(meta), directory_key, codec::encode(codec::directory_copy{seq, std::move(json)}));
    return db_.write(b, access_);
  }

 private:
  std::int64_t coarse(std::int64_t t) const {
    auto r = t % granularity_;
    if (r < 0) r += granularity_;
    return t - r;
  }

  bool has_channel(std::string_view c) {
    std::shared_lock lk(channel_names_mu_);
    return channel_names_.count(std::string(c)) != 0;
  }

  std::pair<std::size_t, std::string> primary(std::uint64_t seq, location const& l) const {
    switch (l.tag) {
      case 'f': return {feed_cf, feed_prefix(l.channel) + codec::be64(~seq)};
      case 'r': return {replies_cf, codec::be64(l.parent) + codec::be64(seq)};
      default: return {offfeed, codec::be64(seq)};
    }
  }

  void put_post(rocksdb::WriteBatch& b, std::uint64_t seq, location const& l, post_record const& r) {
    auto [c, k] = primary(seq, l);
    b.Put(db_.cf(c), k, codec::encode(r));
  }

  result<std::optional<location>> locate(std::uint64_t seq) {
    auto cur = db_.get(posts, codec::be64(seq), access_);
    if (!cur) return cur.error();
    if (!*cur) return std::optional<location>{};
    location l;
    if (!decode(**cur, l)) return err(errc::internal);
    return std::optional<location>{std::move(l)};
  }

  result<post_record> load(std::uint64_t seq, location const& l) {
    auto [c, k] = primary(seq, l);
    auto cur = db_.get(c, k, access_);
    if (!cur) return cur.error();
    if (!*cur) return err(errc::internal);  // index without record
    post_record r;
    if (!codec::decode(**cur, r)) return err(errc::internal);
    return r;
  }

  result<post_record> load(std::uint64_t seq) {
    auto l = locate(seq);
    if (!l) return l.error();
    if (!*l) return err(errc::not_found);
    return load(seq, **l);
  }

  // Locks the post's stripe (and, for a reply whose parent's counters change,
  // the parent's) and returns its location as read under the lock.
  result<std::pair<stripes::guard, location>> lock_post(std::uint64_t seq, bool with_parent = true) {
    auto first = locate(seq);
    if (!first) return first.error();
    if (!*first) return err(errc::not_found);
    std::vector<std::string> keys{post_lock(seq)};
    if (with_parent && (*first)->tag == 'r') keys.push_back(post_lock((*first)->parent));
    // A post's kind (reply or top-level) never changes, so the set of stripes
    // chosen above stays right; its location is re-read under the lock.
    auto g = stripes_.lock(keys);
    auto l = locate(seq);
    if (!l) return l.error();
    if (!*l) return err(errc::internal);
    return std::pair<stripes::guard, location>(std::move(g), std::move(**l));
  }

  location move_off_feed(rocksdb::WriteBatch& b, std::uint64_t seq, location const& l) {
    if (l.tag != 'f') return l;
    auto [c, k] = primary(seq, l);
    b.Delete(db_.cf(c), k);
    location h{'h', {}, 0};
    b.Put(db_.cf(posts), codec::be64(seq), encode(h));
    return h;
  }

  result<void> bump_replies(rocksdb::WriteBatch& b, std::uint64_t parent, int delta) {
    auto pl = locate(parent);
    if (!pl) return pl.error();
    if (!*pl) return err(errc::internal);
    auto prec = load(parent, **pl);
    if (!prec) return prec.error();
    if (delta < 0 && prec->replies == 0) return {};
    prec->replies += delta;
    put_post(b, parent, **pl, *prec);
    return {};
  }

  result<codec::flag_summary> summary(std::uint64_t seq) {
    auto cur = db_.get(flagsum, codec::be64(seq), access_);
    if (!cur) return cur.error();
    codec::flag_summary s;
    if (*cur && !codec::decode(**cur, s)) return err(errc::internal);
    return s;
  }

  result<void> unqueue(rocksdb::WriteBatch& b, std::uint64_t seq) {
    auto sum = summary(seq);
    if (!sum) return sum.error();
    if (!sum->queued) return {};
    b.Delete(db_.cf(queue), codec::be64(~sum->flags) + codec::be64(seq));
    sum->queued = false;
    b.Put(db_.cf(flagsum), codec::be64(seq), codec::encode(*sum));
    return {};
  }

  void add_modlog(rocksdb::WriteBatch& b, modlog_entry& e, std::int64_t now, std::string_view action) {
    auto const seq = ++modlog_seq_;
    e.id = codec::hex16(seq);
    e.at = coarse(now);
    if (e.action.empty()) e.action = std::string(action);
    b.Put(db_.cf(modlog_cf), codec::be64(~seq), codec::encode(e));
    put_modlog_target(db_, b, e.target, seq, e.action);  // same batch: the index never misses an entry
  }

  result<post_record> moderate(std::string_view post_id, modlog_entry entry, std::int64_t now, bool hide) {
    auto seq = parse_id(post_id);
    if (!seq) return err(errc::not_found);
    auto locked = lock_post(*seq);
    if (!locked) return locked.error();
    auto& [g, loc] = *locked;
    auto rec = load(*seq, loc);
    if (!rec) return rec.error();
    if (rec->deleted) return err(errc::not_found);
    rocksdb::WriteBatch b;
    if (rec->hidden != hide) {
      rec->hidden = hide;
      location nl = loc;
      if (hide) {
        nl = move_off_feed(b, *seq, loc);
      } else if (loc.tag == 'h') {
        auto [c, k] = primary(*seq, loc);
        b.Delete(db_.cf(c), k);
        nl = location{'f', rec->channel, 0};
        b.Put(db_.cf(posts), codec::be64(*seq), encode(nl));
      }
      put_post(b, *seq, nl, *rec);
      b.Merge(db_.cf(counters), "n" + to_key(rec->author_pk), counter_delta(hide ? -1 : 1));
      if (loc.tag == 'r') {
        auto r = bump_replies(b, loc.parent, hide ? -1 : 1);
        if (!r) return r.error();
      }
    }
    auto q = unqueue(b, *seq);
    if (!q) return q.error();
    if (entry.target.empty()) entry.target = rec->id;
    add_modlog(b, entry, now, hide ? "hide" : "restore");
    auto w = db_.write(b, access_);
    if (!w) return w.error();
    return std::move(*rec);
  }

  // What the two views share (the view for access::wait owns it).
  struct shared {
    shared(std::filesystem::path const& dir, bool create, store_options const& opts)
        : db(dir, forum_spec(), create, opts) {}
    rdb db;
    stripes locks;
    std::atomic<std::uint64_t> post_seq{0};
    std::atomic<std::uint64_t> modlog_seq{0};
    std::mutex channel_write_mu;
    std::shared_mutex channel_names_mu;
    std::set<std::string> channel_names;
    std::mutex issuer_mu;  // set_pinned, save_directory_copy: read, check, write
    std::function<void()> erase_hook;  // set before any delete, by the data_dir
    std::unique_ptr<staff_store> staff;  // used under the forum role
  };

  // The view for access a of the store `wait` (which owns it).
  forum_impl(forum_impl& wait, access a)
      : access_(a), db_(wait.db_), stripes_(wait.stripes_), granularity_(wait.granularity_),
        post_seq_(wait.post_seq_), modlog_seq_(wait.modlog_seq_), channel_write_mu_(wait.channel_write_mu_),
        channel_names_mu_(wait.channel_names_mu_), channel_names_(wait.channel_names_),
        issuer_mu_(wait.issuer_mu_), erase_hook_(wait.erase_hook_), staff_(wait.staff_), views_(wait) {}

  std::unique_ptr<shared> shared_;  // in the view for access::wait only
  access const access_;
  rdb& db_;
  stripes& stripes_;
  std::int64_t granularity_;
  std::atomic<std::uint64_t>& post_seq_;
  std::atomic<std::uint64_t>& modlog_seq_;
  std::mutex& channel_write_mu_;
  std::shared_mutex& channel_names_mu_;
  std::set<std::string>& channel_names_;
  std::mutex& issuer_mu_;
  std::function<void()>& erase_hook_;
  std::unique_ptr<staff_store>& staff_;
  view_links<forum_impl> views_;
};

}  // namespace

db_spec forum_spec() {
  return {"forum",
          {"pseudonyms", "handles", "tokens", "counters", "channels", "feed", "replies", "offfeed", "posts",
           "nonces", "reactions", "flags", "flagsum", "queue", "bans", "modlog", "staff", "audit", "erase",
           "polls", "pollvotes", "pollfeed", "pollnonces", "search", "authored",
           "notices", "noticeread", "noticeonce", "appeals", "appealq", "modtarget"},
          {"counters"},
          {"pseudonyms", "handles", "tokens", "counters", "posts", "nonces", "reactions", "flags", "flagsum",
           "bans", "staff", "polls", "pollvotes", "pollnonces",
           "noticeread", "noticeonce", "appeals"},
          // Sequence-keyed (a prefix, then a sequence): memtable insert hints.
          // A search key's prefix is its bucket and word, so a common word's
          // next entry lands beside its last one.
          {"feed", "replies", "offfeed", "posts", "modlog", "search", "authored"},
          // Added later: a store made before gets them at open.
          {"staff", "audit", "erase", "polls", "pollvotes", "pollfeed", "pollnonces", "search", "authored",
           "notices", "noticeread", "noticeonce", "appeals", "appealq", "modtarget"},
          // Which token was spent, which pseudonym and handle were made or
          // renewed, the certified and post counters; which pseudonym voted
          // in which poll, and the tallies rewritten beside each vote; what
          // each pseudonym was told and read, and who appealed when.
          {"tokens", "pseudonyms", "handles", "counters", "polls", "pollvotes",
           "notices", "noticeread", "noticeonce", "appeals", "appealq"}};
}

std::unique_ptr<forum_store> make_forum(std::filesystem::path const& dir, bool create, store_options const& opts) {
  return std::make_unique<forum_impl>(dir, create, opts);
}

rdb& database_of(forum_store& s) { return dynamic_cast<forum_impl&>(s).database(); }
staff_store& staff_of(forum_store& s) { return dynamic_cast<forum_impl&>(s).staff(); }
void add_modlog(forum_store& s, rocksdb::WriteBatch& b, modlog_entry& entry, std::int64_t now) {
  dynamic_cast<forum_impl&>(s).modlog_into(b, entry, now);
}
result<void> maintain(forum_store& s, bool scrub) { return dynamic_cast<forum_impl&>(s).maintain(scrub); }
void on_erase_pending(forum_store& s, std::function<void()> hook) {
  dynamic_cast<forum_impl&>(s).on_erase_pending(std::move(hook));
}
bool erasures_pending(forum_store& s) { return dynamic_cast<forum_impl&>(s).erasures_pending(); }

}  // namespace hearth::storage::detail
