// The issuer store: roster, quota ledger, signing keys, master key, staff.
#include "storage/codec.hpp"
#include "storage/impl.hpp"

#include <set>

namespace hearth::storage::detail {
namespace {

enum cf : std::size_t { meta = 0, employees, quota_cf, counters, keys_cf, staff_cf, audit_cf };

constexpr char seq_key[] = "directory.seq";
constexpr char master_key[] = "master.sk";

bool same(crypto::byte_view a, crypto::byte_view b) {
  if (a.size() != b.size()) return false;
  unsigned char d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d |= a[i] ^ b[i];
  return d == 0;
}

bool same(std::string_view a, std::string_view b) { return same(crypto::as_bytes(a), crypto::as_bytes(b)); }

std::string quota_key(std::string_view employee_id, std::string_view key_id) {
  codec::writer w;
  w.str(employee_id);
  w.raw(key_id);
  return w.take();
}

struct wiped_string {
  std::string s;
  ~wiped_string() { codec::wipe(s); }
};

class issuer_impl final : public issuer_store {
 public:
  issuer_impl(std::filesystem::path const& dir, bool create, store_options const& opts)
      : shared_(std::make_unique<shared>(dir, create, opts)), access_(access::wait), db_(shared_->db),
        stripes_(shared_->locks), directory_mu_(shared_->directory_mu), staff_(shared_->staff), views_(*this) {
    if (create) {
      rocksdb::WriteBatch b;
      b.Put(db_.cf(meta), seq_key, codec::be64(0));
      b.Put(db_.cf(meta), schema_key, schema_value("issuer"));
      if (!db_.write(b, access::wait)) throw open_error("cannot initialise " + (dir / "issuer").string());
    }
    staff_ = make_staff(db_, staff_cf, audit_cf);
    views_.no_wait.reset(new issuer_impl(*this, access::no_wait));
  }

  issuer_store& view(access a) override { return views_.pick(*this, access_, a); }

  rdb& database() { return db_; }
  staff_store& staff() { return *staff_; }

  result<void> import_roster(std::vector<std::pair<std::string, std::string>> const& items) override {
    std::set<std::string_view> seen;
    std::vector<std::string> lock_keys;
    for (auto const& [id, code] : items) {
      if (id.empty() || !seen.insert(id).second) return err(errc::bad_request);
      lock_keys.push_back("e" + id);
    }
    auto g = stripes_.lock(lock_keys);
    rocksdb::WriteBatch b;
    for (auto const& [id, code] : items) {
      auto cur = db_.get(employees, id, access_);
      if (!cur) return cur.error();
      employee_record r;
      if (*cur && !codec::decode(**cur, r)) return err(errc::internal);
      r.employee_id = id;
      r.code_hash = code;
      b.Put(db_.cf(employees), id, codec::encode(r));
    }
    return db_.write(b, access_);
  }

  result<employee_record> employee(std::string_view id) override {
    auto cur = db_.get(employees, id, access_);
    if (!cur) return cur.error();
    if (!*cur) return err(errc::not_found);
    employee_record r;
    if (!codec::decode(**cur, r)) return err(errc::internal);
    return r;
  }

  result<void> enroll(std::string_view id, std::string_view expected_code_hash,
                      std::string_view password_hash) override {
    auto g = stripes_.lock({"e" + std::string(id)});
    auto r = employee(id);
    if (!r) return r.error() == err(errc::not_found) ? err(errc::unauthenticated) : r.error();
    if (r->code_hash.empty() || !same(r->code_hash, expected_code_hash)) return err(errc::unauthenticated);
    r->code_hash.clear();
    r->password_hash = password_hash;
    rocksdb::WriteBatch b;
    b.Put(db_.cf(employees), std::string(id), codec::encode(*r));
    return db_.write(b, access_);
  }

  result<void> remove_employee(std::string_view id) override {
    auto g = stripes_.lock({"e" + std::string(id)});
    auto cur = db_.get(employees, id, access_);
    if (!cur) return cur.error();
    if (!*cur) return err(errc::not_found);
    rocksdb::WriteBatch b;
    b.Delete(db_.cf(employees), std::string(id));
    return db_.write(b, access_);
  }

  result<quota_record> quota(std::string_view employee_id, std::string_view key_id) override {
    auto cur = db_.get(quota_cf, quota_key(employee_id, key_id), access_);
    if (!cur) return cur.error();
    quota_record r;
    if (*cur && !codec::decode(**cur, r)) return err(errc::internal);
    return r;
  }

  result<bytes> commit_issue(std::string_view employee_id, std::string_view key_id, std::uint32_t allowed,
                             bytes const& blinded_msg, bytes const& blind_sig) override {
    if (employee_id.empty() || key_id.empty() || blinded_msg.empty()) return err(errc::bad_request);
    auto key = quota_key(employee_id, key_id);
    auto g = stripes_.lock({"q" + key});
    auto r = quota(employee_id, key_id);
    if (!r) return r.error();
    if (!r->last_blinded_msg.empty() && same(r->last_blinded_msg, blinded_msg)) return r->last_blind_sig;
    if (r->used >= allowed) return err(errc::quota_exhausted);
    r->used += 1;
    r->last_blinded_msg = blinded_msg;
    r->last_blind_sig = blind_sig;
    rocksdb::WriteBatch b;
    b.Put(db_.cf(quota_cf), key, codec::encode(*r));
    b.Merge(db_.cf(counters), "i" + std::string(key_id), counter_delta(1));
    auto w = db_.write(b, access_);
    if (!w) return w.error();
    return blind_sig;
  }

