// Password hashing (Argon2id) on threads of its own. Each hash takes tens of
// milliseconds and tens of MiB: on the CPU pool that signs tokens, a flood of
// logins would hold every `issue` up behind it. Here it has a fixed number of
// threads and a bounded queue; a job that finds the queue full is refused at
// once (the caller answers rate_limited), so the wait for a hash stays short
// and the CPU pool never runs one.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hearth::server {

class hash_pool {
 public:
  // threads: at least 1. queue_limit: jobs waiting or running at once.
  hash_pool(unsigned threads, std::size_t queue_limit);
  ~hash_pool();  // stop()
  hash_pool(hash_pool const&) = delete;
  hash_pool& operator=(hash_pool const&) = delete;

  // Queues job, or returns false (and drops it) when queue_limit jobs are
  // already waiting or running, or after stop(). Thread-safe. A job must not
  // throw (catch at its edge, like every pool task).
  [[nodiscard]] bool try_submit(std::function<void()> job);
  // Runs every job already queued, then joins the threads. Idempotent.
  void stop();

  std::size_t pending() const;  // waiting or running
  std::uint64_t refused() const;
  unsigned threads() const noexcept { return static_cast<unsigned>(threads_.size()); }

 private:
  void work();

  std::size_t const queue_limit_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::size_t running_ = 0;
  std::uint64_t refused_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace hearth::server
