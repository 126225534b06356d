// Polls over the forum store's database (docs/storage.md "Polls").
#include "storage/polls.hpp"

#include "crypto/random.hpp"
#include "storage/codec.hpp"
#include "storage/impl.hpp"

#include <algorithm>
#include <atomic>

namespace hearth::storage {

namespace {

constexpr std::string_view commitment_label = "hearth/vote-commitment/v1";
constexpr std::string_view poll_nonce_label = "hearth/poll-nonce/v1";
constexpr std::uint8_t flag_live = 1, flag_pinned = 2, flag_hidden = 4;

std::string encode(poll_record const& r) {
  codec::writer w;
  w.u8(codec::record_version);
  w.str(r.channel);
  w.blob(r.author_pk);
  w.str(r.author_handle);
  w.str(r.question);
  w.varint(r.options.size());
  for (auto const& o : r.options) w.str(o);
  w.zigzag(r.created_at);
  w.zigzag(r.closes_at);
  w.u8(static_cast<std::uint8_t>((r.live ? flag_live : 0) | (r.pinned ? flag_pinned : 0) |
                                  (r.hidden ? flag_hidden : 0)));
  w.str(r.key_id);
  w.str(r.nonce);
  w.blob(r.sig);
  for (auto t : r.tallies) w.varint(t);
  return w.take();
}

bool decode(std::uint64_t seq, std::string_view in, poll_record& r) {
  codec::reader rd(in);
  if (rd.u8() != codec::record_version) return false;
  r.id = codec::hex16(seq);
  r.channel = rd.str();
  r.author_pk = rd.blob();
  r.author_handle = rd.str();
  r.question = rd.str();
  auto const n = rd.varint();
  if (!rd.ok() || n < min_poll_options || n > max_poll_options) return false;
  r.options.clear();
  for (std::uint64_t i = 0; i < n; ++i) r.options.push_back(rd.str());
  r.created_at = rd.zigzag();
  r.closes_at = rd.zigzag();
  auto const flags = rd.u8();
  r.live = (flags & flag_live) != 0;
  r.pinned = (flags & flag_pinned) != 0;
  r.hidden = (flags & flag_hidden) != 0;
  r.key_id = rd.str();
  r.nonce = rd.str();
  r.sig = rd.blob();
  r.tallies.assign(n, 0);
  r.votes = 0;
  for (auto& t : r.tallies) {
    t = rd.varint();
    r.votes += t;
  }
  return rd.done();
}

std::optional<std::uint64_t> parse_id(std::string_view id) {
  auto v = codec::parse_hex16(id);
  if (!v || *v == 0) return std::nullopt;
  return v;
}

std::string channel_prefix(std::string_view channel) {
  std::string s(1, static_cast<char>(channel.size()));
  s += channel;
  return s;
}

// Pinned polls sort before the others of their channel; each group newest first.
std::string list_key(std::string_view channel, bool pinned, std::uint64_t seq) {
  return channel_prefix(channel) + std::string(1, pinned ? '\0' : '\1') + codec::be64(~seq);
}

std::string nonce_key(bytes const& pk, std::string_view nonce) {
  codec::writer w;
  w.raw(poll_nonce_label);
  w.blob(pk);
  w.raw(nonce);
  return crypto::to_string(crypto::sha256(crypto::as_bytes(w.out())));
}

std::string vote_key(std::uint64_t seq, bytes const& pk) { return codec::be64(seq) + crypto::to_string(pk); }

std::string after(std::string key) {
  key.push_back('\0');
  return key;
}

std::size_t family(detail::rdb& db, std::string_view name) {
  auto const& h = db.handles();
  for (std::size_t i = 0; i < h.size(); ++i) {
    if (h[i] && h[i]->GetName() == name) return i;
  }
  throw open_error("the forum store lacks column family '" + std::string(name) + "': the store is damaged");
}

bool same_content(poll_record const& r, new_poll const& p) {
  return r.channel == p.channel && r.question == p.question && r.options == p.options &&
         r.closes_at == p.closes_at && r.live == p.live;
}

using detail::err;

class poll_impl final : public poll_store {
 public:
  explicit poll_impl(forum_store& forum)
      : forum_(forum),
        db_(detail::database_of(forum)),
        polls_(family(db_, "polls")),
        votes_(family(db_, "pollvotes")),
        list_(family(db_, "pollfeed")),
        nonces_(family(db_, "pollnonces")),
        channels_(family(db_, "channels")),
        granularity_(db_.options().time_granularity > 0 ? db_.options().time_granularity : 1),
        access_(access::wait),
        shared_(std::make_unique<shared>()),
        stripes_(shared_->locks),
        seq_(shared_->seq), views_(*this) {
    auto it = db_.iterator(polls_);
    it->SeekToLast();
    if (it->Valid() && it->key().size() == 8) seq_ = codec::read_be64(it->key().ToStringView());
    views_.no_wait.reset(new poll_impl(*this, access::no_wait));
  }

  poll_store& view(access a) override { return views_.pick(*this, access_, a); }

