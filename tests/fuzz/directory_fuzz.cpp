// The key directory as a forum or the CLI receives it (server::parse_directory,
// PROTOCOL.md §4), against a pinned master key:
//   0  the input as it is: whatever is accepted is a consistent directory
//      (key ids are the SHA-256 of their spki, epochs ascend, at most one key
//      is active, the text is kept as given);
//   1  the input re-signed with the master key first, as a compromised or
//      buggy issuer would send it: the checks after the signature (key
//      consistency, the unsigned `issued` counts) see fuzzed content too.
// The last byte of the input chooses the mode.
#include "server/directory.hpp"

#include "crypto/domain.hpp"
#include "crypto/encoding.hpp"
#include "tests/fuzz/check.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <sodium.h>

#include <array>
#include <string>
#include <vector>

using namespace hearth;
namespace json = boost::json;

namespace {

// The master key of the seed corpus: Ed25519 from 32 bytes of 0x42
// (tests/fuzz/seeds.py signs the seeds with the same key).
struct master {
  std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> pk{};
  std::array<unsigned char, crypto_sign_SECRETKEYBYTES> sk{};
};
master const& master_key() {
  static master const m = [] {
    HEARTH_FUZZ_CHECK(sodium_init() >= 0);
    master k;
    std::array<unsigned char, crypto_sign_SEEDBYTES> seed;
    seed.fill(0x42);
    crypto_sign_seed_keypair(k.pk.data(), k.sk.data(), seed.data());
    return k;
  }();
  return m;
}

template <class T>
bool integer(json::object const& o, char const* name, T& out) {
  auto const* v = o.if_contains(name);
  if (!v) return false;
  if (auto const* i = v->if_int64()) out = static_cast<T>(*i);
  else if (auto const* u = v->if_uint64()) out = static_cast<T>(*u);
  else return false;
  return true;
}

// Signs the directory bytes of `text` (as far as it has the fields that
// parse_directory signs) and puts the signature in; otherwise leaves it be.
std::string resign(std::string const& text) {
  boost::system::error_code ec;
  auto doc = json::parse(text, ec);
  if (ec || !doc.is_object()) return text;
  auto& o = doc.as_object();
  auto const* issuer = o.if_contains("issuer");
  auto const* keys = o.if_contains("keys");
  std::uint64_t seq = 0;
  if (!issuer || !issuer->is_string() || !keys || !keys->is_array() || !integer(o, "seq", seq)) return text;
  std::vector<crypto::domain::directory_line> lines;
  for (auto const& kv : keys->as_array()) {
    if (!kv.is_object()) return text;
    auto const& k = kv.as_object();
    crypto::domain::directory_line l{};
    auto const* id = k.if_contains("key_id");
    auto const* state = k.if_contains("state");
    if (!id || !id->is_string() || !state || !state->is_string() || !integer(k, "epoch", l.epoch) ||
        !integer(k, "issue_from", l.issue_from) || !integer(k, "issue_until", l.issue_until) ||
        !integer(k, "accept_until", l.accept_until))
      return text;
    l.key_id = std::string(id->as_string());
    l.state = std::string(state->as_string());
    lines.push_back(std::move(l));
  }
  auto const bytes = crypto::domain::key_directory(std::string(issuer->as_string()), seq, lines);
  std::array<unsigned char, crypto_sign_BYTES> sig{};
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<unsigned char const*>(bytes.data()), bytes.size(),
                       master_key().sk.data());
  o["sig"] = crypto::base64url_encode(sig);
  return json::serialize(o);
}

void check_consistent(server::directory_snapshot const& d, std::string const& text) {
  HEARTH_FUZZ_CHECK(d.json == text);
  HEARTH_FUZZ_CHECK(!d.issuer.empty() && d.issuer.find('\n') == std::string::npos);
  std::size_t active = 0;
  for (std::size_t i = 0; i < d.keys.size(); ++i) {
    auto const& k = d.keys[i];
    HEARTH_FUZZ_CHECK(crypto::base64url_encode(k.public_key.key_id()) == k.key_id);
    HEARTH_FUZZ_CHECK(k.bits == k.public_key.bits());
    HEARTH_FUZZ_CHECK(k.bits >= crypto::blind_rsa::min_modulus_bits &&
                      k.bits <= crypto::blind_rsa::max_modulus_bits);
    HEARTH_FUZZ_CHECK(!k.secret_key);
    HEARTH_FUZZ_CHECK(i == 0 || d.keys[i - 1].epoch < k.epoch);
    HEARTH_FUZZ_CHECK(d.find(k.key_id) != nullptr);
    if (k.state == storage::key_state::active) ++active;
  }
  HEARTH_FUZZ_CHECK(active <= 1);
  HEARTH_FUZZ_CHECK((active == 1) == (d.active() != nullptr));
  for (auto const& [id, n] : d.issued) HEARTH_FUZZ_CHECK(d.find(id) != nullptr);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)master_key();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  bool const sign_first = in.ConsumeBool();
  auto text = in.ConsumeRemainingBytesAsString();
  if (sign_first) text = resign(text);
  auto const& m = master_key();
  auto d = server::parse_directory(text, crypto::byte_view(m.pk.data(), m.pk.size()));
  if (!d) {
    HEARTH_FUZZ_CHECK(d.error() == make_error_code(errc::bad_request) ||
                      d.error() == make_error_code(errc::invalid_signature));
    return 0;
  }
  check_consistent(**d, text);
  // The same text under another master key is refused.
  std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> other = m.pk;
  other[0] ^= 1;
  HEARTH_FUZZ_CHECK(!server::parse_directory(text, crypto::byte_view(other.data(), other.size())));
  return 0;
}
