// tests/serve/notify_test.cpp — `umpire serve` speaks systemd's notify protocol as a Type=notify service must:
// READY=1 only once its listeners accept connections (and the ClearNode is authenticated, the journal recovered:
// start() does those first), WATCHDOG=1 well inside WATCHDOG_USEC, STOPPING=1 on SIGTERM, then exit status 0.
// The test plays systemd: it owns the datagram socket named by NOTIFY_SOCKET.
#include <gtest/gtest.h>

#include "support/notify_socket.hpp"
#include "support/umpire_process.hpp"

namespace umpire::testing {
namespace {

using namespace std::chrono_literals;

TEST(ServeNotify, ReadyOnceListeningWatchdogInsideTheIntervalStoppingOnSigterm) {
  if (!fs::exists(umpire_binary())) GTEST_SKIP() << "no umpire binary";
  const auto dir = fresh_test_dir("umpire-notify");
  NotifySocket systemd(dir / "notify.sock");
  const auto players = free_port();
  const auto devnode = free_port();
  constexpr auto kWatchdog = 400ms;  // WATCHDOG_USEC: systemd kills a service silent for longer
  UmpireProcess serve({"serve", "--state-dir", (dir / "state").string(), "--listen",
                       "127.0.0.1:" + std::to_string(players), "--devnode-listen",
                       "127.0.0.1:" + std::to_string(devnode), "--admin-listen", ""},
                      dir / "serve.log", std::nullopt,
                      {"NOTIFY_SOCKET=" + (dir / "notify.sock").string(),
                       "WATCHDOG_USEC=" + std::to_string(std::chrono::microseconds(kWatchdog).count())});

  // Until READY=1: every port it announces must already accept connections.
  std::optional<Clock::time_point> ready_at;
  std::vector<Clock::time_point> watchdogs;
  const auto give_up = Clock::now() + 60s;
  while (!ready_at && Clock::now() < give_up) {
    const auto datagram = systemd.receive(1s);
    if (!datagram) {
      ASSERT_TRUE(serve.running()) << read_text(dir / "serve.log");
      continue;
    }
    if (has(datagram->text, "WATCHDOG=1")) watchdogs.push_back(datagram->at);
    if (has(datagram->text, "READY=1")) {
      ready_at = datagram->at;
      EXPECT_TRUE(port_open(players)) << "READY=1 before the player listener accepts";
      EXPECT_TRUE(port_open(devnode)) << "READY=1 before the embedded devnode accepts";
      EXPECT_NE(datagram->text.find("STATUS="), std::string::npos) << datagram->text;
    }
  }
  ASSERT_TRUE(ready_at) << "no READY=1 within 60 s:\n" << read_text(dir / "serve.log");

  // Two seconds of watchdog pings: never a gap that would make systemd kill the service.
  watchdogs.clear();
  Clock::time_point last = *ready_at;
  std::chrono::milliseconds longest_gap{0};
  while (Clock::now() < *ready_at + 2s) {
    const auto datagram = systemd.receive(100ms);
    if (!datagram || !has(datagram->text, "WATCHDOG=1")) continue;
    longest_gap = std::max(longest_gap, std::chrono::duration_cast<std::chrono::milliseconds>(datagram->at - last));
    last = datagram->at;
    watchdogs.push_back(datagram->at);
  }
  EXPECT_GE(watchdogs.size(), 3u) << "WATCHDOG=1 pings in 2 s with WATCHDOG_USEC=400 ms";
  EXPECT_LT(longest_gap, kWatchdog) << "a gap between pings longer than WATCHDOG_USEC";

  // SIGTERM: STOPPING=1, then a clean exit.
  serve.signal(SIGTERM);
  bool stopping = false;
  for (auto until = Clock::now() + 30s; Clock::now() < until && !stopping;) {
    if (const auto datagram = systemd.receive(200ms)) stopping = has(datagram->text, "STOPPING=1");
  }
  EXPECT_TRUE(stopping) << "no STOPPING=1 after SIGTERM";
  ASSERT_TRUE(serve.wait_exit(30s)) << read_text(dir / "serve.log");
  EXPECT_EQ(serve.status(), 0) << read_text(dir / "serve.log");
  if (!::testing::Test::HasFailure()) fs::remove_all(dir);
}

}  // namespace
}  // namespace umpire::testing
