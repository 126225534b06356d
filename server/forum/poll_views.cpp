// The poll object (docs/protocol.md "Polls").
#include "server/forum/poll_views.hpp"

#include "crypto/encoding.hpp"

#include <boost/json.hpp>

namespace hearth::server::forum {

json::object poll_view(storage::poll_record const& p, std::int64_t now, std::uint64_t min_crowd,
                       std::optional<bool> voted) {
  json::array options;
  for (auto const& o : p.options) options.push_back(json::string(o));
  bool const closed = p.closes_at <= now;
  json::value results = nullptr;
  json::value withheld = nullptr;
  if (!closed && !p.live) {
    withheld = "open";
  } else if (p.votes < min_crowd) {
    withheld = "too_few_votes";
  } else {
    json::array counts;
    for (auto t : p.tallies) counts.push_back(t);
    results = std::move(counts);
  }
  json::object o{{"id", p.id},
                 {"channel", p.channel},
                 {"author", json::object{{"handle", p.author_handle}, {"pk", crypto::base64url_encode(p.author_pk)}}},
                 {"question", p.question},
                 {"options", std::move(options)},
                 {"created_at", p.created_at},
                 {"closes_at", p.closes_at},
                 {"live", p.live},
                 {"pinned", p.pinned},
                 {"key_id", p.key_id},
                 {"nonce", p.nonce},
                 {"sig", crypto::base64url_encode(p.sig)},
                 {"closed", closed},
                 {"votes", p.votes},
                 {"min_crowd", min_crowd},
                 {"results", std::move(results)},
                 {"withheld", std::move(withheld)}};
  if (voted) o["voted"] = *voted;
  if (p.hidden) o["hidden"] = true;  // only staff are shown a hidden poll
  return o;
}

json::object poll_view_for(forum_call const& c, crypto::bytes const& pk, storage::poll_record const& p,
                           storage::access a) {
  auto stored = check(c->ctx.polls().view(a).commitment(p.id, pk));
  return poll_view(p, c->rt.now(), c->ctx.cfg().min_crowd, stored.has_value());
}

std::string polls_topic(std::string_view channel) {
  std::string t("polls:");
  t += channel;
  return t;
}

void publish_poll(forum_service& s, storage::poll_record const& p) {
  auto const topic = polls_topic(p.channel);
  if (!s.has_subscribers(topic)) return;
  s.publish(topic, event_frame("poll", poll_view(p, s.rt().now(), s.cfg().min_crowd, std::nullopt)));
}

void publish_poll_hidden(forum_service& s, storage::poll_record const& p) {
  auto const topic = polls_topic(p.channel);
  if (!s.has_subscribers(topic)) return;
  s.publish(topic, event_frame("poll_hidden", json::object{{"poll_id", p.id}}));
}

storage::poll_record load_poll(forum_service& s, std::string const& poll_id, storage::access a) {
  auto r = s.polls().view(a).poll(poll_id);
  if ((!r && r.error() == make_error_code(errc::not_found)) || (r && r->hidden)) fail(errc::not_found, "no such poll");
  return check(std::move(r));
}

}  // namespace hearth::server::forum
