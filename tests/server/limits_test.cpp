#include "server/limits.hpp"

#include <doctest/doctest.h>

#include <string>

using hearth::server::login_limiter;
using hearth::server::login_limits;
using verdict = login_limiter::verdict;
using namespace std::chrono_literals;

namespace {

login_limits limits(std::size_t capacity = 1000) {
  login_limits l;
  l.failures = 3;
  l.window = std::chrono::duration<double>(60);
  l.capacity = capacity;
  l.per_second = 0;  // no ceiling unless a test sets one
  return l;
}

// One failed attempt, as an op makes it: admit, then failed.
verdict fail_once(login_limiter& lim, std::string const& account, bool exists, login_limiter::clock::time_point t) {
  auto v = lim.admit(account, exists, t);
  if (v == verdict::go) lim.failed(account, exists, t);
  return v;
}

}  // namespace

TEST_CASE("an account locks after `failures` failures and unlocks when its window ends") {
  login_limiter lim(limits());
  auto const t0 = login_limiter::clock::now();
  for (int i = 0; i < 3; ++i) CHECK(fail_once(lim, "employee:alice", true, t0 + i * 1s) == verdict::go);
  CHECK(lim.admit("employee:alice", true, t0 + 5s) == verdict::locked);
  CHECK(lim.admit("employee:alice", true, t0 + 59s) == verdict::locked);
  CHECK(lim.refused_locked() == 2);
  CHECK(lim.admit("employee:bob", true, t0 + 5s) == verdict::go);  // others are not affected
  // The window counts from the first failure.
  CHECK(lim.admit("employee:alice", true, t0 + 60s) == verdict::go);
  lim.failed("employee:alice", true, t0 + 60s);
  CHECK(lim.admit("employee:alice", true, t0 + 61s) == verdict::go);
}

TEST_CASE("a success forgets the account's failures") {
  login_limiter lim(limits());
  auto const t0 = login_limiter::clock::now();
  fail_once(lim, "staff:carol", true, t0);
  fail_once(lim, "staff:carol", true, t0);
  CHECK(lim.accounts() == 1);
  REQUIRE(lim.admit("staff:carol", true, t0) == verdict::go);
  lim.succeeded("staff:carol");
  CHECK(lim.accounts() == 0);
  fail_once(lim, "staff:carol", true, t0);
  fail_once(lim, "staff:carol", true, t0);
  CHECK(lim.admit("staff:carol", true, t0) == verdict::go);
}

TEST_CASE("ids that are not accounts never enter the table, but lock like accounts do") {
  login_limiter lim(limits());
  auto const t0 = login_limiter::clock::now();
  for (int i = 0; i < 100000; ++i) fail_once(lim, "employee:nobody-" + std::to_string(i), false, t0);
  CHECK(lim.accounts() == 0);
  for (int i = 0; i < 3; ++i) fail_once(lim, "employee:ghost", false, t0 + 1s);
  CHECK(lim.admit("employee:ghost", false, t0 + 2s) == verdict::locked);
  CHECK(lim.admit("employee:ghost", false, t0 + 62s) == verdict::go);
}

TEST_CASE("a flood of other accounts cannot unlock a locked one; the table stays bounded") {
  login_limiter lim(limits(100));
  auto const t0 = login_limiter::clock::now();
  for (int i = 0; i < 3; ++i) fail_once(lim, "employee:victim", true, t0);
  REQUIRE(lim.admit("employee:victim", true, t0) == verdict::locked);
  for (int i = 0; i < 200000; ++i) fail_once(lim, "employee:e" + std::to_string(i), true, t0 + 1s);
  CHECK(lim.accounts() <= 100);
  CHECK(lim.admit("employee:victim", true, t0 + 2s) == verdict::locked);
}

TEST_CASE("eviction takes the oldest unlocked entry; locked entries are pinned") {
  login_limiter lim(limits(3));
  auto const t0 = login_limiter::clock::now();
  fail_once(lim, "a", true, t0);
  fail_once(lim, "b", true, t0 + 1s);
  fail_once(lim, "c", true, t0 + 2s);
  fail_once(lim, "b", true, t0 + 3s);
  fail_once(lim, "d", true, t0 + 4s);  // full: "a" (oldest) goes
  CHECK(lim.accounts() == 3);
  fail_once(lim, "b", true, t0 + 5s);  // b's third failure: locked
  CHECK(lim.admit("b", true, t0 + 5s) == verdict::locked);
  fail_once(lim, "e", true, t0 + 6s);  // full: b is older but locked, so c goes
  fail_once(lim, "f", true, t0 + 7s);  // then d
  CHECK(lim.admit("b", true, t0 + 7s) == verdict::locked);
  // a, c, d were forgotten: two more failures do not lock them.
  for (char const* k : {"a", "c"}) {
    fail_once(lim, k, true, t0 + 8s);
    fail_once(lim, k, true, t0 + 8s);
    CHECK(lim.admit(k, true, t0 + 8s) == verdict::go);
  }

  // Every entry locked: the table grows rather than forget one.
  login_limiter full(limits(2));
  for (char const* k : {"x", "y", "z"})
    for (int i = 0; i < 3; ++i) fail_once(full, k, true, t0);
  CHECK(full.accounts() == 3);
  for (char const* k : {"x", "y", "z"}) CHECK(full.admit(k, true, t0 + 1s) == verdict::locked);
  // Expired entries make room first.
  fail_once(full, "w", true, t0 + 61s);
  CHECK(full.accounts() == 1);
}

TEST_CASE("the server-wide ceiling: a bucket of failures, refilled per second, given back on success") {
  auto l = limits();
  l.per_second = 2;
  l.burst = 4;
  login_limiter lim(l);
  auto const t0 = login_limiter::clock::now();
  for (int i = 0; i < 4; ++i) CHECK(fail_once(lim, "u" + std::to_string(i), false, t0) == verdict::go);
  CHECK(lim.admit("employee:real", true, t0) == verdict::ceiling);
  CHECK(lim.refused_ceiling() == 1);
  CHECK(lim.admit("employee:real", true, t0 + 500ms) == verdict::go);  // one refilled
  lim.succeeded("employee:real");                                      // and given back
  CHECK(lim.admit("employee:real", true, t0 + 500ms) == verdict::go);
  lim.abandoned();
  CHECK(lim.admit("x", false, t0 + 500ms) == verdict::go);
  lim.failed("x", false, t0 + 500ms);
  CHECK(lim.admit("y", false, t0 + 500ms) == verdict::ceiling);
  CHECK(lim.admit("y", false, t0 + 10s) == verdict::go);
  // Refills stop at the burst.
  for (int i = 0; i < 3; ++i) CHECK(fail_once(lim, "z", false, t0 + 10s) == verdict::go);
  CHECK(lim.admit("w", false, t0 + 10s) == verdict::ceiling);
}

TEST_CASE("a locked account is refused before the ceiling is charged") {
  auto l = limits();
  l.per_second = 1;
  l.burst = 3;
  login_limiter lim(l);
  auto const t0 = login_limiter::clock::now();
  for (int i = 0; i < 3; ++i) fail_once(lim, "locked", true, t0);
  CHECK(lim.admit("locked", true, t0) == verdict::locked);
  CHECK(lim.refused_ceiling() == 0);
}
