// bots/latency_histogram.cpp — see the header.
#include "bots/latency_histogram.hpp"

#include <bit>
#include <cmath>

namespace umpire::bots {

std::size_t LatencyHistogram::bucket_of(std::uint64_t value) {
  if (value < kLinear) return static_cast<std::size_t>(value);
  // value has `width` significant bits (width >= kSubBits + 2); keep the top kSubBits + 1 of them.
  const unsigned width = 64 - static_cast<unsigned>(std::countl_zero(value));
  const unsigned shift = width - kSubBits - 1;
  const std::size_t sub = static_cast<std::size_t>(value >> shift) - (std::size_t{1} << kSubBits);  // 0..127
  return kLinear + (shift - 1) * (std::size_t{1} << kSubBits) + sub;
}

std::uint64_t LatencyHistogram::upper_bound_of(std::size_t bucket) {
  if (bucket < kLinear) return bucket;
  const std::size_t offset = bucket - kLinear;
  const unsigned shift = static_cast<unsigned>(offset >> kSubBits) + 1;
  const std::uint64_t sub = offset & ((std::size_t{1} << kSubBits) - 1);
  const std::uint64_t low = ((std::uint64_t{1} << kSubBits) + sub) << shift;
  return low + ((std::uint64_t{1} << shift) - 1);
}

void LatencyHistogram::record(std::uint64_t value) {
  buckets_[bucket_of(value)].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  std::uint64_t seen = max_.load(std::memory_order_relaxed);
  while (value > seen && !max_.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
}

void LatencyHistogram::reset() {
  for (auto& bucket : buckets_) bucket.store(0, std::memory_order_relaxed);
  count_.store(0, std::memory_order_relaxed);
  max_.store(0, std::memory_order_relaxed);
}

std::uint64_t LatencyHistogram::percentile(double percent) const {
  const std::uint64_t total = count();
  if (total == 0) return 0;
  // Nearest rank: the ceil(p/100 * n)-th smallest sample (1-based).
  auto rank = static_cast<std::uint64_t>(std::ceil(percent / 100.0 * static_cast<double>(total)));
  if (rank == 0) rank = 1;
  std::uint64_t seen = 0;
  for (std::size_t bucket = 0; bucket < kBuckets; ++bucket) {
    seen += buckets_[bucket].load(std::memory_order_relaxed);
    if (seen >= rank) {
      const std::uint64_t bound = upper_bound_of(bucket);
      return bound < max() ? bound : max();
    }
  }
  return max();
}

}  // namespace umpire::bots
