// Token bucket and per-address connection cap, with time passed in.
#include <gtest/gtest.h>

#include "gateway/rate_limiter.hpp"

using namespace umpire::gateway;
using namespace std::chrono_literals;

TEST(TokenBucket, AllowsTheBurstThenTheRate) {
  const auto t0 = TokenBucket::Clock::time_point{};
  TokenBucket bucket(10, 5, t0);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(bucket.try_take(t0));
  EXPECT_FALSE(bucket.try_take(t0));
  EXPECT_FALSE(bucket.try_take(t0 + 99ms)) << "0.99 of a token after 99 ms at 10/s";
  EXPECT_TRUE(bucket.try_take(t0 + 100ms));
  EXPECT_FALSE(bucket.try_take(t0 + 100ms));
}

TEST(TokenBucket, RefillIsCappedAtTheBurst) {
  const auto t0 = TokenBucket::Clock::time_point{};
  TokenBucket bucket(100, 3, t0);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(bucket.try_take(t0));
  const auto later = t0 + 1h;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(bucket.try_take(later));
  EXPECT_FALSE(bucket.try_take(later));
}

TEST(ConnectionsPerAddress, CapsEachAddressSeparately) {
  ConnectionsPerAddress counts(2);
  EXPECT_TRUE(counts.try_add("0xA"));
  EXPECT_TRUE(counts.try_add("0xA"));
  EXPECT_FALSE(counts.try_add("0xA"));
  EXPECT_TRUE(counts.try_add("0xB"));
  counts.remove("0xA");
  EXPECT_EQ(counts.count("0xA"), 1u);
  EXPECT_TRUE(counts.try_add("0xA"));
  counts.remove("0xC");  // unknown: no effect
  EXPECT_EQ(counts.count("0xC"), 0u);
}
