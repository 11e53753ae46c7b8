// gateway/rate_limiter.hpp — per-connection message rate limiting (a token bucket) and the per-wallet connection
// cap. Pure bookkeeping with time passed in, so the limits are tested without sleeping.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <unordered_map>

namespace umpire::gateway {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;
  // `rate_per_second` tokens refill each second, up to `burst`; the bucket starts full.
  TokenBucket(unsigned rate_per_second, unsigned burst, Clock::time_point now)
      : rate_(rate_per_second), burst_(burst), tokens_milli_(static_cast<std::uint64_t>(burst) * 1000), last_(now) {}

  // Takes one token if there is one.
  bool try_take(Clock::time_point now) {
    refill(now);
    if (tokens_milli_ < 1000) return false;
    tokens_milli_ -= 1000;
    return true;
  }

 private:
  void refill(Clock::time_point now) {
    if (now <= last_) return;
    const auto elapsed_us = std::chrono::duration_cast<std::chrono::microseconds>(now - last_).count();
    // Thousandths of a token, integer arithmetic: rate tokens/s = rate milli-tokens/ms.
    const std::uint64_t added = static_cast<std::uint64_t>(elapsed_us) * rate_ / 1000;
    tokens_milli_ = std::min<std::uint64_t>(tokens_milli_ + added, static_cast<std::uint64_t>(burst_) * 1000);
    last_ = now;
  }

  unsigned rate_;
  unsigned burst_;
  std::uint64_t tokens_milli_;  // thousandths of a token, so slow rates still refill between messages
  Clock::time_point last_;
};

// How many logged-in connections each wallet address holds. Lives on the gateway's strand.
class ConnectionsPerAddress {
 public:
  explicit ConnectionsPerAddress(unsigned max_per_address) : max_(max_per_address) {}
  // Counts one more connection for `address` unless it is at the cap.
  bool try_add(const std::string& address) {
    auto& count = counts_[address];
    if (count >= max_) return false;
    ++count;
    return true;
  }
  void remove(const std::string& address) {
    const auto it = counts_.find(address);
    if (it == counts_.end()) return;
    if (--it->second == 0) counts_.erase(it);
  }
  unsigned count(const std::string& address) const {
    const auto it = counts_.find(address);
    return it == counts_.end() ? 0 : it->second;
  }

 private:
  unsigned max_;
  std::unordered_map<std::string, unsigned> counts_;
};

}  // namespace umpire::gateway
