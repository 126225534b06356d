#include "crypto/bytes.hpp"

#include <doctest/doctest.h>

#include <utility>

using hearth::crypto::as_bytes;
using hearth::crypto::byte_view;
using hearth::crypto::secret_bytes;

TEST_CASE("secret_bytes holds, clones and moves its contents") {
  secret_bytes a(as_bytes("key material"));
  CHECK(a.size() == 12);
  CHECK(hearth::crypto::to_string(a.view()) == "key material");

  secret_bytes copy = a.clone();
  CHECK(hearth::crypto::to_string(copy.view()) == "key material");
  CHECK(copy.data() != a.data());

  secret_bytes moved(std::move(a));
  CHECK(moved.size() == 12);
  CHECK(a.empty());  // NOLINT(bugprone-use-after-move): moved-from is defined empty

  secret_bytes target(3);
  target = std::move(moved);
  CHECK(hearth::crypto::to_string(target.view()) == "key material");
  CHECK(moved.empty());  // NOLINT(bugprone-use-after-move)

  secret_bytes zeroed(4);
  CHECK(zeroed.size() == 4);
  for (auto b : zeroed.view()) CHECK(b == 0);
}

TEST_CASE("secret_bytes is move-only") {
  static_assert(!std::is_copy_constructible_v<secret_bytes>);
  static_assert(!std::is_copy_assignable_v<secret_bytes>);
  static_assert(std::is_nothrow_move_constructible_v<secret_bytes>);
  static_assert(std::is_nothrow_move_assignable_v<secret_bytes>);
}
