// hearth_crypto_tool: a test-only bridge that exposes hearth_crypto's blind RSA
// to another process. One JSON object per input line, one JSON object per
// output line; binary values are base64url without padding.
//
//   {"op":"keygen","bits":2048}                       -> {"ok":true,"spki","pkcs8","key_id"}
//   {"op":"prepare","msg","variant"?}                 -> {"ok":true,"prefix","prepared"}
//   {"op":"blind","spki","prepared"|"msg","variant"?} -> {"ok":true,"blinded_msg","inv","prepared"}
//   {"op":"blind_sign","pkcs8","blinded_msg"}         -> {"ok":true,"blind_sig"}
//   {"op":"finalize","spki","prepared","blind_sig","inv","variant"?} -> {"ok":true,"sig"}
//   {"op":"verify","spki","prepared","sig","variant"?} -> {"ok":true,"valid":bool}
//   {"op":"pseudonym_msg","pk"}                        -> {"ok":true,"msg"}
//   {"op":"key_id","spki"}                             -> {"ok":true,"key_id"}
// Failures: {"ok":false,"error":"<protocol code>"}. It handles private keys in
// the clear and exists only for tests.
#include "crypto/blind_rsa.hpp"
#include "crypto/domain.hpp"
#include "crypto/encoding.hpp"
#include "crypto/random.hpp"

#include <boost/json/src.hpp>

#include <iostream>
#include <string>

namespace json = boost::json;
namespace crypto = hearth::crypto;
namespace blind_rsa = hearth::crypto::blind_rsa;

namespace {

constexpr unsigned default_bits = 2048;

struct tool_error {
  hearth::errc code;
};

std::string text_field(json::object const& req, std::string_view name) {
  auto const* v = req.if_contains(name);
  if (v == nullptr || !v->is_string()) throw tool_error{hearth::errc::bad_request};
  return std::string(v->as_string());
}

crypto::bytes binary_field(json::object const& req, std::string_view name) {
  auto decoded = crypto::base64url_decode(text_field(req, name));
  if (!decoded) throw tool_error{hearth::errc::bad_request};
  return *decoded;
}

blind_rsa::variant variant_field(json::object const& req) {
  auto const* v = req.if_contains("variant");
  if (v == nullptr) return blind_rsa::variant::pss_randomized;
  if (!v->is_string()) throw tool_error{hearth::errc::bad_request};
  std::string_view const name = v->as_string();
  if (name == "pss_randomized") return blind_rsa::variant::pss_randomized;
  if (name == "pss_deterministic") return blind_rsa::variant::pss_deterministic;
  if (name == "psszero_randomized") return blind_rsa::variant::psszero_randomized;
  if (name == "psszero_deterministic") return blind_rsa::variant::psszero_deterministic;
  throw tool_error{hearth::errc::bad_request};
}

template <class T>
T value_or_throw(hearth::result<T> r) {
  if (!r) {
    auto const& ec = r.error();
    throw tool_error{ec.category() == hearth::hearth_category() ? static_cast<hearth::errc>(ec.value())
                                                                : hearth::errc::internal};
  }
  return std::move(*r);
}

std::string b64(crypto::byte_view b) { return crypto::base64url_encode(b); }

json::object handle(json::object const& req) {
  std::string const op = text_field(req, "op");
  json::object out;
  out["ok"] = true;
  if (op == "keygen") {
    unsigned bits = default_bits;
    if (auto const* b = req.if_contains("bits")) {
      if (!b->is_int64()) throw tool_error{hearth::errc::bad_request};
      bits = static_cast<unsigned>(b->as_int64());
    }
    auto sk = value_or_throw(blind_rsa::secret_key::generate(bits));
    out["spki"] = b64(sk.public_key().spki());
    out["pkcs8"] = b64(sk.pkcs8().view());
    out["key_id"] = b64(sk.public_key().key_id());
  } else if (op == "prepare") {
    auto p = blind_rsa::prepare(variant_field(req), binary_field(req, "msg"));
    out["prefix"] = b64(p.prefix);
    out["prepared"] = b64(p.prepared);
  } else if (op == "blind") {
    auto const pk = value_or_throw(blind_rsa::public_key::from_spki(binary_field(req, "spki")));
    auto const v = variant_field(req);
    crypto::bytes prepared;
    if (req.contains("prepared")) {
      prepared = binary_field(req, "prepared");
    } else {
      auto p = blind_rsa::prepare(v, binary_field(req, "msg"));
      out["prefix"] = b64(p.prefix);
      prepared = std::move(p.prepared);
    }
    auto b = value_or_throw(blind_rsa::blind(pk, v, prepared));
    out["prepared"] = b64(prepared);
    out["blinded_msg"] = b64(b.blinded_msg);
    out["inv"] = b64(b.inv.view());
  } else if (op == "blind_sign") {
    auto const der = binary_field(req, "pkcs8");
    auto const sk = value_or_throw(blind_rsa::secret_key::from_pkcs8(der));
    out["blind_sig"] = b64(value_or_throw(blind_rsa::blind_sign(sk, binary_field(req, "blinded_msg"))));
  } else if (op == "finalize") {
    auto const pk = value_or_throw(blind_rsa::public_key::from_spki(binary_field(req, "spki")));
    crypto::secret_bytes const inv(binary_field(req, "inv"));
    out["sig"] = b64(value_or_throw(blind_rsa::finalize(pk, variant_field(req),
                                                        binary_field(req, "prepared"),
                                                        binary_field(req, "blind_sig"), inv)));
  } else if (op == "verify") {
    auto const pk = value_or_throw(blind_rsa::public_key::from_spki(binary_field(req, "spki")));
    auto r = blind_rsa::verify(pk, variant_field(req), binary_field(req, "prepared"),
                               binary_field(req, "sig"));
    if (!r && r.error() != hearth::errc::invalid_signature) throw tool_error{hearth::errc::internal};
    out["valid"] = r.has_value();
  } else if (op == "pseudonym_msg") {
    out["msg"] = b64(crypto::domain::pseudonym_token_msg(binary_field(req, "pk")));
  } else if (op == "key_id") {
    auto const pk = value_or_throw(blind_rsa::public_key::from_spki(binary_field(req, "spki")));
    out["key_id"] = b64(pk.key_id());
  } else {
    throw tool_error{hearth::errc::unknown_op};
  }
  return out;
}

}  // namespace

int main() {
  crypto::init();
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    json::object reply;
    try {
      boost::system::error_code ec;
      json::value req = json::parse(line, ec);
      if (ec || !req.is_object()) throw tool_error{hearth::errc::bad_request};
      reply = handle(req.as_object());
    } catch (tool_error const& e) {
      reply = json::object{{"ok", false}, {"error", std::string(hearth::protocol_code(e.code))}};
    }
    std::cout << json::serialize(reply) << '\n' << std::flush;
  }
  return 0;
}
