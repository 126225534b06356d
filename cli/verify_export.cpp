#include "cli/verify_export.hpp"

#include "crypto/domain.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/encoding.hpp"
#include "server/directory.hpp"

#include <boost/json.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

namespace hearth::cli {
namespace {

namespace json = boost::json;

constexpr std::string_view export_format = "hearth-export/1";
constexpr std::size_t max_failures_listed = 20;

std::string text_of(json::object const& o, std::string_view key) {
  auto const* v = o.if_contains(key);
  if (!v || !v->is_string()) throw std::runtime_error("field '" + std::string(key) + "' is missing or not a string");
  return std::string(v->as_string());
}

std::int64_t integer_of(json::object const& o, std::string_view key) {
  auto const* v = o.if_contains(key);
  if (!v || !v->is_int64()) {
    if (v && v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
    throw std::runtime_error("field '" + std::string(key) + "' is missing or not an integer");
  }
  return v->as_int64();
}

json::object const& object_of(json::object const& o, std::string_view key) {
  auto const* v = o.if_contains(key);
  if (!v || !v->is_object()) throw std::runtime_error("field '" + std::string(key) + "' is missing or not an object");
  return v->as_object();
}

json::array const& array_of(json::object const& o, std::string_view key) {
  auto const* v = o.if_contains(key);
  if (!v || !v->is_array()) throw std::runtime_error("field '" + std::string(key) + "' is missing or not a list");
  return v->as_array();
}

crypto::bytes decode(std::string const& b64, std::string_view what) {
  auto b = crypto::base64url_decode(b64);
  if (!b) throw std::runtime_error(std::string(what) + " is not base64url");
  return std::move(*b);
}

}  // namespace

int verify_export(std::filesystem::path const& file, std::optional<std::string> const& master_key, std::ostream& out,
                  std::ostream& err) {
  std::size_t failures = 0;
  auto failure = [&](std::string const& what) {
    if (++failures <= max_failures_listed) err << "FAIL: " << what << "\n";
  };
  try {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + file.string());
    std::stringstream ss;
    ss << in.rdbuf();
    boost::system::error_code ec;
    auto doc = json::parse(ss.str(), ec);
    if (ec || !doc.is_object()) throw std::runtime_error(file.string() + " is not a JSON object");
    auto const& root = doc.as_object();
    if (text_of(root, "format") != export_format)
      throw std::runtime_error("not a hearth export (field 'format' is not " + std::string(export_format) + ")");

    // The directory, checked as a client checks it (PROTOCOL.md §4).
    auto const& dir_json = object_of(root, "directory");
    auto const master_text = master_key.value_or(text_of(dir_json, "master_key"));
    auto const master_pk = decode(master_text, "the master key");
    auto dir = server::parse_directory(json::serialize(dir_json), master_pk);
    if (!dir) {
      failure("the key directory does not verify under master key " + master_text + " (" +
              std::string(dir.error() == make_error_code(errc::invalid_signature) ? "bad signature" : "malformed") + ")");
      err << "hearth verify-export: " << failures << " check(s) failed\n";
      return 1;
    }
    auto const& directory = **dir;
    auto const issuer = text_of(root, "issuer");
    if (issuer != directory.issuer) failure("the export's issuer '" + issuer + "' is not the directory's");

    // The pseudonym and the keys that certified it.
    auto const& ps = object_of(root, "pseudonym");
    auto const handle = text_of(ps, "handle");
    auto const pk_text = text_of(ps, "pk");
    auto const pk = decode(pk_text, "the pseudonym's key");
    if (pk.size() != crypto::ed25519::public_key_bytes) failure("the pseudonym's key is not 32 bytes");
    auto const& certs = array_of(root, "certifications");
    if (certs.empty()) failure("no certification is given");
    std::size_t cert_ok = 0;
    for (auto const& cv : certs) {
      if (!cv.is_object()) throw std::runtime_error("a certification is not an object");
      auto const& c = cv.as_object();
      auto const key_id = text_of(c, "key_id");
      auto const* k = directory.find(key_id);
      if (!k) {
        failure("certification under key " + key_id + ", which the directory does not list");
      } else if (static_cast<std::uint64_t>(integer_of(c, "epoch")) != k->epoch ||
                 integer_of(c, "accept_until") > k->accept_until) {
        failure("certification under key " + key_id + " does not match the directory's epoch and window");
      } else {
        ++cert_ok;
      }
    }

    // Every post: by this pseudonym, signed by it over PROTOCOL.md §3's bytes.
    std::size_t posts = 0, hidden = 0;
    for (auto const& pv : array_of(root, "posts")) {
      if (!pv.is_object()) throw std::runtime_error("a post is not an object");
      auto const& p = pv.as_object();
      auto const id = text_of(p, "id");
      ++posts;
      if (auto const* h = p.if_contains("hidden"); h && h->is_bool() && h->as_bool()) ++hidden;
      if (text_of(object_of(p, "author"), "pk") != pk_text) {
        failure("post " + id + " is by another pseudonym");
        continue;
      }
      auto const* parent = p.if_contains("parent");
      std::string parent_id = parent && parent->is_string() ? std::string(parent->as_string()) : std::string();
      auto const signed_bytes =
          crypto::domain::post(issuer, text_of(p, "channel"), parent_id, text_of(p, "nonce"), text_of(p, "body"));
      auto const sig = decode(text_of(p, "sig"), "a post's signature");
      if (!crypto::ed25519::verify(pk, crypto::as_bytes(signed_bytes), sig))
        failure("post " + id + ": the signature does not verify");
    }

    out << "export of " << handle << " (" << pk_text << ")\n"
        << "key directory: issuer " << directory.issuer << ", seq " << directory.seq << ", signed by master key "
        << master_text << (master_key ? "" : " (taken from the file: compare it with the issuer's published key)")
        << "\n"
        << "certifications: " << cert_ok << " of " << certs.size() << " match the directory\n"
        << "posts: " << posts << " (" << hidden << " hidden by moderators)\n";
  } catch (std::exception const& e) {
    err << "hearth verify-export: " << e.what() << "\n";
    return 1;
  }
  if (failures > 0) {
    err << "hearth verify-export: " << failures << " check(s) failed\n";
    return 1;
  }
  out << "every signature verifies\n";
  return 0;
}

}  // namespace hearth::cli
