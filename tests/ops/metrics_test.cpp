// Metrics: the text exposition format (types, cumulative buckets, label escaping) and thread-safe updates.
#include <gtest/gtest.h>

#include <thread>

#include "ops/metrics.hpp"

using namespace umpire::ops;

TEST(Metrics, RendersCountersGaugesAndHistogramsInExpositionFormat) {
  Registry registry;
  registry.counter("umpire_moves_relayed_total", "Moves relayed to players.").increment(3);
  registry.gauge("umpire_rooms", "Rooms by state.", {{"state", "playing"}}).set(2);
  auto& latency = registry.histogram("umpire_move_relay_seconds", "Move relay latency.", {}, {0.001, 0.01});
  latency.observe_seconds(0.0005);
  latency.observe_seconds(0.005);
  latency.observe_seconds(5);
  const std::string text = registry.render();
  EXPECT_NE(text.find("# TYPE umpire_moves_relayed_total counter\numpire_moves_relayed_total 3\n"), std::string::npos);
  EXPECT_NE(text.find("umpire_rooms{state=\"playing\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("umpire_move_relay_seconds_bucket{le=\"0.001\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("umpire_move_relay_seconds_bucket{le=\"0.01\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("umpire_move_relay_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("umpire_move_relay_seconds_count 3\n"), std::string::npos);
  EXPECT_NE(text.find("umpire_move_relay_seconds_sum 5.0055\n"), std::string::npos) << text;
}

TEST(Metrics, SameNameAndLabelsIsTheSameSeries) {
  Registry registry;
  auto& a = registry.counter("c_total", "h", {{"method", "create_app_session"}});
  auto& b = registry.counter("c_total", "h", {{"method", "create_app_session"}});
  auto& other = registry.counter("c_total", "h", {{"method", "close_app_session"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &other);
  EXPECT_THROW(registry.gauge("c_total", "h"), std::logic_error);
}

TEST(Metrics, LabelValuesAreEscaped) {
  EXPECT_EQ(render_labels({{"reason", "a\"b\\c\nd"}}), R"({reason="a\"b\\c\nd"})");
}

TEST(Metrics, ConcurrentIncrementsAreNotLost) {
  Registry registry;
  auto& counter = registry.counter("n_total", "h");
  auto& histogram = registry.histogram("h_seconds", "h");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        counter.increment();
        histogram.observe_seconds(0.0001);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(counter.value(), 40000u);
  EXPECT_EQ(histogram.count(), 40000u);
}

TEST(Metrics, RejectsNamesAndLabelsPromtoolWouldFlag) {
  Registry registry;
  EXPECT_THROW(registry.counter("umpire_moves", "no _total"), std::logic_error);
  EXPECT_THROW(registry.gauge("umpire-rooms", "dash"), std::logic_error);
  EXPECT_THROW(registry.gauge("umpireRooms", "camel case"), std::logic_error);
  EXPECT_THROW(registry.gauge("1rooms", "leading digit"), std::logic_error);
  EXPECT_THROW(registry.gauge("rooms_count", "reserved suffix"), std::logic_error);
  EXPECT_THROW(registry.gauge("rooms", "h", {{"le", "1"}}), std::logic_error);
  EXPECT_THROW(registry.gauge("rooms", "h", {{"__name", "x"}}), std::logic_error);
  EXPECT_THROW(registry.gauge("rooms", "h", {{"state", "a"}, {"state", "b"}}), std::logic_error);
  EXPECT_THROW(registry.histogram("latency_seconds", "h", {}, {0.1, 0.01}), std::logic_error);
  EXPECT_THROW(registry.histogram("latency_seconds", "h", {}, {0.1, 0.1}), std::logic_error);
  EXPECT_NO_THROW(registry.gauge("umpire_rooms", "h", {{"state", "playing"}}));
  EXPECT_NO_THROW(registry.counter("umpire_moves_relayed_total", "h"));
}

TEST(Metrics, HistogramSumKeepsItsDigitsAndBoundsReadBackExactly) {
  Registry registry;
  auto& histogram = registry.histogram("h_seconds", "h", {}, {0.00025, 2.5});
  histogram.observe_seconds(123456.789);  // six significant digits would print 123457
  const std::string text = registry.render();
  EXPECT_NE(text.find("h_seconds_sum 123456.789\n"), std::string::npos) << text;
  EXPECT_NE(text.find("h_seconds_bucket{le=\"0.00025\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("h_seconds_bucket{le=\"2.5\"} 0\n"), std::string::npos) << text;
}
