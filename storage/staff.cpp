// Staff accounts and the staff audit log, kept in two column families of
// whichever store serves the role (issuer.cpp and forum.cpp each hold one).
#include "storage/codec.hpp"
#include "storage/impl.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>

namespace hearth::storage::detail {
namespace {

class staff_impl final : public staff_store {
 public:
  staff_impl(rdb& db, std::size_t staff_cf, std::size_t audit_cf)
      : db_(db), staff_cf_(staff_cf), audit_cf_(audit_cf), access_(access::wait), shared_(std::make_unique<shared>()),
        mu_(shared_->mu), audit_seq_(shared_->audit_seq), views_(*this) {
    auto it = db_.iterator(audit_cf_);
    it->SeekToFirst();
    if (it->Valid() && it->key().size() == 8) audit_seq_ = ~codec::read_be64(it->key().ToStringView());
    views_.no_wait.reset(new staff_impl(*this, access::no_wait));
  }

  staff_store& view(access a) override { return views_.pick(*this, access_, a); }

  result<void> add_staff(staff_record const& rec) override {
    if (rec.username.empty()) return err(errc::bad_request);
    std::lock_guard lk(mu_);
    auto cur = db_.get(staff_cf_, rec.username, access_);
    if (!cur) return cur.error();
    if (*cur) return err(errc::conflict);
    rocksdb::WriteBatch b;
    b.Put(db_.cf(staff_cf_), rec.username, codec::encode(rec));
    return db_.write(b, access_);
  }

  result<staff_record> staff(std::string_view username) override {
    auto cur = db_.get(staff_cf_, username, access_);
    if (!cur) return cur.error();
    if (!*cur) return err(errc::not_found);
    staff_record r;
    if (!codec::decode(**cur, r)) return err(errc::internal);
    return r;
  }

  result<std::vector<staff_record>> list_staff() override {
    std::vector<staff_record> out;
    auto it = db_.iterator(staff_cf_);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      staff_record r;
      if (!codec::decode(it->value().ToStringView(), r)) return err(errc::internal);
      out.push_back(std::move(r));
    }
    if (!it->status().ok()) return err(errc::internal);
    return out;
  }

  result<void> remove_staff(std::string_view username) override {
    std::lock_guard lk(mu_);
    auto target = staff(username);
    if (!target) return target.error();
    if (target->role == staff_role::admin) {
      auto all = list_staff();
      if (!all) return all.error();
      auto admins = std::count_if(all->begin(), all->end(), [](auto const& s) { return s.role == staff_role::admin; });
      if (admins <= 1) return err(errc::forbidden);
    }
    rocksdb::WriteBatch b;
    b.Delete(db_.cf(staff_cf_), std::string(username));
    return db_.write(b, access_);
  }

  result<void> set_password(std::string_view username, std::string_view password_hash) override {
    if (password_hash.empty()) return err(errc::bad_request);
    std::lock_guard lk(mu_);
    auto rec = staff(username);
    if (!rec) return rec.error();
    rec->password_hash = password_hash;
    rocksdb::WriteBatch b;
    b.Put(db_.cf(staff_cf_), std::string(username), codec::encode(*rec));
    return db_.write(b, access_);
  }

  result<audit_entry> append_audit(audit_entry entry) override {
    auto seq = ++audit_seq_;
    entry.id = codec::hex16(seq);
    rocksdb::WriteBatch b;
    b.Put(db_.cf(audit_cf_), codec::be64(~seq), codec::encode(entry));
    auto w = db_.write(b, access_);
    if (!w) return w.error();
    return entry;
  }

  result<page<audit_entry>> audit(std::optional<std::string> const& before, std::size_t limit) override {
    if (limit == 0) return err(errc::bad_request);
    std::string start;
    if (before) {
      auto p = codec::parse_cursor(*before, 'a', 16, "audit");
      if (!p) return err(errc::bad_request);
      start = codec::be64(~*codec::parse_hex16(*p) + 1);
      if (start == codec::be64(0)) return page<audit_entry>{};  // wrapped: nothing older
    }
    page<audit_entry> out;
    auto it = db_.iterator(audit_cf_);
    for (start.empty() ? it->SeekToFirst() : it->Seek(start); it->Valid(); it->Next()) {
      if (out.items.size() == limit) {
        out.next = codec::make_cursor('a', out.items.back().id, "audit");
        break;
      }
      audit_entry e;
      if (!codec::decode(it->value().ToStringView(), e)) return err(errc::internal);
      out.items.push_back(std::move(e));
    }
    if (!it->status().ok()) return err(errc::internal);
    return out;
  }

 private:
  // What the two views share (the view for access::wait owns it).
  struct shared {
    std::mutex mu;  // add, remove (the last admin) and set_password read, check and write
    std::atomic<std::uint64_t> audit_seq{0};
  };

  // The view for access a of the store `wait` (which owns it).
  staff_impl(staff_impl& wait, access a)
      : db_(wait.db_), staff_cf_(wait.staff_cf_), audit_cf_(wait.audit_cf_), access_(a), mu_(wait.mu_),
        audit_seq_(wait.audit_seq_), views_(wait) {}

  rdb& db_;
  std::size_t staff_cf_, audit_cf_;
  access const access_;
  std::unique_ptr<shared> shared_;  // in the view for access::wait only
  std::mutex& mu_;
  std::atomic<std::uint64_t>& audit_seq_;
  view_links<staff_impl> views_;
};

}  // namespace

std::unique_ptr<staff_store> make_staff(rdb& db, std::size_t staff_cf, std::size_t audit_cf) {
  return std::make_unique<staff_impl>(db, staff_cf, audit_cf);
}

}  // namespace hearth::storage::detail
