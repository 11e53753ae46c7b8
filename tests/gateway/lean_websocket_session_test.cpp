// Our own framing on the wire, with a raw socket for a client (so it can send what Beast's client never would):
// the upgrade's refusals, frames sent right behind the request, a ping answered, a silent client pinged then dropped
// by the idle limit, and protocol errors closed with their code before the socket ends. The behaviour both sessions
// share is tested against both in websocket_session_test.cpp.
#include <gtest/gtest.h>

#include <boost/beast/websocket.hpp>
#include <thread>

#include "gateway/listener.hpp"

using namespace umpire::gateway;

namespace {

class EchoHandler final : public FrameHandler {
 public:
  explicit EchoHandler(std::shared_ptr<FrameSender> sender) : sender_(std::move(sender)) {}
  void on_open() override { sender_->send(std::make_shared<const std::string>("hello")); }
  void on_frame(std::string_view bytes) override { sender_->send(std::make_shared<const std::string>(bytes)); }
  void on_frame_too_large() override {}
  void on_closed() override {}

 private:
  std::shared_ptr<FrameSender> sender_;
};

constexpr const char* kKey = "dGhlIHNhbXBsZSBub25jZQ==";  // RFC 6455's example; its accept key is below

std::string upgrade_request(const std::string& extra_headers = "Sec-WebSocket-Version: 13\r\n",
                            const std::string& key = kKey) {
  return "GET /play HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " +
         key + "\r\n" + extra_headers + "\r\n";
}

std::string masked_frame(std::uint8_t first_byte, std::string_view payload) {
  const std::array<unsigned char, 4> key = {0xA1, 0xB2, 0xC3, 0xD4};
  std::string out;
  out.push_back(static_cast<char>(first_byte));
  out.push_back(static_cast<char>(0x80 | payload.size()));  // short payloads only
  out.append(reinterpret_cast<const char*>(key.data()), 4);
  for (std::size_t i = 0; i < payload.size(); ++i) out.push_back(static_cast<char>(payload[i] ^ key[i & 3]));
  return out;
}

struct ServerFrame {
  std::uint8_t opcode = 0;
  std::string payload;
};

class RawClient {
 public:
  explicit RawClient(unsigned short port) { socket_.connect({asio::ip::make_address("127.0.0.1"), port}); }

  void write(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }

  // The HTTP answer's head.
  std::string read_response_head() {
    const auto end = asio::read_until(socket_, buffer_, "\r\n\r\n");
    std::string head(static_cast<const char*>(buffer_.data().data()), end);
    buffer_.consume(end);
    return head;
  }

  ServerFrame read_frame() {
    fill(2);
    const auto* bytes = static_cast<const unsigned char*>(buffer_.data().data());
    EXPECT_EQ(bytes[0] & 0x80, 0x80) << "FIN";
    EXPECT_EQ(bytes[1] & 0x80, 0) << "server frames are not masked";
    ServerFrame frame;
    frame.opcode = bytes[0] & 0x0F;
    std::size_t length = bytes[1] & 0x7F;
    std::size_t header = 2;
    if (length == 126) {
      fill(4);
      bytes = static_cast<const unsigned char*>(buffer_.data().data());
      length = (std::size_t{bytes[2]} << 8) | bytes[3];
      header = 4;
    }
    fill(header + length);
    frame.payload.assign(static_cast<const char*>(buffer_.data().data()) + header, length);
    buffer_.consume(header + length);
    return frame;
  }

  // Blocks until the server ends the connection; true if it did so with EOF (not a reset).
  bool ends_with_eof() {
    boost::system::error_code error;
    std::array<char, 256> sink;
    while (!error) socket_.read_some(asio::buffer(sink), error);
    return error == asio::error::eof;
  }

 private:
  void fill(std::size_t size) {
    if (buffer_.size() < size) asio::read(socket_, buffer_, asio::transfer_at_least(size - buffer_.size()));
  }

  asio::io_context io_;
  asio::ip::tcp::socket socket_{io_};
  asio::streambuf buffer_;
};

class LeanSessionTest : public ::testing::Test {
 protected:
  static constexpr std::chrono::seconds kIdleTimeout{3};

  void SetUp() override {
    ListenerOptions options;
    options.endpoint = {asio::ip::make_address("127.0.0.1"), 0};
    options.session_limits.max_frame_bytes = 1024;
    options.session_limits.idle_timeout = kIdleTimeout;
    listener_ = std::make_shared<Listener>(io_, options, nullptr, [](auto sender) {
      return std::make_shared<EchoHandler>(std::move(sender));
    });
    listener_->start();
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    listener_->stop();
    listener_->abort_all();
    work_.reset();
    io_.stop();
    thread_.join();
  }
  unsigned short port() const { return listener_->local_endpoint().port(); }

  // A raw client past the upgrade and the handler's "hello".
  std::unique_ptr<RawClient> upgraded() {
    auto client = std::make_unique<RawClient>(port());
    client->write(upgrade_request());
    EXPECT_NE(client->read_response_head().find("101 Switching Protocols"), std::string::npos);
    EXPECT_EQ(client->read_frame().payload, "hello");
    return client;
  }

  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{io_.get_executor()};
  std::shared_ptr<Listener> listener_;
  std::thread thread_;
};

}  // namespace

