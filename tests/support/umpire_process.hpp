// tests/support/umpire_process.hpp — the `umpire` binary as a child process, for tests that drive whole processes
// (bots against serve, crash and restart, systemd notification): start with its output in files, wait until its
// ports listen, signal it, wait for its exit, and run it to completion with stdout captured. Header-only; every
// test binary that includes it defines UMPIRE_BINARY_DIR (tests/CMakeLists.txt does).
#pragma once

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
#include <initializer_list>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace umpire::testing {

namespace fs = std::filesystem;

inline fs::path umpire_binary() { return fs::path(UMPIRE_BINARY_DIR) / "src" / "cli" / "umpire"; }

// A port free at the time of the call (bound to port 0 and released).
inline std::uint16_t free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

inline bool port_open(std::uint16_t port) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  boost::system::error_code ec;
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
  return !ec;
}

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// An empty directory for one test's files: <temp>/<name>-<pid>, emptied if an earlier run left it.
inline fs::path fresh_test_dir(const std::string& name) {
  const auto dir = fs::temp_directory_path() / (name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// `umpire args…` in the background: stderr appended to `log`, stdout to `out` (or to `log` as well). The destructor
// sends SIGTERM, then SIGKILL after 3 s, so no child outlives its test.
class UmpireProcess {
 public:
  UmpireProcess(std::vector<std::string> args, const fs::path& log, std::optional<fs::path> out = std::nullopt,
                std::vector<std::string> environment = {}) {
    const std::string binary = umpire_binary().string();
    std::vector<char*> argv{const_cast<char*>(binary.c_str())};
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      const int err = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      const int std_out = out ? ::open(out->c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600) : err;
      if (err >= 0) ::dup2(err, 2);
      if (std_out >= 0) ::dup2(std_out, 1);
      for (auto& variable : environment) ::putenv(variable.data());
      ::execv(binary.c_str(), argv.data());
      ::_exit(127);
    }
  }
  UmpireProcess(const UmpireProcess&) = delete;
  UmpireProcess& operator=(const UmpireProcess&) = delete;
  ~UmpireProcess() {
    if (!running()) return;
    ::kill(pid_, SIGTERM);
    if (!wait_exit(std::chrono::seconds(3))) {
      ::kill(pid_, SIGKILL);
      wait_exit(std::chrono::seconds(10));
    }
  }

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0 && !status_; }
  void signal(int number) const {
    if (running()) ::kill(pid_, number);
  }
  // The exit status once the process has ended: its exit code, or 128 + the signal that ended it.
  std::optional<int> status() const { return status_; }

  // True once the process has ended (reaped), false if it still runs after `timeout`.
  bool wait_exit(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!reap()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }

  // True once every port accepts connections; false if the process exited first or `timeout` passed.
  bool wait_listening(std::initializer_list<std::uint16_t> ports,
                      std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      bool all = true;
      for (const auto port : ports) all = all && port_open(port);
      if (all) return true;
      if (reap()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

 private:
  bool reap() {
    if (status_) return true;
    if (pid_ <= 0) return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return true;
  }

  pid_t pid_ = -1;
  std::optional<int> status_;
};

// SIGTERM, then `process` must exit with status 0 within `timeout`; the failure shows `log`.
inline ::testing::AssertionResult stops_cleanly_on_sigterm(
    UmpireProcess& process, const fs::path& log, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  process.signal(SIGTERM);
  if (!process.wait_exit(timeout)) {
    return ::testing::AssertionFailure() << "still running after SIGTERM\n" << read_text(log);
  }
  if (process.status() != 0) {
    return ::testing::AssertionFailure() << "exit status " << process.status().value_or(-1) << " after SIGTERM\n"
                                         << read_text(log);
  }
  return ::testing::AssertionSuccess();
}

struct Finished {
  int status = -1;  // exit status, or -1 if killed (timeout or signal)
  std::string out;  // stdout
};

// Runs `umpire args…` to completion with stdout captured and stderr appended to `log`; kills it after `timeout`.
inline Finished run_umpire(std::vector<std::string> args, const fs::path& log, std::chrono::seconds timeout) {
  const std::string binary = umpire_binary().string();
  std::vector<char*> argv{const_cast<char*>(binary.c_str())};
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
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

}  // namespace umpire::testing
