// cli/main.cpp — the `umpire` binary: one dispatch table of subcommands. Each subcommand wires components together
// from its own options; no component reads argv or configuration files itself.
#include <iostream>
#include <string_view>

#include "cli/commands.hpp"

namespace {

struct Subcommand {
  std::string_view name;
  std::string_view summary;
  int (*run)(const std::vector<std::string>& args);
};

int run_key(const std::vector<std::string>& args) { return umpire::cli::run_key_command(args, std::cout, std::cerr); }
int run_sessions(const std::vector<std::string>& args) {
  return umpire::cli::run_sessions_command(args, std::cout, std::cerr);
}

constexpr Subcommand kSubcommands[] = {
    {"serve", "run the game server (no ClearNode URL: dev mode on the embedded devnode)",
     umpire::cli::run_serve_command},
    {"devnode", "run the local ClearNode v0.5 emulator", umpire::cli::run_devnode_command},
    {"bots", "load test: N bots play games against a server (checks payouts and conservation)",
     umpire::cli::run_bots_command},
    {"sessions", "operators: list Umpire's open app sessions, refund-close one", run_sessions},
    {"key", "create keys, print addresses, sign and recover", run_key},
};

int usage(std::ostream& out, int code) {
  out << "usage: umpire <command> [options]\n\ncommands:\n";
  for (const auto& sub : kSubcommands) out << "  " << sub.name << std::string(10 - sub.name.size(), ' ') << sub.summary << "\n";
  out << "\n`umpire <command> --help` describes a command.\n";
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage(std::cerr, 2);
  const std::string_view name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") return usage(std::cout, 0);
  const std::vector<std::string> args(argv + 2, argv + argc);
  for (const auto& sub : kSubcommands) {
    if (sub.name == name) return sub.run(args);
  }
  std::cerr << "umpire: unknown command '" << name << "'\n";
  return usage(std::cerr, 2);
}
