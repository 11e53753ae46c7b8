// cli/bots_command.cpp — `umpire bots`: the load test. Parses the command line into bots::LoadOptions, runs it,
// prints the summary (and with --json one JSON object on stdout). Everything else is src/bots.
#include <unistd.h>

#include <charconv>
#include <iostream>

#include "bots/load_run.hpp"
#include "cli/commands.hpp"
#include "cli/options.hpp"

namespace umpire::cli {
namespace {

constexpr const char* kUsage =
    "usage: umpire bots --url ws://HOST:PORT/play --game ROOM_TYPE_OR_GAME --bots N (--games M | --seconds S)\n"
    "                   [--series] [--think-ms X] [--devnode ws://HOST:PORT/ws] [--json] [--seed N]\n"
    "                   [--threads T] [--rate MSGS_PER_S] [--fund AMOUNT] [--stall-seconds S]\n"
    "N bots, each with its own new key, quick-match into the room type (or the game's room type; --series: its\n"
    "series table), check and sign each proposal, play legal moves and reconnect when dropped, until M games have\n"
    "been played or S seconds have passed. With --devnode (dev setups) each bot funds itself there, and the balances\n"
    "read there before and after must show that money was conserved. Exit status 1 if a payout was wrong or\n"
    "conservation failed. --rate paces each bot's messages (default 40/s, under the server's 50/s limit; 0: off).\n"
    "--think-ms X: a bot waits before each move between X/2 and 3X/2 ms (uniform), X on average.\n"
    "SIGINT or SIGTERM during play finishes the run early, as if its time were up, and still prints the summary.\n"
    "SIGUSR1 forgets the move RTTs recorded so far: the summary's RTT is then that of play from the signal on.\n";

template <class T>
T number(const ParsedOptions& options, const std::string& name, T min, T max) {
  const std::string text = options.required(name);
  T value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    throw UsageError(name + " expects a whole number from " + std::to_string(min) + " to " + std::to_string(max) +
                     ", got '" + text + "'");
  }
  return value;
}

bots::LoadOptions parse(const ParsedOptions& parsed) {
  bots::LoadOptions options;
  options.behaviour.url = parsed.required("--url");
  options.game = parsed.required("--game");
  options.bots = number<unsigned>(parsed, "--bots", 1, 1'000'000);
  if (parsed.value("--games")) options.games = number<std::uint64_t>(parsed, "--games", 1, 1'000'000'000'000ULL);
  if (parsed.value("--seconds")) {
    options.duration = std::chrono::seconds(number<unsigned>(parsed, "--seconds", 1, 7 * 24 * 3600));
  }
  if (options.games.has_value() == options.duration.has_value()) throw UsageError("give one of --games or --seconds");
  options.series = parsed.flag("--series");
  if (parsed.value("--think-ms")) {
    options.behaviour.think = std::chrono::milliseconds(number<unsigned>(parsed, "--think-ms", 0, 600'000));
  }
  if (parsed.value("--seed")) options.behaviour.seed = number<std::uint64_t>(parsed, "--seed", 1, UINT64_MAX);
  if (parsed.value("--threads")) options.threads = number<unsigned>(parsed, "--threads", 1, 64);
  if (parsed.value("--rate")) {
    options.behaviour.messages_per_second = number<unsigned>(parsed, "--rate", 0, 1'000'000);
    options.behaviour.message_burst = std::max(1u, options.behaviour.messages_per_second * 2);
  }
  if (parsed.value("--stall-seconds")) {
    options.stall_timeout = std::chrono::seconds(number<unsigned>(parsed, "--stall-seconds", 5, 86400));
  }
  options.devnode_url = parsed.value("--devnode");
  options.fund_amount = parsed.value("--fund");
  if (!options.behaviour.url.starts_with("ws://") && !options.behaviour.url.starts_with("wss://")) {
    throw UsageError("--url must start with ws:// or wss://");
  }
  if (options.devnode_url && !options.devnode_url->starts_with("ws://") && !options.devnode_url->starts_with("wss://")) {
    throw UsageError("--devnode must start with ws:// or wss://");
  }
  return options;
}

}  // namespace

int run_bots_command(const std::vector<std::string>& args) {
  bool json = false;
  bots::LoadOptions options;
  try {
    OptionSpec spec;
    spec.valued = {"--url",     "--game",    "--bots", "--games", "--seconds",       "--think-ms",
                   "--devnode", "--seed",    "--threads", "--rate", "--fund", "--stall-seconds"};
    spec.flags = {"--series", "--json", "--help"};
    const ParsedOptions parsed = parse_options(args, 0, spec);
    if (parsed.flag("--help")) {
      std::cout << kUsage;
      return 0;
    }
    if (!parsed.positional().empty()) throw UsageError("unexpected argument " + parsed.positional().front());
    options = parse(parsed);
    json = parsed.flag("--json");
  } catch (const UsageError& error) {
    std::cerr << "umpire bots: " << error.what() << "\n" << kUsage;
    return 2;
  }

  try {
    const bots::RunSummary summary = bots::run_load(options, std::cerr, ::isatty(STDERR_FILENO) == 1);
    std::cerr << bots::to_text(summary);
    if (json) std::cout << bots::to_json(summary).dump() << "\n" << std::flush;
    return bots::exit_code(summary);
  } catch (const bots::SetupError& error) {
    std::cerr << "umpire bots: " << error.what() << "\n";
    return 1;
  } catch (const std::exception& error) {
    std::cerr << "umpire bots: " << error.what() << "\n";
    return 1;
  }
}

}  // namespace umpire::cli
