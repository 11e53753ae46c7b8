// bench/connector_load.cpp — `window` worker coroutines share one ClearNodeClient on one thread; each runs
// lifecycles back to back. Params are built by helper functions (GCC 12 and braced lists in coroutines).
#include "connector_load.hpp"

#include <boost/asio.hpp>
#include <chrono>
#include <stdexcept>

#include "clearnode/clearnode_client.hpp"
#include "crypto/eth_messages.hpp"
#include "devnode_process.hpp"  // own_cpu_seconds, thread_cpu_seconds
#include "scenario.hpp"

namespace umpire::bench {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using Signer = std::shared_ptr<crypto::KeySigner>;

struct ConnectorLoad::State {
  asio::io_context io;
  std::shared_ptr<clearnode::ClearNodeClient> client;
  Signer referee = std::make_shared<crypto::KeySigner>(crypto::PrivateKey::generate());
  std::vector<std::pair<Signer, Signer>> players;  // one pair per worker
  std::size_t total = 0;
  CloseSigners close_signers = CloseSigners::referee;
  std::size_t next = 0;  // next lifecycle index to start
  std::size_t workers_running = 0;
  Clock::time_point started;
  ConnectorOutcome outcome;
};

namespace {

using State = ConnectorLoad::State;

wire::Decimal amount(const char* text) { return *wire::Decimal::parse(text); }

nlohmann::json funding_grant(const crypto::Signer& player) {
  return {{"wallet", player.address().checksum()}, {"asset", kAsset}, {"amount", kPlayerFunding}};
}

clearnode::CreateAppSessionParams create_params(const State& state, std::size_t slot, std::uint64_t index) {
  const auto& [a, b] = state.players[slot];
  clearnode::CreateAppSessionParams params;
  params.definition.application = kApplication;
  params.definition.protocol = kProtocol;
  params.definition.participants = {a->address().checksum(), b->address().checksum(), state.referee->address().checksum()};
  params.definition.weights = {0, 0, 100};
  params.definition.quorum = 100;
  params.definition.challenge = kChallengeSeconds;
  params.definition.nonce = index + 1;
  params.allocations = {{a->address().checksum(), kAsset, amount(kStake)}, {b->address().checksum(), kAsset, amount(kStake)}};
  return params;
}

clearnode::CloseAppSessionParams close_params(const State& state, std::size_t slot, std::uint64_t index,
                                              std::string app_session_id) {
  const auto& [a, b] = state.players[slot];
  const bool a_wins = player_a_wins(index);
  clearnode::CloseAppSessionParams params;
  params.app_session_id = std::move(app_session_id);
  params.allocations = {{a->address().checksum(), kAsset, amount(a_wins ? kPot : "0")},
                        {b->address().checksum(), kAsset, amount(a_wins ? "0" : kPot)},
                        {state.referee->address().checksum(), kAsset, amount("0")}};
  return params;
}

// Both players sign the exact request bytes. Their CPU is set apart: in production it is spent on their machines.
std::vector<crypto::Signature> players_sign(State& state, std::size_t slot, const clearnode::PreparedRequest& prepared) {
  const double before = thread_cpu_seconds();
  std::vector<crypto::Signature> signatures{crypto::sign_rpc_payload(*state.players[slot].first, prepared.payload),
                                            crypto::sign_rpc_payload(*state.players[slot].second, prepared.payload)};
  state.outcome.player_signing_cpu_seconds += thread_cpu_seconds() - before;
  return signatures;
}

asio::awaitable<void> lifecycle(State& state, std::size_t slot, std::uint64_t index) {
  auto create = state.client->prepare_create_app_session(create_params(state, slot, index));
  auto create_signatures = players_sign(state, slot, create);
  const auto created = co_await state.client->submit_prepared(std::move(create), std::move(create_signatures));
  auto close = state.client->prepare_close_app_session(close_params(state, slot, index, created.app_session_id));
  auto close_signatures = state.close_signers == CloseSigners::all ? players_sign(state, slot, close)
                                                                   : std::vector<crypto::Signature>();
  const auto closed = co_await state.client->submit_prepared(std::move(close), std::move(close_signatures));
  if (closed.status != "closed") throw std::runtime_error("close answered with status '" + closed.status + "'");
}

asio::awaitable<void> worker(State& state, std::size_t slot) {
  while (state.next < state.total && state.outcome.load.errors == 0) {
    const std::uint64_t index = state.next++;
    try {
      co_await lifecycle(state, slot, index);
    } catch (const std::exception& error) {
      if (state.outcome.load.errors++ == 0) state.outcome.load.first_error = error.what();
      co_return;
    }
    if (++state.outcome.load.completed == state.total) {
      state.outcome.load.seconds = std::chrono::duration<double>(Clock::now() - state.started).count();
    }
  }
}

asio::awaitable<void> fund_players(State& state) {
  co_await state.client->wait_ready(std::chrono::seconds(10));
  for (const auto& [a, b] : state.players) {
    co_await state.client->call("devnode_fund", funding_grant(*a));
    co_await state.client->call("devnode_fund", funding_grant(*b));
  }
}

asio::awaitable<nlohmann::json> read_audit(State& state) {
  co_return co_await state.client->call("devnode_audit", nlohmann::json::object());
}

// Runs `op` on the io_context (whose other work — the connector's link — never ends by itself) until it finishes.
template <class T>
T run_until_done(asio::io_context& io, asio::awaitable<T> op) {
  std::exception_ptr failure;
  std::optional<T> result;
  bool done = false;
  asio::co_spawn(io, std::move(op), [&](std::exception_ptr error, T value) {
    failure = error;
    if (!error) result = std::move(value);
    done = true;
  });
  while (!done) io.run_one();
  if (failure) std::rethrow_exception(failure);
  return std::move(*result);
}

void run_until_done(asio::io_context& io, asio::awaitable<void> op) {
  std::exception_ptr failure;
  bool done = false;
  asio::co_spawn(io, std::move(op), [&](std::exception_ptr error) {
    failure = error;
    done = true;
  });
  while (!done) io.run_one();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace

ConnectorLoad::ConnectorLoad(ConnectorLoadOptions options)
    : options_(std::move(options)), state_(std::make_unique<State>()) {
  if (options_.window == 0 || options_.lifecycles == 0) throw std::invalid_argument("need a window and lifecycles");
  state_->total = options_.lifecycles;
  state_->close_signers = options_.close_signers;
  for (std::size_t i = 0; i < options_.window; ++i) {
    state_->players.emplace_back(std::make_shared<crypto::KeySigner>(crypto::PrivateKey::generate()),
                                 std::make_shared<crypto::KeySigner>(crypto::PrivateKey::generate()));
  }
  clearnode::ClientOptions client;
  client.url = options_.url;
  client.wallet = state_->referee;
  client.application = kApplication;
  client.scope = "app.create";
  state_->client = clearnode::ClearNodeClient::create(state_->io.get_executor(), std::move(client));
}

ConnectorLoad::~ConnectorLoad() {
  try {
    run_until_done(state_->io, state_->client->stop());
  } catch (const std::exception&) {  // stopping is best effort at the end of a benchmark
  }
}

void ConnectorLoad::setup() {
  state_->client->start();
  run_until_done(state_->io, fund_players(*state_));
}

ConnectorOutcome ConnectorLoad::run() {
  State& state = *state_;
  const double cpu_before = own_cpu_seconds();
  state.started = Clock::now();
  for (std::size_t slot = 0; slot < options_.window; ++slot) {
    ++state.workers_running;
    asio::co_spawn(state.io, worker(state, slot), [&state](std::exception_ptr) { --state.workers_running; });
  }
  while (state.workers_running > 0) state.io.run_one();
  if (state.outcome.load.seconds == 0) {
    state.outcome.load.seconds = std::chrono::duration<double>(Clock::now() - state.started).count();
  }
  state.outcome.process_cpu_seconds = own_cpu_seconds() - cpu_before;
  return state.outcome;
}

nlohmann::json ConnectorLoad::audit() { return run_until_done(state_->io, read_audit(*state_)); }

}  // namespace umpire::bench
