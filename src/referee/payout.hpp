// referee/payout.hpp — who gets what when a game ends: pure integer arithmetic in the asset's smallest units.
// Rules (stated to players in the room catalog): the winner takes the pot less the rake; a draw returns each stake
// less its rake; a forfeit is a loss. The rake is basis points of the pot, rounded down, so the rounding residue
// stays with the players. Nothing here knows decimals, sockets or the ClearNode.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace umpire::referee {

__extension__ typedef __int128 Units;  // smallest units of an asset (1e-6 USDC, 1 wei): ETH amounts overflow 64 bits

constexpr unsigned kMaxRakeBps = 10'000;

struct GameResult {
  std::optional<std::size_t> winner_seat;  // nullopt: a draw
};

struct Settlement {
  std::vector<Units> seats;  // what each seat receives from this game's pot
  Units rake = 0;            // what Umpire receives
};

// Settles one game in which seat i put stakes[i] into the pot. Throws std::invalid_argument on a negative stake,
// a winner seat out of range or a rake above 100%. Always: sum(seats) + rake == sum(stakes).
Settlement settle_game(const std::vector<Units>& stakes, const GameResult& result, unsigned rake_bps);

// Series tables keep one app session for many games: every game wagers `wager` per seat out of each seat's running
// balance. Returns the balances after the game and adds the game's rake to `umpire_balance`. Throws
// std::invalid_argument if a seat cannot cover the wager (the referee ends the series before that happens).
std::vector<Units> apply_series_game(const std::vector<Units>& balances, Units wager, const GameResult& result,
                                     unsigned rake_bps, Units& umpire_balance);

// Whether every seat can cover another game's wager.
bool series_can_continue(const std::vector<Units>& balances, Units wager);

// Decimal text <-> units with a fixed number of decimals, exact: "1.5" with 6 decimals is 1500000. Parsing rejects
// signs, exponents, more fractional digits than `decimals` and empty parts; it never rounds.
Units parse_units(const std::string& decimal, unsigned decimals);
std::string format_units(Units units, unsigned decimals);  // trimmed: 1500000 with 6 decimals is "1.5"

}  // namespace umpire::referee
