// cli/server.cpp — see the header.
#include "cli/server.hpp"

#include <openssl/rand.h>
#include <pthread.h>

#include <boost/asio/ssl.hpp>
#include <filesystem>
#include <map>
#include <thread>

#include "clearnode/clearnode_client.hpp"
#include "devnode/devnode.hpp"
#include "gateway/listener.hpp"
#include "gateway/player_session.hpp"
#include "journal/journal.hpp"
#include "ops/admin_server.hpp"
#include "ops/loop_lag.hpp"
#include "referee/room_manager.hpp"
#include "rooms/registry.hpp"

namespace umpire::cli {
namespace {

namespace fs = std::filesystem;

asio::ip::tcp::endpoint endpoint_of(const HostPort& where) {
  return {asio::ip::make_address(where.host == "localhost" ? "127.0.0.1" : where.host), where.port};
}

fs::path inside(const fs::path& state_dir, const fs::path& path) {
  return path.is_absolute() ? path : state_dir / path;
}

// A login nonce: 16 bytes from OpenSSL's CSPRNG (a guessable nonce would let a recorded login be replayed).
std::string random_nonce() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) throw std::runtime_error("RAND_bytes failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (auto b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

// The referee reports events as `event=name key=value key="quoted value"`; this turns them into logger fields.
void log_event_line(const ops::Logger& logger, ops::LogLevel level, std::string_view line) {
  std::string event = "referee";
  std::vector<ops::LogField> fields;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    const auto eq = line.find('=', i);
    if (eq == std::string_view::npos) break;
    const auto key = line.substr(i, eq - i);
    std::string value;
    i = eq + 1;
    if (i < line.size() && line[i] == '"') {
      const auto close = line.find('"', i + 1);
      value = std::string(line.substr(i + 1, (close == std::string_view::npos ? line.size() : close) - i - 1));
      i = close == std::string_view::npos ? line.size() : close + 1;
    } else {
      const auto space = line.find(' ', i);
      value = std::string(line.substr(i, (space == std::string_view::npos ? line.size() : space) - i));
      i = space == std::string_view::npos ? line.size() : space;
    }
    if (key == "event") {
      event = value;
    } else {
      fields.emplace_back(key, value);
    }
  }
  logger.log(level, event, fields);
}

ops::LogLevel to_ops(referee::LogLevel level) {
  switch (level) {
    case referee::LogLevel::debug: return ops::LogLevel::debug;
    case referee::LogLevel::info: return ops::LogLevel::info;
    case referee::LogLevel::warning: return ops::LogLevel::warning;
    default: return ops::LogLevel::error;
  }
}

// After stop(): waits for every connection to end, closing handshakes included, then drops the ones still open
// after 3 s, so that no connection's handler outlives the parts it calls into (and the devnode's database is
// released before a new server opens it).
template <class Endpoint>
asio::awaitable<void> wait_for_connections_to_end(Endpoint& endpoint, const ops::Logger& logger, const char* which) {
  asio::steady_timer pause(co_await asio::this_coro::executor);
  for (int i = 0; i < 50 && endpoint.open_connections() > 0; ++i) {
    if (i == 30) {
      logger.warning("connections_dropped", ops::LogField("listener", which),
                     ops::LogField("count", static_cast<std::int64_t>(endpoint.open_connections())));
      if constexpr (requires { endpoint.abort_all(); }) {
        endpoint.abort_all();
      } else {
        endpoint.abort_connections();
      }
    }
    pause.expires_after(std::chrono::milliseconds(100));
    co_await pause.async_wait(asio::use_awaitable);
  }
}

}  // namespace

// An event loop on a thread of its own, for the two parts that must not wait behind the players' traffic:
// - the ClearNode link (the money path: pings, creates, checkpoints and closes). On the players' loop it took one
//   turn of that loop per frame written, and at 1,000 busy rooms a turn lasted tens of milliseconds: requests went
//   out at a few dozen a second, timed out, and their retries and resolutions piled up (measured with bench/run);
// - the embedded devnode, which stands in for a ClearNode, a process of its own.
// On their own threads the kernel shares the CPU between them and the relay, as it would between processes.
// The io_context is shared: an object made on it (its strands) may outlive the Server (the referee keeps the
// ClearNode client, and a player connection still open keeps the referee), and a strand's destructor reaches into
// the io_context it came from. The thread is the Server's alone and is joined with it.
// The thread is named (`top -H`, perf, gdb show it) after what it runs: at most 15 characters.
struct OwnLoop {
  explicit OwnLoop(const char* thread_name)
      : thread{[context = io, thread_name] {
          pthread_setname_np(pthread_self(), thread_name);
          context->run();
        }} {}

