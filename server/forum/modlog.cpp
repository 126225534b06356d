// modlog {before?, limit?} -> {entries, next}: the public moderation log.
#include "server/forum/ops.hpp"


namespace hearth::server::forum {

void op_modlog(forum_call const& c) {
  fields f(c->body);
  auto before = f.opt_str("before");
  auto limit = *page_limit(f);
  pseudonym_of(c);
  run(pool::blocking, c, [c, before, limit] { return modlog_page(c->ctx, before, limit); });
}

}  // namespace hearth::server::forum
