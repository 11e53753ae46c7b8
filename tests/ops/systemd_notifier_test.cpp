// The sd_notify messages reach $NOTIFY_SOCKET as systemd would read them, and nothing breaks without it.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "ops/systemd_notifier.hpp"

using namespace umpire::ops;

namespace {

class NotifySocket {
 public:
  NotifySocket() {
    path_ = std::filesystem::temp_directory_path() / ("umpire-notify-" + std::to_string(::getpid()));
    std::filesystem::remove(path_);
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path_.c_str(), sizeof(address.sun_path) - 1);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    timeval timeout{2, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setenv("NOTIFY_SOCKET", path_.c_str(), 1);
  }
  ~NotifySocket() {
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
    ::close(fd_);
    std::filesystem::remove(path_);
  }
  std::string receive() {
    char buffer[4096];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
  }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace

TEST(SystemdNotifier, SendsReadyStatusWatchdogAndStopping) {
  NotifySocket socket;
  SystemdNotifier notifier;
  notifier.ready("listening on 127.0.0.1:7000\nsecond line");
  EXPECT_EQ(socket.receive(), "READY=1\nSTATUS=listening on 127.0.0.1:7000 second line");
  notifier.watchdog();
  EXPECT_EQ(socket.receive(), "WATCHDOG=1");
  notifier.stopping("draining");
  EXPECT_EQ(socket.receive(), "STOPPING=1\nSTATUS=draining");
}

TEST(SystemdNotifier, WatchdogIntervalIsHalfOfWatchdogSec) {
  NotifySocket socket;
  SystemdNotifier notifier;
  EXPECT_FALSE(notifier.watchdog_ping_interval());
  ::setenv("WATCHDOG_USEC", "4000000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  EXPECT_EQ(notifier.watchdog_ping_interval(), std::chrono::microseconds(2000000));
}

TEST(SystemdNotifier, WithoutSystemdThereIsNoWatchdog) {
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  SystemdNotifier notifier;
  notifier.ready("x");  // must not fail outside systemd
  EXPECT_FALSE(notifier.watchdog_ping_interval());
}
