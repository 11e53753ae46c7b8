// CorkedStream: the writes of one event-loop pass leave in one socket write, bytes keep their order (raw and as
// WebSocket messages framed by Beast), a peer that does not read holds the writer back instead of growing the
// buffer, a failed socket write fails the writes after it, and a flush waits until the socket has the bytes.
#include "gateway/corked_stream.hpp"

#include <gtest/gtest.h>

#include <boost/beast/websocket.hpp>
#include <functional>
#include <string>
#include <thread>
#include <vector>

using namespace umpire::gateway;
namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {

struct SocketPair {
  asio::io_context io;
  tcp::socket near{io};
  tcp::socket far{io};
  SocketPair() {
    tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    far.connect(acceptor.local_endpoint());
    acceptor.accept(near);
  }
};

std::string read_exactly(tcp::socket& socket, std::size_t size) {
  std::string bytes(size, '\0');
  asio::read(socket, asio::buffer(bytes));
  return bytes;
}

// Writes `parts` one after another, each started by the previous one's completion, as Beast's writer does.
void write_chain(CorkedStream<beast::tcp_stream>& stream, const std::vector<std::string>& parts, std::size_t index,
                 std::vector<beast::error_code>& results) {
  if (index == parts.size()) return;
  stream.async_write_some(asio::buffer(parts[index]),
                          [&stream, &parts, index, &results](beast::error_code error, std::size_t written) {
                            EXPECT_EQ(written, error ? 0 : parts[index].size());
                            results.push_back(error);
                            write_chain(stream, parts, index + 1, results);
                          });
}

}  // namespace

TEST(CorkedStream, WritesOfOnePassLeaveInOneSocketWriteInOrder) {
  SocketPair pair;
  CorkedStream<beast::tcp_stream> stream(beast::tcp_stream(std::move(pair.near)));
  const std::vector<std::string> parts = {"first;", "second;", "third;", std::string(3000, 'x')};
  std::vector<beast::error_code> results;
  write_chain(stream, parts, 0, results);
  EXPECT_TRUE(results.empty()) << "a completion ran inside the initiating call";
  pair.io.run();
  ASSERT_EQ(results.size(), parts.size());
  for (const auto& error : results) EXPECT_FALSE(error) << error.message();
  EXPECT_EQ(stream.socket_writes(), 1u);
  EXPECT_EQ(stream.pending_bytes(), 0u);
  std::string expected;
  for (const auto& part : parts) expected += part;
  EXPECT_EQ(read_exactly(pair.far, expected.size()), expected);
}

TEST(CorkedStream, WebSocketMessagesWrittenInABurstArriveWholeAndInOrder) {
  SocketPair pair;
  beast::websocket::stream<CorkedStream<beast::tcp_stream>> server(beast::tcp_stream(std::move(pair.near)));
  beast::websocket::stream<tcp::socket> client(std::move(pair.far));
  server.binary(true);
  bool accepted = false;
  server.async_accept([&](beast::error_code error) {
    ASSERT_FALSE(error) << error.message();
    accepted = true;
  });
  std::thread handshake([&] { client.handshake("127.0.0.1", "/"); });
  pair.io.run();
  handshake.join();
  ASSERT_TRUE(accepted);

  const std::vector<std::string> messages = {"a", std::string(200, 'b'), std::string(3000, 'c'), "d", "e"};
  std::size_t next = 0;
  std::function<void()> write_next = [&] {
    if (next == messages.size()) return;
    server.async_write(asio::buffer(messages[next]), [&](beast::error_code error, std::size_t) {
      ASSERT_FALSE(error) << error.message();
      ++next;
      write_next();
    });
  };
  const auto writes_before = server.next_layer().socket_writes();
  write_next();
  pair.io.restart();
  std::thread io([&] { pair.io.run(); });
  for (const auto& expected : messages) {
    beast::flat_buffer buffer;
    client.read(buffer);
    EXPECT_EQ(beast::buffers_to_string(buffer.data()), expected);
  }
  io.join();
  EXPECT_EQ(next, messages.size());
  // Five messages written one after another, each from the completion of the one before: one socket write.
  EXPECT_EQ(server.next_layer().socket_writes() - writes_before, 1u);
}

TEST(CorkedStream, APeerThatDoesNotReadHoldsTheWriterBackInsteadOfGrowingTheBuffer) {
  SocketPair pair;
  CorkedStream<beast::tcp_stream> stream(beast::tcp_stream(std::move(pair.near)));
  const std::string chunk(4096, 'z');
  std::size_t completed = 0;
  std::size_t peak_pending = 0;
  constexpr std::size_t kGiveUp = 256u * 1024 * 1024;  // far more than loopback's socket buffers take
  std::function<void()> write_more = [&] {
    if (completed * chunk.size() >= kGiveUp) return;
    stream.async_write_some(asio::buffer(chunk), [&](beast::error_code error, std::size_t) {
      ASSERT_FALSE(error) << error.message();
      ++completed;
      peak_pending = std::max(peak_pending, stream.pending_bytes());
      write_more();
    });
  };
  write_more();
  pair.io.run_for(std::chrono::seconds(3));
  EXPECT_LT(completed * chunk.size(), kGiveUp) << "the writer was never held back";
  EXPECT_LE(peak_pending, CorkedStream<beast::tcp_stream>::kHighWater + chunk.size());
}

TEST(CorkedStream, AFailedSocketWriteFailsTheWritesAfterItAndFlushReportsIt) {
  SocketPair pair;
  CorkedStream<beast::tcp_stream> stream(beast::tcp_stream(std::move(pair.near)));
  pair.far.set_option(asio::socket_base::linger(true, 0));
  pair.far.close();  // a reset: writes to it fail
  const std::string chunk(1024, 'q');
  beast::error_code last;
  int writes = 0;
  std::function<void()> write_more = [&] {
    stream.async_write_some(asio::buffer(chunk), [&](beast::error_code error, std::size_t written) {
      ++writes;
      last = error;
      if (error) {
        EXPECT_EQ(written, 0u);
        return;
      }
      if (writes < 1000) write_more();
    });
  };
  write_more();
  pair.io.run_for(std::chrono::seconds(5));
  EXPECT_TRUE(last) << "no write failed after " << writes << " writes to a reset peer";
  beast::error_code flushed;
  bool flush_done = false;
  stream.async_flush([&](beast::error_code error) {
    flushed = error;
    flush_done = true;
  });
  EXPECT_FALSE(flush_done) << "the flush completed inside its initiating call";
  pair.io.restart();
  pair.io.run_for(std::chrono::seconds(1));
  EXPECT_TRUE(flush_done);
  EXPECT_TRUE(flushed);
}

TEST(CorkedStream, FlushCompletesOnceTheSocketHasEveryByte) {
  SocketPair pair;
  CorkedStream<beast::tcp_stream> stream(beast::tcp_stream(std::move(pair.near)));
  const std::string bytes = "gathered then flushed";
  bool written = false;
  bool flushed = false;
  stream.async_write_some(asio::buffer(bytes), [&](beast::error_code error, std::size_t) {
    EXPECT_FALSE(error);
    written = true;
  });
  stream.async_flush([&](beast::error_code error) {
    EXPECT_FALSE(error);
    EXPECT_TRUE(written);
    EXPECT_EQ(stream.pending_bytes(), 0u);
    flushed = true;
  });
  pair.io.run();
  EXPECT_TRUE(flushed);
  EXPECT_EQ(read_exactly(pair.far, bytes.size()), bytes);
}