  std::shared_ptr<asio::io_context> io = std::make_shared<asio::io_context>(1);
  asio::executor_work_guard<asio::io_context::executor_type> work{io->get_executor()};
  std::thread thread;

  // Ends the loop; pending handlers are destroyed with io, after the objects they point into are gone.
  void join() {
    work.reset();
    io->stop();
    if (thread.joinable()) thread.join();
  }
  ~OwnLoop() { join(); }
};

struct Server::Parts {
  Parts(asio::io_context& context, ServeConfig serve_config, crypto::PrivateKey wallet_key, ops::Logger log)
      : io(context),
        config(std::move(serve_config)),
        wallet(std::make_shared<crypto::KeySigner>(std::move(wallet_key))),
        logger(std::move(log)),
        games(rooms::make_default_registry()) {}

  asio::io_context& io;
  ServeConfig config;
  std::shared_ptr<crypto::KeySigner> wallet;
  ops::Logger logger;
  rooms::GameRegistry games;
  ops::Registry metrics;
  std::unique_ptr<OwnLoop> devnode_loop;    // declared before devnode: outlives it
  std::unique_ptr<OwnLoop> clearnode_loop;  // declared before clearnode: outlives it
  std::unique_ptr<devnode::Devnode> devnode;
  std::unique_ptr<journal::Journal> journal;
  std::shared_ptr<clearnode::ClearNodeClient> clearnode;
  std::shared_ptr<referee::RoomManager> referee;
  std::shared_ptr<gateway::ConnectionRegistry> connections;
  std::shared_ptr<gateway::Listener> listener;
  std::shared_ptr<ops::AdminServer> admin;
  std::vector<std::shared_ptr<ops::LoopLagProbe>> loop_lag_probes;
  std::shared_ptr<asio::ssl::context> player_tls;
  std::map<std::string, unsigned> asset_decimals;
  std::atomic<bool> ready{false};
  std::atomic<bool> draining{false};
  bool stopped = false;

  std::vector<referee::RoomType> room_types(const std::vector<RoomTypeConfig>& rooms) const {
    std::vector<referee::RoomType> out;
    for (const auto& room : rooms) {
      referee::RoomType type;
      type.id = room.id;
      type.game = games.find(room.game);
      if (!type.game) throw ConfigError("room " + room.id + ": unknown game \"" + room.game + "\"");
      type.asset = room.asset;
      const auto decimals = asset_decimals.find(room.asset);
      if (decimals == asset_decimals.end()) {
        throw ConfigError("room " + room.id + ": the ClearNode has no asset \"" + room.asset + "\"");
      }
      type.decimals = decimals->second;
      try {
        type.stake = referee::parse_units(room.stake, type.decimals);
        type.wager = room.games_per_session == 1 ? type.stake
                     : room.wager.empty()        ? type.stake / 10
                                                 : referee::parse_units(room.wager, type.decimals);
      } catch (const std::exception& error) {
        throw ConfigError("room " + room.id + ": " + error.what());
      }
      type.seats = room.seats;
      type.turn_ms = static_cast<std::uint64_t>(room.turn_time.count()) * 1000;
      type.reconnect_ms = static_cast<std::uint64_t>(room.reconnect_window.count()) * 1000;
      type.proposal_ms = static_cast<std::uint64_t>(room.proposal_deadline.count()) * 1000;
      type.rake_bps = room.rake_bps;
      type.games_per_session = room.games_per_session;
      type.max_open_rooms = room.max_open_rooms;
      type.validate();
      out.push_back(std::move(type));
    }
    return out;
  }
};

namespace {

// The loop's lag as a metric: how long a due handler waits for the loop (see ops/loop_lag.hpp). Where a move's
// latency goes that the referee's own histogram does not show. Null when not sampled.
std::shared_ptr<ops::LoopLagProbe> sample_loop_lag(ops::Registry& metrics, std::chrono::milliseconds period,
                                                   const std::string& loop, const asio::any_io_executor& executor) {
  if (period.count() == 0) return nullptr;
  auto& histogram = metrics.histogram("umpire_event_loop_lag_seconds",
                                      "How late an event loop ran a due timer, sampled every loop_lag_sample_ms",
                                      {{"loop", loop}});
  return ops::LoopLagProbe::start(executor, period, [&histogram](ops::LoopLagProbe::Clock::duration lag) {
    histogram.observe_nanoseconds(
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(lag).count()));
  });
}

}  // namespace

