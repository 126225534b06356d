// bench_search: search over a forum store of many posts, newest first, a
// page of 20, through the index the forum store keeps in RocksDB and through
// Xapian over the same posts (when built with libxapian-dev), each printed
// beside a feed page of 20 from the same store (the anchor) as a ratio.
//   bench_search [--dir DIR] [--quick] [--posts N] [--queries N]
// Default 1,000,000 posts (--quick: 100,000). Posts are 24 words drawn from a
// Zipf-like vocabulary of 50,000 words; queries are one common word, one
// rare word, and two words of middling frequency (AND).
#include "storage/search.hpp"
#include "storage/stores.hpp"

#ifdef HEARTH_BENCH_XAPIAN
#include <xapian.h>
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

using namespace hearth;
using namespace hearth::storage;
namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr std::size_t vocabulary = 50000;
constexpr std::size_t words_per_post = 24;
constexpr std::size_t page_size = 20;

double seconds_since(clock_type::time_point t) { return std::chrono::duration<double>(clock_type::now() - t).count(); }

struct figures {
  double per_second = 0, p50_ms = 0, p99_ms = 0;
};

template <class Op>
figures measure(std::size_t n, Op op) {
  std::vector<double> lat;
  lat.reserve(n);
  auto const start = clock_type::now();
  for (std::size_t i = 0; i < n; ++i) {
    auto const t = clock_type::now();
    op(i);
    lat.push_back(seconds_since(t) * 1000);
  }
  figures f;
  f.per_second = n / seconds_since(start);
  std::sort(lat.begin(), lat.end());
  f.p50_ms = lat[lat.size() / 2];
  f.p99_ms = lat[std::min(lat.size() - 1, lat.size() * 99 / 100)];
  return f;
}

std::string word(std::size_t rank) { return "w" + std::to_string(rank); }

std::string codec_id(std::size_t seq) {
  char id[17];
  std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(seq));
  return id;
}

void line(char const* name, figures const& f, figures const& anchor) {
  std::printf("%-40s %10.0f q/s  p50 %6.2f ms  p99 %6.2f ms | feed page of 20: %8.0f/s | ratio %.3f\n", name,
              f.per_second, f.p50_ms, f.p99_ms, anchor.per_second, f.per_second / anchor.per_second);
}

std::uintmax_t size_of(fs::path const& p) {
  std::uintmax_t n = 0;
  for (auto const& e : fs::recursive_directory_iterator(p))
    if (e.is_regular_file()) n += e.file_size();
  return n;
}

[[noreturn]] void die(char const* what) {
  std::fprintf(stderr, "bench_search: %s\n", what);
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  fs::path base;
  std::size_t posts = 1000000, queries = 3000;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--dir") && i + 1 < argc) base = argv[++i];
    else if (!std::strcmp(argv[i], "--quick")) posts = 100000, queries = 1000;
    else if (!std::strcmp(argv[i], "--posts") && i + 1 < argc) posts = std::strtoull(argv[++i], nullptr, 10);
    else if (!std::strcmp(argv[i], "--queries") && i + 1 < argc) queries = std::strtoull(argv[++i], nullptr, 10);
    else {
      std::fprintf(stderr, "usage: bench_search [--dir DIR] [--quick] [--posts N] [--queries N]\n");
      return 2;
    }
  }
  if (base.empty()) {
    std::string t = "/var/tmp/hearth-bench-search-XXXXXX";
    if (!::mkdtemp(t.data())) die("mkdtemp failed");
    base = t;
  }
  std::printf("bench_search: %zu posts, %zu queries per kind, data in %s\n", posts, queries, base.c_str());

  // Zipf-like ranks: rank r drawn with weight 1/(r+1).
  std::mt19937_64 rng(42);
  std::vector<double> cdf(vocabulary);
  double sum = 0;
  for (std::size_t r = 0; r < vocabulary; ++r) cdf[r] = (sum += 1.0 / (r + 1));
  auto draw = [&] {
    std::uniform_real_distribution<double> u(0, sum);
    return static_cast<std::size_t>(std::lower_bound(cdf.begin(), cdf.end(), u(rng)) - cdf.begin());
  };

  store_options opts;
  opts.sync = false;  // loading; the queries are reads
  opts.scrub_interval = std::chrono::seconds(0);
  auto dir = create(base / "data", role::forum, opts);
  auto& f = *dir->forum();
  bytes const pk(32, 0x42);
  if (!f.certify(bytes(32, 1), pk, "bench", certification{"key", 1, 4000000000})) die("certify failed");

#ifdef HEARTH_BENCH_XAPIAN
  Xapian::WritableDatabase xdb((base / "xapian").string(), Xapian::DB_CREATE_OR_OPEN);
  double xapian_load = 0;
