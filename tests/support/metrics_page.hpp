// tests/support/metrics_page.hpp — reads a running server's admin pages (/metrics, /readyz on its admin listener)
// and single samples from them, for tests that watch what the server is doing.
#pragma once

#include <boost/asio.hpp>
#include <string>

namespace umpire::testing {

// The whole HTTP response of GET `path` on 127.0.0.1:`port`; empty if the server does not answer.
inline std::string http_get(std::uint16_t port, const std::string& path) {
  try {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    boost::asio::write(socket, boost::asio::buffer(request));
    std::string page;
    boost::system::error_code ec;
    boost::asio::read(socket, boost::asio::dynamic_buffer(page), ec);
    return page;
  } catch (const std::exception&) {
    return {};
  }
}

// The whole HTTP response of GET /metrics on 127.0.0.1:`port`; empty if the server does not answer.
inline std::string metrics_page(std::uint16_t port) { return http_get(port, "/metrics"); }

// The value of one sample line (`name{labels} value`), 0 if absent.
inline double sample(const std::string& page, const std::string& series) {
  const auto at = page.find("\n" + series + " ");
  if (at == std::string::npos) return 0;
  return std::stod(page.substr(at + series.size() + 2));
}

inline double rooms_in(const std::string& page, const std::string& state) {
  return sample(page, "umpire_rooms{state=\"" + state + "\"}");
}

}  // namespace umpire::testing
