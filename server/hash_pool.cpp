#include "server/hash_pool.hpp"

#include <algorithm>

namespace hearth::server {

hash_pool::hash_pool(unsigned threads, std::size_t queue_limit) : queue_limit_(std::max<std::size_t>(queue_limit, 1)) {
  threads = std::max(threads, 1u);
  threads_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

hash_pool::~hash_pool() { stop(); }

bool hash_pool::try_submit(std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() + running_ >= queue_limit_) {
      ++refused_;
      return false;
    }
    queue_.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

void hash_pool::work() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing left to run
    auto job = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    lock.unlock();
    job();
    job = nullptr;  // destroyed outside the lock: it may hold a connection
    lock.lock();
    --running_;
  }
}

void hash_pool::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

std::size_t hash_pool::pending() const {
  std::lock_guard lock(mu_);
  return queue_.size() + running_;
}

std::uint64_t hash_pool::refused() const {
  std::lock_guard lock(mu_);
  return refused_;
}

}  // namespace hearth::server
