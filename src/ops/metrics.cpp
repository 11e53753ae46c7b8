// ops/metrics.cpp — see the header.
#include "ops/metrics.hpp"

#include <charconv>
#include <cmath>
#include <set>
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

// The shortest text that reads back as the same double ("0.00025", "5e-05", "10"); ostream's default 6 digits
// would round a large histogram sum.
std::string format_double(double value) {
  char text[32];
  const auto [end, error] = std::to_chars(text, text + sizeof text, value);
  return error == std::errc() ? std::string(text, end) : "NaN";
}

// Umpire's names are snake_case ([a-z_][a-z0-9_]*), which is also what promtool's lint accepts without complaint.
bool is_snake_case_name(const std::string& name) {
  if (name.empty() || !((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_')) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

bool ends_with(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A bad name or label set is a programming error, found by the first test that registers it.
void check_series(const std::string& name, const Labels& labels, bool is_counter) {
  if (!is_snake_case_name(name)) throw std::logic_error("metric name " + name + " is not snake_case");
  if (is_counter && !ends_with(name, "_total")) throw std::logic_error("counter " + name + " must end in _total");
  for (const auto reserved : {"_bucket", "_sum", "_count"}) {
    if (ends_with(name, reserved)) throw std::logic_error("metric " + name + " ends in reserved suffix " + reserved);
  }
  std::set<std::string> seen;
  for (const auto& [label, value] : labels) {
    if (!is_snake_case_name(label) || label.starts_with("__")) {
      throw std::logic_error("metric " + name + ": bad label name " + label);
    }
    if (label == "le" || label == "quantile") throw std::logic_error("metric " + name + ": reserved label " + label);
    if (!seen.insert(label).second) throw std::logic_error("metric " + name + ": label " + label + " twice");
  }
}

std::string with_label(const std::string& rendered, const std::string& name, const std::string& value) {
  const std::string extra = name + "=\"" + value + "\"";
  if (rendered.empty()) return "{" + extra + "}";
  return rendered.substr(0, rendered.size() - 1) + "," + extra + "}";
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    // +Inf is always rendered last; a finite, strictly ascending list keeps the buckets cumulative and distinct.
    if (!std::isfinite(bounds_[i]) || (i > 0 && bounds_[i] <= bounds_[i - 1])) {
      throw std::logic_error("histogram bucket bounds must be finite and strictly ascending");
    }
  }
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
  check_series(name, labels, true);
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, Kind::counter).counters[render_labels(labels)];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& Registry::gauge(const std::string& name, const std::string& help, const Labels& labels) {
  check_series(name, labels, false);
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, Kind::gauge).gauges[render_labels(labels)];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& Registry::histogram(const std::string& name, const std::string& help, const Labels& labels,
                               std::vector<double> upper_bounds) {
  check_series(name, labels, false);
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
            out << name << "_bucket" << with_label(labels, "le", format_double(histogram->upper_bounds()[i])) << " "
                << cumulative << "\n";
          }
          cumulative += histogram->bucket_count(histogram->upper_bounds().size());
          out << name << "_bucket" << with_label(labels, "le", "+Inf") << " " << cumulative << "\n";
          out << name << "_sum" << labels << " " << format_double(histogram->sum_seconds()) << "\n";
          out << name << "_count" << labels << " " << cumulative << "\n";
        }
        break;
    }
  }
  return out.str();
}

}  // namespace umpire::ops