Server::Server(asio::io_context& io, ServeConfig config, crypto::PrivateKey wallet, ops::Logger logger)
    : parts_(std::make_unique<Parts>(io, std::move(config), std::move(wallet), std::move(logger))) {
  auto& p = *parts_;
  fs::create_directories(p.config.state_dir);

  if (p.config.dev_mode()) {
    devnode::DevnodeOptions options;
    options.listen = p.config.devnode_listen ? endpoint_of(*p.config.devnode_listen)
                                             : asio::ip::tcp::endpoint{asio::ip::make_address("127.0.0.1"), 0};
    if (p.config.devnode_persist) options.db_path = p.config.state_dir / "devnode.db";
    options.assets = devnode::parse_asset_list([&] {
      std::string list;
      for (const auto& asset : p.config.devnode_assets) list += (list.empty() ? "" : ",") + asset;
      return list;
    }());
    p.devnode_loop = std::make_unique<OwnLoop>("umpire-devnode");
    p.devnode = std::make_unique<devnode::Devnode>(*p.devnode_loop->io, std::move(options));
  }

  if (p.config.journal_enabled) {
    journal::JournalOptions journal_options;
    journal_options.path = inside(p.config.state_dir, p.config.journal_path);
    journal_options.sync_every_commit = p.config.journal_sync_full;
    journal_options.commit_delay = p.config.journal_commit_delay;
    journal_options.commit_siblings = p.config.journal_commit_siblings;
    // Counted here so that /metrics shows the batching factor (records ÷ commits) an operator tunes the delay by.
    journal_options.on_commit = [commits = &p.metrics.counter("umpire_journal_commits_total",
                                                              "Journal transactions committed (one disk sync each)"),
                                 records = &p.metrics.counter("umpire_journal_records_committed_total",
                                                              "Journal records made durable"),
                                 delayed = &p.metrics.counter("umpire_journal_delayed_commits_total",
                                                              "Journal commits that first waited [journal] commit_delay_us"),
                                 failed = &p.metrics.counter("umpire_journal_failed_commits_total",
                                                             "Journal transactions that failed and were rolled back")](
                                    std::size_t count, bool was_delayed, bool was_failed) {
      if (was_failed) {
        failed->increment();
        return;
      }
      commits->increment();
      records->increment(count);
      if (was_delayed) delayed->increment();
    };
    p.journal = journal::Journal::open(journal_options);
  } else {
    p.logger.warning("journal_disabled", ops::LogField("consequence", "a crash or restart loses every game in progress"));
  }

  if (p.config.tls_cert) {
    p.player_tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    p.player_tls->use_certificate_chain_file(p.config.tls_cert->string());
    p.player_tls->use_private_key_file(p.config.tls_key->string(), asio::ssl::context::pem);
  }
}

Server::~Server() {
  if (parts_) {
    for (auto& probe : parts_->loop_lag_probes) probe->stop();  // they record into parts_->metrics
  }
  // The link's and the devnode's handlers run on their own threads: stop them before what they use is destroyed.
  if (parts_ && parts_->clearnode_loop) parts_->clearnode_loop->join();
  if (parts_ && parts_->devnode_loop) parts_->devnode_loop->join();
}

