#include "helpers.hpp"

#include <doctest/doctest.h>
#include <rocksdb/db.h>

#include <string>
#include <sys/wait.h>
#include <unistd.h>

using namespace hearth;
using namespace hearth::storage;
using namespace hearth::storage::test;

namespace {

// Rewrites the schema record of DIR/<kind> with raw RocksDB.
void set_schema(fs::path const& store, std::string const& value) {
  with_raw_store(store, [&](rocksdb::DB& db, auto const& hs) {
    rocksdb::WriteOptions w;
    w.sync = true;
    REQUIRE(db.Put(w, hs[0], "hearth.schema", value).ok());
  });
}

}  // namespace

TEST_CASE("open: an uninitialised directory says to run hearth init") {
  temp_dir t;
  CHECK_FALSE(is_initialised(t.data()));
  auto m = open_message(t.data());
  CHECK(m.find("hearth init --data") != std::string::npos);
  fs::create_directories(t.data());
  m = open_message(t.data());
  CHECK(m.find("hearth init --data") != std::string::npos);
  CHECK_FALSE(is_initialised(t.data()));
}

TEST_CASE("open: create twice is refused; reopen works") {
  temp_dir t;
  { auto d = create(t.data()); }
  CHECK(is_initialised(t.data()));
  CHECK_THROWS_AS(create(t.data()), open_error);
  auto d = open(t.data());
  CHECK(d->path() == t.data());
  CHECK(d->forum()->channels()->size() == 1);
}

TEST_CASE("open: a second open in this process is refused clearly") {
  temp_dir t;
  auto d = create(t.data());
  auto m = open_message(t.data());
  CHECK(m.find("in use by another hearth process") != std::string::npos);
  d.reset();
  CHECK(open_message(t.data()).empty());
}

TEST_CASE("open: a second process is refused clearly") {
  temp_dir t;
  auto d = create(t.data());
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    std::string m;
    try {
      auto other = open(t.data());
      m = "opened";
    } catch (open_error const& e) {
      m = e.what();
    }
    auto n = ::write(fds[1], m.data(), m.size());
    (void)n;
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string m;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) m.append(buf, n);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  INFO(m);
  CHECK(m.find("in use by another hearth process") != std::string::npos);
}

TEST_CASE("open: another schema version is refused with what to do") {
  temp_dir t;
  { auto d = create(t.data()); }
  set_schema(t.data() / "forum", "hearth-forum/99");
  auto m = open_message(t.data());
  INFO(m);
  CHECK(m.find("hearth-forum/99") != std::string::npos);
  CHECK(m.find("hearth-forum/1") != std::string::npos);
  set_schema(t.data() / "forum", "hearth-forum/1");
  set_schema(t.data() / "issuer", "hearth-issuer/0");
  m = open_message(t.data());
  CHECK(m.find("hearth-issuer/0") != std::string::npos);
  set_schema(t.data() / "issuer", "hearth-issuer/1");
  CHECK(open_message(t.data()).empty());
}
