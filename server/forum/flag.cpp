// flag {post_id, reason, note?} -> {post_id}: one flag per pseudonym per post.
#include "server/forum/ops.hpp"

#include "server/validation.hpp"

namespace hearth::server::forum {

namespace {
constexpr std::size_t max_note_code_points = 1000;
}

void op_flag(forum_call const& c) {
  fields f(c->body);
  auto id = post_id_field(f);
  auto reason = f.str("reason");
  auto note = f.opt_str("note").value_or("");
  if (!one_of(reason, flag_reasons))
    fail(errc::bad_request, "field 'reason' must be one of spam, harassment, doxxing, off_topic, other");
  if (code_points(note) > max_note_code_points) fail(errc::too_large, "field 'note' is longer than 1000 characters");
  auto pk = pseudonym_of(c);
  run(pool::io, c, [c, id, reason, note, pk, certs = c->conn->forum().certs](storage::access a) {
    check_may_act(c->ctx, pk, certs, a);
    check(c->ctx.store().view(a).flag(id, pk, reason, note), "no such post");
    return json::object{{"post_id", id}};
  });
}

}  // namespace hearth::server::forum
