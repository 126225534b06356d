#include "storage/search.hpp"

#include "storage/codec.hpp"
#include "storage/impl.hpp"

#include "crypto/random.hpp"

#include <rocksdb/options.h>

#include <algorithm>
#include <set>

namespace hearth::storage {
namespace detail {
namespace {

constexpr char search_family[] = "search";
constexpr char authored_family[] = "authored";
constexpr char built_key[] = "search.built";  // in the default family: the indexes cover every post
constexpr std::size_t hash_bytes = 8;
constexpr std::size_t build_batch = 1000;

rocksdb::ColumnFamilyHandle* family(rdb& db, std::string_view name) {
  for (auto* h : db.handles())
    if (h && h->GetName() == name) return h;
  throw open_error("the forum store has no '" + std::string(name) + "' family");
}

std::string be32(std::uint32_t v) {
  std::string s(4, '\0');
  for (int i = 3; i >= 0; --i, v >>= 8) s[i] = static_cast<char>(v & 0xff);
  return s;
}

std::uint32_t bucket_of(std::uint64_t seq) { return static_cast<std::uint32_t>(seq >> search_bucket_bits); }

// The word itself is never in a key (keys outlive deletes in places a
// compaction does not reach before the erasure pass): a prefix of its hash.
std::string term_hash(std::string_view term) {
  auto h = crypto::sha256(crypto::as_bytes(term));
  return std::string(reinterpret_cast<char const*>(h.data()), hash_bytes);
}

std::string term_prefix(std::uint32_t bucket, std::string const& hash) { return be32(~bucket) + hash; }

std::string search_key(std::uint64_t seq, std::string const& hash) {
  return term_prefix(bucket_of(seq), hash) + codec::be64(~seq);
}

std::string authored_key(bytes const& pk, std::uint64_t seq) { return crypto::to_string(pk) + codec::be64(seq); }

std::uint64_t last_seq(rdb& db) {
  std::unique_ptr<rocksdb::Iterator> it(db.db()->NewIterator(rocksdb::ReadOptions(), family(db, "posts")));
  it->SeekToLast();
  if (it->Valid() && it->key().size() == 8) return codec::read_be64(it->key().ToStringView());
  return 0;
}

}  // namespace

void index_post(rdb& db, rocksdb::WriteBatch& b, std::uint64_t seq, bytes const& author_pk, std::string_view body) {
  auto* search = family(db, search_family);
  for (auto const& t : search_terms(body)) b.Put(search, search_key(seq, term_hash(t)), rocksdb::Slice());
  b.Put(family(db, authored_family), authored_key(author_pk, seq), rocksdb::Slice());
}

void unindex_post(rdb& db, rocksdb::WriteBatch& b, std::uint64_t seq, std::string_view body) {
  auto* search = family(db, search_family);
  for (auto const& t : search_terms(body)) b.Delete(search, search_key(seq, term_hash(t)));
}

result<void> erase_search(rdb& db, std::vector<std::uint64_t> const& seqs) {
  std::set<std::uint32_t> buckets;
  for (auto s : seqs) buckets.insert(bucket_of(s));
  rocksdb::CompactRangeOptions co;
  co.exclusive_manual_compaction = false;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  co.allow_write_stall = true;
  auto* search = family(db, search_family);
  for (auto bucket : buckets) {
    auto const lo = be32(~bucket);
    auto const hi = lo + std::string(hash_bytes + 8, '\xff');
    rocksdb::Slice begin(lo), end(hi);
    if (!db.db()->CompactRange(co, search, &begin, &end).ok()) return err(errc::internal);
  }
  return {};
}

void build_search_indexes(rdb& db, forum_store& store) {
  std::string marker;
  auto s = db.db()->Get(rocksdb::ReadOptions(), db.cf(0), built_key, &marker);
  if (s.ok()) return;
  if (!s.IsNotFound()) throw open_error("cannot read the forum store's search marker");
  auto const last = last_seq(db);
  rocksdb::WriteBatch b;
  auto flush = [&] {
    if (b.Count() > 0 && !db.write(b, access::wait)) throw open_error("cannot build the forum's search index");
    b.Clear();
  };
  for (std::uint64_t seq = 1; seq <= last; ++seq) {
    auto p = store.post(codec::hex16(seq));
    if (!p) {
      if (p.error() == make_error_code(errc::not_found)) continue;
      throw open_error("cannot read a post while building the forum's search index");
    }
    if (p->deleted) continue;
    index_post(db, b, seq, p->author_pk, p->body);
    if (seq % build_batch == 0) flush();
  }
  b.Put(db.cf(0), built_key, rocksdb::Slice());
  flush();
}

}  // namespace detail

std::vector<std::string> search_terms(std::string_view text) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  std::string cur;
  auto word_byte = [](unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
  };
  auto end_word = [&] {
    if (cur.empty()) return;
    if (cur.size() > max_term_bytes) cur.resize(max_term_bytes);
    if (seen.insert(cur).second) out.push_back(cur);
    cur.clear();
  };
  for (unsigned char c : text) {
    if (!word_byte(c)) {
      end_word();
      continue;
    }
    cur.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c));
  }
  end_word();
  return out;
}