asio::awaitable<void> Server::start() {
  auto& p = *parts_;
  const std::string umpire = p.wallet->address().checksum();
  std::string url;
  if (p.devnode) {
    p.devnode->start();
    url = p.devnode->url();
    p.logger.info("devnode_started", ops::LogField("url", url), ops::LogField("broker", p.devnode->broker_address().checksum()));
  } else {
    url = *p.config.clearnode_url;
  }

  clearnode::ClientOptions client;
  client.url = url;
  client.ca_file = p.config.clearnode_ca_file;
  client.wallet = p.wallet;
  if (!p.config.fresh_session_key) client.session_key = p.wallet;
  client.application = p.config.application;
  client.scope = "app.create";
  for (const auto& allowance : p.config.allowances) client.allowances.push_back({allowance.asset, allowance.amount});
  client.session_key_lifetime = p.config.session_key_lifetime;
  client.call_timeout = p.config.request_timeout;
  client.max_in_flight = p.config.max_requests_in_flight;
  client.max_prepared_age = std::chrono::milliseconds(50'000);  // proposals wait up to 45 s; the node allows 60 s
  auto logger = p.logger;
  client.log = [logger](clearnode::LogLevel level, std::string_view line) {
    const auto mapped = level == clearnode::LogLevel::debug     ? ops::LogLevel::debug
                        : level == clearnode::LogLevel::info    ? ops::LogLevel::info
                        : level == clearnode::LogLevel::warning ? ops::LogLevel::warning
                                                                : ops::LogLevel::error;
    logger.log(mapped, "clearnode", std::array{ops::LogField("detail", line)});
  };
  p.clearnode_loop = std::make_unique<OwnLoop>("umpire-link");
  // Whoever lets go of the client last (the referee after this Server is gone, or one of the client's own
  // coroutines still held by a pending operation) lets go of its loop's io_context only after the client is
  // destroyed. (An aliasing wrapper around the client did not do: the client's coroutines hold shared_from_this(),
  // the inner reference, and one of them outlived the io_context at shutdown; found by ASan in the crash tests.)
  p.clearnode = clearnode::ClearNodeClient::create(p.clearnode_loop->io->get_executor(), std::move(client),
                                                   p.clearnode_loop->io);
  p.clearnode->start();
  for (auto probe : {sample_loop_lag(p.metrics, p.config.loop_lag_sample, "players", p.io.get_executor()),
                     sample_loop_lag(p.metrics, p.config.loop_lag_sample, "clearnode",
                                     p.clearnode_loop->io->get_executor())}) {
    if (probe) p.loop_lag_probes.push_back(std::move(probe));
  }
  co_await p.clearnode->wait_ready(std::chrono::seconds(30));
  p.logger.info("clearnode_ready", ops::LogField("url", url), ops::LogField("broker", p.clearnode->broker_address().value_or("")));

  for (const auto& asset : co_await p.clearnode->get_assets()) {
    p.asset_decimals[asset.symbol] = static_cast<unsigned>(asset.decimals);
  }

  referee::RefereeOptions options;
  options.umpire_address = p.wallet->address();
  options.application = p.config.application;
  options.room_types = p.room_types(p.config.rooms);
  options.checkpoint_every_moves = p.config.checkpoint_every_moves;
  options.checkpoint_every_ms = static_cast<std::uint64_t>(p.config.checkpoint_every.count()) * 1000;
  options.games = &p.games;
  options.log = [logger](referee::LogLevel level, std::string_view line) {
    log_event_line(logger, to_ops(level), line);
  };
  p.referee = referee::RoomManager::create(p.io.get_executor(), std::move(options),
                                           referee::make_clearnode_session_port(p.clearnode, umpire), p.journal.get(),
                                           &p.metrics);
  // Before any player can connect: rooms from the journal, reconciled with the ClearNode.
  const auto recovery = co_await p.referee->recover();
  p.logger.info("recovered", ops::LogField("resumed", static_cast<std::int64_t>(recovery.resumed)),
                ops::LogField("closing", static_cast<std::int64_t>(recovery.closing)),
                ops::LogField("aborted", static_cast<std::int64_t>(recovery.aborted)),
                ops::LogField("already_closed", static_cast<std::int64_t>(recovery.already_closed)),
                ops::LogField("unknown_open_sessions", static_cast<std::int64_t>(recovery.unknown_open_sessions.size())));

  p.connections = std::make_shared<gateway::ConnectionRegistry>(p.config.max_connections_per_address);
  gateway::PlayerProtocolOptions protocol;
  protocol.server_address = umpire;
  protocol.messages_per_second = p.config.messages_per_second;
  protocol.message_burst = p.config.message_burst;
  gateway::ListenerOptions listen;
  listen.endpoint = endpoint_of(p.config.listen);
  listen.session_limits.max_frame_bytes = p.config.max_frame_bytes;
  listen.session_limits.max_outbox_frames = p.config.outbox_frames;
  listen.max_connections = p.config.max_connections;
  p.listener = std::make_shared<gateway::Listener>(
      p.io, listen, p.player_tls,
      gateway::make_player_protocol(protocol, p.connections, p.referee, [] { return random_nonce(); }));
  p.listener->start();

  if (p.config.admin_listen) {
    auto* parts = parts_.get();
    p.admin = std::make_shared<ops::AdminServer>(p.io, endpoint_of(*p.config.admin_listen), p.metrics,
                                                 [parts]() -> std::optional<std::string> {
                                                   if (!parts->ready) return "starting";
                                                   if (parts->draining) return "draining";
                                                   if (parts->clearnode && !parts->clearnode->stats().link_ready) {
                                                     return "the ClearNode link is down (not authenticated)";
                                                   }
                                                   if (parts->journal) {
                                                     if (auto error = parts->journal->stats().last_commit_error) {
                                                       return "the journal is not writable: " + *error;
                                                     }
                                                   }
                                                   return std::nullopt;
                                                 });
    p.admin->start();
  }
  p.ready = true;
  p.logger.info("serving", ops::LogField("players", player_url()), ops::LogField("umpire", umpire),
                ops::LogField("mode", p.devnode ? "dev" : "clearnode"));
}

asio::awaitable<void> Server::drain(std::chrono::milliseconds timeout) {
  auto& p = *parts_;
  if (!p.referee) co_return;
  p.draining = true;
  co_await p.referee->start_draining();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  asio::steady_timer pause(co_await asio::this_coro::executor);
  for (;;) {
    const auto counts = co_await p.referee->counts();
    if (counts.active_games == 0) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      p.logger.warning("drain_timeout", ops::LogField("games_in_progress", counts.active_games));
      break;
    }
    pause.expires_after(std::chrono::milliseconds(100));
    co_await pause.async_wait(asio::use_awaitable);
  }
  co_await p.referee->checkpoint_all();
}

