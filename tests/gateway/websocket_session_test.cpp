// The player endpoint's transport: upgrade only on the configured path, frames delivered in order, oversized frames
// close the connection with 1009 after the handler is told, close() flushes queued frames first, and the listener
// counts open connections.
#include <gtest/gtest.h>

#include <boost/beast/websocket.hpp>
#include <future>
#include <thread>
#include <vector>

#include "gateway/listener.hpp"

using namespace umpire::gateway;
namespace websocket = beast::websocket;
namespace http = beast::http;

namespace {

// Echoes each frame back; "close" makes it send "bye" then close; records what it was told.
class EchoHandler final : public FrameHandler {
 public:
  EchoHandler(std::shared_ptr<FrameSender> sender, std::shared_ptr<std::atomic<int>> too_large)
      : sender_(std::move(sender)), too_large_(std::move(too_large)) {}
  void on_open() override { sender_->send(std::make_shared<const std::string>("hello")); }
  void on_frame(std::string_view bytes) override {
    if (bytes == "big") {  // a frame far larger than the socket buffers: a client that does not read falls behind
      sender_->send(std::make_shared<const std::string>(256 * 1024, 'b'));
      return;
    }
    if (bytes == "close") {
      sender_->send(std::make_shared<const std::string>("bye"));
      sender_->close("asked to");
      return;
    }
    sender_->send(std::make_shared<const std::string>(bytes));
  }
  void on_frame_too_large() override { ++*too_large_; }
  void on_closed() override {}

 private:
  std::shared_ptr<FrameSender> sender_;
  std::shared_ptr<std::atomic<int>> too_large_;
};

// Run twice: plain connections through our own framing (LeanWebSocketSession), and through Beast's (WebSocketSession).
class TransportTest : public ::testing::TestWithParam<bool> {
 protected:
  static constexpr std::size_t kOutboxFrames = 128;  // above the 100 frames EchoesFramesInOrder can queue at once
  static constexpr std::chrono::seconds kHandshakeTimeout{2};

  void SetUp() override {
    ListenerOptions options;
    options.endpoint = {asio::ip::make_address("127.0.0.1"), 0};
    options.session_limits.max_frame_bytes = 1024;
    options.session_limits.max_outbox_frames = kOutboxFrames;
    options.session_limits.handshake_timeout = kHandshakeTimeout;
    options.beast_framing = GetParam();
    listener_ = std::make_shared<Listener>(io_, options, nullptr,
                                           [too_large = too_large_, capture = factory_capture_](auto sender) {
                                             return std::make_shared<EchoHandler>(std::move(sender), too_large);
                                           });
    listener_->start();
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    listener_->stop();
    work_.reset();
    io_.stop();
    thread_.join();
  }

  // A blocking client on its own io_context: simple to read in a test.
  struct Client {
    asio::io_context io;
    websocket::stream<asio::ip::tcp::socket> ws{io};
    Client(unsigned short port, const std::string& path) {
      ws.next_layer().connect({asio::ip::make_address("127.0.0.1"), port});
      ws.handshake("127.0.0.1", path);
      ws.binary(true);
    }
    std::string read() {
      beast::flat_buffer buffer;
      ws.read(buffer);
      return beast::buffers_to_string(buffer.data());
    }
  };

  unsigned short port() const { return listener_->local_endpoint().port(); }

  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{io_.get_executor()};
  std::shared_ptr<std::atomic<int>> too_large_ = std::make_shared<std::atomic<int>>(0);
  // Held by the handler factory only: each live copy of the factory adds one to its use count.
  std::shared_ptr<int> factory_capture_ = std::make_shared<int>(0);
  std::shared_ptr<Listener> listener_;
  std::thread thread_;
};

}  // namespace

TEST_P(TransportTest, EchoesFramesInOrder) {
  Client client(port(), "/play");
  EXPECT_EQ(client.read(), "hello");
  for (int i = 0; i < 100; ++i) client.ws.write(asio::buffer(std::to_string(i)));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(client.read(), std::to_string(i));
}

