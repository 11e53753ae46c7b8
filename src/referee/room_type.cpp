// referee/room_type.cpp — see the header.
#include "referee/room_type.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace umpire::referee {

void RoomType::validate() const {
  auto fail = [&](const std::string& what) { throw std::invalid_argument("room type " + id + ": " + what); };
  if (id.empty()) throw std::invalid_argument("room type without an id");
  if (!game) fail("no game");
  if (seats != game->seats()) fail("the game " + std::string(game->name()) + " is played with " +
                                   std::to_string(game->seats()) + " seats");
  if (stake <= 0) fail("the stake must be positive");
  if (wager <= 0 || wager > stake) fail("the wager must be positive and at most the stake");
  if (!is_series() && wager != stake) fail("a single-game room wagers its whole stake");
  if (rake_bps > kMaxRakeBps) fail("rake_bps above 10000");
  if (turn_ms == 0 || proposal_ms == 0) fail("turn and proposal times must be positive");
  if (proposal_ms > 45'000) fail("the proposal deadline must stay well inside the ClearNode's 60 s window");
}

v1::RoomType RoomType::to_proto() const {
  v1::RoomType out;
  out.set_id(id);
  out.set_game(std::string(game->name()));
  out.set_asset(asset);
  out.set_stake(format_units(stake, decimals));
  out.set_seats(seats);
  out.set_turn_seconds(static_cast<std::uint32_t>(turn_ms / 1000));
  out.set_reconnect_seconds(static_cast<std::uint32_t>(reconnect_ms / 1000));
  out.set_rake_bps(rake_bps);
  out.set_games_per_session(games_per_session);
  out.set_wager(format_units(wager, decimals));
  return out;
}

nlohmann::json rules_record(const RoomType& type) {
  return {{"id", type.id},
          {"game", std::string(type.game->name())},
          {"asset", type.asset},
          {"decimals", type.decimals},
          {"stake", format_units(type.stake, type.decimals)},
          {"wager", format_units(type.wager, type.decimals)},
          {"seats", type.seats},
          {"turn_ms", type.turn_ms},
          {"reconnect_ms", type.reconnect_ms},
          {"proposal_ms", type.proposal_ms},
          {"rake_bps", type.rake_bps},
          {"games_per_session", type.games_per_session}};
}

RoomType room_type_from_rules(const nlohmann::json& rules, const rooms::GameRegistry& games) {
  try {
    RoomType type;
    type.id = rules.at("id").get<std::string>();
    const auto game = rules.at("game").get<std::string>();
    type.game = games.find(game);
    if (!type.game) throw std::invalid_argument("no game \"" + game + "\" in this build");
    type.asset = rules.at("asset").get<std::string>();
    type.decimals = rules.at("decimals").get<unsigned>();
    type.stake = parse_units(rules.at("stake").get<std::string>(), type.decimals);
    type.wager = parse_units(rules.at("wager").get<std::string>(), type.decimals);
    type.seats = rules.at("seats").get<unsigned>();
    type.turn_ms = rules.at("turn_ms").get<std::uint64_t>();
    type.reconnect_ms = rules.at("reconnect_ms").get<std::uint64_t>();
    type.proposal_ms = rules.at("proposal_ms").get<std::uint64_t>();
    type.rake_bps = rules.at("rake_bps").get<unsigned>();
    type.games_per_session = rules.at("games_per_session").get<unsigned>();
    type.validate();
    return type;
  } catch (const nlohmann::json::exception& error) {
    throw std::invalid_argument(std::string("journaled room rules: ") + error.what());
  }
}

}  // namespace umpire::referee
