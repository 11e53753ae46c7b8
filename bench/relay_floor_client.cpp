// bench/relay_floor_client.cpp — the load client of the relay floor (bench/relay_floor_server.cpp): N rooms of two
// WebSocket seats each, played closed-loop like `umpire bots --series --think-ms 0`: the seat whose turn it is sends
// a move (--in-bytes, the size of a protobuf Move) the moment it sees the previous move relayed, so every room has
// one move in flight. Each move carries its sequence number in its first 8 bytes, which the server echoes back.
// After a warm-up it measures one steady window: moves relayed, the mover's round trip (send → its own copy back),
// and the server's CPU (utime+stime from /proc/PID/stat) and RSS. Prints one JSON object on stdout.
//
// With --think-ms X the seat whose turn it is first waits a think drawn like `umpire bots --think-ms X` (uniform
// X/2..3X/2, bots::think_time), so the paced latency run has a floor measured the same way: what loopback, two
// event loops and this machine's scheduler cost a round trip when the server does nothing but echo.
//
// usage: umpire_relay_floor_client --connect 127.0.0.1:PORT --rooms N --server-pid PID
//                                  [--in-bytes 32] [--think-ms 0] [--warmup-seconds 3] [--seconds 10]
#include <unistd.h>

#include <array>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <future>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "bots/bot.hpp"
#include "ws_outbox.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using Socket = beast::websocket::stream<beast::tcp_stream>;
using Clock = std::chrono::steady_clock;
using umpire::bench::WsOutbox;

struct FloorOptions {
  std::string host = "127.0.0.1";
  std::string port;
  std::size_t rooms = 1;
  std::size_t in_bytes = 32;
  std::chrono::milliseconds think{0};
  unsigned warmup_seconds = 3;
  unsigned seconds = 10;
  long server_pid = 0;
  std::size_t connect_width = 128;  // handshakes in flight, so the listener's backlog holds
};

// Round trips: one bucket per microsecond up to a second, then one per millisecond up to 100 s (closed-loop runs
// of thousands of rooms queue for seconds); the last bucket collects the rest.
class MicrosHistogram {
 public:
  MicrosHistogram() : buckets_(kFineBuckets + kCoarseBuckets + 1, 0) {}
  void record(std::uint64_t micros) {
    const std::uint64_t index = micros < kFineBuckets ? micros
                                                      : std::min<std::uint64_t>(kFineBuckets + (micros - kFineBuckets) / 1000,
                                                                                buckets_.size() - 1);
    ++buckets_[index];
    ++count_;
  }
  std::uint64_t count() const { return count_; }
  std::uint64_t percentile(double p) const {
    if (count_ == 0) return 0;
    const auto rank = static_cast<std::uint64_t>(p / 100.0 * static_cast<double>(count_ - 1));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
      seen += buckets_[i];
      if (seen > rank) return i < kFineBuckets ? i : kFineBuckets + (i - kFineBuckets) * 1000;
    }
    return kFineBuckets + kCoarseBuckets * 1000;
  }

 private:
  static constexpr std::uint64_t kFineBuckets = 1'000'000;  // 1 µs each, up to 1 s
  static constexpr std::uint64_t kCoarseBuckets = 99'000;   // 1 ms each, up to 100 s
  std::vector<std::uint64_t> buckets_;
  std::uint64_t count_ = 0;
};

struct ProcessSample {
  double cpu_seconds = 0;  // utime + stime
  std::uint64_t rss_kib = 0, hwm_kib = 0;
};

ProcessSample sample_process(long pid) {
  ProcessSample sample;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');  // the command name may hold spaces; fields count from after it
  if (close == std::string::npos) throw std::runtime_error("cannot read /proc/" + std::to_string(pid) + "/stat");
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int index = 3; fields >> field; ++index) {  // field 3 is the state
    if (index == 14) utime = std::stoull(field);
    if (index == 15) {
      stime = std::stoull(field);
      break;
    }
  }
  sample.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmRSS:")) sample.rss_kib = std::stoull(line.substr(6));
    if (line.starts_with("VmHWM:")) sample.hwm_kib = std::stoull(line.substr(6));
  }
  return sample;
}

struct Seat;

struct Room {
  std::array<std::shared_ptr<Seat>, 2> seats;
  Clock::time_point sent_at;  // of the move in flight
};

struct Seat {
  explicit Seat(asio::any_io_executor executor) : ws(executor), outbox(ws) {}
  Socket ws;
  WsOutbox<Socket> outbox;
};

