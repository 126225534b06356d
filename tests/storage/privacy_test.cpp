#include "helpers.hpp"

#include <doctest/doctest.h>

#include <fstream>

using namespace hearth;
using namespace hearth::storage;
using namespace hearth::storage::test;

namespace {

void check_absent(fs::path const& dir, std::vector<std::string> const& needles) {
  auto files = all_files(dir);
  CHECK(files.size() > 3);
  for (auto const& [path, content] : files) {
    for (auto const& n : needles) {
      INFO(path);
      CHECK(content.find(n) == std::string::npos);
    }
  }
}

}  // namespace

TEST_CASE("privacy: no employee id in the forum store, no pseudonym in the issuer store") {
  temp_dir t;
  std::vector<std::string> const employees = {"employee-7731@corp.example", "E-4410-MARKER"};
  std::string const handle = "QuietHeron_42";
  bytes pk(32);
  for (int i = 0; i < 32; ++i) pk[i] = static_cast<std::uint8_t>(0xc3 ^ (i * 37));
  auto const pk_text = crypto::to_string(pk);

  auto scenario = [&](data_dir& d) {
    auto& is = *d.issuer();
    auto& f = *d.forum();
    REQUIRE(is.import_roster({{employees[0], "codehash0"}, {employees[1], "codehash1"}}));
    REQUIRE(is.enroll(employees[0], "codehash0", "pwhash"));
    REQUIRE(is.commit_issue(employees[0], "key-1", 1, bytes(256, 0x11), bytes(256, 0x22)));
    REQUIRE(is.commit_issue(employees[1], "key-1", 1, bytes(256, 0x33), bytes(256, 0x44)));
    REQUIRE(d.staff().add_staff({"admin", staff_role::admin, "h"}));
    audit_entry a;
    a.actor = "admin";
    a.action = "roster.import";
    a.detail = "2 employees";
    REQUIRE(d.staff().append_audit(a));

    REQUIRE(f.certify(bytes(48, 0x55), pk, handle, make_cert()));
    auto p = f.append_post(make_post("general", pk, "hello from the crowd", "nonce-privacy-01"), 1700000123);
    REQUIRE(p);
    REQUIRE(f.react(p->post.id, pk, "+1", true));
    REQUIRE(f.flag(p->post.id, pk, "other", "note"));
    modlog_entry e = make_entry("test");
    e.target = handle;
    REQUIRE(f.ban(pk, 1800000000, e, 1700000123));
  };

  auto forum_needles = employees;
  std::vector<std::string> issuer_needles = {handle, "quietheron_42", pk_text};
  {
    auto d = create(t.data());
    scenario(*d);
    // While open: WAL and memtable-only data are on disk in the log files.
    check_absent(t.data() / "forum", forum_needles);
    check_absent(t.data() / "issuer", issuer_needles);
  }
  // After close, and after a backup (which flushes into SST files).
  backup(t.data(), t.path() / "bk");
  check_absent(t.data() / "forum", forum_needles);
  check_absent(t.data() / "issuer", issuer_needles);
  check_absent(t.path() / "bk" / "forum", forum_needles);
  check_absent(t.path() / "bk" / "issuer", issuer_needles);

  // Sanity: the needles are really stored in the other store.
  bool found_employee = false, found_pk = false;
  for (auto const& [path, content] : all_files(t.data() / "issuer")) {
    found_employee = found_employee || content.find(employees[0]) != std::string::npos;
  }
  for (auto const& [path, content] : all_files(t.data() / "forum")) {
    found_pk = found_pk || content.find(pk_text) != std::string::npos;
  }
  CHECK(found_employee);
  CHECK(found_pk);
}
