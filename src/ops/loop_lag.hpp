// ops/loop_lag.hpp — the event-loop lag probe: how late a loop runs a handler that is due. It asks the loop to wake
// it every `period` and reports how long after the due time it ran. A loop busy with a long handler or a burst of
// them, and a thread waiting for its CPU (another thread, another process, the hypervisor), both show up here and
// nowhere else: a move's own handling time (umpire_move_relay_seconds) does not see the queue in front of it.
// Header-only and Asio-only, so that the server (a metric) and the load bots (their summary) share it.
//
// Sampling: a stall of length D is seen when a wake-up falls inside it (with chance min(1, D / period)), and then
// only its part after that wake-up; a short period sees short stalls and costs a wake-up each time.
#pragma once

#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <functional>
#include <memory>

namespace umpire::ops {

class LoopLagProbe : public std::enable_shared_from_this<LoopLagProbe> {
 public:
  using Clock = std::chrono::steady_clock;
  using Record = std::function<void(Clock::duration lag)>;

  // Starts sampling on `executor` and runs until stop(). Its handlers run on a strand of their own, so a loop run by
  // several threads never runs two of them at once (`record` included).
  static std::shared_ptr<LoopLagProbe> start(const boost::asio::any_io_executor& executor, Clock::duration period,
                                             Record record) {
    const boost::asio::any_io_executor strand = boost::asio::make_strand(executor);
    auto probe = std::shared_ptr<LoopLagProbe>(new LoopLagProbe(strand, period, std::move(record)));
    boost::asio::post(strand, [probe] { probe->arm(); });
    return probe;
  }

  // From any thread. On the loop's own thread (or with the loop stopped) no record runs after this returns; from
  // another thread, one already running may finish.
  void stop() {
    stopped_ = true;
    boost::asio::post(timer_.get_executor(), [self = shared_from_this()] { self->timer_.cancel(); });
  }

 private:
  LoopLagProbe(const boost::asio::any_io_executor& executor, Clock::duration period, Record record)
      : timer_(executor), period_(period), record_(std::move(record)) {}

  // The next wake-up is a period after this one ran, not after it was due: a long stall is one sample, not a burst
  // of catch-up samples each reporting the same stall again.
  void arm() {
    if (stopped_) return;
    timer_.expires_after(period_);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
      if (error || self->stopped_) return;
      const auto lag = Clock::now() - self->timer_.expiry();
      self->record_(lag < Clock::duration::zero() ? Clock::duration::zero() : lag);
      self->arm();
    });
  }

  boost::asio::steady_timer timer_;
  Clock::duration period_;
  Record record_;
  std::atomic<bool> stopped_{false};
};

}  // namespace umpire::ops
