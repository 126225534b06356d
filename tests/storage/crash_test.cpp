#include "crash_votes.hpp"
#include "helpers.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <map>
#include <poll.h>
#include <random>
#include <set>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

using namespace hearth;
using namespace hearth::storage;
using namespace hearth::storage::test;

namespace {

// Runs the writer, kills it with SIGKILL after `ms` milliseconds of writing,
// and returns every complete line it printed.
std::vector<std::string> run_and_kill(fs::path const& dir, int round, int ms, bool deferred) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::close(fds[1]);
    auto r = std::to_string(round);
    ::execl(HEARTH_CRASH_WRITER, HEARTH_CRASH_WRITER, dir.c_str(), r.c_str(), deferred ? "deferred" : nullptr,
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string out;
  char buf[65536];
  auto const read_some = [&](int timeout_ms) {
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    auto n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) return false;
    out.append(buf, n);
    return true;
  };
  // Wait until the writer has opened the store, then let it run.
  auto const start = std::chrono::steady_clock::now();
  while (out.find("READY\n") == std::string::npos &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(20)) {
    if (!read_some(100) && out.empty()) {
      int st;
      if (::waitpid(pid, &st, WNOHANG) == pid) FAIL("writer exited early");
    }
  }
  REQUIRE(out.find("READY\n") != std::string::npos);
  auto const deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < deadline) read_some(5);
  ::kill(pid, SIGKILL);
  while (read_some(1000)) {
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  CHECK(WIFSIGNALED(status));
  std::vector<std::string> lines;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // last line without its newline: not acknowledged
    lines.push_back(line);
  }
  return lines;
}

// Kills the writer 5 times at random moments and checks every acknowledged
// write after each restart.
void crash_rounds(bool deferred) {
  temp_dir t;
  { auto d = create(t.data()); }
  std::mt19937 rng(std::random_device{}());
  std::set<std::string> all_ids;
  std::size_t total_posts = 0, total_tokens = 0, total_units = 0, total_votes = 0, total_changes = 0;
  for (int round = 0; round < 5; ++round) {
    auto lines = run_and_kill(t.data(), round, std::uniform_int_distribution<int>(150, 600)(rng), deferred);
    std::vector<std::pair<std::string, std::string>> posts;
    std::vector<std::string> tokens;
    std::map<std::string, std::set<std::string>> units;
    std::string poll_id;
    std::map<std::pair<int, int>, bool> votes;  // (thread, i) -> its change was acknowledged
    for (auto const& l : lines) {
      std::istringstream ls(l);
      std::string kind, a, b;
      ls >> kind >> a >> b;
      if (kind == "P") posts.emplace_back(a, b);
      if (kind == "T") tokens.push_back(a);
      if (kind == "Q") units[a].insert(b);
      if (kind == "O") poll_id = a;
      if (kind == "V") votes[{std::stoi(a), std::stoi(b)}] |= false;
      if (kind == "C") votes[{std::stoi(a), std::stoi(b)}] = true;
    }
    CHECK(!posts.empty());
    auto d = open(t.data());
    for (auto const& [id, nonce] : posts) {
      auto p = d->forum()->post(id);
      REQUIRE_MESSAGE(p, id);
      CHECK(p->nonce == nonce);
      CHECK(p->body == "body-" + nonce.substr(6));
      CHECK(all_ids.insert(id).second);  // ids never reused across restarts
    }
    for (auto const& tok : tokens) CHECK(*d->forum()->token_spent(bytes(tok.begin(), tok.end())));
    for (auto const& [emp, acked] : units) {
      auto q = d->issuer()->quota(emp, "key-1");
      REQUIRE(q);
      CHECK(q->used >= acked.size());
      CHECK(q->used <= 3);
    }
    // Votes: every acknowledged vote (and change) is there, and the tallies
    // are exactly the stored votes, each opened with the salts the writer
    // used (voters of a thread vote in order, so they are found in order).
    REQUIRE(!poll_id.empty());
    auto polls = open_polls(*d->forum());
    auto poll = polls->poll(poll_id);
    REQUIRE(poll);
    std::vector<std::uint64_t> tallies(4, 0);
    std::size_t stored = 0;
    for (int th = 0; th < 8; ++th) {
      for (int i = 0;; ++i) {
        auto c = polls->commitment(poll_id, crash_voter(std::to_string(round), th, i));
        REQUIRE(c);
        auto const acked = votes.find({th, i});
        if (!*c) {
          CHECK_MESSAGE(acked == votes.end(), "acknowledged vote lost: " << th << " " << i);
          break;
        }
        ++stored;
        auto const first = crash_vote(i, 0), second = crash_vote(i, 1);
        bool const is_first = **c == vote_commitment(poll_id, first.option, first.salt);
        bool const is_second = crash_changes(i) && **c == vote_commitment(poll_id, second.option, second.salt);
        REQUIRE_MESSAGE((is_first || is_second), "a stored vote the writer never cast: " << th << " " << i);
        if (acked != votes.end() && acked->second) CHECK_MESSAGE(is_second, "acknowledged change lost");
        tallies[is_second ? second.option : first.option] += 1;
      }
    }
    for (auto const& [who, changed] : votes) total_changes += changed;
    CHECK(!votes.empty());
    CHECK(stored >= votes.size());
    CHECK(poll->tallies == tallies);
    CHECK(poll->votes == stored);
    total_votes += votes.size();

    total_posts += posts.size();
    total_tokens += tokens.size();
    for (auto const& [e, s] : units) total_units += s.size();
    // Every stored post is readable and the feed is consistent with the index.
    std::size_t in_feed = 0;
    std::optional<std::string> cursor;
    do {
      auto page = d->forum()->feed("general", cursor, 100);
      REQUIRE(page);
      in_feed += page->items.size();
      cursor = page->next;
    } while (cursor);
    CHECK(in_feed >= all_ids.size());
  }
  MESSAGE("acknowledged and verified: " << total_posts << " posts, " << total_tokens << " token spends, "
                                        << total_units << " quota units, " << total_votes << " votes, "
                                        << total_changes << " changed votes");
}

}  // namespace

TEST_CASE("crash: kill -9 at random moments loses no acknowledged write") { crash_rounds(false); }

TEST_CASE("crash: the same with deferred sync, acknowledging from when_durable (as the server does)") {
  crash_rounds(true);
}