  result<std::uint64_t> issued_count(std::string_view key_id) override {
    return db_.counter(counters, "i" + std::string(key_id), access_);
  }

  result<secret_bytes> master_secret_key() override {
    auto cur = db_.get(meta, master_key, access_);
    if (!cur) return cur.error();
    if (!*cur) return err(errc::not_found);
    wiped_string w{std::move(**cur)};
    return secret_bytes(crypto::as_bytes(w.s));
  }

  result<void> set_master_secret_key(secret_bytes const& sk) override {
    if (sk.empty()) return err(errc::bad_request);
    std::lock_guard lk(directory_mu_);
    auto cur = db_.get(meta, master_key, access_);
    if (!cur) return cur.error();
    if (*cur) {
      codec::wipe(**cur);
      return err(errc::conflict);
    }
    rocksdb::WriteBatch b;
    b.Put(db_.cf(meta), master_key,
          rocksdb::Slice(reinterpret_cast<char const*>(sk.data()), sk.size()));
    auto w = db_.write(b, access_);
    // The batch's copy of the key goes with it; nothing else holds it.
    return w;
  }

  result<std::uint64_t> directory_seq() override {
    auto cur = db_.get(meta, seq_key, access_);
    if (!cur) return cur.error();
    if (!*cur || (*cur)->size() != 8) return err(errc::internal);
    return codec::read_be64(**cur);
  }

  result<std::vector<signing_key_record>> signing_keys() override {
    std::vector<signing_key_record> out;
    auto it = db_.iterator(keys_cf);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      signing_key_record r;
      if (!codec::decode(it->value().ToStringView(), r)) return err(errc::internal);
      out.push_back(std::move(r));
    }
    if (!it->status().ok()) return err(errc::internal);
    return out;
  }

  result<std::uint64_t> update_directory(std::uint64_t expected_seq,
                                         std::vector<signing_key_record> const& changed) override {
    std::set<std::string> ids;
    for (auto const& k : changed) {
      if (k.key_id.empty() || !ids.insert(k.key_id).second) return err(errc::bad_request);
    }
    std::lock_guard lk(directory_mu_);
    auto seq = directory_seq();
    if (!seq) return seq.error();
    if (*seq != expected_seq) return err(errc::conflict);
    rocksdb::WriteBatch b;
    // A key is stored under (epoch, key_id); drop an older entry of a changed
    // key stored under another epoch.
    auto it = db_.iterator(keys_cf);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      auto k = it->key().ToStringView();
      if (k.size() > 8 && ids.count(std::string(k.substr(8)))) b.Delete(db_.cf(keys_cf), it->key());
    }
    if (!it->status().ok()) return err(errc::internal);
    for (auto const& k : changed) {
      wiped_string v{codec::encode(k)};
      b.Put(db_.cf(keys_cf), codec::be64(k.epoch) + k.key_id, v.s);
    }
    b.Put(db_.cf(meta), seq_key, codec::be64(expected_seq + 1));
    auto w = db_.write(b, access_);
    if (!w) return w.error();
    return expected_seq + 1;
  }

 private:
  // What the two views share (the view for access::wait owns it).
  struct shared {
    shared(std::filesystem::path const& dir, bool create, store_options const& opts)
        : db(dir, issuer_spec(), create, opts) {}
    rdb db;
    stripes locks;
    std::mutex directory_mu;
    std::unique_ptr<staff_store> staff;  // the issuer's staff under `issuer` and `all`
  };

  // The view for access a of the store `wait` (which owns it).
  issuer_impl(issuer_impl& wait, access a)
      : access_(a), db_(wait.db_), stripes_(wait.stripes_), directory_mu_(wait.directory_mu_), staff_(wait.staff_), views_(wait) {}

  std::unique_ptr<shared> shared_;  // in the view for access::wait only
  access const access_;
  rdb& db_;
  stripes& stripes_;
  std::mutex& directory_mu_;
  std::unique_ptr<staff_store>& staff_;
  view_links<issuer_impl> views_;
};

}  // namespace

db_spec issuer_spec() {
  return {"issuer",
          {"employees", "quota", "counters", "keys", "staff", "audit"},
          {"counters"},
          {"employees", "quota", "counters", "staff"},
          {},
          {},
          // Who enrolled, whose quota was used for which key (and the retry
          // record beside it), the issued counters.
          {"employees", "quota", "counters"}};
}

std::unique_ptr<issuer_store> make_issuer(std::filesystem::path const& dir, bool create, store_options const& opts) {
  return std::make_unique<issuer_impl>(dir, create, opts);
}

rdb& database_of(issuer_store& s) { return dynamic_cast<issuer_impl&>(s).database(); }
staff_store& staff_of(issuer_store& s) { return dynamic_cast<issuer_impl&>(s).staff(); }
result<void> maintain(issuer_store& s) { return dynamic_cast<issuer_impl&>(s).database().maintain(true, {}); }

}  // namespace hearth::storage::detail
