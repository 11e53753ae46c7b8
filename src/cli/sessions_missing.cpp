// cli/sessions_missing.cpp — stand-in used while the server components are not part of the build.
#include <ostream>

#include "cli/commands.hpp"

namespace umpire::cli {
int run_sessions_command(const std::vector<std::string>&, std::ostream&, std::ostream& err) {
  err << "umpire sessions: not available in this build (the server components are not built)\n";
  return 1;
}
}  // namespace umpire::cli
