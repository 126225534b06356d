// Helper of the appeals integration test: leaves a data directory as a stop
// between an appeal's decision and its outcome would, by writing the decision
// alone through the storage API while the server is down.
//   appeal_decide_only DIR ACTION_ID uphold|overturn USERNAME REASON
#include "storage/notices.hpp"
#include "storage/stores.hpp"

#include <chrono>
#include <cstdio>
#include <exception>
#include <string>

int main(int argc, char** argv) {
  using namespace hearth::storage;
  std::string const outcome = argc == 6 ? argv[3] : "";
  if (outcome != "uphold" && outcome != "overturn") {
    std::fprintf(stderr, "usage: appeal_decide_only DIR ACTION_ID uphold|overturn USERNAME REASON\n");
    return 2;
  }
  try {
    auto d = open(argv[1], store_options{});
    auto* forum = d->forum();
    if (!forum) {
      std::fprintf(stderr, "%s holds no forum store\n", argv[1]);
      return 1;
    }
    auto appeals = open_appeals(*forum);
    auto const now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    auto r = appeals->decide(argv[2], outcome == "overturn" ? appeal_state::overturned : appeal_state::upheld, argv[4],
                             argv[5], now);
    if (!r) {
      std::fprintf(stderr, "decide: %s\n", r.error().message().c_str());
      return 1;
    }
    std::printf("decided %s: %s\n", argv[2], std::string(appeal_state_name(r->state)).c_str());
    return 0;
  } catch (std::exception const& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
