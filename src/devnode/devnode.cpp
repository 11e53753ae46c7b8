// devnode/devnode.cpp — transport glue: connections post frames to the engine strand and send what it returns.
#include "devnode/devnode.hpp"

#include <boost/asio/ssl.hpp>
#include <chrono>
#include <iostream>
#include <map>

#include "devnode/rpc_error.hpp"
#include "devnode/state_store.hpp"
#include "gateway/listener.hpp"

namespace umpire::devnode {
namespace asio = boost::asio;

namespace {
std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
}  // namespace

FundingGrant parse_funding_grant(std::string_view text) {
  const auto equals = text.find('=');
  const auto colon = text.find(':', equals == std::string_view::npos ? 0 : equals);
  if (equals == std::string_view::npos || colon == std::string_view::npos) {
    throw std::invalid_argument("expected 0xADDR=ASSET:AMOUNT, got '" + std::string(text) + "'");
  }
  FundingGrant grant{std::string(text.substr(0, equals)), std::string(text.substr(equals + 1, colon - equals - 1)), {}};
  const auto amount = wire::Decimal::parse(text.substr(colon + 1));
  if (!crypto::Address::try_parse(grant.wallet) || grant.asset.empty() || !amount || !amount->is_positive()) {
    throw std::invalid_argument("invalid funding grant '" + std::string(text) + "'");
  }
  grant.amount = *amount;
  return grant;
}

namespace {

// The configured key; else, with a database, the one kept there (made and stored on first start), so a restarted
// devnode keeps its broker address; else a fresh one.
crypto::PrivateKey choose_broker_key(DevnodeOptions& options, StateStore* store) {
  if (options.broker_key) return std::move(*options.broker_key);
  if (!store) return crypto::PrivateKey::generate();
  if (auto kept = store->load_broker_key()) return std::move(*kept);
  auto key = crypto::PrivateKey::generate();
  store->save_broker_key(key);
  return key;
}

std::unique_ptr<StateStore> open_store(const DevnodeOptions& options) {
  return options.db_path ? std::make_unique<StateStore>(*options.db_path) : nullptr;
}

}  // namespace

// Shared by the Devnode and its connections, so work posted to the strand outlives neither.
struct Devnode::Core {
  Core(asio::io_context& io, DevnodeOptions& options, std::unique_ptr<StateStore> state_store)
      : strand(asio::make_strand(io)),
        store(std::move(state_store)),
        engine(EngineOptions{options.assets, options.message_expiry_ms, 0}, choose_broker_key(options, store.get())) {}

  void dispatch(const std::vector<Delivery>& deliveries) {
    for (const auto& delivery : deliveries) {
      if (const auto it = senders.find(delivery.connection); it != senders.end()) it->second->send(delivery.frame);
    }
  }

  asio::strand<asio::io_context::executor_type> strand;
  std::unique_ptr<StateStore> store;  // when DevnodeOptions::db_path is set; before `engine`, which it keys
  Engine engine;                                                          // touched only on `strand`
  std::map<ConnectionId, std::shared_ptr<gateway::FrameSender>> senders;  // on `strand`
  ConnectionId next_connection = 1;                                       // on `strand`
  std::shared_ptr<gateway::Listener> listener;
  bool tls = false;
  std::size_t max_in_flight = 4096;  // DevnodeOptions sets it
  std::size_t max_frame_bytes = 1 << 20;
};

// One socket. Gateway calls arrive on the socket's strand; engine work hops to the core strand.
class Devnode::Connection final : public gateway::FrameHandler, public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::shared_ptr<Core> core, std::shared_ptr<gateway::FrameSender> sender)
      : core_(std::move(core)), sender_(std::move(sender)) {}

  void on_open() override {
    asio::post(core_->strand, [self = shared_from_this()] {
      self->id_ = self->core_->next_connection++;
      self->core_->senders[self->id_] = self->sender_;
      self->core_->dispatch(self->core_->engine.open_connection(self->id_, now_ms()));
    });
  }

  void on_frame(std::string_view bytes) override {
    if (in_flight_->load() >= core_->max_in_flight) {
      sender_->close("too many requests in flight");
      return;
    }
    ++*in_flight_;
    asio::post(core_->strand, [self = shared_from_this(), frame = std::string(bytes)] {
      self->core_->dispatch(self->core_->engine.handle_frame(self->id_, frame, now_ms()));
      --*self->in_flight_;
    });
  }

  // The gateway read and discarded the frame and keeps the socket open (the node never closes on bad input).
  void on_frame_too_large() override {
    asio::post(core_->strand, [self = shared_from_this()] {
      self->core_->dispatch(self->core_->engine.reject_oversized_frame(self->id_, self->core_->max_frame_bytes, now_ms()));
    });
  }

  void on_closed() override {
    asio::post(core_->strand, [self = shared_from_this()] {
      self->core_->engine.close_connection(self->id_);
      self->core_->senders.erase(self->id_);
    });
  }

 private:
  std::shared_ptr<Core> core_;
  std::shared_ptr<gateway::FrameSender> sender_;
  ConnectionId id_ = 0;  // assigned on the core strand, before any frame of this socket is handled there
  std::shared_ptr<std::atomic<std::size_t>> in_flight_ = std::make_shared<std::atomic<std::size_t>>(0);
};

