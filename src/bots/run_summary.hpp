// bots/run_summary.hpp — what a load run measured and found, and its two renderings: one JSON object (stdout with
// --json) and a few human lines. Also the conservation arithmetic: every bot's balance change plus Umpire's must
// sum to exactly zero. Pure: no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "bots/latency_histogram.hpp"
#include "wire/decimal.hpp"

namespace umpire::bots {

struct LatencySummary {
  std::uint64_t count = 0;
  std::uint64_t p50 = 0, p90 = 0, p99 = 0, max = 0;
  static LatencySummary of(const LatencyHistogram& histogram);
};

// Balances read at the ClearNode before and after the run, per wallet, in one asset.
struct BalanceChange {
  wire::Decimal before;
  wire::Decimal after;
  wire::Decimal change() const { return after - before; }
};

struct Conservation {
  bool ok = false;
  wire::Decimal bots_change;    // sum over the bots
  wire::Decimal umpire_change;  // Umpire's rake, as its balance moved
};
Conservation check_conservation(const std::vector<BalanceChange>& bots, const BalanceChange& umpire);

struct RunSummary {
  // What ran.
  std::string room_type;
  std::string game;
  bool series = false;
  unsigned bots = 0;
  double elapsed_s = 0;  // from the first bot's start to the last bot's end

  // Games and moves.
  std::uint64_t games_completed = 0;  // GameOver seen (each game once)
  std::uint64_t games_aborted = 0;    // RoomAborted (each room once) that the run did not cause: nothing was locked
  std::uint64_t abandoned_at_finish = 0;  // proposals aborted because a bot left to end the run (timed runs)
  std::uint64_t sessions_closed = 0;  // SessionClosed (each session once)
  std::uint64_t wins = 0, draws = 0, forfeits = 0;
  std::uint64_t moves = 0;            // moves sent by the bots and applied
  LatencySummary move_rtt_us;         // Move sent → its MoveApplied received
  LatencySummary session_open_us;     // SessionProposal received → SessionOpened received
  // How late the bots' own event loop ran a timer due every millisecond: a tail here is the load generator's, and
  // is in move_rtt_us too.
  LatencySummary loop_lag_us;

  // Problems.
  std::map<std::string, std::uint64_t> errors;  // by kind: server error code names and the bots' own findings
  std::uint64_t payouts_checked = 0;
  std::uint64_t wrong_payouts = 0;
  std::vector<std::string> wrong_payout_examples;  // the first few, for the log
  std::uint64_t reconnects = 0;
  std::uint64_t stale_retries = 0;  // simultaneous moves that crossed (normal in rock-paper-scissors) and were resent

  // Money, checked at the ClearNode (devnode) when it is reachable.
  std::string asset;
  unsigned asset_decimals = 0;
  std::optional<Conservation> conservation;  // nullopt: not checked (no --devnode)
  wire::Decimal rake_reported;               // sum of GameOver.rake over the games seen
  std::string conservation_note;             // why it was not checked, or what was assumed

  double moves_per_s() const { return elapsed_s > 0 ? static_cast<double>(moves) / elapsed_s : 0; }
  double games_per_s() const { return elapsed_s > 0 ? static_cast<double>(games_completed) / elapsed_s : 0; }
};

nlohmann::ordered_json to_json(const RunSummary& summary);
std::string to_text(const RunSummary& summary);
// 1 if any payout was wrong or conservation failed; else 0.
int exit_code(const RunSummary& summary);

}  // namespace umpire::bots
