// posts_page_json writes the feed page straight to text; it must be the same
// JSON, byte for byte, as the page built with post_view and page_view, for
// every kind of post a page can hold.
#include "server/forum/ops.hpp"

#include <boost/json.hpp>
#include <doctest/doctest.h>

using namespace hearth;
using namespace hearth::server;

namespace {

storage::post_record post(std::string id, std::string body) {
  storage::post_record p;
  p.id = std::move(id);
  p.channel = "general";
  p.author_handle = "some_one";
  p.author_pk = crypto::bytes(32, 0xa7);
  p.body = std::move(body);
  p.created_at = 1700000040;
  p.nonce = "bm9uY2Utbm9uY2UtMQ";
  p.sig = crypto::bytes(64, 0x3c);
  return p;
}

std::string tree_text(storage::page<storage::post_record> const& pg) {
  auto copy = pg;
  return json::serialize(page_view(result<storage::page<storage::post_record>>(std::move(copy)), "posts",
                                   [](storage::post_record const& p) { return forum::post_view(p); }));
}

}  // namespace

TEST_CASE("posts_page_json equals the page built as a json tree") {
  storage::page<storage::post_record> pg;
  pg.items.push_back(post("0000000000000009", "plain"));
  auto quoted = post("0000000000000008", "\"quotes\" \\ back\nslash\ttab \x01\x1f caf\xc3\xa9 \xe2\x9c\x93 </script>");
  quoted.reactions = {{"+1", 3}, {"sad", 1}};
  quoted.replies = 12;
  pg.items.push_back(quoted);
  auto reply = post("0000000000000007", "a reply");
  reply.parent = "0000000000000001";
  pg.items.push_back(reply);
  auto hidden = post("0000000000000006", "hidden text");
  hidden.hidden = true;
  pg.items.push_back(hidden);
  auto deleted = post("0000000000000005", "");
  deleted.deleted = true;
  pg.items.push_back(deleted);
  auto liked = post("0000000000000003", "liked");
  liked.reactions = {{"+1", 1}, {"heart", 20}, {"laugh", 300}, {"sad", 4000000000ull}};
  liked.created_at = -1;  // (no post has one; the number writer's sign)
  pg.items.push_back(liked);
  pg.items.push_back(post("0000000000000004", std::string(30000, 'x')));  // longer than one write buffer
  // Needs no escape (UTF-8, DEL and '/' pass through): the writer's fast path.
  pg.items.push_back(post("0000000000000002", "caf\xc3\xa9 \xf0\x9f\x94\xa5 \x7f a/b"));

  CHECK(forum::posts_page_json(pg).text == tree_text(pg));
  pg.next = "f.0000000000000004.general";
  CHECK(forum::posts_page_json(pg).text == tree_text(pg));
  auto const parsed = json::parse(forum::posts_page_json(pg).text);
  CHECK(parsed.at("posts").as_array().size() == 8);
  CHECK(parsed.at("posts").as_array()[1].at("body").as_string() == quoted.body);

  // Framed: the reply's head before the page, and the envelope closed after
  // it, so that the whole frame is written once.
  std::string const head = R"({"id":"q-7","ok":true,"result":)";
  auto const framed = forum::posts_page_json(pg, head);
  CHECK(framed.framed);
  CHECK(framed.text == head + tree_text(pg) + "}");
  CHECK_FALSE(forum::posts_page_json(pg).framed);

  storage::page<storage::post_record> empty;
  CHECK(forum::posts_page_json(empty).text == tree_text(empty));
  CHECK(forum::posts_page_json(empty).text == R"({"posts":[],"next":null})");
}

TEST_CASE("posts_page_json escapes a character at every offset of a body") {
  // The writer looks for characters to escape eight bytes at a time: each
  // such character, and each near miss that needs no escape, at every
  // position of a 19-byte body (two whole words and a tail).
  std::string const escaped[] = {"\"", "\\", std::string(1, '\0'), "\x01", "\n", "\x1f"};
  std::string const passed[] = {" ", "!", "#", "[", "]", "\x7f", "\xe2\x82\xac", "\xc3\xa9", "\x3c", "\x60"};
  for (auto const& set : {std::span<std::string const>(escaped), std::span<std::string const>(passed)})
    for (auto const& c : set)
      for (std::size_t at = 0; at < 19; ++at) {
        std::string body(19, 'a');
        body.replace(at, 1, c);
        storage::page<storage::post_record> pg;
        pg.items.push_back(post("0000000000000001", body));
        auto const text = forum::posts_page_json(pg).text;
        CHECK(text == tree_text(pg));
        CHECK(json::parse(text).at("posts").as_array()[0].at("body").as_string() == body);
      }
}
