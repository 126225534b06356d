// Notifications and appeals over the forum store's database (docs/storage.md
// "Notifications and appeals").
#include "storage/notices.hpp"

#include "crypto/random.hpp"
#include "storage/codec.hpp"
#include "storage/impl.hpp"

#include <algorithm>

namespace hearth::storage {

namespace {

using detail::err;

constexpr std::string_view once_label = "hearth/notice-once/v1";

std::size_t family(detail::rdb& db, std::string_view name) {
  auto const& h = db.handles();
  for (std::size_t i = 0; i < h.size(); ++i) {
    if (h[i] && h[i]->GetName() == name) return i;
  }
  throw open_error("the forum store lacks column family '" + std::string(name) + "': the store is damaged");
}

// The modtarget key's prefix for one target (see put_modlog_target).
std::string target_prefix(std::string_view target) {
  std::string k;
  k.push_back(static_cast<char>((target.size() >> 8) & 0xff));
  k.push_back(static_cast<char>(target.size() & 0xff));
  k.append(target);
  return k;
}

constexpr char modtarget_built_key[] = "modtarget.built";  // in the default family: the index covers the log
constexpr std::size_t max_target = 0xffff;

std::int64_t coarse(std::int64_t t, std::int64_t granularity) {
  auto r = t % granularity;
  if (r < 0) r += granularity;
  return t - r;
}

std::optional<std::uint64_t> parse_id(std::string_view id) {
  auto v = codec::parse_hex16(id);
  if (!v || *v == 0) return std::nullopt;
  return v;
}

std::int64_t granularity_of(detail::rdb& db) {
  return db.options().time_granularity > 0 ? db.options().time_granularity : 1;
}

// ------------------------------------------------------------ notifications

std::string encode(notice const& n) {
  codec::writer w;
  w.u8(codec::record_version);
  w.str(n.kind);
  w.zigzag(n.at);
  w.str(n.post_id);
  w.str(n.reply_id);
  w.str(n.by);
  w.str(n.reaction);
  w.str(n.action_id);
  w.str(n.reason);
  if (!n.poll_id.empty()) w.str(n.poll_id);  // a later field: absent from older notices
  return w.take();
}

bool decode(std::uint64_t seq, std::string_view in, notice& n) {
  codec::reader r(in);
  if (r.u8() != codec::record_version) return false;
  n.id = codec::hex16(seq);
  n.kind = r.str();
  n.at = r.zigzag();
  n.post_id = r.str();
  n.reply_id = r.str();
  n.by = r.str();
  n.reaction = r.str();
  n.action_id = r.str();
  n.reason = r.str();
  if (!r.done()) n.poll_id = r.str();
  return r.done();
}

// Notices past the kept window are gone, read or not.
std::uint64_t unread_of(std::uint64_t newest, std::uint64_t mark) {
  return newest > mark ? std::min(newest - mark, max_notices) : 0;
}

std::string notice_key(bytes const& pk, std::uint64_t seq) { return crypto::to_string(pk) + codec::be64(~seq); }

class notice_impl final : public notice_store {
 public:
  explicit notice_impl(forum_store& forum)
      : db_(detail::database_of(forum)),
        notices_(family(db_, "notices")),
        marks_(family(db_, "noticeread")),
        once_(family(db_, "noticeonce")),
        granularity_(granularity_of(db_)) {}

  result<notice> add(bytes const& pk, notice n, std::int64_t now) override {
    if (pk.empty() || n.kind.empty()) return err(errc::bad_request);
    auto g = stripes_.lock({"n" + crypto::to_string(pk)});
    rocksdb::WriteBatch b;
    auto r = put(b, pk, n, now);
    if (!r) return r.error();
    auto w = db_.write(b, access::wait);
    if (!w) return w.error();
    return n;
  }

