// bots/payout_check.hpp — the load test's independent check of every GameOver against the room's published rules
// (recomputed here, not taken from the referee): the winner takes the pot less the rake, a draw returns each stake
// less its rake, a forfeit is a loss; the rake is rake_bps of the pot (of each stake, for a draw) rounded down to
// the asset's smallest unit. Series tables wager `wager` per seat out of the running balances. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "umpire/v1/umpire.pb.h"
#include "wire/decimal.hpp"

namespace umpire::bots {

struct RoomRules {
  std::string asset;
  wire::Decimal stake;          // per seat, locked when the session opens
  wire::Decimal wager;          // per seat and game; equals stake for one-game rooms
  unsigned rake_bps = 0;
  unsigned asset_decimals = 6;  // the rake is rounded down to 10^-decimals
};

// RoomType → RoomRules; throws std::invalid_argument on amounts that are not decimals.
RoomRules rules_of(const v1::RoomType& room, unsigned asset_decimals);

// The session's allocations, in participant order: seats first, Umpire last.
struct Allocations {
  std::vector<std::string> participants;
  std::vector<wire::Decimal> amounts;
};

// What the rules say a game's result does to `before`: the new allocations and this game's rake. The result is a
// winner seat, or nullopt for a draw. Throws std::invalid_argument if a seat cannot cover the wager or an amount
// has more precision than the asset.
struct Settled {
  Allocations after;
  wire::Decimal rake;
};
Settled settle(const RoomRules& rules, const Allocations& before, std::optional<unsigned> winner_seat);

// The winner by GameOver's fields: a win or a forfeit with winner_seat names the winner; a draw (or a forfeit of
// every seat) has none. nullopt with `problem` set when the fields contradict each other.
std::optional<unsigned> winner_of(const v1::GameOver& over, std::string& problem);

// Checks GameOver.allocations and GameOver.rake against settle(before, result). nullopt if they agree, else a
// description of the first difference. `expected_after` receives the rules' allocations either way.
std::optional<std::string> check_game_over(const RoomRules& rules, const Allocations& before, const v1::GameOver& over,
                                           Allocations& expected_after);

// Checks a list of protocol Allocations (GameOver, SessionClosed) against `expected`: every participant once, in
// the room's asset, with the exact amount. nullopt if they agree.
std::optional<std::string> compare_allocations(const Allocations& expected,
                                               const google::protobuf::RepeatedPtrField<v1::Allocation>& actual,
                                               const std::string& asset);

}  // namespace umpire::bots
