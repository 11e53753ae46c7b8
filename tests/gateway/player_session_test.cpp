// The player protocol up to the referee, end to end over loopback with the C++ client library: login by EIP-191
// challenge, errors that keep the connection (not logged in, malformed) and errors that close it (bad signature,
// oversized frame, rate limit, too many connections per address), ping, and hand-off to the PlayerService.
#include <gtest/gtest.h>

#include <boost/asio/use_future.hpp>
#include <random>
#include <thread>

#include "client/player_client.hpp"
#include "crypto/eth_messages.hpp"
#include "gateway/listener.hpp"
#include "gateway/login.hpp"
#include "gateway/player_session.hpp"

using namespace umpire;
using namespace umpire::gateway;
using client::PlayerClient;

namespace {

// Records what the gateway hands over; answers JoinRoom with Joined so the round trip is visible.
class FakeService final : public PlayerService {
 public:
  std::vector<std::string> on_login(const std::shared_ptr<PlayerLink>& link) override {
    std::lock_guard lock(mutex);
    logins.push_back(link->address().checksum());
    return {"room-7"};
  }
  void on_message(const std::shared_ptr<PlayerLink>& link, const v1::ClientMessage& message) override {
    {
      std::lock_guard lock(mutex);
      messages.push_back(message);
    }
    if (message.has_join_room()) {
      v1::ServerMessage reply;
      reply.set_request_id(message.request_id());
      reply.mutable_joined()->set_room_id(message.join_room().room_id());
      link->send(reply);
    }
  }
  void on_disconnect(const std::shared_ptr<PlayerLink>&) override { ++disconnects; }

  std::mutex mutex;
  std::vector<std::string> logins;
  std::vector<v1::ClientMessage> messages;
  std::atomic<int> disconnects{0};
};

class PlayerSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    PlayerProtocolOptions options;
    options.server_address = server_key_.address().checksum();
    options.messages_per_second = 20;
    options.message_burst = 20;
    ListenerOptions listen;
    listen.endpoint = {asio::ip::make_address("127.0.0.1"), 0};
    listen.session_limits.max_frame_bytes = 2048;
    auto nonces = std::make_shared<std::mt19937_64>(1);
    listener_ = std::make_shared<Listener>(
        io_, listen, nullptr,
        make_player_protocol(options, std::make_shared<ConnectionRegistry>(2), service_,
                             [nonces] { return std::to_string((*nonces)()); }));
    listener_->start();
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  void TearDown() override {
    listener_->stop();
    work_.reset();
    io_.stop();
    for (auto& t : threads_) t.join();
  }

  // Runs a client coroutine to completion on the test's io_context.
  template <class T>
  T run(asio::awaitable<T> task) {
    return asio::co_spawn(io_, std::move(task), asio::use_future).get();
  }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(listener_->local_endpoint().port()) + "/play"; }

  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{io_.get_executor()};
  crypto::PrivateKey server_key_ = crypto::PrivateKey::generate();
  std::shared_ptr<FakeService> service_ = std::make_shared<FakeService>();
  std::shared_ptr<Listener> listener_;
  std::vector<std::thread> threads_;
};

v1::ClientMessage join(const std::string& room) {
  v1::ClientMessage message;
  message.mutable_join_room()->set_room_id(room);
  return message;
}

}  // namespace

