// ops/systemd_notifier.hpp — the service manager protocol of Type=notify units (READY=1, STATUS=, WATCHDOG=1,
// STOPPING=1) through libsystemd's sd_notify. Without $NOTIFY_SOCKET every call is a no-op, so `serve` behaves the
// same outside systemd.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace umpire::ops {

class SystemdNotifier {
 public:
  void ready(const std::string& status) const;
  void status(const std::string& status) const;
  void stopping(const std::string& status) const;
  void watchdog() const;
  // How often to send WATCHDOG=1 (half of WatchdogSec=), or nothing when the watchdog is off.
  std::optional<std::chrono::microseconds> watchdog_ping_interval() const;
};

}  // namespace umpire::ops
