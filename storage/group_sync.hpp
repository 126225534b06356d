// Group durability for stores opened with deferred_sync (internal to
// storage/): mutating calls only append their WAL records to RocksDB's buffer
// (manual_wal_flush), and one thread writes and syncs the WALs once for every
// waiter that queued meanwhile, then completes them in order.
#pragma once

#include <rocksdb/db.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace hearth::storage::detail {

class group_sync {
 public:
  // interval: the least time between the starts of two syncs.
  group_sync(std::vector<rocksdb::DB*> dbs, std::chrono::microseconds interval);
  ~group_sync();  // stop()
  group_sync(group_sync const&) = delete;
  group_sync& operator=(group_sync const&) = delete;

  // done(true) once every write that returned before this call is synced;
  // done(false) if a sync failed. Runs at once on the caller's thread when
  // nothing is waiting to be synced, else on the sync thread. After stop()
  // (and while it runs) it still completes every waiter: the sync then
  // happens on the caller's thread.
  void when_durable(std::function<void(bool)> done);

  // Stops the sync thread: every waiter queued before is completed after a
  // last sync; later ones are synced and completed by the caller. The
  // databases must stay open until this object is destroyed. Idempotent.
  void stop();

  std::uint64_t syncs() const { return syncs_.load(std::memory_order_relaxed); }
  std::uint64_t waiters() const { return waiters_.load(std::memory_order_relaxed); }

 private:
  void loop();
  bool flush_and_sync();  // false if a database's FlushWAL(sync) failed
  bool all_synced() const;
  void complete(std::vector<std::function<void(bool)>>& batch, bool ok);

  std::vector<rocksdb::DB*> dbs_;
  std::chrono::microseconds interval_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> synced_;  // per db: the last sequence number known synced
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::function<void(bool)>> queue_;
  bool busy_ = false;  // a batch is being synced or completed
  bool idle_ = false;  // the sync thread waits for a first waiter (and must be woken)
  bool stop_ = false;
  bool closed_ = false;   // the sync thread has taken its last batch: waiters sync for themselves
  bool drained_ = false;  // ... and completed it
  std::condition_variable drained_cv_;
  std::mutex sync_mu_;   // one flush_and_sync at a time (the thread's, or a caller's after closed_)
  std::atomic<std::uint64_t> syncs_{0}, waiters_{0};
  std::thread thread_;
};

}  // namespace hearth::storage::detail
