// cli/commands.hpp — the `umpire` subcommands. Each takes the arguments after its name and returns the process
// exit code (0 ok, 1 failure, 2 usage error). cli wires components together; no component parses argv itself.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace umpire::cli {

int run_key_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int run_devnode_command(const std::vector<std::string>& args);
int run_serve_command(const std::vector<std::string>& args);
int run_bots_command(const std::vector<std::string>& args);
int run_sessions_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace umpire::cli
