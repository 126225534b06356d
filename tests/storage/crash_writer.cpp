// Helper of the crash test: writes posts, certifications (token spends),
// quota units and poll votes (first votes and changes) through the storage
// API from several threads, and prints one line per acknowledged write to
// stdout, until it is killed.
//   storage_crash_writer DIR ROUND [deferred]
// With "deferred", the store is opened with deferred_sync (as the server does)
// and a write is acknowledged only from its when_durable callback.
// Lines: "P <post id> <nonce>", "T <token>", "Q <employee> <blinded>",
// "O <poll id>" (this round's poll), "V <thread> <i>" (voter i of thread
// cast crash_vote(i, 0)), "C <thread> <i>" (it changed to crash_vote(i, 1)).
#include "storage/polls.hpp"
#include "storage/stores.hpp"
#include "crash_votes.hpp"

#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace hearth;
using namespace hearth::storage;

namespace {

void say(std::string const& line) {
  auto s = line + "\n";
  // One write(2) per line: a line is either wholly in the pipe or not at all.
  auto n = ::write(1, s.data(), s.size());
  (void)n;
}

bytes text(std::string const& s) { return bytes(s.begin(), s.end()); }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 && !(argc == 4 && std::string(argv[3]) == "deferred")) {
    std::fprintf(stderr, "usage: storage_crash_writer DIR ROUND [deferred]\n");
    return 2;
  }
  std::string const round = argv[2];
  store_options opts;
  opts.deferred_sync = argc == 4;
  std::unique_ptr<data_dir> d;
  // Acknowledges a line once its write is durable.
  auto ack = [&d](std::string line) { d->when_durable([line = std::move(line)](bool ok) { if (ok) say(line); }); };
  try {
    d = open(argv[1], opts);
  } catch (std::exception const& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  say("READY");
  auto polls = open_polls(*d->forum());
  new_poll np;
  np.channel = "general";
  np.author_pk = bytes(32, 0xaa);
  np.author_handle = "asker";
  np.question = "crash round " + round;
  np.options = {"a", "b", "c", "d"};
  np.closes_at = 2000000000;
  np.key_id = "key-1";
  np.nonce = "crash-poll-" + round;
  np.sig = bytes(64, 1);
  auto poll = polls->create(np, 1700000000);
  if (!poll || !d->sync()) return 1;
  say("O " + poll->poll.id);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      auto const who = round + "-" + std::to_string(t);
      bytes author(32, static_cast<std::uint8_t>(t));
      for (int i = 0;; ++i) {
        auto const id = who + "-" + std::to_string(i);
        new_post p;
        p.channel = "general";
        p.author_pk = author;
        p.author_handle = "w" + std::to_string(t);
        p.nonce = "nonce-" + id;
        p.body = "body-" + id;
        p.sig = bytes(64, 1);
        if (auto r = d->forum()->append_post(p, 1700000000 + i); r) ack("P " + r->post.id + " " + p.nonce);

        bytes pk(32, 0xee);
        for (std::size_t k = 0; k < id.size() && k < 32; ++k) pk[k] = static_cast<std::uint8_t>(id[k]);
        auto const token = "token-" + id;
        if (d->forum()->certify(text(token), pk, "h" + std::to_string(t) + "x" + std::to_string(i) + "r" + round,
                               certification{"key-1", 1, 2000000000})) {
          ack("T " + token);
        }

        auto const employee = "emp-" + who + "-" + std::to_string(i % 5);
        auto const blinded = "blinded-" + id;
        if (d->issuer()->commit_issue(employee, "key-1", 3, text(blinded), text("sig-" + id))) {
          ack("Q " + employee + " " + blinded);
        }

        auto const voter = crash_voter(round, t, i);
        auto const first = crash_vote(i, 0);
        auto const tag = std::to_string(t) + " " + std::to_string(i);
        if (polls->vote(poll->poll.id, voter, first, std::nullopt, 1700000000)) {
          ack("V " + tag);
          if (crash_changes(i)) {
            if (polls->vote(poll->poll.id, voter, crash_vote(i, 1), first, 1700000000)) ack("C " + tag);
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
}