  result<std::optional<notice>> add_reaction(bytes const& pk, bytes const& reactor, std::string_view post_id,
                                             std::string_view reaction, std::int64_t now) override {
    if (pk.empty() || reactor.empty() || post_id.empty() || reaction.empty()) return err(errc::bad_request);
    // A hash: which pseudonym reacted how is in the reactions family already;
    // this adds nothing a reader could not see there.
    codec::writer k;
    k.raw(once_label);
    k.str(post_id);
    k.str(reaction);
    k.blob(reactor);
    auto const okey = crypto::to_string(crypto::sha256(crypto::as_bytes(k.out())));
    auto g = stripes_.lock({"n" + crypto::to_string(pk)});
    auto seen = db_.get(once_, okey, access::wait);
    if (!seen) return seen.error();
    if (*seen) return std::optional<notice>{};
    notice n;
    n.kind = "reaction";
    n.post_id = std::string(post_id);
    n.reaction = std::string(reaction);
    rocksdb::WriteBatch b;
    auto r = put(b, pk, n, now);
    if (!r) return r.error();
    b.Put(db_.cf(once_), okey, rocksdb::Slice());
    auto w = db_.write(b, access::wait);
    if (!w) return w.error();
    return std::optional<notice>{std::move(n)};
  }

  result<notice_page> list(bytes const& pk, std::optional<std::string> const& before, std::size_t limit) override {
    if (limit == 0 || pk.empty()) return err(errc::bad_request);
    auto const prefix = crypto::to_string(pk);
    std::string start = prefix;
    if (before) {
      auto c = codec::parse_cursor(*before, 'N', 16, prefix);
      if (!c) return err(errc::bad_request);
      auto const seq = codec::parse_hex16(*c);
      if (!seq || *seq <= 1) return err(errc::bad_request);
      start = notice_key(pk, *seq - 1);
    }
    auto top = newest(pk);
    if (!top) return top.error();
    auto mark = read_mark(pk);
    if (!mark) return mark.error();
    notice_page out;
    out.unread = unread_of(*top, *mark);
    auto const upper = prefix + std::string(8, '\xff') + '\0';
    rocksdb::Slice upper_slice(upper);
    auto it = db_.iterator(notices_, &upper_slice);
    for (it->Seek(start); it->Valid(); it->Next()) {
      auto const k = it->key().ToStringView();
      if (k.size() != prefix.size() + 8 || k.substr(0, prefix.size()) != prefix) break;
      if (out.items.size() == limit) {
        out.next = codec::make_cursor('N', out.items.back().id, prefix);
        break;
      }
      auto const seq = ~codec::read_be64(k.substr(prefix.size()));
      notice n;
      if (!decode(seq, it->value().ToStringView(), n)) return err(errc::internal);
      n.read = seq <= *mark;
      out.items.push_back(std::move(n));
    }
    if (!it->status().ok()) return err(errc::internal);
    return out;
  }

  result<std::uint64_t> mark_read(bytes const& pk, std::optional<std::string> const& up_to) override {
    if (pk.empty()) return err(errc::bad_request);
    auto g = stripes_.lock({"n" + crypto::to_string(pk)});
    auto top = newest(pk);
    if (!top) return top.error();
    auto mark = read_mark(pk);
    if (!mark) return mark.error();
    std::uint64_t target = *top;
    if (up_to) {
      auto seq = parse_id(*up_to);
      if (!seq || *seq > *top) return err(errc::not_found);
      target = *seq;
    }
    if (target <= *mark) return unread_of(*top, *mark);
    rocksdb::WriteBatch b;
    b.Put(db_.cf(marks_), crypto::to_string(pk), codec::be64(target));
    auto w = db_.write(b, access::wait);
    if (!w) return w.error();
    return unread_of(*top, target);
  }

  result<std::uint64_t> unread(bytes const& pk) override {
    auto top = newest(pk);
    if (!top) return top.error();
    auto mark = read_mark(pk);
    if (!mark) return mark.error();
    return unread_of(*top, *mark);
  }

