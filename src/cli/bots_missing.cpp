// cli/bots_missing.cpp — stand-in used while the load-test bots are left out of the build.
#include <iostream>

#include "cli/commands.hpp"

namespace umpire::cli {
int run_bots_command(const std::vector<std::string>&) {
  std::cerr << "umpire bots: the load-test bots are not part of this build\n";
  return 1;
}
}  // namespace umpire::cli
