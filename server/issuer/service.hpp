// The issuer role's context: the issuer store (employer identities, the quota
// ledger, the signing keys), the key directory it signs, and its staff
// accounts. Issuer op handlers get a call<issuer_service>; nothing here reaches
// the forum store.
#pragma once

#include "server/directory.hpp"
#include "server/directory_source.hpp"
#include "server/runtime.hpp"
#include "server/session_index.hpp"
#include "storage/stores.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace hearth::server {

class issuer_service final : public directory_source {
 public:
  // Loads and signs the directory (throws std::runtime_error if it cannot).
  issuer_service(runtime& rt, storage::issuer_store& store, storage::staff_store& staff, std::string issuer_name);

  runtime& rt() noexcept { return rt_; }
  config const& cfg() const noexcept { return rt_.cfg(); }
  storage::issuer_store& store() noexcept { return store_; }
  storage::staff_store& staff() noexcept { return staff_; }
  std::string const& issuer_name() const noexcept { return issuer_; }

  // Re-reads the directory from the store after a rotation or revocation,
  // then tells the listeners (the forum under `all`) what changed.
  [[nodiscard]] result<void> reload_directory(directory_change const& change);
  // Rotates when the active key's issue_until has passed (if auto_rotate).
  void maybe_auto_rotate();
  // The rotation settings of the configuration.
  rotation default_rotation() const;
  // Issuer connections signed in per employee id (roster mode), so that
  // removing the employee from the roster ends them.
  session_index& employee_sessions() noexcept { return employee_sessions_; }

  // directory_source
  std::shared_ptr<directory_snapshot const> current() const override { return std::atomic_load(&directory_); }
  std::string document() const override;
  std::uint64_t issued(std::string_view key_id) const override;
  void on_change(std::function<void(directory_change const&)> fn) override;

 private:
  void refresh_issued() const;
  runtime& rt_;
  storage::issuer_store& store_;
  storage::staff_store& staff_;
  std::string issuer_;
  std::shared_ptr<directory_snapshot const> directory_;
  std::mutex rotate_mu_;
  session_index employee_sessions_;
  std::mutex listeners_mu_;
  std::vector<std::function<void(directory_change const&)>> listeners_;
  // `issued` counts are published coarsely in time (cfg().issued_refresh): a
  // count that moved at each issue would date every issuance for anyone who
  // polls GET /v1/keys.
  mutable std::mutex issued_mu_;
  mutable std::map<std::string, std::uint64_t, std::less<>> issued_;
  mutable std::uint64_t issued_seq_ = ~std::uint64_t{0};
  mutable std::chrono::steady_clock::time_point issued_at_{};
};

}  // namespace hearth::server
