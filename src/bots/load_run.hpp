// bots/load_run.hpp — one load run of `umpire bots`: find the room type in the server's catalog, fund the bots at
// the devnode, let N bots play on one io_context until the game count or the time is reached, show progress, then
// read the balances again and summarise. The CLI only parses flags into LoadOptions and prints the summary.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <stdexcept>
#include <string>

#include "bots/run_context.hpp"
#include "bots/run_summary.hpp"
#include "umpire/v1/umpire.pb.h"

namespace umpire::bots {

struct LoadOptions {
  BotBehaviour behaviour;                      // url, think time, pacing, seed
  std::string game;                            // a room type id, or a game name (quick-match its room type)
  bool series = false;                         // pick the game's series table
  unsigned bots = 2;
  std::optional<std::uint64_t> games;          // stop after this many games …
  std::optional<std::chrono::seconds> duration;  // … or start no game after this long
  std::optional<std::string> devnode_url;      // ws://…/ws: fund the bots and check conservation there
  std::optional<std::string> fund_amount;      // per bot; default 1000 stakes
  unsigned threads = 1;                        // io_context threads (bots are coroutines, not threads)
  std::chrono::seconds stall_timeout{90};      // no progress at all for this long aborts the run
};

// A problem that stops the run before it starts (server unreachable, unknown room type, devnode refused).
class SetupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The room type to play: the one whose id is `wanted`, else the one of game `wanted` that is (or, without
// `series`, is not) a series table. Throws SetupError naming what the catalog offers.
v1::RoomType pick_room_type(const v1::RoomCatalog& catalog, const std::string& wanted, bool series);

// Progress as one line: elapsed, games (of the target), rates over the last interval, RTT, errors.
struct ProgressSample {
  double elapsed_s = 0;
  std::uint64_t games = 0;
  std::optional<std::uint64_t> games_target;
  std::uint64_t aborted = 0;
  std::uint64_t moves = 0;
  double moves_per_s = 0;  // over the last interval
  double games_per_s = 0;  // over the last interval
  std::uint64_t rtt_p50_us = 0;
  std::uint64_t rtt_p99_us = 0;
  std::uint64_t errors = 0;
};
std::string progress_line(const ProgressSample& sample);

// Runs the load. Progress goes to `progress` (a live line if `tty`, else a line every 5 s). Throws SetupError.
RunSummary run_load(const LoadOptions& options, std::ostream& progress, bool tty);

}  // namespace umpire::bots
