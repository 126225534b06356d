// Data directories of one role: which stores each holds, where its staff
// accounts live, the forum's pinned issuer and directory copy, directories
// made before roles, interrupted creation, and backup/restore per role.
#include "helpers.hpp"

#include <doctest/doctest.h>
#include <rocksdb/db.h>

#include <fstream>
#include <set>

using namespace hearth;
using namespace hearth::storage;
using namespace hearth::storage::test;

namespace {

constexpr role all_roles[] = {role::all, role::issuer, role::forum};

std::set<std::string> entries(fs::path const& dir) {
  std::set<std::string> out;
  for (auto const& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

std::set<std::string> expected_entries(role r) {
  std::set<std::string> out{"hearth.lock", "hearth.role"};
  if (r != role::forum) out.insert("issuer");
  if (r != role::issuer) out.insert("forum");
  return out;
}

bool any_file_contains(fs::path const& dir, std::string const& needle) {
  for (auto const& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::string content((std::istreambuf_iterator<char>(in)), {});
    if (content.find(needle) != std::string::npos) return true;
  }
  return false;
}

// Drops column families from a store, as a store made before they existed
// would lack them.
void drop_families(fs::path const& store, std::set<std::string> const& drop) {
  with_raw_store(store, [&](rocksdb::DB& db, auto const& hs) {
    for (auto* h : hs)
      if (drop.count(h->GetName())) REQUIRE(db.DropColumnFamily(h).ok());
  });
}

}  // namespace

TEST_CASE("roles: names round-trip, anything else is refused") {
  for (auto r : all_roles) CHECK(parse_role(role_name(r)) == r);
  CHECK(role_name(role::all) == "all");
  CHECK(role_name(role::issuer) == "issuer");
  CHECK(role_name(role::forum) == "forum");
  CHECK_FALSE(parse_role(""));
  CHECK_FALSE(parse_role("Forum"));
  CHECK_FALSE(parse_role("forum "));
  CHECK_FALSE(parse_role("both"));
}

TEST_CASE("roles: a directory holds exactly its role's stores and reopens with its role") {
  for (auto r : all_roles) {
    CAPTURE(role_name(r));
    temp_dir t;
    {
      auto d = create(t.data(), r);
      CHECK(d->role() == r);
      CHECK((d->issuer() != nullptr) == (r != role::forum));
      CHECK((d->forum() != nullptr) == (r != role::issuer));
      CHECK(entries(t.data()) == expected_entries(r));
    }
    CHECK(is_initialised(t.data()));
    CHECK_THROWS_AS(create(t.data(), r), open_error);
    auto d = open(t.data());
    CHECK(d->role() == r);
    CHECK((d->issuer() != nullptr) == (r != role::forum));
    CHECK((d->forum() != nullptr) == (r != role::issuer));
    if (d->forum()) CHECK(d->forum()->channels()->size() == 1);
    if (d->issuer()) CHECK(*d->issuer()->directory_seq() == 0);
    CHECK(entries(t.data()) == expected_entries(r));
  }
  temp_dir t;
  { auto d = create(t.data()); }  // the overload without a role makes `all`
  CHECK(open(t.data())->role() == role::all);
}

TEST_CASE("roles: each role's staff accounts live in its own store") {
  for (auto r : all_roles) {
    CAPTURE(role_name(r));
    temp_dir t;
    std::string const user = "staff_marker_" + std::string(role_name(r));
    {
      auto d = create(t.data(), r);
      auto& s = d->staff();
      REQUIRE(s.add_staff({"admin", staff_role::admin, "h1"}));
      REQUIRE(s.add_staff({user, staff_role::moderator, "h2"}));
      CHECK(fails_with(s.add_staff({user, staff_role::admin, "h3"}), errc::conflict));
      CHECK(fails_with(s.add_staff({"", staff_role::admin, "h3"}), errc::bad_request));
      CHECK(s.staff(user)->role == staff_role::moderator);
      CHECK(fails_with(s.staff("nobody"), errc::not_found));
      CHECK(s.list_staff()->size() == 2);
      CHECK(fails_with(s.remove_staff("admin"), errc::forbidden));  // the last admin

      REQUIRE(s.set_password(user, "new-hash"));
      CHECK(s.staff(user)->password_hash == "new-hash");
      CHECK(s.staff(user)->role == staff_role::moderator);
      CHECK(fails_with(s.set_password("nobody", "x"), errc::not_found));
      CHECK(fails_with(s.set_password(user, ""), errc::bad_request));
      CHECK(s.staff(user)->password_hash == "new-hash");

      audit_entry a;
      a.at = 1700000000;
      a.actor = "admin";
      a.action = "staff.add";
      a.target = user;
      REQUIRE(s.append_audit(a));
      REQUIRE(s.append_audit(a));
    }
    {
      auto d = open(t.data());
      auto& s = d->staff();
      CHECK(s.staff(user)->password_hash == "new-hash");
      auto log = s.audit(std::nullopt, 10);
      REQUIRE(log);
      REQUIRE(log->items.size() == 2);
      CHECK(log->items[0].id > log->items[1].id);  // ids continue after a reopen, newest first
      REQUIRE(s.add_staff({"admin2", staff_role::admin, "h"}));
      REQUIRE(s.remove_staff("admin"));
      CHECK(fails_with(s.remove_staff("admin2"), errc::forbidden));
      REQUIRE(s.remove_staff(user));
      CHECK(fails_with(s.remove_staff(user), errc::not_found));
      REQUIRE(s.add_staff({user, staff_role::moderator, "h2"}));
      backup(*d, t.path() / "flushed");  // flushes: the records are in table files too
    }
    // The issuer keeps its staff under `issuer` and `all` (where they always
    // were); the forum store holds staff only under the forum role.
    std::string const store = r == role::forum ? "forum" : "issuer";
    CHECK(any_file_contains(t.data() / store, user));
    if (r == role::all) CHECK_FALSE(any_file_contains(t.data() / "forum", user));
  }
}

TEST_CASE("roles: the forum's pinned issuer and its last verified directory") {
  temp_dir t;
  bytes const master(32, 0x4d);
  {
    auto d = create(t.data(), role::forum);
    auto& f = *d->forum();
    CHECK_FALSE(f.pinned()->has_value());
    CHECK_FALSE(f.directory_copy()->has_value());
    CHECK(fails_with(f.set_pinned({bytes(31, 1), "https://issuer.example"}), errc::bad_request));
    CHECK(fails_with(f.set_pinned({master, ""}), errc::bad_request));
    CHECK_FALSE(f.pinned()->has_value());
    REQUIRE(f.set_pinned({master, "https://issuer.example"}));
    CHECK(fails_with(f.set_pinned({bytes(32, 2), "https://other.example"}), errc::conflict));

    CHECK(fails_with(f.save_directory_copy("", 1), errc::bad_request));
    REQUIRE(f.save_directory_copy(R"({"seq":3})", 3));
    CHECK(fails_with(f.save_directory_copy(R"({"seq":2})", 2), errc::conflict));
    REQUIRE(f.save_directory_copy(R"({"seq":3,"again":true})", 3));  // the same seq replaces it
    CHECK(**f.directory_copy() == R"({"seq":3,"again":true})");
  }
  auto d = open(t.data());
  auto& f = *d->forum();
  auto p = f.pinned();
  REQUIRE(p);
  REQUIRE(p->has_value());
  CHECK((*p)->master_pk == master);
  CHECK((*p)->issuer_url == "https://issuer.example");
  CHECK(**f.directory_copy() == R"({"seq":3,"again":true})");
  CHECK(fails_with(f.save_directory_copy("{}", 0), errc::conflict));
  std::string const text = "{\"seq\": 9,\n \"keys\": []}";  // kept byte for byte
  REQUIRE(f.save_directory_copy(text, 9));
  CHECK(**f.directory_copy() == text);
}

TEST_CASE("roles: a directory made before roles opens as all, and its forum store gains the staff families") {
  temp_dir t;
  {
    auto d = create(t.data());
    REQUIRE(d->staff().add_staff({"admin", staff_role::admin, "h"}));
    REQUIRE(d->forum()->append_post(make_post("general", make_pk(1), "old post", "nonce-old-0001"), 0));
  }
  // What such a directory looks like: no role record, no staff or audit in the forum store.
  fs::remove(t.data() / "hearth.role");
  drop_families(t.data() / "forum", {"staff", "audit"});
  CHECK(is_initialised(t.data()));
  CHECK_THROWS_AS(create(t.data()), open_error);
  for (int round = 0; round < 2; ++round) {
    auto d = open(t.data());
    CHECK(d->role() == role::all);
    REQUIRE(d->issuer());
    REQUIRE(d->forum());
    CHECK(d->staff().staff("admin"));
    CHECK(d->forum()->feed("general", std::nullopt, 10)->items.size() == 1);
    CHECK(d->forum()->pinned());
  }
}

TEST_CASE("roles: a creation interrupted before the role was recorded is not a data directory") {
  for (auto r : {role::issuer, role::forum}) {
    CAPTURE(role_name(r));
    temp_dir t;
    { auto d = create(t.data(), r); }
    fs::remove(t.data() / "hearth.role");  // the crash came before the last step
    CHECK_FALSE(is_initialised(t.data()));
    auto m = open_message(t.data());
    CHECK(m.find("hearth init --data") != std::string::npos);
    try {
      auto d = create(t.data(), r);
      FAIL("create over a partial store succeeded");
    } catch (open_error const& e) {
      CHECK(std::string(e.what()).find("move it away") != std::string::npos);
    }
  }
  // A role record whose stores are missing is not complete either.
  temp_dir t;
  fs::create_directories(t.data());
  std::ofstream(t.data() / "hearth.role") << "forum\n";
  CHECK_FALSE(is_initialised(t.data()));
  CHECK(open_message(t.data()).find("hearth init --data") != std::string::npos);
  CHECK_THROWS_AS(create(t.data(), role::forum), open_error);
  // And one that names no role is refused, not guessed.
  temp_dir u;
  { auto d = create(u.data(), role::issuer); }
  std::ofstream(u.data() / "hearth.role", std::ios::trunc) << "everything\n";
  CHECK_FALSE(is_initialised(u.data()));
  CHECK_FALSE(open_message(u.data()).empty());
}

TEST_CASE("roles: a directory that holds a store its role never has is refused") {
  temp_dir t;
  { auto d = create(t.data() / "forum-dir", role::forum); }
  { auto d = create(t.data() / "issuer-dir", role::issuer); }
  fs::rename(t.data() / "forum-dir" / "forum", t.data() / "issuer-dir" / "forum");
  auto m = open_message(t.data() / "issuer-dir");
  INFO(m);
  CHECK(m.find("issuer role") != std::string::npos);
  CHECK(m.find("move it away") != std::string::npos);
}

namespace {

std::string fingerprint(data_dir& d) {
  std::string out = std::string(role_name(d.role())) + "|";
  auto staff = d.staff().list_staff();
  REQUIRE(staff);
  for (auto const& s : *staff) out += s.username + ",";
  if (auto* i = d.issuer()) {
    for (int k = 0; k < 4; ++k) {
      auto e = i->employee("emp" + std::to_string(k));
      out += e ? "E" + std::to_string(k) : "-";
      out += std::to_string(i->quota("emp" + std::to_string(k), "k1")->used);
    }
  }
  if (auto* f = d.forum()) {
    auto feed = f->feed("general", std::nullopt, 100);
    REQUIRE(feed);
    for (auto const& p : feed->items) out += p.body + ",";
    out += std::to_string(*f->certified_count("key-1"));
  }
  return out;
}

// A little of everything each role's stores hold; returns the fingerprint after.
std::string fill(data_dir& d, int k) {
  auto const n = std::to_string(k);
  REQUIRE(d.staff().add_staff({"staff" + n, staff_role::moderator, "h"}));
  if (auto* i = d.issuer()) {
    REQUIRE(i->import_roster({{"emp" + n, "code"}}));
    REQUIRE(i->commit_issue("emp" + n, "k1", 5, {static_cast<std::uint8_t>(k)}, {1}));
  }
  if (auto* f = d.forum()) {
    REQUIRE(f->append_post(make_post("general", make_pk(1), "post " + n, "nonce-fill-" + n + "-0000"), 0));
    REQUIRE(f->certify(to_bytes("tok" + n), make_pk(100 + k), "h" + n + "xx", make_cert()));
  }
  return fingerprint(d);
}

}  // namespace

TEST_CASE("roles: offline and online backup and restore of each role") {
  for (auto r : all_roles) {
    CAPTURE(role_name(r));
    temp_dir t;
    std::string offline_state, online_state;
    {
      auto d = create(t.data(), r);
      fill(*d, 0);
      online_state = fill(*d, 1);
      backup(*d, t.path() / "online");
    }
    offline_state = fingerprint(*open(t.data()));
    CHECK(offline_state == online_state);
    backup(t.data(), t.path() / "offline");
    for (auto const* b : {"online", "offline"}) {
      auto got = entries(t.path() / b);
      auto want = expected_entries(r);
      want.erase("hearth.lock");
      want.erase("hearth.role");
      want.insert("hearth-backup");
      CHECK(got == want);
    }
    {
      auto d = open(t.data());
      CHECK(fill(*d, 2) != offline_state);
    }
    restore(t.path() / "offline", t.data());
    CHECK(fingerprint(*open(t.data())) == offline_state);
    CHECK(entries(t.data()) == expected_entries(r));
    { auto d = open(t.data()); fill(*d, 3); }
    restore(t.path() / "online", t.data());
    CHECK(fingerprint(*open(t.data())) == online_state);

    // Into an empty directory: it becomes a directory of the backup's role.
    restore(t.path() / "online", t.path() / "fresh");
    {
      auto d = open(t.path() / "fresh");
      CHECK(d->role() == r);
      CHECK(fingerprint(*d) == online_state);
    }
    CHECK(entries(t.path() / "fresh") == expected_entries(r));

    // Into a directory of another role: refused, nothing changed.
    auto const other = r == role::forum ? role::issuer : role::forum;
    temp_dir o;
    std::string before;
    {
      auto d = create(o.data(), other);
      before = fill(*d, 0);
    }
    try {
      restore(t.path() / "online", o.data());
      FAIL("restore into a directory of another role succeeded");
    } catch (open_error const& e) {
      CHECK(std::string(e.what()).find(std::string(role_name(other)) + " role") != std::string::npos);
    }
    CHECK(fingerprint(*open(o.data())) == before);
    CHECK(entries(o.data()) == expected_entries(other));
  }
}

TEST_CASE("roles: a backup made before roles restores as all") {
  temp_dir t;
  std::string state;
  {
    auto d = create(t.data());
    state = fill(*d, 0);
  }
  backup(t.data(), t.path() / "bk");
  std::ofstream(t.path() / "bk" / "hearth-backup", std::ios::trunc) << "hearth-issuer/1\nhearth-forum/1\n";
  restore(t.path() / "bk", t.path() / "fresh");
  auto d = open(t.path() / "fresh");
  CHECK(d->role() == role::all);
  CHECK(fingerprint(*d) == state);
  // A backup that lacks a store its role needs is not a backup.
  fs::remove_all(t.path() / "bk" / "forum");
  CHECK_THROWS_AS(restore(t.path() / "bk", t.path() / "fresh2"), open_error);
}
