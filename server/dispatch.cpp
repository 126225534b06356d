#include "server/dispatch.hpp"

#include <boost/json.hpp>

namespace hearth::server {

namespace {

constexpr std::uint64_t max_request_id = (std::uint64_t{1} << 53) - 1;

// At most max bytes of a UTF-8 string, cut at a code point boundary.
std::string utf8_prefix(std::string const& s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n) + "...";
}

// The request id of a frame that is not valid JSON, when it is still
// readable: the frame starts with {"id": <integer>. Otherwise null.
json::value leading_id(std::string_view text) {
  auto skip = [&](std::size_t i) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) ++i;
    return i;
  };
  std::size_t i = skip(0);
  if (i >= text.size() || text[i] != '{') return nullptr;
  i = skip(i + 1);
  if (text.substr(i, 4) != "\"id\"") return nullptr;
  i = skip(i + 4);
  if (i >= text.size() || text[i] != ':') return nullptr;
  i = skip(i + 1);
  std::uint64_t id = 0;
  std::size_t digits = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9' && digits < 17; ++i, ++digits) id = id * 10 + (text[i] - '0');
  if (digits == 0 || id > max_request_id) return nullptr;
  if (i < text.size() && text[i] != ',' && text[i] != '}' && text[i] != ' ') return nullptr;
  return id;
}

void reply_error(runtime& rt, connection& conn, json::value id, errc code, std::string const& message) {
  json::object out;
  out["id"] = std::move(id);
  out["ok"] = false;
  out["error"] = json::object{{"code", protocol_code(code)}, {"message", message}};
  rt.stats().op_done(conn.kind(), "invalid", protocol_code(code), std::chrono::nanoseconds(0));
  conn.send(std::make_shared<std::string const>(json::serialize(out)));
}

}  // namespace

void dispatch_frame(runtime& rt, routes const& r, std::shared_ptr<connection> const& conn, std::string text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return reply_error(rt, *conn, leading_id(text), errc::bad_request, "the frame is not valid JSON");
  if (!v.is_object()) return reply_error(rt, *conn, nullptr, errc::bad_request, "the frame must be a JSON object");
  auto& obj = v.as_object();
  json::value id = nullptr;
  bool id_ok = false;
  if (auto it = obj.find("id"); it != obj.end()) {
    auto const& idv = it->value();
    if (idv.is_int64() && idv.as_int64() >= 0 && static_cast<std::uint64_t>(idv.as_int64()) <= max_request_id) {
      id = idv;
      id_ok = true;
    } else if (idv.is_uint64() && idv.as_uint64() <= max_request_id) {
      id = idv;
      id_ok = true;
    }
  }
  if (!id_ok)
    return reply_error(rt, *conn, nullptr, errc::bad_request,
                       obj.contains("id") ? "field 'id' must be an integer from 0 to 2^53-1" : "missing field 'id'");
  auto op_it = obj.find("op");
  if (op_it == obj.end() || !op_it->value().is_string())
    return reply_error(rt, *conn, id, errc::bad_request,
                       op_it == obj.end() ? "missing field 'op'" : "field 'op' must be a string");
  std::string op(op_it->value().as_string());
  if (!conn->ops_bucket.take())
    return reply_error(rt, *conn, id, errc::rate_limited, "too many requests on this connection; slow down");
  auto const* handler = r.find(op);
  if (!handler)
    return reply_error(rt, *conn, id, errc::unknown_op,
                       "the " + std::string(endpoint_name(conn->kind())) + " endpoint has no op '" +
                           utf8_prefix(op, 64) + "'");
  call_base c{rt, conn, std::move(id), std::move(op), std::move(obj), std::chrono::steady_clock::now()};
  // A failure thrown before the handler took the call (validation) is
  // answered from a copy of what identifies it.
  call_base const ident{rt, conn, c.id, c.op, {}, c.start};
  try {
    (*handler)(std::move(c));
  } catch (...) {
    answer_exception(ident, std::current_exception());
  }
}

}  // namespace hearth::server
