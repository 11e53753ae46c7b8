// Devnode transport: a real WebSocket round trip on loopback — the assets push, ping/pong, funding and balances
// through auth, broker signatures, text frames, the /ws path, and the frame-size limit answered with an error.
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <future>
#include <thread>

#include "devnode/devnode.hpp"
#include "harness.hpp"

using namespace devnode_test;
namespace beast = boost::beast;
namespace asio = boost::asio;

namespace {

class Client {
 public:
  explicit Client(unsigned short port, const std::string& path = "/ws") : ws_(io_) {
    asio::ip::tcp::resolver resolver(io_);
    asio::connect(ws_.next_layer(), resolver.resolve("127.0.0.1", std::to_string(port)));
    ws_.handshake("127.0.0.1", path);
  }
  void send(const std::string& text) { ws_.write(asio::buffer(text)); }
  std::string read() {
    beast::flat_buffer buffer;
    ws_.read(buffer);
    last_was_text_ = ws_.got_text();
    return beast::buffers_to_string(buffer.data());
  }
  Reply read_reply(const crypto::Address& broker) {
    const auto frame = read();
    const auto res = wire::find_top_level_member(frame, "res");
    const auto sig = Json::parse(*wire::find_top_level_member(frame, "sig"));
    EXPECT_EQ(crypto::recover_address(crypto::keccak256(*res), crypto::Signature::parse(sig[0].get<std::string>())), broker);
    const auto array = Json::parse(*res);
    return Reply{array[0], array[1], array[2], array[3]};
  }
  bool last_was_text() const { return last_was_text_; }

 private:
  asio::io_context io_;
  beast::websocket::stream<asio::ip::tcp::socket> ws_;
  bool last_was_text_ = false;
};

std::string request(std::uint64_t id, const std::string& method, const Json& params,
                    const std::vector<const crypto::PrivateKey*>& signers = {}) {
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  return Harness::frame(wire::build_payload(id, method, wire::go_marshal(params), static_cast<std::uint64_t>(now)), signers);
}

}  // namespace

TEST(DevnodeTransport, WebSocketRoundTripOnLoopback) {
  asio::io_context io;
  devnode::DevnodeOptions options;
  options.max_frame_bytes = 4096;
  auto wallet = crypto::PrivateKey::generate();
  options.fund.push_back(devnode::parse_funding_grant(wallet.address().lowercase() + "=usdc:12.5"));
  devnode::Devnode node(io, std::move(options));
  node.start();
  const auto port = node.local_endpoint().port();
  EXPECT_NE(port, 0);
  EXPECT_EQ(node.url(), "ws://127.0.0.1:" + std::to_string(port) + "/ws");
  const auto broker = node.broker_address();
  std::thread runner([&] { io.run(); });

  {
    Client client(port);
    const auto assets = client.read_reply(broker);
    EXPECT_TRUE(client.last_was_text());
    EXPECT_EQ(assets.method, "assets");
    client.send(request(1, "ping", Json::object()));
    const auto pong = client.read_reply(broker);
    EXPECT_EQ(pong.method, "pong");
    EXPECT_EQ(pong.id, 1u);
    client.send("garbage");
    EXPECT_EQ(client.read_reply(broker).error(), "invalid message format");
    client.send(request(2, "get_config", Json::object()));
    EXPECT_EQ(client.read_reply(broker).params["broker_address"], broker.checksum());

    // EIP-712 auth over the wire, then balances from the --fund grant.
    auto session_key = crypto::PrivateKey::generate();
    const auto expiry = static_cast<std::uint64_t>(std::time(nullptr) + 3600);
    client.send(request(3, "auth_request", {{"address", wallet.address().checksum()}, {"session_key", session_key.address().checksum()},
                                            {"application", kApp}, {"allowances", Json::array()}, {"expires_at", expiry}, {"scope", ""}}));
    const std::string uuid = client.read_reply(broker).params["challenge_message"];
    crypto::AuthPolicy policy{kApp, uuid, "", wallet.address(), session_key.address(), expiry, {}};
    const auto payload = wire::build_payload(4, "auth_verify", wire::go_marshal(Json{{"challenge", uuid}}), 1);
    client.send(wire::build_frame("req", payload, std::vector<std::string>{wallet.sign_digest(crypto::auth_policy_digest(policy)).to_hex()}));
    EXPECT_EQ(client.read_reply(broker).method, "auth_verify");
    EXPECT_EQ(client.read_reply(broker).method, "channels");
    EXPECT_EQ(client.read_reply(broker).params["balance_updates"][0]["amount"], "12.5");
    client.send(request(5, "get_ledger_balances", Json::object(), {&session_key}));
    EXPECT_EQ(client.read_reply(broker).params["ledger_balances"][0]["amount"], "12.5");

    // Embedding API: fund from the host process; the authenticated socket gets `bu`.
    std::promise<std::string> funded;
    node.fund({wallet.address().checksum(), "usdc", *wire::Decimal::parse("0.5")}, [&](std::string error) { funded.set_value(error); });
    EXPECT_EQ(funded.get_future().get(), "");
    EXPECT_EQ(client.read_reply(broker).params["balance_updates"][0]["amount"], "13");

    // A frame over the limit is discarded and answered with an error (id: the server's clock); the socket stays
    // open, as the node never closes on bad input.
    client.send(std::string(5000, ' '));
    const auto too_large = client.read_reply(broker);
    EXPECT_EQ(too_large.error(), "message too large: the devnode accepts frames of at most 4096 bytes");
    EXPECT_GT(too_large.id, 1'000'000'000'000u);
    client.send(request(6, "ping", Json::object()));
    EXPECT_EQ(client.read_reply(broker).method, "pong");
  }
  EXPECT_THROW(Client(port, "/other"), boost::system::system_error);

  node.stop();
  io.stop();
  runner.join();
}
