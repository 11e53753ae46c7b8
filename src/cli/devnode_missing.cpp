// cli/devnode_missing.cpp — stand-in used while the devnode component is not part of the build.
#include <iostream>

#include "cli/commands.hpp"

namespace umpire::cli {
int run_devnode_command(const std::vector<std::string>&) {
  std::cerr << "umpire devnode: not available in this build (src/devnode is not built yet)\n";
  return 1;
}
}  // namespace umpire::cli
