// ops/metrics.cpp — see the header.
#include "ops/metrics.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace umpire::ops {
namespace {

std::string escape_label_value(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string escape_help(const std::string& help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string format_bound(double bound) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", bound);
  return text;
}

std::string with_label(const std::string& rendered, const std::string& name, const std::string& value) {
  const std::string extra = name + "=\"" + value + "\"";
  if (rendered.empty()) return "{" + extra + "}";
  return rendered.substr(0, rendered.size() - 1) + "," + extra + "}";
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
  for (std::size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void Histogram::observe_seconds(double seconds) {
  std::size_t bucket = 0;
  while (bucket < bounds_.size() && seconds > bounds_[bucket]) ++bucket;
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<std::uint64_t>(std::llround(std::max(0.0, seconds) * 1e9)), std::memory_order_relaxed);
}

std::vector<double> latency_buckets() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::string render_labels(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ",";
    out += labels[i].first + "=\"" + escape_label_value(labels[i].second) + "\"";
  }
  return out + "}";
}

Registry::Family& Registry::family(const std::string& name, const std::string& help, Kind kind) {
  auto [it, inserted] = families_.try_emplace(name, Family{kind, help, {}, {}, {}});
  if (!inserted && it->second.kind != kind) throw std::logic_error("metric " + name + " registered with two types");
  return it->second;
}

Counter& Registry::counter(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, Kind::counter).counters[render_labels(labels)];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& Registry::gauge(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, Kind::gauge).gauges[render_labels(labels)];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& Registry::histogram(const std::string& name, const std::string& help, const Labels& labels,
                               std::vector<double> upper_bounds) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, Kind::histogram).histograms[render_labels(labels)];
  if (!slot) slot = std::make_unique<Histogram>(std::move(upper_bounds));
  return *slot;
}

std::string Registry::render() const {
  std::lock_guard lock(mutex_);
  std::ostringstream out;
  for (const auto& [name, family] : families_) {
    out << "# HELP " << name << " " << escape_help(family.help) << "\n";
    switch (family.kind) {
      case Kind::counter:
        out << "# TYPE " << name << " counter\n";
        for (const auto& [labels, counter] : family.counters) out << name << labels << " " << counter->value() << "\n";
        break;
      case Kind::gauge:
        out << "# TYPE " << name << " gauge\n";
        for (const auto& [labels, gauge] : family.gauges) out << name << labels << " " << gauge->value() << "\n";
        break;
      case Kind::histogram:
        out << "# TYPE " << name << " histogram\n";
        for (const auto& [labels, histogram] : family.histograms) {
          std::uint64_t cumulative = 0;
          for (std::size_t i = 0; i < histogram->upper_bounds().size(); ++i) {
            cumulative += histogram->bucket_count(i);
            out << name << "_bucket" << with_label(labels, "le", format_bound(histogram->upper_bounds()[i])) << " "
                << cumulative << "\n";
          }
          cumulative += histogram->bucket_count(histogram->upper_bounds().size());
          out << name << "_bucket" << with_label(labels, "le", "+Inf") << " " << cumulative << "\n";
          out << name << "_sum" << labels << " " << histogram->sum_seconds() << "\n";
          out << name << "_count" << labels << " " << cumulative << "\n";
        }
        break;
    }
  }
  return out.str();
}

}  // namespace umpire::ops
