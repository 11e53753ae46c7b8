// bots/game_book.hpp — the run's record of games, each counted once although every seat reports it: GameOver by
// (room, game number), RoomAborted and SessionClosed by room. Both seats' copies of a GameOver must agree (the
// referee sends one result to everyone); a payout found wrong by either seat counts once. Not thread-safe: the
// run keeps it on one strand and the bots post their reports there.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "wire/decimal.hpp"

namespace umpire::bots {

struct GameOverReport {
  std::string room_id;
  std::uint32_t game_number = 0;
  int outcome = 0;                          // v1::Outcome
  std::string allocations;                  // the GameOver's allocations, canonical text, to compare the copies
  wire::Decimal rake;                       // GameOver.rake
  bool payout_checked = false;              // the reporter knew the allocations before the game
  std::optional<std::string> wrong_payout;  // what the reporter found wrong
};

struct SessionClosedReport {
  std::string room_id;
  bool payout_checked = false;
  std::optional<std::string> wrong_payout;  // the close paid something other than the running result
};

class GameBook {
 public:
  explicit GameBook(unsigned seats) : seats_(seats) {}

  void game_over(const GameOverReport& report);
  void session_closed(const SessionClosedReport& report);
  // Counts the room once: with an `error_kind` (e.g. "room_aborted:PROPOSAL_EXPIRED") as an aborted game and
  // that error; with none as abandoned at the finish (a bot leaving to end the run aborted its room's proposal).
  void room_aborted(const std::string& room_id, const std::string& error_kind);

  // Read from any thread for progress; exact once the bots are done.
  std::uint64_t games_completed() const { return games_completed_.load(std::memory_order_relaxed); }
  std::uint64_t games_aborted() const { return games_aborted_.load(std::memory_order_relaxed); }
  std::uint64_t abandoned_at_finish() const { return abandoned_at_finish_.load(std::memory_order_relaxed); }
  std::uint64_t sessions_closed() const { return sessions_closed_.load(std::memory_order_relaxed); }
  std::uint64_t wrong_payouts() const { return wrong_payouts_.load(std::memory_order_relaxed); }

  // Only on the book's strand (or after the bots are done).
  std::uint64_t wins = 0, draws = 0, forfeits = 0;
  std::uint64_t payouts_checked = 0;
  std::uint64_t inconsistent_reports = 0;  // two seats were told different results
  wire::Decimal rake_reported;
  std::map<std::string, std::uint64_t> errors;  // found by the book: aborted rooms, seats told different results
  std::vector<std::string> wrong_payout_examples;  // the first few

 private:
  struct Seen {
    unsigned reports = 0;
    bool wrong = false;
    bool checked = false;
    std::string allocations;
    int outcome = 0;
  };
  void flag_wrong(Seen& seen, const std::string& what, const std::string& where);

  unsigned seats_;
  std::unordered_map<std::string, Seen> games_;     // "room#game" until every seat reported
  std::unordered_map<std::string, Seen> closes_;    // room until every seat reported
  std::unordered_map<std::string, unsigned> aborts_;
  std::atomic<std::uint64_t> games_completed_{0};
  std::atomic<std::uint64_t> games_aborted_{0};
  std::atomic<std::uint64_t> abandoned_at_finish_{0};
  std::atomic<std::uint64_t> sessions_closed_{0};
  std::atomic<std::uint64_t> wrong_payouts_{0};
};

}  // namespace umpire::bots