// Beast's session holds a message in a 256-byte array and spills longer ones to the heap; ours reads 128 bytes at a
// time and a long payload straight into the message: every size around those edges, up to the 1,024-byte limit, in
// any order and split into several WebSocket frames, comes through byte for byte.
TEST_P(TransportTest, MessagesOfEverySizeUpToTheLimitArriveWhole) {
  Client client(port(), "/play");
  EXPECT_EQ(client.read(), "hello");
  auto message_of = [](std::size_t size, char seed) {
    std::string text(size, '\0');
    for (std::size_t i = 0; i < size; ++i) text[i] = static_cast<char>(seed + i * 7);
    return text;
  };
  const std::vector<std::size_t> sizes = {1, 255, 256, 257, 1000, 1024, 3, 700, 700, 2, 512, 1, 121, 122, 123, 124, 125,
                                          126, 127, 128, 129, 383, 384, 385, 0};
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const auto text = message_of(sizes[i], static_cast<char>('a' + i));
    client.ws.write(asio::buffer(text));
    EXPECT_EQ(client.read(), text) << "message " << i << " of " << sizes[i] << " bytes";
  }
  // One message in three frames (200 + 200 + 200 bytes): the reader sees the message, not the frames.
  const auto fragmented = message_of(600, 'z');
  for (std::size_t offset = 0; offset < fragmented.size(); offset += 200) {
    client.ws.write_some(offset + 200 == fragmented.size(), asio::buffer(fragmented.data() + offset, 200));
  }
  EXPECT_EQ(client.read(), fragmented);
  EXPECT_EQ(too_large_->load(), 0);
}

// A client that connects and never completes the upgrade (says nothing, or stops halfway through its request)
// loses its socket at the handshake timeout; one that upgraded keeps it past that time.
TEST_P(TransportTest, AnUpgradeNotFinishedInTimeLosesItsSocketAndAFinishedOneDoesNot) {
  Client upgraded(port(), "/play");
  EXPECT_EQ(upgraded.read(), "hello");
  asio::io_context io;
  asio::ip::tcp::socket silent(io);
  asio::ip::tcp::socket halfway(io);
  silent.connect({asio::ip::make_address("127.0.0.1"), port()});
  halfway.connect({asio::ip::make_address("127.0.0.1"), port()});
  asio::write(halfway, asio::buffer(std::string("GET /play HTTP/1.1\r\nHost: 127.0.0.1\r\n")));
  const auto started = std::chrono::steady_clock::now();
  for (auto* socket : {&silent, &halfway}) {
    char byte;
    boost::system::error_code error;
    socket->read_some(asio::buffer(&byte, 1), error);  // blocks until the server closes
    EXPECT_TRUE(error == asio::error::eof || error == asio::error::connection_reset) << error.message();
  }
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_GE(waited, kHandshakeTimeout - std::chrono::milliseconds(500));
  EXPECT_LT(waited, kHandshakeTimeout + std::chrono::seconds(10));
  // The upgraded connection, older than both, is now past the handshake timeout: its deadline was cancelled.
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  upgraded.ws.write(asio::buffer(std::string("still here")));
  EXPECT_EQ(upgraded.read(), "still here");
}

TEST_P(TransportTest, WrongPathIsRefusedWith404) {
  try {
    Client client(port(), "/ws");
    FAIL() << "upgrade accepted on the wrong path";
  } catch (const boost::system::system_error& error) {
    EXPECT_EQ(error.code(), websocket::error::upgrade_declined);
  }
}