asio::awaitable<void> Server::reload_catalog(std::vector<RoomTypeConfig> rooms) {
  auto& p = *parts_;
  if (!p.referee) co_return;
  co_await p.referee->reload_catalog(p.room_types(rooms));
}

asio::awaitable<void> Server::stop() {
  auto& p = *parts_;
  if (p.stopped) co_return;
  p.stopped = true;
  p.ready = false;
  if (p.listener) {
    p.listener->stop();
    co_await wait_for_connections_to_end(*p.listener, p.logger, "players");
  }
  if (p.admin) p.admin->stop();
  for (auto& probe : p.loop_lag_probes) probe->stop();
  if (p.referee) co_await p.referee->shutdown();
  if (p.clearnode) co_await p.clearnode->stop();
  if (p.journal) p.journal->flush();
  if (p.devnode) {
    p.devnode->stop();
    co_await wait_for_connections_to_end(*p.devnode, p.logger, "devnode");
  }
}

std::string Server::player_url() const {
  const auto endpoint = parts_->listener ? parts_->listener->local_endpoint() : endpoint_of(parts_->config.listen);
  return std::string(parts_->player_tls ? "wss://" : "ws://") + endpoint.address().to_string() + ":" +
         std::to_string(endpoint.port()) + "/play";
}

std::optional<std::string> Server::devnode_url() const {
  if (!parts_->devnode) return std::nullopt;
  return parts_->devnode->url();
}

std::optional<asio::ip::tcp::endpoint> Server::admin_endpoint() const {
  if (!parts_->admin) return std::nullopt;
  return parts_->admin->local_endpoint();
}

asio::awaitable<void> Server::dev_fund(std::string wallet, std::string asset, std::string amount) {
  if (!parts_->devnode) throw std::logic_error("dev_fund needs dev mode (the embedded devnode)");
  const auto decimal = wire::Decimal::parse(amount);
  if (!decimal) throw std::invalid_argument("not a decimal amount: " + amount);
  // The devnode answers on its own thread. The completion handler is posted back to the caller's executor and owns
  // everything it touches, so nothing in this frame is reached from the devnode thread (a stack timer used to be, and
  // the frame could be gone before the other thread finished with it).
  devnode::Devnode& node = *parts_->devnode;
  devnode::FundingGrant grant{std::move(wallet), std::move(asset), *decimal};
  auto initiate = [&node, &grant](auto handler) {
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    node.fund(std::move(grant), [shared](std::string error) {
      auto executor = asio::get_associated_executor(*shared);
      asio::post(executor, [shared, error = std::move(error)]() mutable { (*shared)(std::move(error)); });
    });
  };
  const std::string error =
      co_await asio::async_initiate<decltype(asio::use_awaitable), void(std::string)>(initiate, asio::use_awaitable);
  if (!error.empty()) throw std::runtime_error("devnode_fund: " + error);
}

std::string Server::umpire_address() const { return parts_->wallet->address().checksum(); }
ops::Registry& Server::metrics() { return parts_->metrics; }
referee::RoomManager& Server::referee() { return *parts_->referee; }
bool Server::ready() const { return parts_->ready; }

}  // namespace umpire::cli
