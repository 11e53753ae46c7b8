// ops/systemd_notifier.cpp — see the header.
#include "ops/systemd_notifier.hpp"

#include <systemd/sd-daemon.h>

namespace umpire::ops {
namespace {

// STATUS= is one line: a newline would start a new assignment.
std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n') c = ' ';
  }
  return text;
}

}  // namespace

void SystemdNotifier::ready(const std::string& status) const {
  sd_notify(0, ("READY=1\nSTATUS=" + one_line(status)).c_str());
}

void SystemdNotifier::status(const std::string& status) const { sd_notify(0, ("STATUS=" + one_line(status)).c_str()); }

void SystemdNotifier::stopping(const std::string& status) const {
  sd_notify(0, ("STOPPING=1\nSTATUS=" + one_line(status)).c_str());
}

void SystemdNotifier::watchdog() const { sd_notify(0, "WATCHDOG=1"); }

std::optional<std::chrono::microseconds> SystemdNotifier::watchdog_ping_interval() const {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec / 2);
}

}  // namespace umpire::ops
