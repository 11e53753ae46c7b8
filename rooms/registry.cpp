// rooms/registry.cpp — the default set of games: one registration line each.
#include "rooms/registry.hpp"

#include "rooms/connect_four/connect_four.hpp"
#include "rooms/rock_paper_scissors/rock_paper_scissors.hpp"
#include "rooms/tictactoe/tictactoe.hpp"

namespace umpire::rooms {

void GameRegistry::add(std::unique_ptr<Game> game) {
  const std::string name(game->name());
  if (!games_.emplace(name, std::move(game)).second) throw std::invalid_argument("game registered twice: " + name);
}

const Game* GameRegistry::find(std::string_view name) const {
  const auto it = games_.find(name);
  return it == games_.end() ? nullptr : it->second.get();
}

std::vector<std::string> GameRegistry::names() const {
  std::vector<std::string> names;
  for (const auto& [name, game] : games_) names.push_back(name);
  return names;
}

GameRegistry make_default_registry() {
  GameRegistry registry;
  registry.add(make_tictactoe());
  registry.add(make_connect_four());
  registry.add(make_rock_paper_scissors());
  return registry;
}

}  // namespace umpire::rooms
