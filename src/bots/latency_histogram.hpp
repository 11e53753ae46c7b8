// bots/latency_histogram.hpp — a lock-free histogram of latencies for the load test: thousands of bots record into
// one instance from any thread (relaxed atomic counters), and percentiles are read at the end or for progress.
// Log-linear buckets: values below 256 are exact; above, each power of two is cut into 128 buckets, so a reported
// percentile is at most 1/128 (0.8 %) above the true sample. The maximum is exact.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace umpire::bots {

class LatencyHistogram {
 public:
  void record(std::uint64_t value);
  // Forgets every sample (a measurement window opens). Samples recorded while it runs may be kept or lost: they
  // are at the window's edge either way.
  void reset();

  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  std::uint64_t max() const { return max_.load(std::memory_order_relaxed); }
  // Nearest rank: the smallest recorded bucket's upper bound below which at least `percent` % of the samples lie
  // (clamped to max()). 0 when empty. percent in (0, 100].
  std::uint64_t percentile(double percent) const;

  // Bucket arithmetic, public for tests.
  static std::size_t bucket_of(std::uint64_t value);
  static std::uint64_t upper_bound_of(std::size_t bucket);

 private:
  static constexpr unsigned kSubBits = 7;                   // 128 buckets per power of two
  static constexpr std::size_t kLinear = 2u << kSubBits;     // 0..255 exact
  static constexpr std::size_t kBuckets = kLinear + (64 - kSubBits - 1) * (1u << kSubBits);

  std::array<std::atomic<std::uint64_t>, kBuckets> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> max_{0};
};

}  // namespace umpire::bots
