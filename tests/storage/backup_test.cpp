#include "helpers.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <vector>

using namespace hearth;
using namespace hearth::storage;
using namespace hearth::storage::test;

namespace {

std::vector<std::string> lines;
void collect(std::string_view l) { lines.emplace_back(l); }

struct snapshot {
  std::vector<std::string> feed;
  std::vector<std::string> staff;
  std::uint32_t used = 0;
  bool spent = false;
  std::size_t modlog = 0;
  std::uint64_t seq = 0;
};

snapshot take(data_dir& d) {
  snapshot s;
  auto feed = d.forum()->feed("general", std::nullopt, 100);
  REQUIRE(feed);
  for (auto const& p : feed->items) s.feed.push_back(p.id + ":" + p.body);
  auto staff = d.staff().list_staff();
  REQUIRE(staff);
  for (auto const& st : *staff) s.staff.push_back(st.username);
  s.used = d.issuer()->quota("emp", "k1")->used;
  s.spent = *d.forum()->token_spent(to_bytes("tok-later"));
  s.modlog = d.forum()->modlog(std::nullopt, 100)->items.size();
  s.seq = *d.issuer()->directory_seq();
  return s;
}

bool operator==(snapshot const& a, snapshot const& b) {
  return a.feed == b.feed && a.staff == b.staff && a.used == b.used && a.spent == b.spent && a.modlog == b.modlog &&
         a.seq == b.seq;
}

}  // namespace

TEST_CASE("backup: backup, mutate, restore gives back the backed-up content") {
  temp_dir t;
  snapshot before;
  {
    auto d = create(t.data());
    REQUIRE(d->staff().add_staff({"admin", staff_role::admin, "h"}));
    REQUIRE(d->issuer()->commit_issue("emp", "k1", 5, {1}, {1}));
    for (int i = 0; i < 20; ++i) {
      REQUIRE(d->forum()->append_post(make_post("general", make_pk(1), "post " + std::to_string(i),
                                               "nonce-" + std::to_string(i)), 0));
    }
    before = take(*d);
    // A backup needs the directory: refused clearly while it is open.
    try {
      backup(t.data(), t.path() / "nope");
      FAIL("backup of an open directory succeeded");
    } catch (open_error const& e) {
      CHECK(std::string(e.what()).find("stop it") != std::string::npos);
    }
  }
  lines.clear();
  backup(t.data(), t.path() / "bk", collect);
  CHECK(lines.size() >= 3);
  CHECK(lines.back().find("backup complete") != std::string::npos);
  CHECK_THROWS_AS(backup(t.data(), t.path() / "bk"), open_error);  // target exists

  {
    auto d = open(t.data());
    REQUIRE(d->staff().add_staff({"mod", staff_role::moderator, "h"}));
    REQUIRE(d->issuer()->commit_issue("emp", "k1", 5, {2}, {2}));
    REQUIRE(d->forum()->certify(to_bytes("tok-later"), make_pk(7), "later", make_cert()));
    REQUIRE(d->forum()->append_post(make_post("general", make_pk(1), "later", "nonce-later"), 0));
    REQUIRE(d->forum()->append_modlog(modlog_entry{"", 0, "keys.rotate", "k", "", "admin"}, 0));
    std::vector<signing_key_record> none;
    REQUIRE(d->issuer()->update_directory(0, none));
    CHECK_FALSE(take(*d) == before);
    // Restoring into an open directory is refused.
    CHECK_THROWS_AS(restore(t.path() / "bk", t.data()), open_error);
  }
  lines.clear();
  restore(t.path() / "bk", t.data(), collect);
  CHECK(lines.back().find("restore complete") != std::string::npos);
  auto d = open(t.data());
  CHECK(take(*d) == before);
  // Ids after a restore continue from the backup's highest id.
  auto p = d->forum()->append_post(make_post("general", make_pk(1), "after", "nonce-after"), 0);
  REQUIRE(p);
  CHECK(p->post.id > before.feed.front().substr(0, 16));

  CHECK_THROWS_AS(restore(t.path() / "missing", t.data()), open_error);
}

TEST_CASE("backup: online backup of an open directory") {
  temp_dir t;
  auto d = create(t.data());
  REQUIRE(d->forum()->append_post(make_post("general", make_pk(1), "kept", "nonce-kept"), 0));
  backup(*d, t.path() / "online");
  REQUIRE(d->forum()->append_post(make_post("general", make_pk(1), "not kept", "nonce-not"), 0));
  d.reset();
  restore(t.path() / "online", t.data());
  auto r = open(t.data());
  auto feed = r->forum()->feed("general", std::nullopt, 10);
  REQUIRE(feed->items.size() == 1);
  CHECK(feed->items[0].body == "kept");
}

namespace {

// A directory with one post, backed up to `backup_dir`, then given a second
// post: restoring means the second post is gone.
void two_posts_one_backed_up(fs::path const& dir, fs::path const& backup_dir) {
  auto d = create(dir);
  REQUIRE(d->forum()->append_post(make_post("general", make_pk(1), "kept", "nonce-kept-0001"), 1700000000));
  backup(*d, backup_dir);
  REQUIRE(d->forum()->append_post(make_post("general", make_pk(1), "after", "nonce-after-001"), 1700000000));
}

std::vector<std::string> bodies(fs::path const& dir) {
  auto d = open(dir);
  auto feed = d->forum()->feed("general", std::nullopt, 100);
  REQUIRE(feed);
  std::vector<std::string> out;
  for (auto const& p : feed->items) out.push_back(p.body);
  return out;
}

// Stages a restore of backup_dir into dir as `hearth restore` does, up to
// (and with ready, including) the READY marker, then stops as a crash would.
void staged_restore(fs::path const& dir, fs::path const& backup_dir, bool ready) {
  fs::create_directories(dir / ".restore");
  for (auto const* name : {"issuer", "forum"}) fs::copy(backup_dir / name, dir / ".restore" / name, fs::copy_options::recursive);
  if (ready) std::ofstream(dir / ".restore" / "READY") << "test\n";
}

}  // namespace

TEST_CASE("backup: a restore interrupted after its stores were staged is finished by the next open") {
  for (int crash_point = 0; crash_point < 3; ++crash_point) {
    CAPTURE(crash_point);
    temp_dir t;
    two_posts_one_backed_up(t.data(), t.path() / "b");
    staged_restore(t.data(), t.path() / "b", true);
    // 0: before any swap; 1: issuer moved aside, not yet replaced;
    // 2: issuer swapped, forum not yet.
    if (crash_point >= 1) fs::rename(t.data() / "issuer", t.data() / ".old-issuer");
    if (crash_point >= 2) fs::rename(t.data() / ".restore" / "issuer", t.data() / "issuer");
    CHECK(bodies(t.data()) == std::vector<std::string>{"kept"});
    CHECK_FALSE(fs::exists(t.data() / ".restore"));
    CHECK_FALSE(fs::exists(t.data() / ".old-issuer"));
    CHECK_FALSE(fs::exists(t.data() / ".old-forum"));
  }
}

TEST_CASE("backup: a restore interrupted before its stores were all staged leaves the old stores") {
  temp_dir t;
  two_posts_one_backed_up(t.data(), t.path() / "b");
  staged_restore(t.data(), t.path() / "b", false);  // no READY: the copy may be incomplete
  CHECK(bodies(t.data()) == std::vector<std::string>{"after", "kept"});
  CHECK_FALSE(fs::exists(t.data() / ".restore"));
  // And a full restore afterwards works as usual.
  restore(t.path() / "b", t.data());
  CHECK(bodies(t.data()) == std::vector<std::string>{"kept"});
}
