// referee/room_type.hpp — one entry of the room catalog as the referee uses it: amounts already in the asset's
// smallest units, times in milliseconds, the game resolved from the registry. Built by `serve` from configuration
// (cli::RoomTypeConfig) and the ClearNode's asset list; the referee never reads configuration itself.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "referee/payout.hpp"
#include "rooms/game.hpp"
#include "rooms/registry.hpp"
#include "umpire/v1/umpire.pb.h"

namespace umpire::referee {

struct RoomType {
  std::string id;                // what players join or quick-match by
  const rooms::Game* game = nullptr;  // from the registry; outlives the referee
  std::string asset;             // ClearNode asset symbol
  unsigned decimals = 6;         // the asset's decimals: amounts are exact integers of 10^-decimals
  Units stake = 0;               // what each seat locks in the app session
  Units wager = 0;               // series tables: what each game puts at stake per seat (= stake for single games)
  unsigned seats = 2;
  std::uint64_t turn_ms = 30'000;
  std::uint64_t reconnect_ms = 60'000;
  std::uint64_t proposal_ms = 30'000;  // inside the node's 60 s window for signed requests
  unsigned rake_bps = 0;
  unsigned games_per_session = 1;  // 1: one game; N: a series of N; 0: until a player leaves
  unsigned max_open_rooms = 10'000;

  bool is_series() const { return games_per_session != 1; }
  // Throws std::invalid_argument naming the problem (zero stake, wager above stake, rake above 100%, …).
  void validate() const;
  // The catalog entry as players see it (open_rooms filled in by the caller).
  v1::RoomType to_proto() const;
};

// The rules as the journal keeps them with each proposal, so a restart settles a game under the rules it began
// with even if the catalog has changed since. Amounts are decimal strings, never floating point.
nlohmann::json rules_record(const RoomType& type);
// Throws std::invalid_argument if the record is incomplete, names a game `games` lacks, or fails validate().
RoomType room_type_from_rules(const nlohmann::json& rules, const rooms::GameRegistry& games);

}  // namespace umpire::referee