 private:
  // Under pk's stripe: n gets the next number of pk's sequence; the one that
  // falls out of the kept window is deleted in the same batch.
  result<void> put(rocksdb::WriteBatch& b, bytes const& pk, notice& n, std::int64_t now) {
    auto top = newest(pk);
    if (!top) return top.error();
    auto const seq = *top + 1;
    n.id = codec::hex16(seq);
    n.at = coarse(now, granularity_);
    n.read = false;
    b.Put(db_.cf(notices_), notice_key(pk, seq), encode(n));
    if (seq > max_notices) b.Delete(db_.cf(notices_), notice_key(pk, seq - max_notices));
    return {};
  }

  // The highest number pk's sequence has reached (0: none yet). The newest
  // notice is always kept, so it is the first key under pk.
  result<std::uint64_t> newest(bytes const& pk) {
    auto const prefix = crypto::to_string(pk);
    auto it = db_.iterator(notices_);
    it->Seek(prefix);
    if (!it->status().ok()) return err(errc::internal);
    if (!it->Valid()) return std::uint64_t{0};
    auto const k = it->key().ToStringView();
    if (k.size() != prefix.size() + 8 || k.substr(0, prefix.size()) != prefix) return std::uint64_t{0};
    return ~codec::read_be64(k.substr(prefix.size()));
  }

  result<std::uint64_t> read_mark(bytes const& pk) {
    auto cur = db_.get(marks_, crypto::to_string(pk), access::wait);
    if (!cur) return cur.error();
    if (!*cur) return std::uint64_t{0};
    if ((*cur)->size() != 8) return err(errc::internal);
    return codec::read_be64(**cur);
  }

  detail::rdb& db_;
  std::size_t notices_, marks_, once_;
  std::int64_t granularity_;
  detail::stripes stripes_;
};

// ------------------------------------------------------------------ appeals

std::string encode(appeal_record const& a) {
  codec::writer w;
  w.u8(codec::record_version);
  w.str(a.action);
  w.str(a.target);
  w.blob(a.pseudonym_pk);
  w.str(a.handle);
  w.str(a.text);
  w.blob(a.sig);
  w.zigzag(a.at);
  w.u8(static_cast<std::uint8_t>(a.state));
  w.str(a.decided_by);
  w.str(a.decision);
  w.zigzag(a.decided_at);
  return w.take();
}

bool decode(std::uint64_t seq, std::string_view in, appeal_record& a) {
  codec::reader r(in);
  if (r.u8() != codec::record_version) return false;
  a.action_id = codec::hex16(seq);
  a.action = r.str();
  a.target = r.str();
  a.pseudonym_pk = r.blob();
  a.handle = r.str();
  a.text = r.str();
  a.sig = r.blob();
  a.at = r.zigzag();
  auto const s = r.u8();
  if (s > static_cast<std::uint8_t>(appeal_state::overturned)) return false;
  a.state = static_cast<appeal_state>(s);
  a.decided_by = r.str();
  a.decision = r.str();
  a.decided_at = r.zigzag();
  return r.done();
}

std::string after(std::string key) {
  key.push_back('\0');
  return key;
}

class appeal_impl final : public appeal_store {
  // The queue's value: empty while open; this once decided, until settled.
  static constexpr std::string_view decided_mark = "d";

 public:
  explicit appeal_impl(forum_store& forum)
      : db_(detail::database_of(forum)),
        appeals_(family(db_, "appeals")),
        queue_(family(db_, "appealq")),
        modlog_(family(db_, "modlog")),
        modtarget_(family(db_, "modtarget")),
        granularity_(granularity_of(db_)) {}

  result<modlog_entry> action(std::string_view action_id) override {
    auto seq = parse_id(action_id);
    if (!seq) return err(errc::not_found);
    auto cur = db_.get(modlog_, codec::be64(~*seq), access::wait);
    if (!cur) return cur.error();
    if (!*cur) return err(errc::not_found);
    modlog_entry e;
    if (!codec::decode(**cur, e)) return err(errc::internal);
    return e;
  }