TEST_P(TransportTest, OversizedFrameClosesWith1009AfterTellingTheHandler) {
  Client client(port(), "/play");
  EXPECT_EQ(client.read(), "hello");
  client.ws.write(asio::buffer(std::string(4096, 'x')));
  beast::flat_buffer buffer;
  boost::system::error_code error;
  client.ws.read(buffer, error);
  // The server closes with 1009; if its close lands while our oversized write is still going, the socket may
  // instead report a broken pipe or reset. Either way the connection is over.
  EXPECT_TRUE(error == websocket::error::closed || error == asio::error::broken_pipe ||
              error == asio::error::connection_reset) << error.message();
  if (error == websocket::error::closed) {
    EXPECT_EQ(client.ws.reason().code, websocket::close_code::too_big);
  }
  // Beast sends the 1009 close itself, so the handler may be told a moment after the client sees it.
  for (int i = 0; i < 200 && too_large_->load() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(too_large_->load(), 1);
}

TEST_P(TransportTest, CloseFlushesQueuedFramesFirst) {
  Client client(port(), "/play");
  EXPECT_EQ(client.read(), "hello");
  client.ws.write(asio::buffer(std::string("close")));
  EXPECT_EQ(client.read(), "bye");
  beast::flat_buffer buffer;
  boost::system::error_code error;
  client.ws.read(buffer, error);
  EXPECT_EQ(error, websocket::error::closed);
  EXPECT_EQ(client.ws.reason().reason, "asked to");
}

TEST_P(TransportTest, AReaderTooFarBehindIsDisconnectedWithAReason) {
  Client client(port(), "/play");
  EXPECT_EQ(client.read(), "hello");
  // Asks for far more than the outbox and the socket buffers hold, reading nothing: the outbox fills while a write
  // is in flight, and the server must close the connection (not crash, not drop frames silently).
  for (std::size_t i = 0; i < kOutboxFrames * 4; ++i) client.ws.write(asio::buffer(std::string("big")));
  beast::flat_buffer buffer;
  boost::system::error_code error;
  std::size_t frames = 0;
  for (;;) {
    client.ws.read(buffer, error);
    if (error) break;
    EXPECT_EQ(buffer.size(), 256u * 1024);
    buffer.clear();
    ++frames;
  }
  EXPECT_EQ(error, websocket::error::closed) << error.message();
  EXPECT_EQ(client.ws.reason().code, websocket::close_code::policy_error);
  EXPECT_EQ(client.ws.reason().reason, "too slow: outgoing queue full");
  EXPECT_LT(frames, kOutboxFrames * 4) << "the frames after the queue filled were not sent";
}

// A close the client starts: the server's answering close frame goes through the corked layer, which must hand it to
// the socket before the teardown shuts the socket down (without that the client sees the connection drop instead).
TEST_P(TransportTest, AClientsCloseIsAnsweredBeforeTheSocketIsShutDown) {
  Client client(port(), "/play");
  EXPECT_EQ(client.read(), "hello");
  boost::system::error_code error;
  client.ws.close(websocket::close_code::going_away, error);
  EXPECT_FALSE(error) << error.message();
  EXPECT_EQ(client.ws.reason().code, websocket::close_code::going_away);  // the server echoed the client's code
}

TEST_P(TransportTest, ListenerCountsOpenConnections) {
  {
    Client a(port(), "/play");
    Client b(port(), "/play");
    EXPECT_EQ(a.read(), "hello");
    EXPECT_EQ(b.read(), "hello");
    EXPECT_EQ(listener_->open_connections(), 2u);
    a.ws.close(websocket::close_code::normal);
  }
  for (int i = 0; i < 200 && listener_->open_connections() != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(listener_->open_connections(), 0u);
}

// A session calls the handler factory once, after the upgrade, and keeps no copy of it (with its captures) for the
// rest of the connection: an idle player's memory.
TEST_P(TransportTest, ASessionKeepsNoCopyOfTheHandlerFactoryOnceItsHandlerIsMade) {
  Client a(port(), "/play");
  Client b(port(), "/play");
  EXPECT_EQ(a.read(), "hello");  // sent by the handler's on_open: the factory has been called
  EXPECT_EQ(b.read(), "hello");
  EXPECT_EQ(listener_->open_connections(), 2u);
  EXPECT_EQ(factory_capture_.use_count(), 2) << "this fixture's and the listener's copy only";
}

INSTANTIATE_TEST_SUITE_P(Framing, TransportTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Beast" : "Own"; });

namespace {

SharedFrame frame_of_number(int n) { return std::make_shared<const std::string>(std::to_string(n)); }

}  // namespace

TEST(FrameQueue, KeepsOrderAllocatesNothingUntilUsedAndStaysBoundedWhenNeverDrained) {
  FrameQueue queue;
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.capacity(), 0u) << "an idle connection's outbox holds no memory";
  int pushed = 0;
  int popped = 0;
  // A writer that stays about 10 frames behind for 10,000 frames: order holds and the storage does not grow with
  // the number of frames that went through.
  for (; pushed < 10; ++pushed) queue.push_back(frame_of_number(pushed));
  for (int round = 0; round < 10000; ++round) {
    queue.push_back(frame_of_number(pushed++));
    ASSERT_EQ(*queue.front(), std::to_string(popped));
    queue.pop_front();
    ++popped;
    ASSERT_EQ(queue.size(), 10u);
  }
  EXPECT_LE(queue.capacity(), 256u);
  while (!queue.empty()) {
    ASSERT_EQ(*queue.front(), std::to_string(popped++));
    queue.pop_front();
  }
  EXPECT_EQ(popped, pushed);
  const auto kept = queue.capacity();
  queue.push_back(frame_of_number(1));
  EXPECT_EQ(queue.capacity(), kept) << "a drained queue reuses its storage";
  queue.clear();
  EXPECT_TRUE(queue.empty());
}
