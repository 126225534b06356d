// base64url_decode and hex_decode on arbitrary text: a decode that succeeds
// re-encodes to the input (both are strict, so canonical; hex accepts either
// case), and every byte string survives encode then decode.
#include "crypto/encoding.hpp"

#include "tests/fuzz/check.hpp"

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

using namespace hearth::crypto;

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  std::string_view const text(reinterpret_cast<char const*>(data), size);
  byte_view const raw(data, size);

  if (auto b = base64url_decode(text)) {
    HEARTH_FUZZ_CHECK(base64url_encode(*b) == text);
    HEARTH_FUZZ_CHECK(b->size() == size * 3 / 4);
  } else {
    HEARTH_FUZZ_CHECK(b.error() == hearth::make_error_code(hearth::errc::bad_request));
  }
  auto const b64 = base64url_encode(raw);
  HEARTH_FUZZ_CHECK(b64.find_first_of("=+/") == std::string::npos);
  auto back = base64url_decode(b64);
  HEARTH_FUZZ_CHECK(back && std::equal(back->begin(), back->end(), raw.begin(), raw.end()));

  if (auto h = hex_decode(text)) {
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    HEARTH_FUZZ_CHECK(hex_encode(*h) == lower);
  }
  auto hx = hex_decode(hex_encode(raw));
  HEARTH_FUZZ_CHECK(hx && std::equal(hx->begin(), hx->end(), raw.begin(), raw.end()));
  return 0;
}
