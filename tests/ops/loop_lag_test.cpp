// The event-loop lag probe: a loop held up by a long handler shows up as lag about as long as the hold-up, and a
// stopped probe records nothing more and lets the loop run out of work.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "ops/loop_lag.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using umpire::ops::LoopLagProbe;

TEST(LoopLagProbe, AHandlerThatHoldsTheLoopIsSeenAsLagAndStopEndsTheSampling) {
  asio::io_context io;
  std::vector<LoopLagProbe::Clock::duration> lags;
  std::shared_ptr<LoopLagProbe> probe;
  bool held = false;
  probe = LoopLagProbe::start(io.get_executor(), 1ms, [&](LoopLagProbe::Clock::duration lag) {
    lags.push_back(lag);
    // After a few quiet samples, one handler holds the loop for 40 ms: the probe's next wake-up is due 1 ms after
    // this sample, so it runs at least 39 ms late.
    if (lags.size() == 3 && !held) {
      held = true;
      asio::post(io, [] { std::this_thread::sleep_for(40ms); });
    }
    if (lags.size() == 6) probe->stop();
  });
  io.run();  // returns only if the stopped probe left no wake-up pending

  ASSERT_EQ(lags.size(), 6u) << "nothing is recorded after stop()";
  EXPECT_GE(lags[3], 39ms) << "the sample after the hold-up";
  for (const auto lag : lags) EXPECT_GE(lag, LoopLagProbe::Clock::duration::zero());
}

TEST(LoopLagProbe, OnALoopRunByTwoThreadsItSamplesAndStopLetsBothThreadsReturn) {
  asio::io_context io(2);
  std::atomic<int> samples{0};
  std::atomic<int> inside{0};
  std::atomic<bool> overlapped{false};
  std::shared_ptr<LoopLagProbe> probe;
  probe = LoopLagProbe::start(io.get_executor(), 1ms, [&](LoopLagProbe::Clock::duration) {
    if (inside.fetch_add(1) != 0) overlapped = true;  // two records at once: the strand failed
    if (samples.fetch_add(1) + 1 == 20) probe->stop();
    inside.fetch_sub(1);
  });
  std::thread second([&] { io.run(); });
  io.run();
  second.join();
  EXPECT_EQ(samples.load(), 20) << "nothing is recorded after stop()";
  EXPECT_FALSE(overlapped.load());
}
