// RFC 9474 Appendix A known-answer tests for all four RSABSSA-SHA384 variants.
#include "crypto/blind_rsa.hpp"

#include "crypto/encoding.hpp"

#include <boost/json/src.hpp>
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace json = boost::json;
using namespace hearth::crypto;

namespace {

json::value const& vectors_file() {
  static json::value const doc = [] {
    std::ifstream in(HEARTH_RFC9474_JSON, std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "cannot open " HEARTH_RFC9474_JSON);
    std::stringstream ss;
    ss << in.rdbuf();
    return json::parse(ss.str());
  }();
  return doc;
}

bytes field(json::object const& v, std::string_view name) {
  auto const* s = v.if_contains(name);
  REQUIRE_MESSAGE(s != nullptr, "missing field " << name);
  auto r = hex_decode(std::string_view(s->as_string()));
  REQUIRE(r.has_value());
  return *r;
}

blind_rsa::variant variant_of(std::string_view name) {
  static std::map<std::string_view, blind_rsa::variant> const names = {
      {"RSABSSA-SHA384-PSS-Randomized", blind_rsa::variant::pss_randomized},
      {"RSABSSA-SHA384-PSS-Deterministic", blind_rsa::variant::pss_deterministic},
      {"RSABSSA-SHA384-PSSZERO-Randomized", blind_rsa::variant::psszero_randomized},
      {"RSABSSA-SHA384-PSSZERO-Deterministic", blind_rsa::variant::psszero_deterministic},
  };
  auto it = names.find(name);
  REQUIRE_MESSAGE(it != names.end(), "unknown variant " << name);
  return it->second;
}

// Left-pads a big-endian integer to k bytes.
bytes pad_to(bytes b, std::size_t k) {
  REQUIRE(b.size() <= k);
  b.insert(b.begin(), k - b.size(), 0);
  return b;
}

void check_vector(json::object const& v, bytes const& inv_in, bytes const& blinded_expected,
                  bytes const& blind_sig_expected) {
  auto const var = variant_of(std::string_view(v.at("name").as_string()));
  auto sk = blind_rsa::secret_key::from_components(field(v, "p"), field(v, "q"), field(v, "d"),
                                                   field(v, "e"));
  REQUIRE(sk.has_value());
  auto const pk = sk->public_key();
  auto const n = field(v, "n");
  CHECK(pk.modulus_bytes() == n.size());
  CHECK(pk.bits() == 4096);

  auto const msg = field(v, "msg");
  auto const prefix = field(v, "msg_prefix");
  auto const prepared = field(v, "prepared_msg");
  auto const salt = field(v, "salt");
  CHECK(salt.size() == blind_rsa::salt_length(var));
  CHECK(v.at("sLen").to_number<std::size_t>() == blind_rsa::salt_length(var));
  CHECK(prefix.size() == (blind_rsa::is_randomized(var) ? blind_rsa::prefix_bytes : 0));
  bytes joined = prefix;
  joined.insert(joined.end(), msg.begin(), msg.end());
  CHECK(joined == prepared);

  auto encoded = blind_rsa::emsa_pss_encode(pk, var, prepared, salt);
  REQUIRE(encoded.has_value());
  CHECK(hex_encode(*encoded) == hex_encode(field(v, "encoded_msg")));

  auto b = blind_rsa::blind_with(pk, var, prepared, salt, inv_in);
  REQUIRE(b.has_value());
  CHECK(hex_encode(b->blinded_msg) == hex_encode(blinded_expected));
  CHECK(hex_encode(b->inv.view()) == hex_encode(pad_to(inv_in, pk.modulus_bytes())));

  auto blind_sig = blind_rsa::blind_sign(*sk, b->blinded_msg);
  REQUIRE(blind_sig.has_value());
  CHECK(hex_encode(*blind_sig) == hex_encode(blind_sig_expected));

  auto sig = blind_rsa::finalize(pk, var, prepared, *blind_sig, b->inv);
  REQUIRE(sig.has_value());
  CHECK(hex_encode(*sig) == hex_encode(field(v, "sig")));
  CHECK(blind_rsa::verify(pk, var, prepared, field(v, "sig")).has_value());

  // The same signature does not verify under the other salt length.
  auto const other = blind_rsa::salt_length(var) == 0 ? blind_rsa::variant::pss_deterministic
                                                      : blind_rsa::variant::psszero_deterministic;
  CHECK_FALSE(blind_rsa::verify(pk, other, prepared, *sig).has_value());
}

}  // namespace

TEST_CASE("RFC 9474 test vectors, all four variants") {
  auto const& vectors = vectors_file().at("vectors").as_array();
  REQUIRE(vectors.size() == 4);
  for (auto const& item : vectors) {
    auto const& v = item.as_object();
    std::string const name(v.at("name").as_string());
    SUBCASE(name.c_str()) {
      check_vector(v, field(v, "inv"), field(v, "blinded_msg"), field(v, "blind_sig"));
    }
  }
}

TEST_CASE("RFC 9474 A.4 with the alternative blinding of other implementations") {
  auto const& doc = vectors_file().as_object();
  auto const& alt = doc.at("alt_a4_implementation_blinding").as_object();
  std::string_view const name(alt.at("name").as_string());
  for (auto const& item : doc.at("vectors").as_array()) {
    auto const& v = item.as_object();
    if (std::string_view(v.at("name").as_string()) != name) continue;
    check_vector(v, field(alt, "inv"), field(alt, "blinded_msg"), field(alt, "blind_sig"));
    return;
  }
  FAIL("vector " << name << " not found");
}

TEST_CASE("from_components refuses a key whose d does not match") {
  auto const& v = vectors_file().at("vectors").as_array().at(0).as_object();
  auto d = field(v, "d");
  d.back() ^= 0x02;
  auto sk = blind_rsa::secret_key::from_components(field(v, "p"), field(v, "q"), d, field(v, "e"));
  REQUIRE_FALSE(sk.has_value());
  CHECK(sk.error() == hearth::errc::bad_request);
  // Swapping p and q is still the same key.
  auto swapped = blind_rsa::secret_key::from_components(field(v, "q"), field(v, "p"),
                                                        field(v, "d"), field(v, "e"));
  REQUIRE(swapped.has_value());
  CHECK(hex_encode(swapped->public_key().key_id()) ==
        hex_encode(blind_rsa::secret_key::from_components(field(v, "p"), field(v, "q"),
                                                          field(v, "d"), field(v, "e"))
                       ->public_key()
                       .key_id()));
}