// Everything one run shares; lives in main's frame, used by the one io_context thread only.
struct FloorRun {
  FloorOptions options;
  std::vector<Room> rooms;
  tcp::endpoint endpoint;
  std::size_t next_seat = 0;  // connect order: room i's seats are 2i and 2i+1
  std::size_t seated = 0;
  std::size_t failures = 0;
  bool measuring = false;
  std::uint64_t moves_in_window = 0;
  std::uint64_t max_rtt_us = 0;
  MicrosHistogram rtt_us;
  std::mt19937_64 think_draws{0x5eed};
};

asio::awaitable<void> sleep_for(Clock::duration duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(duration);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

std::shared_ptr<const std::string> move_frame(std::size_t bytes, std::uint64_t seq) {
  auto frame = std::make_shared<std::string>(std::max<std::size_t>(bytes, 8), 'm');
  std::memcpy(frame->data(), &seq, sizeof seq);
  return frame;
}

// Seat `seat` of room `index`: read frames until the connection ends. Frame seq s was sent by seat (s-1)%2; seq 0
// is the server's start frame, answered by seat 0.
asio::awaitable<void> play(FloorRun& run, std::size_t index, unsigned seat) {
  auto self = run.rooms[index].seats[seat];
  beast::flat_buffer buffer;
  for (;;) {
    auto [error, bytes] = co_await self->ws.async_read(buffer, asio::as_tuple(asio::use_awaitable));
    if (error) co_return;
    std::uint64_t seq = 0;
    if (buffer.size() >= sizeof seq) std::memcpy(&seq, buffer.data().data(), sizeof seq);
    buffer.consume(buffer.size());
    Room& room = run.rooms[index];
    const bool mine = seq != 0 && (seq - 1) % 2 == seat;
    if (mine) {
      if (run.measuring) {
        ++run.moves_in_window;
        const auto rtt = static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - room.sent_at).count());
        run.rtt_us.record(rtt);
        run.max_rtt_us = std::max(run.max_rtt_us, rtt);
      }
    } else if (seq != 0 || seat == 0) {
      // Thinking inside the read loop holds nothing up: the other seat waits for this move.
      if (run.options.think.count() > 0) co_await sleep_for(umpire::bots::think_time(run.options.think, run.think_draws()));
      room.sent_at = Clock::now();
      self->outbox.send(move_frame(run.options.in_bytes, seq + 1), self);
    }
  }
}

// One of `connect_width` workers: connects seats in order until all are connected.
asio::awaitable<void> connect_seats(FloorRun& run) {
  auto executor = co_await asio::this_coro::executor;
  while (run.next_seat < run.rooms.size() * 2) {
    const std::size_t number = run.next_seat++;
    const std::size_t index = number / 2;
    const unsigned seat = static_cast<unsigned>(number % 2);
    auto seat_ptr = std::make_shared<Seat>(executor);
    auto [connect_error] =
        co_await beast::get_lowest_layer(seat_ptr->ws).async_connect(run.endpoint, asio::as_tuple(asio::use_awaitable));
    if (!connect_error) {
      beast::get_lowest_layer(seat_ptr->ws).socket().set_option(tcp::no_delay(true));
      seat_ptr->ws.binary(true);
      auto [handshake_error] = co_await seat_ptr->ws.async_handshake(run.options.host + ":" + run.options.port, "/",
                                                                     asio::as_tuple(asio::use_awaitable));
      connect_error = handshake_error;
    }
    if (connect_error) {
      ++run.failures;
      std::cerr << "seat " << number << ": " << connect_error.message() << "\n";
      continue;
    }
    run.rooms[index].seats[seat] = seat_ptr;
    std::uint64_t room_number = index;
    auto join = std::make_shared<std::string>(sizeof room_number, '\0');
    std::memcpy(join->data(), &room_number, sizeof room_number);
    seat_ptr->outbox.send(join, seat_ptr);
    ++run.seated;
    asio::co_spawn(executor, play(run, index, seat), asio::detached);
  }
}

