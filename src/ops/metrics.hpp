// ops/metrics.hpp — Prometheus metrics: counters, gauges and histograms with fixed label sets, updated lock-free
// from any thread, rendered in the text exposition format for /metrics. A Registry object is created by `serve` and
// passed to the components that report; there is no global registry.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace umpire::ops {

using Labels = std::vector<std::pair<std::string, std::string>>;  // in the order they are rendered

class Counter {
 public:
  void increment(std::uint64_t by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void set(std::int64_t value) { value_.store(value, std::memory_order_relaxed); }
  void add(std::int64_t by) { value_.fetch_add(by, std::memory_order_relaxed); }
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

// Observations in seconds; buckets are upper bounds in seconds, finite and strictly ascending (+Inf is implied).
// Sum kept in nanoseconds (integer).
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe_seconds(double seconds);
  void observe_nanoseconds(std::uint64_t nanoseconds) { observe_seconds(static_cast<double>(nanoseconds) / 1e9); }
  const std::vector<double>& upper_bounds() const { return bounds_; }
  std::uint64_t bucket_count(std::size_t i) const { return counts_[i].load(std::memory_order_relaxed); }
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum_seconds() const { return static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // non-cumulative per bucket; rendered cumulatively
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_ns_{0};
};

// Latency buckets from 50 µs to 10 s, for move relay and ClearNode round trips.
std::vector<double> latency_buckets();

class Registry {
 public:
  // Returns the series for (name, labels), creating it on first use. The reference stays valid for the registry's
  // lifetime: components look series up once and keep the reference on their hot path. Names and label names are
  // snake_case, counters end in _total, histograms are in base units (…_seconds) and `le` is never a label;
  // anything else throws std::logic_error, so `promtool check metrics` has nothing to complain about.
  Counter& counter(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, const Labels& labels = {});
  Histogram& histogram(const std::string& name, const std::string& help, const Labels& labels = {},
                       std::vector<double> upper_bounds = latency_buckets());

  std::string render() const;  // text exposition format 0.0.4

 private:
  enum class Kind { counter, gauge, histogram };
  struct Family {
    Kind kind;
    std::string help;
    std::map<std::string, std::unique_ptr<Counter>> counters;  // keyed by rendered label text
    std::map<std::string, std::unique_ptr<Gauge>> gauges;
    std::map<std::string, std::unique_ptr<Histogram>> histograms;
  };
  Family& family(const std::string& name, const std::string& help, Kind kind);

  mutable std::mutex mutex_;  // guards the maps (registration and rendering), never the values
  std::map<std::string, Family> families_;
};

// `{a="x",b="y"}` with values escaped as the format requires; empty labels render as "".
std::string render_labels(const Labels& labels);

}  // namespace umpire::ops