  result<poll_outcome> create(new_poll const& p, std::int64_t now) override {
    if (p.channel.empty() || p.author_pk.empty() || p.nonce.empty() || p.key_id.empty())
      return err(errc::bad_request);
    if (p.options.size() < min_poll_options || p.options.size() > max_poll_options) return err(errc::bad_request);
    auto const nkey = nonce_key(p.author_pk, p.nonce);
    auto g = stripes_.lock({"n" + nkey});
    auto earlier = db_.get(nonces_, nkey, access_);
    if (!earlier) return earlier.error();
    if (*earlier) {
      if ((*earlier)->size() != 8) return err(errc::internal);
      auto rec = load(codec::read_be64(**earlier));
      if (!rec) return rec.error();
      if (!same_content(*rec, p)) return err(errc::conflict);
      return poll_outcome{std::move(*rec), false};
    }
    auto ch = db_.get(channels_, p.channel, access_);
    if (!ch) return ch.error();
    if (!*ch) return err(errc::not_found);

    auto const seq = ++seq_;
    poll_record r;
    r.id = codec::hex16(seq);
    r.channel = p.channel;
    r.author_pk = p.author_pk;
    r.author_handle = p.author_handle;
    r.question = p.question;
    r.options = p.options;
    r.created_at = coarse(now);
    r.closes_at = p.closes_at;
    r.live = p.live;
    r.key_id = p.key_id;
    r.nonce = p.nonce;
    r.sig = p.sig;
    r.tallies.assign(p.options.size(), 0);
    rocksdb::WriteBatch b;
    b.Put(db_.cf(polls_), codec::be64(seq), encode(r));
    b.Put(db_.cf(list_), list_key(r.channel, false, seq), rocksdb::Slice());
    b.Put(db_.cf(nonces_), nkey, codec::be64(seq));
    auto w = db_.write(b, access_);
    if (!w) return w.error();
    return poll_outcome{std::move(r), true};
  }

  result<poll_record> poll(std::string_view poll_id) override {
    auto seq = parse_id(poll_id);
    if (!seq) return err(errc::not_found);
    return load(*seq);
  }

  result<page<poll_record>> list(std::string_view channel, std::optional<std::string> const& before,
                                 std::size_t limit, bool with_hidden) override {
    if (limit == 0) return err(errc::bad_request);
    auto const prefix = channel_prefix(channel);
    std::string start = prefix;
    if (before) {
      // payload: 2 hex digits (0 pinned, 1 not) + the poll id
      auto c = codec::parse_cursor(*before, 'P', 18, channel);
      if (!c) return err(errc::bad_request);
      auto const group = c->substr(0, 2);
      auto const seq = codec::parse_hex16(c->substr(2));
      if ((group != "00" && group != "01") || !seq) return err(errc::bad_request);
      start = after(list_key(channel, group == "00", *seq));
    }
    auto ch = db_.get(channels_, std::string(channel), access_);
    if (!ch) return ch.error();
    if (!*ch) return err(errc::not_found);
    auto const upper = prefix + std::string(1, '\2');
    rocksdb::Slice upper_slice(upper);
    auto it = db_.iterator(list_, &upper_slice);
    page<poll_record> out;
    for (it->Seek(start); it->Valid(); it->Next()) {
      auto const k = it->key().ToStringView();
      if (k.size() != prefix.size() + 9) return err(errc::internal);
      auto const seq = ~codec::read_be64(k.substr(prefix.size() + 1));
      auto rec = load(seq);
      if (!rec) return rec.error();
      if (rec->hidden && !with_hidden) continue;
      // A cursor only when a poll to show follows: no empty last page.
      if (out.items.size() == limit) {
        auto const& last = out.items.back();
        out.next = codec::make_cursor('P', std::string(last.pinned ? "00" : "01") + last.id, channel);
        break;
      }
      out.items.push_back(std::move(*rec));
    }
    if (!it->status().ok()) return err(errc::internal);
    return out;
  }

  result<std::optional<bytes>> commitment(std::string_view poll_id, bytes const& pk) override {
    auto seq = parse_id(poll_id);
    if (!seq) return err(errc::not_found);
    auto cur = db_.get(votes_, vote_key(*seq, pk), access_);
    if (!cur) return cur.error();
    if (!*cur) return std::optional<bytes>{};
    return std::optional<bytes>{bytes((*cur)->begin(), (*cur)->end())};
  }

