#include "server/hash_pool.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

using hearth::server::hash_pool;
using namespace std::chrono_literals;

TEST_CASE("jobs run on the pool's own threads") {
  hash_pool pool(1, 4);
  CHECK(pool.threads() == 1);
  std::promise<std::thread::id> ran;
  REQUIRE(pool.try_submit([&] { ran.set_value(std::this_thread::get_id()); }));
  CHECK(ran.get_future().get() != std::this_thread::get_id());
}

TEST_CASE("a full queue refuses at once, and takes jobs again once it drains") {
  hash_pool pool(1, 3);
  std::promise<void> release;
  auto gate = release.get_future().share();
  std::atomic<int> done{0};
  auto blocked = [&] {
    gate.wait();
    ++done;
  };
  REQUIRE(pool.try_submit(blocked));  // running
  REQUIRE(pool.try_submit(blocked));  // waiting
  REQUIRE(pool.try_submit(blocked));  // waiting
  auto const start = std::chrono::steady_clock::now();
  CHECK_FALSE(pool.try_submit(blocked));
  CHECK(std::chrono::steady_clock::now() - start < 100ms);
  CHECK(pool.refused() == 1);
  CHECK(pool.pending() == 3);
  release.set_value();
  for (int i = 0; i < 200 && pool.pending() > 0; ++i) std::this_thread::sleep_for(5ms);
  CHECK(done == 3);
  CHECK(pool.pending() == 0);
  std::promise<void> again;
  REQUIRE(pool.try_submit([&] { again.set_value(); }));
  CHECK(again.get_future().wait_for(2s) == std::future_status::ready);
}

TEST_CASE("no more jobs run at once than the pool has threads") {
  hash_pool pool(2, 16);
  std::atomic<int> now{0}, most{0}, finished{0};
  for (int i = 0; i < 12; ++i) {
    REQUIRE(pool.try_submit([&] {
      int const n = ++now;
      int m = most.load();
      while (n > m && !most.compare_exchange_weak(m, n)) {}
      std::this_thread::sleep_for(5ms);
      --now;
      ++finished;
    }));
  }
  pool.stop();
  CHECK(finished == 12);
  CHECK(most <= 2);
  CHECK(most >= 1);
}

TEST_CASE("stop runs what is queued, then refuses") {
  std::atomic<int> ran{0};
  hash_pool pool(1, 8);
  for (int i = 0; i < 5; ++i) REQUIRE(pool.try_submit([&] {
    std::this_thread::sleep_for(2ms);
    ++ran;
  }));
  pool.stop();
  CHECK(ran == 5);
  CHECK_FALSE(pool.try_submit([&] { ++ran; }));
  pool.stop();  // idempotent
  CHECK(ran == 5);
}