TEST_F(PlayerSessionTest, LoginBindsTheAddressAndHandsMessagesToTheService) {
  crypto::KeySigner wallet(crypto::PrivateKey::generate());
  const auto joined = run([&]() -> asio::awaitable<std::string> {
    auto player = co_await PlayerClient::connect(url());
    const auto ok = co_await player->login(wallet);
    EXPECT_EQ(ok.address(), wallet.address().checksum());
    EXPECT_EQ(ok.seated_room_ids_size(), 1);
    EXPECT_EQ(player->hello().server_address(), server_key_.address().checksum());
    const auto reply = co_await player->call(join("room-1"));
    v1::ClientMessage ping;
    ping.mutable_ping()->set_client_time_ms(1234);
    const auto pong = co_await player->call(ping);
    EXPECT_EQ(pong.pong().client_time_ms(), 1234u);
    co_await player->socket().close();
    co_return reply.joined().room_id();
  }());
  EXPECT_EQ(joined, "room-1");
  std::lock_guard lock(service_->mutex);
  EXPECT_EQ(service_->logins, std::vector<std::string>{wallet.address().checksum()});
  ASSERT_EQ(service_->messages.size(), 1u) << "Ping is answered by the gateway, not the service";
  for (int i = 0; i < 200 && service_->disconnects == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(service_->disconnects.load(), 1);
}

TEST_F(PlayerSessionTest, MessagesBeforeLoginAndMalformedFramesGetErrorsAndKeepTheConnection) {
  crypto::KeySigner wallet(crypto::PrivateKey::generate());
  run([&]() -> asio::awaitable<void> {
    auto player = co_await PlayerClient::connect(url());
    EXPECT_TRUE((co_await player->next()).has_hello());
    co_await player->send(join("room-1"));
    auto reply = co_await player->next();
    EXPECT_EQ(reply.error().code(), v1::NOT_LOGGED_IN);
    co_await player->socket().write("\xff\xff garbage");
    reply = co_await player->next();
    EXPECT_EQ(reply.error().code(), v1::MALFORMED_FRAME);
    co_await player->socket().write(std::string());  // a message with no body
    reply = co_await player->next();
    EXPECT_EQ(reply.error().code(), v1::MALFORMED_FRAME);
  }());
  std::lock_guard lock(service_->mutex);
  EXPECT_TRUE(service_->messages.empty());
}

TEST_F(PlayerSessionTest, BadLoginSignatureIsRefusedAndClosed) {
  crypto::KeySigner wallet(crypto::PrivateKey::generate());
  crypto::KeySigner impostor(crypto::PrivateKey::generate());
  run([&]() -> asio::awaitable<void> {
    auto player = co_await PlayerClient::connect(url());
    const auto hello = (co_await player->next()).hello();
    v1::ClientMessage message;
    message.mutable_login()->set_address(wallet.address().checksum());
    message.mutable_login()->set_signature(
        crypto::sign_personal_message(impostor, login_text(hello.server_address(), hello.nonce())).to_hex());
    co_await player->send(message);
    const auto reply = co_await player->next();
    EXPECT_EQ(reply.error().code(), v1::BAD_LOGIN_SIGNATURE);
    bool closed = false;
    try {
      co_await player->next();
    } catch (const boost::system::system_error&) {
      closed = true;
    }
    EXPECT_TRUE(closed);
  }());
  EXPECT_TRUE(service_->logins.empty());
}

TEST_F(PlayerSessionTest, OversizedFrameGetsFrameTooLargeThenClose) {
  run([&]() -> asio::awaitable<void> {
    auto player = co_await PlayerClient::connect(url());
    EXPECT_TRUE((co_await player->next()).has_hello());
    co_await player->socket().write(std::string(4096, 'x'));
    std::vector<v1::ErrorCode> codes;
    try {
      for (;;) {
        const auto message = co_await player->next();
        if (message.has_error()) codes.push_back(message.error().code());
      }
    } catch (const boost::system::system_error&) {
    }
    // The session enforces the limit itself, so the FRAME_TOO_LARGE error always gets out before the 1009 close.
    EXPECT_EQ(codes, std::vector<v1::ErrorCode>{v1::FRAME_TOO_LARGE});
  }());
}

TEST_F(PlayerSessionTest, FloodingIsRateLimitedAndClosed) {
  run([&]() -> asio::awaitable<void> {
    auto player = co_await PlayerClient::connect(url());
    EXPECT_TRUE((co_await player->next()).has_hello());
    v1::ClientMessage ping;
    ping.mutable_ping();
    for (int i = 0; i < 40; ++i) co_await player->send(ping);
    int pongs = 0;
    v1::ErrorCode last_error = v1::ERROR_CODE_UNSPECIFIED;
    try {
      for (;;) {
        const auto message = co_await player->next();
        if (message.has_pong()) ++pongs;
        if (message.has_error()) last_error = message.error().code();
      }
    } catch (const boost::system::system_error&) {
    }
    EXPECT_EQ(last_error, v1::RATE_LIMITED);
    EXPECT_LE(pongs, 21);
    EXPECT_GE(pongs, 20);
  }());
}

TEST_F(PlayerSessionTest, ThirdConnectionOfOneAddressIsRefused) {
  crypto::KeySigner wallet(crypto::PrivateKey::generate());
  run([&]() -> asio::awaitable<void> {
    auto first = co_await PlayerClient::connect(url());
    auto second = co_await PlayerClient::connect(url());
    auto third = co_await PlayerClient::connect(url());
    co_await first->login(wallet);
    co_await second->login(wallet);
    bool refused = false;
    try {
      co_await third->login(wallet);
    } catch (const client::ServerError& error) {
      refused = error.code == v1::TOO_MANY_CONNECTIONS;
    }
    EXPECT_TRUE(refused);
    co_await first->socket().close();
    // Once one closes, a new connection of the same address is welcome again.
    for (int attempt = 0; attempt < 50; ++attempt) {
      auto fourth = co_await PlayerClient::connect(url());
      try {
        co_await fourth->login(wallet);
        co_return;
      } catch (const client::ServerError&) {
      }
      asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::milliseconds(20));
      co_await pause.async_wait(asio::use_awaitable);
    }
    ADD_FAILURE() << "the slot of the closed connection was never released";
  }());
}

TEST_F(PlayerSessionTest, HelloCarriesTheExactLoginTextAndErrorsEchoTheRequestId) {
  run([&]() -> asio::awaitable<void> {
    auto player = co_await PlayerClient::connect(url());
    const auto hello = (co_await player->next()).hello();
    EXPECT_EQ(hello.login_text(), login_text(hello.server_address(), hello.nonce()));
    v1::ClientMessage message = join("room-1");
    message.set_request_id(77);
    co_await player->send(message);
    const auto reply = co_await player->next();
    EXPECT_EQ(reply.request_id(), 77u);
    EXPECT_EQ(reply.error().request_id(), 77u);
  }());
}