TEST_F(LeanSessionTest, TheUpgradeAnswersWithTheAcceptKeyAndRefusesAWrongVersionOrKey) {
  RawClient good(port());
  good.write(upgrade_request());
  const auto head = good.read_response_head();
  EXPECT_NE(head.find("HTTP/1.1 101"), std::string::npos) << head;
  EXPECT_NE(head.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), std::string::npos) << head;

  RawClient old_version(port());
  old_version.write(upgrade_request("Sec-WebSocket-Version: 8\r\n"));
  const auto refused = old_version.read_response_head();
  EXPECT_NE(refused.find("HTTP/1.1 426"), std::string::npos) << refused;
  EXPECT_NE(refused.find("Sec-WebSocket-Version: 13"), std::string::npos) << refused;

  RawClient bad_key(port());
  bad_key.write(upgrade_request("Sec-WebSocket-Version: 13\r\n", "short"));
  EXPECT_NE(bad_key.read_response_head().find("HTTP/1.1 400"), std::string::npos);
}

TEST_F(LeanSessionTest, FramesSentRightBehindTheRequestAreRead) {
  RawClient client(port());
  client.write(upgrade_request() + masked_frame(0x82, "eager") + masked_frame(0x82, "twice"));
  EXPECT_NE(client.read_response_head().find("101"), std::string::npos);
  EXPECT_EQ(client.read_frame().payload, "hello");
  EXPECT_EQ(client.read_frame().payload, "eager");
  EXPECT_EQ(client.read_frame().payload, "twice");
}

TEST_F(LeanSessionTest, APingIsAnsweredWithItsPayload) {
  auto client = upgraded();
  client->write(masked_frame(0x89, "ping data"));
  const auto pong = client->read_frame();
  EXPECT_EQ(pong.opcode, 0xA);
  EXPECT_EQ(pong.payload, "ping data");
  client->write(masked_frame(0x82, "still open"));
  EXPECT_EQ(client->read_frame().payload, "still open");
}

// Timed with margins of seconds: what is checked is that a silent client is pinged, then dropped, and that one that
// answers the pings is not.
TEST_F(LeanSessionTest, ASilentClientIsPingedThenDroppedWithinTheIdleTimeoutAndOneThatAnswersStays) {
  auto silent = upgraded();
  auto started = std::chrono::steady_clock::now();
  const auto ping = silent->read_frame();
  EXPECT_EQ(ping.opcode, 0x9);
  EXPECT_TRUE(silent->ends_with_eof());
  EXPECT_LE(std::chrono::steady_clock::now() - started, kIdleTimeout + std::chrono::seconds(2));
  for (int i = 0; i < 200 && listener_->open_connections() != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // the session ends just after its socket
  }
  EXPECT_EQ(listener_->open_connections(), 0u);

  auto answering = upgraded();
  started = std::chrono::steady_clock::now();
  for (int i = 0; i < 2; ++i) {
    const auto frame = answering->read_frame();
    ASSERT_EQ(frame.opcode, 0x9);
    answering->write(masked_frame(0x8A, frame.payload));
  }
  EXPECT_GT(std::chrono::steady_clock::now() - started, kIdleTimeout) << "two pings answered span the idle timeout";
  answering->write(masked_frame(0x82, "still here"));
  EXPECT_EQ(answering->read_frame().payload, "still here");
}

TEST_F(LeanSessionTest, AProtocolErrorIsClosedWithItsCodeThenTheSocketEndsCleanly) {
  struct Case {
    std::string frame;
    std::uint16_t code;
  };
  const std::vector<Case> cases = {
      {std::string("\x82\x02hi", 4), 1002},       // not masked
      {masked_frame(0x81, "text"), 1003},         // a text frame: the player protocol is binary
      {masked_frame(0x83, "x"), 1002},            // an unknown opcode
  };
  for (const auto& c : cases) {
    auto client = upgraded();
    client->write(c.frame);
    const auto close = client->read_frame();
    EXPECT_EQ(close.opcode, 0x8);
    ASSERT_GE(close.payload.size(), 2u);
    EXPECT_EQ((static_cast<unsigned char>(close.payload[0]) << 8) | static_cast<unsigned char>(close.payload[1]),
              c.code);
    EXPECT_TRUE(client->ends_with_eof()) << "half-closed and drained, not reset";
  }
}

TEST_F(LeanSessionTest, AClientThatClosesGetsItsCodeBackAndTheConnectionIsCounted) {
  auto client = upgraded();
  EXPECT_EQ(listener_->open_connections(), 1u);
  client->write(masked_frame(0x88, std::string("\x03\xE9", 2) + "leaving"));
  const auto close = client->read_frame();
  EXPECT_EQ(close.opcode, 0x8);
  EXPECT_EQ(close.payload, std::string("\x03\xE9", 2));
  EXPECT_TRUE(client->ends_with_eof());
  for (int i = 0; i < 200 && listener_->open_connections() != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(listener_->open_connections(), 0u);
}
