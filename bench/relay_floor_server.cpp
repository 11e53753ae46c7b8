// bench/relay_floor_server.cpp — the physical floor of a relayed move: a minimal Boost.Beast WebSocket server on
// one thread (C++20 coroutines) that does what the relay path must do at the very least and nothing else. Each
// connection first sends one binary frame holding its room number (8 bytes, little-endian); two connections with
// the same number are the two seats of a room, and both get a start frame. From then on every binary frame a seat
// sends (a "move", the size of a protobuf Move) is answered by one frame of --out-bytes (the size of a
// MoveApplied) to each of the two seats: 1 frame in, 2 out, to two peers, exactly the count pattern of a relayed
// move. No parsing, no rules, no journal, no checkpoints. bench/run measures its CPU per move from /proc and
// divides Umpire's by it.
//
// usage: umpire_relay_floor_server --listen 127.0.0.1:PORT --out-bytes N
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <unordered_map>

#include "ws_outbox.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using Socket = beast::websocket::stream<beast::tcp_stream>;
using umpire::bench::WsOutbox;

// One seat: its socket, its outbox and the other seat of its room once paired.
struct Seat {
  explicit Seat(tcp::socket socket) : ws(std::move(socket)), outbox(ws) {}
  Socket ws;
  WsOutbox<Socket> outbox;
  std::weak_ptr<Seat> peer;
};

// Seats waiting for the other seat of their room, by room number. Lives in main's frame; one thread uses it.
using WaitingSeats = std::unordered_map<std::uint64_t, std::shared_ptr<Seat>>;

asio::awaitable<void> serve_seat(tcp::socket socket, WaitingSeats& waiting, std::size_t out_bytes) {
  auto seat = std::make_shared<Seat>(std::move(socket));
  seat->ws.binary(true);
  seat->ws.set_option(beast::websocket::stream_base::timeout::suggested(beast::role_type::server));
  auto [accept_error] = co_await seat->ws.async_accept(asio::as_tuple(asio::use_awaitable));
  if (accept_error) co_return;
  beast::flat_buffer buffer;
  auto [join_error, join_bytes] = co_await seat->ws.async_read(buffer, asio::as_tuple(asio::use_awaitable));
  if (join_error || buffer.size() < sizeof(std::uint64_t)) co_return;
  std::uint64_t room = 0;
  std::memcpy(&room, buffer.data().data(), sizeof room);
  buffer.consume(buffer.size());
  if (auto other = waiting.find(room); other != waiting.end()) {
    seat->peer = other->second;
    other->second->peer = seat;
    auto start = std::make_shared<const std::string>(out_bytes, '\0');
    seat->outbox.send(start, seat);
    other->second->outbox.send(start, other->second);
    waiting.erase(other);
  } else {
    waiting[room] = seat;
  }
  for (;;) {
    auto [error, bytes] = co_await seat->ws.async_read(buffer, asio::as_tuple(asio::use_awaitable));
    if (error) break;
    // One frame shared by both seats, built from the move's bytes (as a relay echoes the move).
    auto frame = std::make_shared<std::string>(out_bytes, '\0');
    std::memcpy(frame->data(), buffer.data().data(), std::min(out_bytes, buffer.size()));
    buffer.consume(buffer.size());
    std::shared_ptr<const std::string> shared = std::move(frame);
    seat->outbox.send(shared, seat);
    if (auto peer = seat->peer.lock()) peer->outbox.send(shared, peer);
  }
  if (auto it = waiting.find(room); it != waiting.end() && it->second == seat) waiting.erase(it);
  if (auto peer = seat->peer.lock()) peer->peer.reset();
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, WaitingSeats& waiting, std::size_t out_bytes) {
  for (;;) {
    auto [error, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (error) {
      if (error == asio::error::operation_aborted) co_return;
      continue;  // e.g. EMFILE: keep serving the seats we have
    }
    socket.set_option(tcp::no_delay(true));
    asio::co_spawn(acceptor.get_executor(), serve_seat(std::move(socket), waiting, out_bytes), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:0";
  std::size_t out_bytes = 48;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--listen") listen = argv[i + 1];
    else if (flag == "--out-bytes") out_bytes = std::stoul(argv[i + 1]);
    else {
      std::cerr << "usage: umpire_relay_floor_server --listen HOST:PORT --out-bytes N\n";
      return 2;
    }
  }
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || out_bytes < 8) {
    std::cerr << "umpire_relay_floor_server: --listen HOST:PORT and --out-bytes >= 8\n";
    return 2;
  }
  asio::io_context io(1);
  tcp::acceptor acceptor(io);
  try {
    const tcp::endpoint endpoint(asio::ip::make_address(listen.substr(0, colon)),
                                 static_cast<unsigned short>(std::stoul(listen.substr(colon + 1))));
    acceptor.open(endpoint.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(4096);
  } catch (const std::exception& error) {
    std::cerr << "umpire_relay_floor_server: cannot listen on " << listen << ": " << error.what() << "\n";
    return 1;
  }
  WaitingSeats waiting;
  asio::co_spawn(io, accept_loop(acceptor, waiting, out_bytes), asio::detached);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) { io.stop(); });
  std::cout << "listening " << acceptor.local_endpoint().port() << std::endl;
  io.run();
  return 0;
}