Devnode::Devnode(asio::io_context& io, DevnodeOptions options)
    : core_(std::make_shared<Core>(io, options, open_store(options))) {
  core_->max_in_flight = options.max_in_flight;
  core_->max_frame_bytes = options.max_frame_bytes;
  std::shared_ptr<asio::ssl::context> tls;
  if (options.tls_cert || options.tls_key) {
    if (!options.tls_cert || !options.tls_key) throw std::invalid_argument("TLS needs both a certificate and a key");
    tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    tls->use_certificate_chain_file(options.tls_cert->string());
    tls->use_private_key_file(options.tls_key->string(), asio::ssl::context::pem);
    core_->tls = true;
  }
  bool restored = false;
  if (core_->store) {
    restored = core_->store->load(core_->engine);
    core_->engine.set_commit_observer([store = core_->store.get()](const Engine& engine) {
      try {
        store->save(engine);
      } catch (const std::exception& error) {  // the request already happened in memory; say so loudly
        std::cerr << "umpire devnode: failed to persist state: " << error.what() << "\n";
      }
    });
  }
  if (!restored) {  // grants fund a fresh node only, never again on restart
    for (const auto& grant : options.fund) core_->engine.fund(grant.wallet, grant.asset, grant.amount, now_ms());
  }

  gateway::SessionLimits limits;
  limits.max_frame_bytes = options.max_frame_bytes;
  limits.max_outbox_frames = 4096;
  limits.idle_timeout = std::chrono::hours(24 * 365);  // the node never times a socket out
  limits.path = "/ws";
  limits.text_frames = true;
  limits.keep_open_on_oversized_frame = true;
  auto core = core_;
  core_->listener = std::make_shared<gateway::Listener>(
      io, gateway::ListenerOptions{options.listen, limits, 50'000}, tls,
      [core](std::shared_ptr<gateway::FrameSender> sender) -> std::shared_ptr<gateway::FrameHandler> {
        return std::make_shared<Connection>(core, std::move(sender));
      });
}

Devnode::~Devnode() {
  stop();
  // The listener's handler factory holds the Core; dropping the Core's hold on the listener breaks that cycle. The
  // accept loop keeps the listener alive until its acceptor is closed by stop().
  core_->listener.reset();
}

void Devnode::start() { core_->listener->start(); }

void Devnode::stop() {
  core_->listener->stop();
  asio::post(core_->strand, [core = core_] {
    for (auto& [id, sender] : core->senders) sender->close("devnode stopping");
  });
}

std::size_t Devnode::open_connections() const { return core_->listener->open_connections(); }
void Devnode::abort_connections() { core_->listener->abort_all(); }

asio::ip::tcp::endpoint Devnode::local_endpoint() const { return core_->listener->local_endpoint(); }

std::string Devnode::url() const {
  const auto endpoint = local_endpoint();
  const auto address = endpoint.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return std::string(core_->tls ? "wss://" : "ws://") + host + ":" + std::to_string(endpoint.port()) + "/ws";
}

const crypto::Address& Devnode::broker_address() const { return core_->engine.broker_address(); }

void Devnode::fund(FundingGrant grant, std::function<void(std::string)> done) {
  asio::post(core_->strand, [core = core_, grant = std::move(grant), done = std::move(done)] {
    std::string error;
    try {
      core->dispatch(core->engine.fund(grant.wallet, grant.asset, grant.amount, now_ms()));
    } catch (const std::exception& failure) {
      error = failure.what();
    }
    if (done) done(error);
  });
}

}  // namespace umpire::devnode