result<page<post_record>> search_posts(forum_store& store, std::string_view query,
                                       std::optional<std::string> const& channel,
                                       std::optional<std::string> const& before, std::size_t limit,
                                       bool with_hidden) {
  using detail::err;
  auto const terms = search_terms(query);
  if (terms.empty() || terms.size() > max_query_terms || limit == 0) return err(errc::bad_request);
  std::string context = channel.value_or("") + "\n";
  for (auto const& t : terms) context += t + " ";
  auto& db = detail::database_of(store);

  std::uint64_t start = detail::last_seq(db);
  if (before) {
    auto c = codec::parse_cursor(*before, 's', 16, context);
    if (!c) return err(errc::bad_request);
    auto const below = *codec::parse_hex16(*c);
    start = std::min(start, below == 0 ? 0 : below - 1);
  }
  if (channel) {
    auto cs = store.channels();
    if (!cs) return cs.error();
    if (std::none_of(cs->begin(), cs->end(), [&](channel_record const& r) { return r.name == *channel; }))
      return err(errc::not_found);
  }

  std::vector<std::string> hashes;
  for (auto const& t : terms) hashes.push_back(detail::term_hash(t));
  auto* search = detail::family(db, detail::search_family);
  std::vector<std::unique_ptr<rocksdb::Iterator>> its;
  for (std::size_t i = 0; i < hashes.size(); ++i)
    its.emplace_back(db.db()->NewIterator(rocksdb::ReadOptions(), search));

  page<post_record> out;
  std::size_t scanned = 0;
  auto stop_at = [&](std::uint64_t done_from) {  // every post >= done_from was considered
    out.next = codec::make_cursor('s', codec::hex16(done_from), context);
  };
  if (start == 0) return out;
  // A leapfrog join of the words' lists, bucket by bucket: each list moves
  // to the largest key any list is at (a few Next() steps, else a Seek);
  // where all agree, the post holds every word. Keys below the smallest
  // position of all lists have been decided.
  constexpr int steps_before_seek = 4;
  std::vector<std::string> prefixes(its.size());
  for (std::int64_t bucket = detail::bucket_of(start); bucket >= 0; --bucket) {
    auto const b = static_cast<std::uint32_t>(bucket);
    auto const top = std::min<std::uint64_t>(start, ((std::uint64_t{b} + 1) << detail::search_bucket_bits) - 1);
    for (std::size_t i = 0; i < its.size(); ++i) prefixes[i] = detail::term_prefix(b, hashes[i]);
    auto key_of = [&](std::size_t i) -> std::optional<std::uint64_t> {
      if (!its[i]->Valid() || !its[i]->key().starts_with(prefixes[i])) return std::nullopt;
      return codec::read_be64(its[i]->key().ToStringView().substr(prefixes[i].size()));
    };
    auto advance = [&](std::size_t i, std::uint64_t target) {
      for (int step = 0; step < steps_before_seek; ++step) {
        its[i]->Next();
        ++scanned;
        auto k = key_of(i);
        if (!k || *k >= target) return;
      }
      its[i]->Seek(prefixes[i] + codec::be64(target));
      ++scanned;
    };
    for (std::size_t i = 0; i < its.size(); ++i) {
      its[i]->Seek(prefixes[i] + codec::be64(~top));
      ++scanned;
    }
    while (true) {
      std::uint64_t lo = ~std::uint64_t{0}, hi = 0;
      bool exhausted = false;
      for (std::size_t i = 0; i < its.size() && !exhausted; ++i) {
        auto k = key_of(i);
        if (!k) {
          if (!its[i]->status().ok()) return err(errc::internal);
          exhausted = true;
        } else {
          lo = std::min(lo, *k);
          hi = std::max(hi, *k);
        }
      }
      if (exhausted) break;
      if (scanned >= max_search_scan) {
        stop_at(~lo + 1);
        return out;
      }
      if (lo != hi) {
        for (std::size_t i = 0; i < its.size(); ++i)
          if (*key_of(i) < hi) advance(i, hi);
        continue;
      }
      auto const seq = ~hi;
      auto p = store.post(codec::hex16(seq));
      if (!p && p.error() != make_error_code(errc::not_found)) return p.error();
      if (p && (with_hidden || !p->hidden) && !p->deleted && (!channel || p->channel == *channel)) {
        auto const words = search_terms(p->body);  // a hash prefix may collide: check the words
        bool all = std::all_of(terms.begin(), terms.end(), [&](std::string const& w) {
          return std::find(words.begin(), words.end(), w) != words.end();
        });
        if (all) {
          if (out.items.size() == limit) {
            stop_at(codec::parse_hex16(out.items.back().id).value_or(0));
            return out;
          }
          out.items.push_back(std::move(*p));
        }
      }
      for (auto& it : its) {
        it->Next();
        ++scanned;
      }
    }
  }
  return out;
}

result<page<post_record>> posts_by_author(forum_store& store, bytes const& pk, std::optional<std::string> const& after,
                                          std::size_t limit) {
  using detail::err;
  if (limit == 0 || pk.empty()) return err(errc::bad_request);
  auto& db = detail::database_of(store);
  auto const context = crypto::to_string(pk);
  std::string start = detail::authored_key(pk, 0);
  if (after) {
    auto c = codec::parse_cursor(*after, 'a', 16, context);
    if (!c) return err(errc::bad_request);
    start = detail::authored_key(pk, *codec::parse_hex16(*c) + 1);
  }
  auto const prefix = crypto::to_string(pk);
  std::unique_ptr<rocksdb::Iterator> it(
      db.db()->NewIterator(rocksdb::ReadOptions(), detail::family(db, detail::authored_family)));
  page<post_record> out;
  std::uint64_t last = 0;
  for (it->Seek(start); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    auto const k = it->key().ToStringView();
    if (k.size() != prefix.size() + 8) return err(errc::internal);
    auto const seq = codec::read_be64(k.substr(prefix.size()));
    auto p = store.post(codec::hex16(seq));
    if (!p) return p.error();
    if (p->deleted || p->author_pk != pk) continue;
    if (out.items.size() == limit) {
      out.next = codec::make_cursor('a', codec::hex16(last), context);
      break;
    }
    last = seq;
    out.items.push_back(std::move(*p));
  }
  if (!it->status().ok()) return err(errc::internal);
  return out;
}

}  // namespace hearth::storage
