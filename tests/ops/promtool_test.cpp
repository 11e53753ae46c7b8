// /metrics as Prometheus itself judges it: an AdminServer serves a Registry holding every kind of series Umpire
// exposes (counters, gauges and histograms, with and without labels, label values that need escaping), and
// `promtool check metrics` (Debian's prometheus package; scripts/deps.sh --test installs it) must accept the page
// without a single lint problem.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "ops/admin_server.hpp"

using namespace umpire::ops;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

std::string find_on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::istringstream directories(path ? path : "");
  for (std::string directory; std::getline(directories, directory, ':');) {
    const auto candidate = std::filesystem::path(directory.empty() ? "." : directory) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::string fetch_metrics(unsigned short port) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  http::request<http::empty_body> request{http::verb::get, "/metrics", 11};
  request.set(http::field::host, "127.0.0.1");
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  EXPECT_EQ(response.result(), http::status::ok);
  return response.body();
}

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

CommandResult run_with_stdin(const std::string& command, const std::filesystem::path& input) {
  CommandResult result;
  std::FILE* pipe = ::popen((command + " < '" + input.string() + "' 2>&1").c_str(), "r");
  if (!pipe) return result;
  char buffer[4096];
  while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) result.output.append(buffer, n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// The series of issue 8, as the server's components register them.
void register_umpire_metrics(Registry& registry) {
  registry.gauge("umpire_players_connected", "Players with an open WebSocket.").set(12);
  for (const char* state : {"waiting", "playing", "settling", "closed"}) {
    registry.gauge("umpire_rooms", "Rooms by lifecycle state.", {{"state", state}}).set(3);
  }
  registry.counter("umpire_games_finished_total", "Games finished, by game and outcome.",
                   {{"game", "tictactoe"}, {"outcome", "win"}})
      .increment(40);
  registry.counter("umpire_games_finished_total", "Games finished, by game and outcome.",
                   {{"game", "connect_four"}, {"outcome", "draw"}})
      .increment(2);
  registry.counter("umpire_moves_relayed_total", "Moves relayed to players.").increment(1234);
  auto& relay = registry.histogram("umpire_move_relay_duration_seconds", "Time from a move's arrival to its relay.");
  for (double seconds : {0.00004, 0.0003, 0.002, 0.04, 3.0, 42.0}) relay.observe_seconds(seconds);
  for (const char* method : {"create_app_session", "submit_app_state", "close_app_session"}) {
    registry.histogram("umpire_clearnode_request_duration_seconds", "ClearNode request round trips, by method.",
                       {{"method", method}})
        .observe_seconds(0.08);
  }
  registry.counter("umpire_clearnode_errors_total", "ClearNode errors, by kind.", {{"kind", "timeout"}}).increment();
  // A label value that needs every escape the format has.
  registry.counter("umpire_clearnode_errors_total", "ClearNode errors, by kind.",
                   {{"kind", "rpc \"insufficient funds\"\\n\nsecond line"}})
      .increment(2);
  registry.histogram("umpire_journal_commit_duration_seconds", "SQLite journal commit latency.", {},
                     {0.0005, 0.001, 0.005, 0.01, 0.05, 0.1})
      .observe_nanoseconds(750'000);
  registry.counter("umpire_clearnode_reconnects_total", "Reconnections to the ClearNode.").increment(1);
  registry.counter("umpire_ws_frames_total", "Help with a backslash \\ and a\nnewline.").increment(0);
}

// promtool's path. Outside CI a machine without it skips; in CI (CI set) its absence is a missing install step
// in scripts/deps.sh, so the test fails rather than pass by skipping.
#define UMPIRE_REQUIRE_PROMTOOL(promtool)                                                                   \
  const std::string promtool = find_on_path("promtool");                                                    \
  if (promtool.empty()) {                                                                                   \
    if (std::getenv("CI")) FAIL() << "promtool is missing in CI: scripts/deps.sh --test must install it";  \
    GTEST_SKIP() << "promtool is not installed (Debian package prometheus); scripts/deps.sh --test installs it"; \
  }

}  // namespace

TEST(Promtool, AcceptsTheMetricsPageWithoutLintProblems) {
  UMPIRE_REQUIRE_PROMTOOL(promtool);

  asio::io_context io;
  auto work = asio::make_work_guard(io);
  Registry registry;
  register_umpire_metrics(registry);
  auto server = std::make_shared<AdminServer>(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0),
                                              registry, [] { return std::optional<std::string>(); });
  server->start();
  std::thread runner([&] { io.run(); });
  const std::string page = fetch_metrics(server->local_endpoint().port());
  server->stop();
  work.reset();
  io.stop();
  runner.join();

  // The page really holds what was registered: every kind, the values, the escapes.
  EXPECT_NE(page.find("# TYPE umpire_games_finished_total counter\n"), std::string::npos) << page;
  EXPECT_NE(page.find("umpire_games_finished_total{game=\"tictactoe\",outcome=\"win\"} 40\n"), std::string::npos);
  EXPECT_NE(page.find("# TYPE umpire_rooms gauge\n"), std::string::npos);
  EXPECT_NE(page.find("# TYPE umpire_move_relay_duration_seconds histogram\n"), std::string::npos);
  EXPECT_NE(page.find("umpire_move_relay_duration_seconds_bucket{le=\"+Inf\"} 6\n"), std::string::npos);
  EXPECT_NE(page.find("umpire_move_relay_duration_seconds_bucket{le=\"5e-05\"} 1\n"), std::string::npos);
  EXPECT_NE(page.find("umpire_move_relay_duration_seconds_count 6\n"), std::string::npos);
  EXPECT_NE(page.find("umpire_move_relay_duration_seconds_sum 45.04234\n"), std::string::npos) << page;
  EXPECT_NE(page.find(R"(umpire_clearnode_request_duration_seconds_bucket{method="submit_app_state",le="0.1"} 1)"),
            std::string::npos);
  EXPECT_NE(page.find(R"({kind="rpc \"insufficient funds\"\\n\nsecond line"} 2)"), std::string::npos) << page;
  EXPECT_NE(page.find("# HELP umpire_ws_frames_total Help with a backslash \\\\ and a\\nnewline.\n"),
            std::string::npos);

  const auto file = std::filesystem::temp_directory_path() / ("umpire-metrics-" + std::to_string(::getpid()));
  std::ofstream(file) << page;
  const CommandResult check = run_with_stdin("'" + promtool + "' check metrics", file);
  std::filesystem::remove(file);
  EXPECT_EQ(check.exit_code, 0) << check.output << "\n--- page ---\n" << page;
  EXPECT_EQ(check.output, "") << "promtool lint problems:\n" << check.output;
}

TEST(Promtool, CatchesABadPageSoTheCheckAboveMeansSomething) {
  UMPIRE_REQUIRE_PROMTOOL(promtool);
  const auto file = std::filesystem::temp_directory_path() / ("umpire-bad-metrics-" + std::to_string(::getpid()));
  // What the renderer must never produce: a counter without _total and without HELP.
  std::ofstream(file) << "# TYPE umpire_moves counter\numpire_moves 3\n";
  const CommandResult check = run_with_stdin("'" + promtool + "' check metrics", file);
  std::filesystem::remove(file);
  EXPECT_NE(check.exit_code, 0) << check.output;
  EXPECT_NE(check.output.find("_total"), std::string::npos) << check.output;
}
