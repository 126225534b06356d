#include "server/limits.hpp"

#include <sodium.h>

#include <algorithm>
#include <stdexcept>

namespace hearth::server {

login_limiter::login_limiter(login_limits limits)
    : limits_(limits), unknown_(std::max<std::size_t>(limits.unknown_slots, 1)), tokens_(limits.burst) {
  static_assert(crypto_shorthash_KEYBYTES == 16);
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  randombytes_buf(slot_key_.data(), slot_key_.size());
}

bool login_limiter::expired(clock::time_point start, clock::time_point now) const {
  return now - start >= std::chrono::duration_cast<clock::duration>(limits_.window);
}

bool login_limiter::locked(entry const& e, clock::time_point now) const {
  return e.count >= limits_.failures && !expired(e.start, now);
}

// SipHash with a key drawn at start-up: which ids share a slot cannot be
// chosen from outside.
std::size_t login_limiter::slot_of(std::string_view account) const {
  unsigned char h[crypto_shorthash_BYTES];
  crypto_shorthash(h, reinterpret_cast<unsigned char const*>(account.data()), account.size(), slot_key_.data());
  std::uint64_t v = 0;
  for (unsigned char b : h) v = (v << 8) | b;
  return static_cast<std::size_t>(v % unknown_.size());
}

void login_limiter::refill(clock::time_point now) {
  if (refilled_ != clock::time_point{}) {
    double const elapsed = std::chrono::duration<double>(now - refilled_).count();
    tokens_ = std::min(limits_.burst, tokens_ + std::max(0.0, elapsed) * limits_.per_second);
  }
  refilled_ = now;
}

login_limiter::verdict login_limiter::admit(std::string_view account, bool exists, clock::time_point now) {
  std::lock_guard lock(mu_);
  bool is_locked = false;
  if (exists) {
    auto it = table_.find(std::string(account));
    if (it != table_.end()) {
      if (expired(it->second.start, now)) erase(it);
      else is_locked = locked(it->second, now);
    }
  } else {
    auto const& s = unknown_[slot_of(account)];
    is_locked = s.count >= limits_.failures && !expired(s.start, now);
  }
  if (is_locked) {
    refused_locked_.fetch_add(1, std::memory_order_relaxed);
    return verdict::locked;
  }
  if (limits_.per_second > 0) {
    refill(now);
    if (tokens_ < 1) {
      refused_ceiling_.fetch_add(1, std::memory_order_relaxed);
      return verdict::ceiling;
    }
    tokens_ -= 1;
  }
  return verdict::go;
}

void login_limiter::failed(std::string_view account, bool exists, clock::time_point now) {
  std::lock_guard lock(mu_);
  if (!exists) {
    auto& s = unknown_[slot_of(account)];
    if (s.count == 0 || expired(s.start, now)) s = slot{0, now};
    ++s.count;
    return;
  }
  std::string key(account);
  auto it = table_.find(key);
  if (it != table_.end() && expired(it->second.start, now)) {
    erase(it);
    it = table_.end();
  }
  if (it == table_.end()) {
    make_room(now);
    age_.push_back(key);
    it = table_.emplace(std::move(key), entry{0, now, std::prev(age_.end())}).first;
  }
  ++it->second.count;
}

void login_limiter::succeeded(std::string_view account) {
  std::lock_guard lock(mu_);
  if (auto it = table_.find(std::string(account)); it != table_.end()) erase(it);
  if (limits_.per_second > 0) tokens_ = std::min(limits_.burst, tokens_ + 1);
}

void login_limiter::abandoned() {
  std::lock_guard lock(mu_);
  if (limits_.per_second > 0) tokens_ = std::min(limits_.burst, tokens_ + 1);
}

std::size_t login_limiter::accounts() const {
  std::lock_guard lock(mu_);
  return table_.size();
}

void login_limiter::erase(std::unordered_map<std::string, entry>::iterator it) {
  age_.erase(it->second.age);
  table_.erase(it);
}

// Called with a full table before a new entry: drops every expired entry
// (they are the oldest, at the front of age_), then the oldest unlocked one.
// Locked entries are skipped, never dropped; if every entry is locked the
// table grows past its capacity (only real accounts get entries, so it
// stays bounded by their number).
void login_limiter::make_room(clock::time_point now) {
  if (table_.size() < limits_.capacity) return;
  while (!age_.empty()) {
    auto it = table_.find(age_.front());
    if (!expired(it->second.start, now)) break;
    erase(it);
  }
  if (table_.size() < limits_.capacity) return;
  for (auto a = age_.begin(); a != age_.end(); ++a) {
    auto it = table_.find(*a);
    if (!locked(it->second, now)) {
      erase(it);
      return;
    }
  }
}

}  // namespace hearth::server
