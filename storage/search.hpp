// Full-text search over the forum's posts, and each pseudonym's own posts
// (for its export), both read from indexes that the forum store writes in
// the same atomic batch as the post itself (docs/storage.md, "Search and
// authored posts"), so they never hold what the store does not.
// All functions are blocking and thread-safe: call them from a worker pool.
#pragma once

#include "common/errc.hpp"
#include "storage/records.hpp"
#include "storage/stores.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::storage {

inline constexpr std::size_t max_query_terms = 8;
inline constexpr std::size_t max_term_bytes = 64;  // longer words are cut here
// The most index entries one search page looks at before it answers with
// what it found so far (and a cursor to go on), so that no page costs more
// than this whatever the query.
inline constexpr std::size_t max_search_scan = 20000;

// The words of a text as the index keeps them: runs of ASCII letters and
// digits or of non-ASCII bytes, ASCII folded to lower case, each cut to
// max_term_bytes, each once, in order of first appearance.
[[nodiscard]] std::vector<std::string> search_terms(std::string_view text);

// Visible posts and replies (neither hidden nor deleted; with with_hidden,
// hidden ones too, never deleted ones) holding every word of `query`, newest
// first, in `channel` if given. bad_request for a query
// without words or with more than max_query_terms, a limit of 0, or a cursor
// not issued for this query and channel; not_found for an unknown channel.
// A page may hold fewer than `limit` posts and still have `next` (it stopped
// after max_search_scan entries).
[[nodiscard]] result<page<post_record>> search_posts(forum_store& store, std::string_view query,
                                                     std::optional<std::string> const& channel,
                                                     std::optional<std::string> const& before, std::size_t limit,
                                                     bool with_hidden = false);

// Everything a pseudonym posted and did not delete (hidden posts included,
// flagged), oldest first, at most `limit` after the cursor `after`.
// bad_request for a limit of 0 or a cursor not issued for this pseudonym.
[[nodiscard]] result<page<post_record>> posts_by_author(forum_store& store, bytes const& pk,
                                                        std::optional<std::string> const& after, std::size_t limit);

}  // namespace hearth::storage

namespace rocksdb {
class WriteBatch;
}

namespace hearth::storage::detail {

class rdb;

// Posts are indexed in buckets of 2^16 consecutive ids, newest bucket first:
// search key = BE4(~bucket) + 8 bytes of SHA-256(word) + BE8(~seq). A
// deleted post's words then sit in one bucket's key range, which is all its
// erasure pass rewrites.
inline constexpr unsigned search_bucket_bits = 16;

// The forum store's calls, inside its batches (same write as the post).
void index_post(rdb& db, rocksdb::WriteBatch& b, std::uint64_t seq, bytes const& author_pk, std::string_view body);
void unindex_post(rdb& db, rocksdb::WriteBatch& b, std::uint64_t seq, std::string_view body);
// In the erasure pass, before rdb::maintain: rewrites, down to the bottom
// level, the search keys of the buckets holding these posts, so that the
// deleted posts' words leave the table files. internal on failure.
[[nodiscard]] result<void> erase_search(rdb& db, std::vector<std::uint64_t> const& seqs);
// At open: a store whose posts predate the indexes gets them built once.
// Throws open_error on failure.
void build_search_indexes(rdb& db, forum_store& store);

}  // namespace hearth::storage::detail
