// rooms/registry.hpp — the games Umpire can referee, by name. An object built by make_default_registry() and passed
// to whoever needs it; there is no global table.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "rooms/game.hpp"

namespace umpire::rooms {

class GameRegistry {
 public:
  void add(std::unique_ptr<Game> game);  // throws std::invalid_argument on a duplicate name
  const Game* find(std::string_view name) const;
  std::vector<std::string> names() const;

 private:
  std::map<std::string, std::unique_ptr<Game>, std::less<>> games_;
};

GameRegistry make_default_registry();

}  // namespace umpire::rooms
