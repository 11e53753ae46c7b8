// gateway/player_session.cpp — see the header.
#include "gateway/player_session.hpp"

#include "gateway/login.hpp"

namespace umpire::gateway {
namespace {

using v1::ClientMessage;
using v1::ServerMessage;

std::shared_ptr<const std::string> serialize(const ServerMessage& message) {
  return std::make_shared<const std::string>(message.SerializeAsString());
}

std::uint64_t unix_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

class Link final : public PlayerLink {
 public:
  Link(std::shared_ptr<FrameSender> sender, crypto::Address address, std::uint64_t id)
      : sender_(std::move(sender)), address_(address), id_(id) {}
  const crypto::Address& address() const override { return address_; }
  std::uint64_t connection_id() const override { return id_; }
  void send(const ServerMessage& message) override { sender_->send(serialize(message)); }
  void send_serialized(std::shared_ptr<const std::string> frame) override { sender_->send(std::move(frame)); }
  void close(const std::string& reason) override { sender_->close(reason); }

 private:
  std::shared_ptr<FrameSender> sender_;
  crypto::Address address_;
  std::uint64_t id_;
};

class PlayerSession final : public FrameHandler {
 public:
  PlayerSession(std::shared_ptr<FrameSender> sender, const PlayerProtocolOptions& options,
                std::shared_ptr<ConnectionRegistry> registry, std::shared_ptr<PlayerService> service, std::string nonce)
      : sender_(std::move(sender)), options_(options), registry_(std::move(registry)), service_(std::move(service)),
        nonce_(std::move(nonce)),
        bucket_(options.messages_per_second, options.message_burst, TokenBucket::Clock::now()),
        login_deadline_(TokenBucket::Clock::now() + options.login_timeout) {}

  ~PlayerSession() override { release_address(); }

  void on_open() override {
    ServerMessage hello;
    auto* body = hello.mutable_hello();
    body->set_nonce(nonce_);
    body->set_server_address(options_.server_address);
    body->set_protocol_version(1);
    body->set_login_text(login_text(options_.server_address, nonce_));
    body->set_login_deadline_ms(unix_ms() + static_cast<std::uint64_t>(options_.login_timeout.count()) * 1000);
    sender_->send(serialize(hello));
  }

  void on_frame(std::string_view bytes) override {
    const auto now = TokenBucket::Clock::now();
    if (!bucket_.try_take(now)) return fail_and_close(0, v1::RATE_LIMITED, "more than the allowed messages per second");
    ClientMessage message;
    if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) ||
        message.body_case() == ClientMessage::BODY_NOT_SET) {
      return reply(make_error(0, v1::MALFORMED_FRAME, "not a umpire.v1.ClientMessage with a body"));
    }
    if (message.has_ping()) return pong(message);
    if (!link_) return before_login(message, now);
    if (message.has_login()) return reply(make_error(message.request_id(), v1::ALREADY_LOGGED_IN, "already logged in"));
    service_->on_message(link_, message);
  }

  void on_frame_too_large() override {
    sender_->send(serialize(make_error(0, v1::FRAME_TOO_LARGE, "frame larger than the server accepts")));
  }

  void on_closed() override {
    if (link_) service_->on_disconnect(link_);
    release_address();
    link_.reset();
  }

 private:
  void before_login(const ClientMessage& message, TokenBucket::Clock::time_point now) {
    if (now > login_deadline_) return fail_and_close(message.request_id(), v1::LOGIN_EXPIRED, "login came too late");
    if (!message.has_login()) {
      return reply(make_error(message.request_id(), v1::NOT_LOGGED_IN, "log in first (answer Hello with Login)"));
    }
    const auto& login = message.login();
    const auto address = verify_login(options_.server_address, nonce_, login.address(), login.signature());
    if (!address) {
      return fail_and_close(message.request_id(), v1::BAD_LOGIN_SIGNATURE,
                            "the signature does not recover to the address over the login text");
    }
    const std::string checksummed = address->checksum();
    if (!registry_->try_add(checksummed)) {
      return fail_and_close(message.request_id(), v1::TOO_MANY_CONNECTIONS,
                            "this address has the maximum number of connections");
    }
    counted_address_ = checksummed;
    nonce_.clear();  // single use
    link_ = std::make_shared<Link>(sender_, *address, registry_->next_id());
    const auto seated = service_->on_login(link_);
    ServerMessage ok;
    ok.set_request_id(message.request_id());
    ok.mutable_login_ok()->set_address(checksummed);
    for (const auto& room : seated) ok.mutable_login_ok()->add_seated_room_ids(room);
    reply(ok);
  }

  void pong(const ClientMessage& message) {
    ServerMessage reply_message;
    reply_message.set_request_id(message.request_id());
    reply_message.mutable_pong()->set_client_time_ms(message.ping().client_time_ms());
    reply_message.mutable_pong()->set_server_time_ms(unix_ms());
    reply(reply_message);
  }

  void reply(const ServerMessage& message) { sender_->send(serialize(message)); }

  void fail_and_close(std::uint64_t request_id, v1::ErrorCode code, const std::string& text) {
    reply(make_error(request_id, code, text));
    sender_->close(text);
  }

  void release_address() {
    if (!counted_address_.empty()) registry_->remove(counted_address_);
    counted_address_.clear();
  }

  std::shared_ptr<FrameSender> sender_;
  const PlayerProtocolOptions& options_;
  std::shared_ptr<ConnectionRegistry> registry_;
  std::shared_ptr<PlayerService> service_;
  std::string nonce_;
  TokenBucket bucket_;
  TokenBucket::Clock::time_point login_deadline_;
  std::shared_ptr<Link> link_;      // set once logged in
  std::string counted_address_;     // the address this connection counts against in the registry
};

}  // namespace

v1::ServerMessage make_error(std::uint64_t request_id, v1::ErrorCode code, std::string message) {
  v1::ServerMessage reply;
  reply.set_request_id(request_id);
  reply.mutable_error()->set_code(code);
  reply.mutable_error()->set_request_id(request_id);
  reply.mutable_error()->set_message(std::move(message));
  return reply;
}

std::function<std::shared_ptr<FrameHandler>(std::shared_ptr<FrameSender>)> make_player_protocol(
    PlayerProtocolOptions options, std::shared_ptr<ConnectionRegistry> registry,
    std::shared_ptr<PlayerService> service, std::function<std::string()> make_nonce) {
  auto shared_options = std::make_shared<const PlayerProtocolOptions>(std::move(options));
  return [shared_options, registry, service, make_nonce](std::shared_ptr<FrameSender> sender) {
    // The session keeps a reference to the options; the handler below keeps them alive with it.
    struct Owned final : FrameHandler {
      std::shared_ptr<const PlayerProtocolOptions> options;
      PlayerSession session;
      Owned(std::shared_ptr<const PlayerProtocolOptions> o, std::shared_ptr<FrameSender> s,
            std::shared_ptr<ConnectionRegistry> r, std::shared_ptr<PlayerService> v, std::string n)
          : options(std::move(o)), session(std::move(s), *options, std::move(r), std::move(v), std::move(n)) {}
      void on_open() override { session.on_open(); }
      void on_frame(std::string_view b) override { session.on_frame(b); }
      void on_frame_too_large() override { session.on_frame_too_large(); }
      void on_closed() override { session.on_closed(); }
    };
    return std::make_shared<Owned>(shared_options, std::move(sender), registry, service, make_nonce());
  };
}

}  // namespace umpire::gateway
