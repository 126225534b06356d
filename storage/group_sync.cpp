#include "storage/group_sync.hpp"

#include <pthread.h>

namespace hearth::storage::detail {

group_sync::group_sync(std::vector<rocksdb::DB*> dbs, std::chrono::microseconds interval)
    : dbs_(std::move(dbs)), interval_(interval), synced_(new std::atomic<std::uint64_t>[dbs_.size()]) {
  for (std::size_t i = 0; i < dbs_.size(); ++i) synced_[i].store(dbs_[i]->GetLatestSequenceNumber());
  thread_ = std::thread([this] { loop(); });
  ::pthread_setname_np(thread_.native_handle(), "hearth-wal-sync");
}

group_sync::~group_sync() { stop(); }

void group_sync::stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

bool group_sync::all_synced() const {
  for (std::size_t i = 0; i < dbs_.size(); ++i)
    if (dbs_[i]->GetLatestSequenceNumber() > synced_[i].load(std::memory_order_acquire)) return false;
  return true;
}

void group_sync::when_durable(std::function<void(bool)> done) {
  {
    std::unique_lock lock(mu_);
    if (closed_) {
      // Closing or closed: no thread takes a queue any more. The last batch
      // completes first (waiters complete in the order they queued), unless
      // this is one of its own callbacks.
      if (std::this_thread::get_id() != thread_.get_id()) drained_cv_.wait(lock, [&] { return drained_; });
      lock.unlock();
      waiters_.fetch_add(1, std::memory_order_relaxed);
      done(flush_and_sync());
      return;
    }
    // Nothing queued or in flight and every write already synced: a later
    // sync would add nothing. (A waiter queued earlier must complete first,
    // so the fast path is taken only when there is none.)
    if (queue_.empty() && !busy_ && all_synced()) {
      lock.unlock();
      done(true);
      return;
    }
    queue_.push_back(std::move(done));
    // Only an idle sync thread needs waking; one that is waiting out its
    // interval or syncing takes the queue when it gets to it. (Waking it for
    // every waiter would cost two context switches per change.)
    if (!idle_) return;
    idle_ = false;
  }
  cv_.notify_one();
}

void group_sync::loop() {
  std::vector<std::function<void(bool)>> batch;
  auto last_start = std::chrono::steady_clock::now() - interval_;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      busy_ = false;
      idle_ = queue_.empty();
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      idle_ = false;
      if (queue_.empty()) break;  // stopping, nobody waits
      // At most one sync per interval: under load the waiters of a whole
      // interval share one sync instead of each sync serving the few that
      // arrived during the previous one.
      cv_.wait_until(lock, last_start + interval_, [&] { return stop_; });
      last_start = std::chrono::steady_clock::now();
      batch.swap(queue_);
      busy_ = true;
    }
    complete(batch, flush_and_sync());
  }
  // The last batch: whoever queued up to now, and writes nobody waited for
  // (e.g. a reply whose connection went away), are synced before the stores
  // close. From here on when_durable syncs on its caller's thread, so a
  // waiter that arrives while the store is closing is never left behind.
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    batch.swap(queue_);
  }
  complete(batch, flush_and_sync());
  {
    std::lock_guard lock(mu_);
    drained_ = true;
  }
  drained_cv_.notify_all();
}

void group_sync::complete(std::vector<std::function<void(bool)>>& batch, bool ok) {
  waiters_.fetch_add(batch.size(), std::memory_order_relaxed);
  for (auto& done : batch) done(ok);
  batch.clear();
}

bool group_sync::flush_and_sync() {
  // Every waiter in the batch queued after its writes returned, so they are
  // all in the WAL buffers now: one flush and sync per database covers them.
  // The sequence number is read first, so it never claims a later write.
  std::lock_guard lock(sync_mu_);
  bool ok = true;
  for (std::size_t i = 0; i < dbs_.size(); ++i) {
    auto const seq = dbs_[i]->GetLatestSequenceNumber();
    if (seq <= synced_[i].load(std::memory_order_relaxed)) continue;
    if (dbs_[i]->FlushWAL(true).ok()) {
      synced_[i].store(seq, std::memory_order_release);
      syncs_.fetch_add(1, std::memory_order_relaxed);
    } else {
      ok = false;
    }
  }
  return ok;
}

}  // namespace hearth::storage::detail
