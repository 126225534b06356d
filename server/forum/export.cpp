// export {after?, limit?} -> {issuer, pseudonym, certifications, directory,
// posts, next}: one page of everything the logged-in pseudonym posted and did
// not delete (hidden posts too, marked), oldest first, each with its nonce
// and signature, beside the verified key directory and the pseudonym's
// certifications, so that `hearth verify-export` can check it offline.
#include "server/forum/ops.hpp"

#include "crypto/encoding.hpp"
#include "server/validation.hpp"
#include "storage/search.hpp"

#include <boost/json.hpp>

namespace hearth::server::forum {

void op_export(forum_call const& c) {
  fields f(c->body);
  auto after = f.opt_str("after");
  auto limit = *page_limit(f, 20, 20);  // 20 posts of at most 40 KB: a page stays under 1 MiB
  auto pk = pseudonym_of(c);
  run(pool::blocking, c, [c, pk, after, limit] {
    auto r = storage::posts_by_author(c->ctx.store(), pk, after, limit);
    if (!r && r.error() == make_error_code(errc::bad_request))
      fail(errc::bad_request, "field 'after' is not a cursor this server issued for this pseudonym");
    auto pg = check(std::move(r));
    auto me = check(c->ctx.store().pseudonym(pk), "no such pseudonym");
    auto dir = c->ctx.directory();
    json::array posts;
    for (auto const& p : pg.items) posts.push_back(post_view_for_staff(p));
    json::array certs;
    for (auto const& cert : me.certifications)
      certs.push_back(json::object{{"key_id", cert.key_id}, {"epoch", cert.epoch}, {"accept_until", cert.accept_until}});
    return json::object{{"issuer", dir->issuer},
                        {"pseudonym", pseudonym_view(me, *dir)},
                        {"certifications", std::move(certs)},
                        {"directory", json::parse(dir->json)},
                        {"posts", std::move(posts)},
                        {"next", cursor_value(pg.next)}};
  });
}

}  // namespace hearth::server::forum
