// Failed-login limiting (PROTOCOL.md §5 and §7: "repeated failures:
// rate_limited"). Kept in memory only.
//
// Three bounds, each for a different attacker:
// - per account: after `failures` failed attempts within `window`, the
//   account answers rate_limited until the window ends. Only accounts that
//   exist get an entry in the table, so a flood of made-up ids cannot grow
//   it, and a locked entry is never evicted before its window ends, so a
//   flood cannot unlock anyone either. Unlocked entries are evicted oldest
//   first when the table is full (`capacity`); it is never cleared wholesale.
// - per unknown id: made-up ids are counted in a fixed array of slots
//   chosen by a keyed hash, with the same threshold, so that an unknown id
//   locks like a real one does and the lockout does not tell which ids exist.
// - server-wide: at most `per_second` failures per second (bucket of
//   `burst`). Each attempt reserves one failure before its password is
//   checked and gives it back if it succeeds; while none is left, every
//   attempt answers rate_limited. This bounds online guessing across all
//   accounts together, at the price that a flood can hold logins off.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace hearth::server {

struct login_limits {
  std::size_t failures = 5;                  // per account within window
  std::chrono::duration<double> window{300};
  std::size_t capacity = 100000;             // accounts tracked at once (unlocked ones evicted oldest first)
  std::size_t unknown_slots = 65536;         // slots for ids that are not accounts
  double per_second = 10;                    // server-wide failures per second; 0: no ceiling
  double burst = 100;
};

class login_limiter {
 public:
  using clock = std::chrono::steady_clock;

  enum class verdict {
    go,       // check the password, then call succeeded() or failed()
    locked,   // this account (or unknown id) failed too often: rate_limited
    ceiling,  // the server-wide ceiling is reached: rate_limited
  };

  explicit login_limiter(login_limits limits);
  login_limiter(login_limiter const&) = delete;
  login_limiter& operator=(login_limiter const&) = delete;

  // Before a password (or enrollment code) is checked for `account` (a
  // namespaced identity such as "employee:ID"), once it is known whether the
  // account exists. On go, one failure of the server-wide ceiling is
  // reserved for this attempt: end it with failed(), succeeded() or
  // abandoned().
  [[nodiscard]] verdict admit(std::string_view account, bool exists, clock::time_point now = clock::now());
  // The attempt failed. `exists` as given to admit(): a real account gets a
  // table entry; an unknown id's slot counts the failure.
  void failed(std::string_view account, bool exists, clock::time_point now = clock::now());
  // The attempt succeeded: the account's failures are forgotten and the
  // reserved failure is given back.
  void succeeded(std::string_view account);
  // The attempt was not made after all (e.g. the hashing queue was full):
  // gives the reserved failure back, counts nothing.
  void abandoned();

  // Accounts in the table now (for /metrics as hearth_login_failure_keys).
  std::size_t accounts() const;
  std::uint64_t refused_locked() const noexcept { return refused_locked_.load(std::memory_order_relaxed); }
  std::uint64_t refused_ceiling() const noexcept { return refused_ceiling_.load(std::memory_order_relaxed); }

 private:
  struct entry {
    std::size_t count = 0;
    clock::time_point start{};           // first failure of the current window
    std::list<std::string>::iterator age;  // position in age_ (oldest window first)
  };
  struct slot {
    std::uint32_t count = 0;
    clock::time_point start{};
  };

  bool expired(clock::time_point start, clock::time_point now) const;
  bool locked(entry const& e, clock::time_point now) const;
  std::size_t slot_of(std::string_view account) const;
  void make_room(clock::time_point now);
  void erase(std::unordered_map<std::string, entry>::iterator it);
  void refill(clock::time_point now);

  login_limits const limits_;
  std::array<unsigned char, 16> slot_key_{};
  mutable std::mutex mu_;
  std::unordered_map<std::string, entry> table_;
  std::list<std::string> age_;  // keys of table_, by window start, oldest first
  std::vector<slot> unknown_;
  double tokens_;
  clock::time_point refilled_{};
  std::atomic<std::uint64_t> refused_locked_{0}, refused_ceiling_{0};
};

}  // namespace hearth::server