  result<std::optional<modlog_entry>> latest_action(std::string_view target,
                                                    std::span<std::string_view const> actions) override {
    // The target's own entries, newest first (a handful per target), not
    // the whole log.
    if (target.size() > max_target) return std::optional<modlog_entry>{};
    auto const prefix = target_prefix(target);
    auto it = db_.iterator(modtarget_);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      auto const key = it->key().ToStringView();
      if (key.size() != prefix.size() + 8) return err(errc::internal);
      if (std::find(actions.begin(), actions.end(), it->value().ToStringView()) == actions.end()) continue;
      auto e = action(codec::hex16(~codec::read_be64(key.substr(prefix.size()))));
      if (!e) return e.error();
      return std::optional<modlog_entry>{std::move(*e)};
    }
    if (!it->status().ok()) return err(errc::internal);
    return std::optional<modlog_entry>{};
  }

  result<appeal_record> file(appeal_record a, std::int64_t now) override {
    if (a.pseudonym_pk.empty() || a.text.empty()) return err(errc::bad_request);
    auto seq = parse_id(a.action_id);
    if (!seq) return err(errc::bad_request);
    auto g = stripes_.lock({"a" + codec::be64(*seq)});
    auto cur = db_.get(appeals_, codec::be64(*seq), access::wait);
    if (!cur) return cur.error();
    if (*cur) return err(errc::conflict);
    a.at = coarse(now, granularity_);
    a.state = appeal_state::open;
    a.decided_by.clear();
    a.decision.clear();
    a.decided_at = 0;
    rocksdb::WriteBatch b;
    b.Put(db_.cf(appeals_), codec::be64(*seq), encode(a));
    b.Put(db_.cf(queue_), codec::be64(*seq), rocksdb::Slice());
    auto w = db_.write(b, access::wait);
    if (!w) return w.error();
    return a;
  }

  result<appeal_record> appeal(std::string_view action_id) override {
    auto seq = parse_id(action_id);
    if (!seq) return err(errc::not_found);
    return load(*seq);
  }

  result<page<appeal_record>> open_appeals(std::optional<std::string> const& before, std::size_t limit) override {
    if (limit == 0) return err(errc::bad_request);
    std::string start;
    if (before) {
      auto c = codec::parse_cursor(*before, 'A', 16, "appeals");
      if (!c) return err(errc::bad_request);
      start = after(codec::be64(*codec::parse_hex16(*c)));
    }
    page<appeal_record> out;
    auto it = db_.iterator(queue_);
    for (it->Seek(start); it->Valid(); it->Next()) {
      auto const k = it->key().ToStringView();
      if (k.size() != 8) return err(errc::internal);
      if (!it->value().empty()) continue;  // decided, its outcome being applied
      if (out.items.size() == limit) {
        out.next = codec::make_cursor('A', out.items.back().action_id, "appeals");
        break;
      }
      auto rec = load(codec::read_be64(k));
      if (!rec) return rec.error();
      out.items.push_back(std::move(*rec));
    }
    if (!it->status().ok()) return err(errc::internal);
    return out;
  }

  result<appeal_record> decide(std::string_view action_id, appeal_state outcome, std::string_view staff_username,
                               std::string_view reason, std::int64_t now) override {
    if (outcome == appeal_state::open || staff_username.empty()) return err(errc::bad_request);
    auto seq = parse_id(action_id);
    if (!seq) return err(errc::not_found);
    auto g = stripes_.lock({"a" + codec::be64(*seq)});
    auto rec = load(*seq);
    if (!rec) return rec.error();
    if (rec->state != appeal_state::open) return err(errc::conflict);
    rec->state = outcome;
    rec->decided_by = std::string(staff_username);
    rec->decision = std::string(reason);
    rec->decided_at = coarse(now, granularity_);
    rocksdb::WriteBatch b;
    b.Put(db_.cf(appeals_), codec::be64(*seq), encode(*rec));
    b.Put(db_.cf(queue_), codec::be64(*seq), rocksdb::Slice(decided_mark.data(), decided_mark.size()));  // out of the queue; settle() removes it
    auto w = db_.write(b, access::wait);
    if (!w) return w.error();
    return std::move(*rec);
  }