asio::awaitable<nlohmann::ordered_json> measure(FloorRun& run) {
  auto executor = co_await asio::this_coro::executor;
  const auto connect_started = Clock::now();
  for (std::size_t w = 0; w < run.options.connect_width; ++w) asio::co_spawn(executor, connect_seats(run), asio::detached);
  // Bounded: every seat connects or fails within a few minutes.
  while (run.seated + run.failures < run.rooms.size() * 2 && Clock::now() - connect_started < std::chrono::minutes(5)) {
    co_await sleep_for(std::chrono::milliseconds(50));
  }
  const double connect_s = std::chrono::duration<double>(Clock::now() - connect_started).count();
  if (run.failures > 0 || run.seated < run.rooms.size() * 2) {
    throw std::runtime_error(std::to_string(run.seated) + " of " + std::to_string(run.rooms.size() * 2) +
                             " seats connected");
  }
  co_await sleep_for(std::chrono::seconds(run.options.warmup_seconds));
  const ProcessSample before = sample_process(run.options.server_pid);
  const auto window_started = Clock::now();
  run.measuring = true;
  co_await sleep_for(std::chrono::seconds(run.options.seconds));
  run.measuring = false;
  const ProcessSample after = sample_process(run.options.server_pid);
  const double window_s = std::chrono::duration<double>(Clock::now() - window_started).count();
  const double cpu_s = after.cpu_seconds - before.cpu_seconds;
  nlohmann::ordered_json out;
  out["rooms"] = run.rooms.size();
  out["connections"] = run.seated;
  out["connect_seconds"] = connect_s;
  out["in_bytes"] = run.options.in_bytes;
  out["window_seconds"] = window_s;
  out["moves"] = run.moves_in_window;
  out["moves_per_s"] = static_cast<double>(run.moves_in_window) / window_s;
  out["server_cpu_seconds"] = cpu_s;
  out["server_cpu_us_per_move"] = run.moves_in_window ? cpu_s * 1e6 / static_cast<double>(run.moves_in_window) : 0.0;
  out["server_cpu_utilisation"] = cpu_s / window_s;
  out["think_ms"] = run.options.think.count();
  out["move_rtt_us"] = {{"p50", run.rtt_us.percentile(50)},
                        {"p90", run.rtt_us.percentile(90)},
                        {"p99", run.rtt_us.percentile(99)},
                        {"max", run.max_rtt_us}};
  out["server_vmrss_kib"] = after.rss_kib;
  out["server_vmhwm_kib"] = after.hwm_kib;
  co_return out;
}

FloorOptions parse(int argc, char** argv) {
  FloorOptions options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--connect") {
      const auto colon = value.rfind(':');
      if (colon == std::string::npos) throw std::invalid_argument("--connect expects HOST:PORT");
      options.host = value.substr(0, colon);
      options.port = value.substr(colon + 1);
    } else if (flag == "--rooms") {
      options.rooms = std::stoul(value);
    } else if (flag == "--in-bytes") {
      options.in_bytes = std::stoul(value);
    } else if (flag == "--think-ms") {
      options.think = std::chrono::milliseconds(std::stoul(value));
    } else if (flag == "--warmup-seconds") {
      options.warmup_seconds = static_cast<unsigned>(std::stoul(value));
    } else if (flag == "--seconds") {
      options.seconds = static_cast<unsigned>(std::stoul(value));
    } else if (flag == "--server-pid") {
      options.server_pid = std::stol(value);
    } else {
      throw std::invalid_argument("unknown flag " + flag);
    }
  }
  if (options.port.empty() || options.server_pid <= 0 || options.rooms == 0 || options.seconds == 0) {
    throw std::invalid_argument("--connect, --server-pid, --rooms and --seconds are required");
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  // Declared before the run so that it outlives the seats the run holds (their sockets belong to it).
  asio::io_context io(1);
  FloorRun run;
  try {
    run.options = parse(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "umpire_relay_floor_client: " << error.what()
              << "\nusage: umpire_relay_floor_client --connect HOST:PORT --rooms N --server-pid PID"
                 " [--in-bytes B] [--think-ms X] [--warmup-seconds W] [--seconds S]\n";
    return 2;
  }
  try {
    run.endpoint = tcp::endpoint(asio::ip::make_address(run.options.host),
                                 static_cast<unsigned short>(std::stoul(run.options.port)));
    run.rooms.resize(run.options.rooms);
    auto result = asio::co_spawn(io, measure(run), asio::use_future);
    // The seats' read loops never end on their own: stop the loop once the measurement is in.
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
      while (result.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        co_await sleep_for(std::chrono::milliseconds(20));
      }
      io.stop();
    }, asio::detached);
    io.run();
    std::cout << result.get().dump() << std::endl;
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "umpire_relay_floor_client: " << error.what() << "\n";
    return 1;
  }
}
