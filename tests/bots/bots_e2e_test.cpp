// tests/bots/bots_e2e_test.cpp — `umpire bots` against `umpire serve` in dev mode (embedded devnode), as separate
// processes on free ports: every game of the default catalog, the series table and a timed run complete with no
// errors, every payout checked and right, and money conserved at the devnode. Skipped while the binary has no serve.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

fs::path umpire_binary() { return fs::path(UMPIRE_BINARY_DIR) / "src" / "cli" / "umpire"; }

std::uint16_t free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

bool port_open(std::uint16_t port) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  boost::system::error_code ec;
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
  return !ec;
}

std::vector<char*> argv_of(const std::string& binary, std::vector<std::string>& args) {
  std::vector<char*> argv{const_cast<char*>(binary.c_str())};
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return argv;
}

// `umpire serve` in dev mode; SIGTERM then SIGKILL on destruction.
class ServeProcess {
 public:
  ServeProcess(std::vector<std::string> args, const fs::path& log) {
    const std::string binary = umpire_binary().string();
    auto argv = argv_of(binary, args);
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      ::execv(binary.c_str(), argv.data());
      ::_exit(127);
    }
  }
  ~ServeProcess() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 300; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(10ms);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  // True once every port accepts connections; false if the process exited first or 20 s passed.
  bool wait_listening(std::initializer_list<std::uint16_t> ports) {
    for (int i = 0; i < 2000; ++i) {
      bool all = true;
      for (const auto port : ports) all = all && port_open(port);
      if (all) return true;
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

 private:
  pid_t pid_ = -1;
};

struct Finished {
  int status = -1;  // exit status, or -1 if killed (timeout or signal)
  std::string out;  // stdout
};

// Runs `umpire args…` with stdout captured and stderr appended to `log`; kills it after `timeout`.
Finished run_umpire(std::vector<std::string> args, const fs::path& log, std::chrono::seconds timeout) {
  const std::string binary = umpire_binary().string();
  auto argv = argv_of(binary, args);
  int out_pipe[2];
  if (::pipe(out_pipe) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out_pipe[1], 1);
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) ::dup2(fd, 2);
    ::close(out_pipe[0]);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  Finished finished;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd fd{out_pipe[0], POLLIN, 0};
    if (::poll(&fd, 1, static_cast<int>(left.count())) <= 0) continue;
    const auto n = ::read(out_pipe[0], buffer, sizeof buffer);
    if (n <= 0) break;
    finished.out.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(out_pipe[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  finished.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return finished;
}

class BotsAgainstServe : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fs::exists(umpire_binary())) return;
    dir_ = fs::temp_directory_path() / ("umpire-bots-e2e-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    players_port_ = free_port();
    devnode_port_ = free_port();
    const auto admin_port = free_port();
    std::vector<std::string> args{"serve",
                                  "--listen",
                                  "127.0.0.1:" + std::to_string(players_port_),
                                  "--state-dir",
                                  (dir_ / "state").string(),
                                  "--devnode-listen",
                                  "127.0.0.1:" + std::to_string(devnode_port_),
                                  "--admin-listen",
                                  "127.0.0.1:" + std::to_string(admin_port)};
    serve_ = new ServeProcess(args, dir_ / "serve.log");
    ready_ = serve_->wait_listening({players_port_, devnode_port_});
  }
  static void TearDownTestSuite() {
    delete serve_;
    serve_ = nullptr;
    if (!dir_.empty() && !::testing::Test::HasFailure()) fs::remove_all(dir_);
  }
  void SetUp() override {
    if (!fs::exists(umpire_binary())) GTEST_SKIP() << "no umpire binary at " << umpire_binary();
    if (!ready_) {
      std::ifstream log(dir_ / "serve.log");
      const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
      if (text.find("not built") != std::string::npos) GTEST_SKIP() << "serve is not part of this build";
      FAIL() << "umpire serve did not start listening; its log:\n" << text;
    }
  }

  // Runs the bots and returns their JSON summary (an empty object on failure, with the test failed).
  nlohmann::json bots(std::vector<std::string> extra) {
    std::vector<std::string> args{"bots",      "--url",    "ws://127.0.0.1:" + std::to_string(players_port_) + "/play",
                                  "--devnode", "ws://127.0.0.1:" + std::to_string(devnode_port_) + "/ws",
                                  "--json",    "--seed",   "7"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto log = dir_ / "bots.log";
    const Finished finished = run_umpire(args, log, 60s);
    std::ifstream text(log);
    const std::string stderr_text((std::istreambuf_iterator<char>(text)), std::istreambuf_iterator<char>());
    EXPECT_EQ(finished.status, 0) << "stdout:\n" << finished.out << "\nstderr so far:\n" << stderr_text;
    const auto json = nlohmann::json::parse(finished.out, nullptr, false);
    EXPECT_TRUE(json.is_object()) << finished.out;
    return json.is_object() ? json : nlohmann::json::object();
  }

  static void expect_clean(const nlohmann::json& summary) {
    ASSERT_TRUE(summary.contains("games_completed")) << summary.dump();
    EXPECT_EQ(summary["games_aborted"], 0) << summary.dump();
    EXPECT_EQ(summary["errors"], nlohmann::json::object()) << summary.dump();
    EXPECT_EQ(summary["wrong_payouts"], 0) << summary.dump();
    EXPECT_EQ(summary["payouts_checked"], summary["games_completed"]) << summary.dump();
    EXPECT_EQ(summary["conservation_ok"], true) << summary.dump();
    EXPECT_GT(summary["moves"].get<std::uint64_t>(), 0u);
    EXPECT_GT(summary["move_rtt_us"]["p50"].get<std::uint64_t>(), 0u);
    EXPECT_GE(summary["move_rtt_us"]["max"].get<std::uint64_t>(), summary["move_rtt_us"]["p99"].get<std::uint64_t>());
    // The rake the games announced is exactly what Umpire's balance gained, and what the bots lost.
    EXPECT_EQ(summary["umpire_balance_change"], summary["rake_reported"]) << summary.dump();
    EXPECT_EQ("-" + summary["umpire_balance_change"].get<std::string>(), summary["bots_balance_change"]);
  }

  static inline fs::path dir_;
  static inline std::uint16_t players_port_ = 0;
  static inline std::uint16_t devnode_port_ = 0;
  static inline ServeProcess* serve_ = nullptr;
  static inline bool ready_ = false;
};

TEST_F(BotsAgainstServe, TicTacToeFortyGames) {
  const auto summary = bots({"--game", "tictactoe", "--bots", "20", "--games", "40"});
  expect_clean(summary);
  EXPECT_EQ(summary["games_completed"], 40);
  EXPECT_EQ(summary["sessions_closed"], 40);
}

TEST_F(BotsAgainstServe, ConnectFourFortyGames) {
  const auto summary = bots({"--game", "connect_four", "--bots", "20", "--games", "40"});
  expect_clean(summary);
  EXPECT_EQ(summary["games_completed"], 40);
  EXPECT_EQ(summary["sessions_closed"], 40);
}

TEST_F(BotsAgainstServe, RockPaperScissorsFortyGames) {
  const auto summary = bots({"--game", "rock_paper_scissors", "--bots", "20", "--games", "40"});
  expect_clean(summary);
  EXPECT_EQ(summary["games_completed"], 40);
  EXPECT_EQ(summary["sessions_closed"], 40);
}

TEST_F(BotsAgainstServe, SeriesTableFortyGamesInFewerSessions) {
  const auto summary = bots({"--game", "tictactoe", "--series", "--bots", "20", "--games", "40"});
  expect_clean(summary);
  EXPECT_EQ(summary["series"], true);
  EXPECT_EQ(summary["games_completed"], 40);
  EXPECT_LT(summary["sessions_closed"].get<int>(), 40);  // pairs played game after game in one session
}

TEST_F(BotsAgainstServe, TimedRunFinishesItsGames) {
  const auto summary = bots({"--game", "tictactoe", "--bots", "10", "--seconds", "2"});
  expect_clean(summary);
  EXPECT_GT(summary["games_completed"].get<int>(), 0);
  EXPECT_EQ(summary["sessions_closed"], summary["games_completed"]);
}

}  // namespace