  result<void> settle(std::string_view action_id) override {
    auto seq = parse_id(action_id);
    if (!seq) return err(errc::not_found);
    auto g = stripes_.lock({"a" + codec::be64(*seq)});
    auto rec = load(*seq);
    if (!rec) return rec.error();
    if (rec->state == appeal_state::open) return err(errc::conflict);
    rocksdb::WriteBatch b;
    b.Delete(db_.cf(queue_), codec::be64(*seq));
    return db_.write(b, access::wait);
  }

  result<std::vector<appeal_record>> unsettled() override {
    std::vector<appeal_record> out;
    auto it = db_.iterator(queue_);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      auto const k = it->key().ToStringView();
      if (k.size() != 8) return err(errc::internal);
      if (it->value().empty()) continue;  // open
      auto rec = load(codec::read_be64(k));
      if (!rec) return rec.error();
      out.push_back(std::move(*rec));
    }
    if (!it->status().ok()) return err(errc::internal);
    return out;
  }

 private:
  result<appeal_record> load(std::uint64_t seq) {
    auto cur = db_.get(appeals_, codec::be64(seq), access::wait);
    if (!cur) return cur.error();
    if (!*cur) return err(errc::not_found);
    appeal_record a;
    if (!decode(seq, **cur, a)) return err(errc::internal);
    return a;
  }

  detail::rdb& db_;
  std::size_t appeals_, queue_, modlog_, modtarget_;
  std::int64_t granularity_;
  detail::stripes stripes_;
};

}  // namespace

std::string_view appeal_state_name(appeal_state s) noexcept {
  switch (s) {
    case appeal_state::upheld: return "upheld";
    case appeal_state::overturned: return "overturned";
    default: return "open";
  }
}

std::unique_ptr<notice_store> open_notices(forum_store& forum) { return std::make_unique<notice_impl>(forum); }
std::unique_ptr<appeal_store> open_appeals(forum_store& forum) { return std::make_unique<appeal_impl>(forum); }

namespace detail {

void put_modlog_target(rdb& db, rocksdb::WriteBatch& b, std::string_view target, std::uint64_t seq,
                       std::string_view action) {
  if (target.size() > max_target) return;  // targets are post ids and handles: never this long
  b.Put(db.cf(family(db, "modtarget")), target_prefix(target) + codec::be64(~seq), action);
}

void build_modlog_target_index(rdb& db) {
  std::string marker;
  auto s = db.db()->Get(rocksdb::ReadOptions(), db.cf(0), modtarget_built_key, &marker);
  if (s.ok()) return;
  if (!s.IsNotFound()) throw open_error("cannot read the forum store's moderation index marker");
  rocksdb::WriteBatch b;
  auto it = db.iterator(family(db, "modlog"));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    modlog_entry e;
    auto const key = it->key().ToStringView();
    if (key.size() != 8 || !codec::decode(it->value().ToStringView(), e))
      throw open_error("cannot read the moderation log while indexing it: the store is damaged; restore a backup");
    put_modlog_target(db, b, e.target, ~codec::read_be64(key), e.action);
  }
  if (!it->status().ok()) throw open_error("cannot read the moderation log while indexing it");
  b.Put(db.cf(0), modtarget_built_key, rocksdb::Slice());
  if (!db.write(b, access::wait)) throw open_error("cannot write the moderation log's index");
}

}  // namespace detail

}  // namespace hearth::storage