#endif
  double rocks_load = 0;
  for (std::size_t i = 0; i < posts; ++i) {
    std::string body;
    for (std::size_t w = 0; w < words_per_post; ++w) body += word(draw()) + " ";
    new_post p;
    p.channel = "general";
    p.author_pk = pk;
    p.author_handle = "bench";
    p.body = body;
    p.nonce = "nonce-" + std::to_string(i);
    p.sig = bytes(64, 0x5a);
    auto t = clock_type::now();
    auto r = f.append_post(p, 0);
    rocks_load += seconds_since(t);
    if (!r) die("append_post failed");
#ifdef HEARTH_BENCH_XAPIAN
    t = clock_type::now();
    Xapian::Document d;
    for (auto const& term : search_terms(body)) d.add_boolean_term(term);
    // docid = the post's sequence number, so docid order is post order.
    xdb.replace_document(static_cast<Xapian::docid>(i + 1), d);
    if ((i + 1) % 100000 == 0) xdb.commit();
    xapian_load += seconds_since(t);
#endif
    if ((i + 1) % 100000 == 0) std::fprintf(stderr, "  %zu posts\n", i + 1);
  }
#ifdef HEARTH_BENCH_XAPIAN
  {
    auto t = clock_type::now();
    xdb.commit();
    xapian_load += seconds_since(t);
  }
#endif
  if (!dir->scrub()) die("scrub failed");  // everything in table files, as a store that has run a while

  std::printf("\nloading: forum store with its index %.0f posts/s", posts / rocks_load);
#ifdef HEARTH_BENCH_XAPIAN
  std::printf(", Xapian alone %.0f docs/s", posts / xapian_load);
#endif
  std::printf("\nsize: forum store %.0f MB", size_of(base / "data" / "forum") / 1e6);
#ifdef HEARTH_BENCH_XAPIAN
  std::printf(", Xapian %.0f MB", size_of(base / "xapian") / 1e6);
#endif
  std::printf("\n\n");

  // The anchor: a feed page of 20 from the same store.
  auto anchor = measure(queries, [&](std::size_t) {
    auto pg = f.feed("general", std::nullopt, page_size);
    if (!pg || pg->items.size() != page_size) die("feed failed");
  });

  struct kind {
    char const* name;
    std::vector<std::string> queries;
  };
  std::vector<kind> kinds{{"common word (rank 0-9)", {}}, {"rare word (rank 20000-49999)", {}},
                          {"two words (ranks 50-499) AND", {}}};
  std::mt19937_64 qr(7);
  for (std::size_t i = 0; i < queries; ++i) {
    kinds[0].queries.push_back(word(qr() % 10));
    kinds[1].queries.push_back(word(20000 + qr() % 30000));
    kinds[2].queries.push_back(word(50 + qr() % 450) + " " + word(50 + qr() % 450));
  }
  std::printf("%-40s %10s       %-28s | %-24s |\n", "query (page of 20, newest first)", "value", "", "anchor");
  for (auto const& k : kinds) {
    std::size_t hits = 0;
    auto r = measure(queries, [&](std::size_t i) {
      auto pg = search_posts(f, k.queries[i], std::nullopt, std::nullopt, page_size);
      if (!pg) die("search failed");
      hits += pg->items.size();
    });
    line((std::string("RocksDB index: ") + k.name).c_str(), r, anchor);
#ifdef HEARTH_BENCH_XAPIAN
    std::size_t xhits = 0;
    Xapian::Database rdb((base / "xapian").string());
    auto x = measure(queries, [&](std::size_t i) {
      Xapian::Enquire e(rdb);
      std::vector<Xapian::Query> parts;
      for (auto const& t : search_terms(k.queries[i])) parts.emplace_back(t);
      e.set_query(Xapian::Query(Xapian::Query::OP_AND, parts.begin(), parts.end()));
      e.set_weighting_scheme(Xapian::BoolWeight());
      e.set_docid_order(Xapian::Enquire::DESCENDING);
      auto m = e.get_mset(0, page_size);
      // Like the store's search: load each post and check that it is visible.
      for (auto it = m.begin(); it != m.end(); ++it) {
        auto p = f.post(codec_id(*it));
        if (!p) die("post failed");
        xhits += !p->hidden && !p->deleted;
      }
    });
    line((std::string("Xapian: ") + k.name).c_str(), x, anchor);
    if (xhits != hits) std::printf("    (results differ: RocksDB %zu, Xapian %zu)\n", hits, xhits);
#endif
  }
  std::printf("\nfeed page of 20 (anchor): %.0f/s, p99 %.2f ms\n", anchor.per_second, anchor.p99_ms);

  // The erasure pass after one delete (its bucket of the index is rewritten)
  // beside a scrub with nothing to erase.
  auto t = clock_type::now();
  if (!dir->scrub()) die("scrub failed");
  auto const idle = seconds_since(t);
  if (!f.delete_post(codec_id(posts / 2), pk)) die("delete failed");
  t = clock_type::now();
  if (!dir->scrub()) die("scrub failed");
  std::printf("erasure of one deleted post (a scrub with it): %.2f s; a scrub with nothing to erase: %.3f s\n",
              seconds_since(t), idle);
  fs::remove_all(base);
  return 0;
}
