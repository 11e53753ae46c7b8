// cli/serve_missing.cpp — stand-in used while the game server is not part of the build.
#include <iostream>

#include "cli/commands.hpp"

namespace umpire::cli {
int run_serve_command(const std::vector<std::string>&) {
  std::cerr << "umpire serve: the game server is not built yet; `umpire devnode` runs the ClearNode emulator\n";
  return 1;
}
}  // namespace umpire::cli
