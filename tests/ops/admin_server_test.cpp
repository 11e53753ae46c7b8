// The admin listener: /metrics serves the registry, /healthz answers, /readyz follows the readiness check.
#include <gtest/gtest.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <thread>

#include "ops/admin_server.hpp"

using namespace umpire::ops;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

http::response<http::string_body> get(unsigned short port, const std::string& target) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  http::request<http::empty_body> request{http::verb::get, target, 11};
  request.set(http::field::host, "127.0.0.1");
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  return response;
}

}  // namespace

TEST(AdminServer, ServesMetricsHealthAndReadiness) {
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  Registry registry;
  registry.counter("umpire_test_total", "A test counter.").increment(7);
  std::atomic<bool> ready{false};
  auto server = std::make_shared<AdminServer>(
      io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0), registry,
      [&]() -> std::optional<std::string> {
        if (ready) return std::nullopt;
        return std::string("clearnode not authenticated");
      });
  server->start();
  std::thread runner([&] { io.run(); });
  const auto port = server->local_endpoint().port();

  const auto metrics = get(port, "/metrics");
  EXPECT_EQ(metrics.result(), http::status::ok);
  EXPECT_NE(metrics.body().find("umpire_test_total 7"), std::string::npos);
  EXPECT_NE(std::string(metrics[http::field::content_type]).find("version=0.0.4"), std::string::npos);
  EXPECT_EQ(get(port, "/healthz").result(), http::status::ok);
  const auto not_ready = get(port, "/readyz");
  EXPECT_EQ(not_ready.result(), http::status::service_unavailable);
  EXPECT_NE(not_ready.body().find("clearnode not authenticated"), std::string::npos);
  ready = true;
  EXPECT_EQ(get(port, "/readyz").result(), http::status::ok);
  EXPECT_EQ(get(port, "/nope").result(), http::status::not_found);

  server->stop();
  work.reset();
  io.stop();
  runner.join();
}