  result<vote_outcome> vote(std::string_view poll_id, bytes const& pk, vote_opening const& choice,
                            std::optional<vote_opening> const& previous, std::int64_t now) override {
    if (pk.empty() || choice.salt.size() != vote_salt_bytes) return err(errc::bad_request);
    if (previous && previous->salt.size() != vote_salt_bytes) return err(errc::bad_request);
    auto seq = parse_id(poll_id);
    if (!seq) return err(errc::not_found);
    auto g = stripes_.lock({"v" + codec::be64(*seq)});
    auto rec = load(*seq);
    if (!rec) return rec.error();
    if (rec->hidden) return err(errc::not_found);
    auto const n = rec->options.size();
    if (choice.option >= n || (previous && previous->option >= n)) return err(errc::bad_request);
    auto const vkey = vote_key(*seq, pk);
    auto stored = db_.get(votes_, vkey, access_);
    if (!stored) return stored.error();
    auto const next = vote_commitment(rec->id, choice.option, choice.salt);
    if (*stored && crypto::equal(crypto::as_bytes(**stored), next))
      return vote_outcome{std::move(*rec), vote_effect::repeated};
    if (previous &&
        (!*stored || !crypto::equal(crypto::as_bytes(**stored),
                                    vote_commitment(rec->id, previous->option, previous->salt))))
      return err(errc::forbidden);
    if (rec->closes_at <= now) return err(errc::conflict);
    if (*stored && !previous) return err(errc::conflict);

    auto effect = vote_effect::cast;
    if (previous) {
      if (rec->tallies[previous->option] == 0) return err(errc::internal);  // a marker without its count
      rec->tallies[previous->option] -= 1;
      effect = vote_effect::changed;
    } else {
      rec->votes += 1;
    }
    rec->tallies[choice.option] += 1;
    rocksdb::WriteBatch b;
    b.Put(db_.cf(polls_), codec::be64(*seq), encode(*rec));
    b.Put(db_.cf(votes_), vkey, crypto::to_string(next));
    auto w = db_.write(b, access_);
    if (!w) return w.error();
    return vote_outcome{std::move(*rec), effect};
  }

  result<poll_record> pin(std::string_view poll_id, bool pinned) override {
    auto seq = parse_id(poll_id);
    if (!seq) return err(errc::not_found);
    auto g = stripes_.lock({"v" + codec::be64(*seq)});
    auto rec = load(*seq);
    if (!rec) return rec.error();
    if (rec->pinned == pinned) return std::move(*rec);
    rocksdb::WriteBatch b;
    b.Delete(db_.cf(list_), list_key(rec->channel, rec->pinned, *seq));
    rec->pinned = pinned;
    b.Put(db_.cf(list_), list_key(rec->channel, rec->pinned, *seq), rocksdb::Slice());
    b.Put(db_.cf(polls_), codec::be64(*seq), encode(*rec));
    auto w = db_.write(b, access_);
    if (!w) return w.error();
    return std::move(*rec);
  }

  result<poll_record> moderate(std::string_view poll_id, bool hidden, modlog_entry entry,
                               std::int64_t now) override {
    auto seq = parse_id(poll_id);
    if (!seq) return err(errc::not_found);
    auto g = stripes_.lock({"v" + codec::be64(*seq)});
    auto rec = load(*seq);
    if (!rec) return rec.error();
    rocksdb::WriteBatch b;
    if (rec->hidden != hidden) {
      rec->hidden = hidden;
      b.Put(db_.cf(polls_), codec::be64(*seq), encode(*rec));
    }
    entry.target = rec->id;
    detail::add_modlog(forum_, b, entry, now);
    auto w = db_.write(b, access_);
    if (!w) return w.error();
    return std::move(*rec);
  }

 private:
  std::int64_t coarse(std::int64_t t) const {
    auto r = t % granularity_;
    if (r < 0) r += granularity_;
    return t - r;
  }

  result<poll_record> load(std::uint64_t seq) {
    auto cur = db_.get(polls_, codec::be64(seq), access_);
    if (!cur) return cur.error();
    if (!*cur) return err(errc::not_found);
    poll_record r;
    if (!decode(seq, **cur, r)) return err(errc::internal);
    return r;
  }

  // What the two views share (the view for access::wait owns it).
  struct shared {
    detail::stripes locks;
    std::atomic<std::uint64_t> seq{0};
  };

  // The view for access a of the polls `wait` (which own it).
  poll_impl(poll_impl& wait, access a)
      : forum_(wait.forum_), db_(wait.db_), polls_(wait.polls_), votes_(wait.votes_), list_(wait.list_), nonces_(wait.nonces_),
        channels_(wait.channels_), granularity_(wait.granularity_), access_(a), stripes_(wait.stripes_),
        seq_(wait.seq_), views_(wait) {}

  forum_store& forum_;  // for its moderation log
  detail::rdb& db_;
  std::size_t polls_, votes_, list_, nonces_, channels_;
  std::int64_t granularity_;
  access const access_;
  std::unique_ptr<shared> shared_;  // in the view for access::wait only
  detail::stripes& stripes_;
  std::atomic<std::uint64_t>& seq_;
  detail::view_links<poll_impl> views_;
};

}  // namespace

bytes vote_commitment(std::string_view poll_id, std::uint64_t option, crypto::byte_view salt) {
  std::string in(commitment_label);
  in.push_back('\0');
  in.append(poll_id);
  in.push_back('\0');
  in.append(std::to_string(option));
  in.push_back('\0');
  in.append(crypto::to_string(salt));
  auto out = crypto::sha256(crypto::as_bytes(in));
  codec::wipe(in);
  return out;
}

std::unique_ptr<poll_store> open_polls(forum_store& forum) { return std::make_unique<poll_impl>(forum); }

}  // namespace hearth::storage
