// cli/serve_command.cpp — `umpire serve`: the command line and the process around cli::Server — configuration
// (file plus flag overrides), the wallet key, the event-loop threads, systemd's notify protocol (READY=1 once the
// ClearNode is authenticated, the journal open and the listeners bound; STATUS=; WATCHDOG=1), SIGTERM/SIGINT
// (graceful drain, exit 0) and SIGHUP (reload the room catalog).
#include <pthread.h>

#include <boost/asio.hpp>
#include <iostream>
#include <thread>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/server.hpp"
#include "cli/wallet_key.hpp"
#include "ops/systemd_notifier.hpp"
#include "referee/room_manager.hpp"

namespace umpire::cli {
namespace {

constexpr const char* kUsage =
    "usage: umpire serve [--config FILE] [--listen HOST:PORT] [--clearnode URL] [--key-file FILE]\n"
    "                    [--state-dir DIR] [--devnode-listen HOST:PORT] [--admin-listen HOST:PORT]\n"
    "                    [--threads N] [--log-level debug|info|warning|error] [--check-config]\n"
    "With no --clearnode (and no [clearnode] url), runs in dev mode on the embedded devnode.\n";

struct ServeArgs {
  ServeConfig config;
  std::optional<std::filesystem::path> config_path;
  bool check_only = false;
  unsigned threads = 0;
  ops::LogLevel log_level = ops::LogLevel::info;
};

ServeArgs parse_serve_args(const std::vector<std::string>& args) {
  OptionSpec spec;
  spec.valued = {"--config", "--listen", "--clearnode", "--key-file", "--state-dir", "--devnode-listen",
                 "--admin-listen", "--threads", "--log-level"};
  spec.flags = {"--check-config", "--help"};
  const auto parsed = parse_options(args, 0, spec);
  if (parsed.flag("--help")) throw UsageError("");
  if (!parsed.positional().empty()) throw UsageError("unexpected argument " + parsed.positional().front());
  ServeArgs out;
  if (const auto path = parsed.value("--config")) {
    out.config_path = *path;
    out.config = load_serve_config(*path);
  } else {
    out.config = parse_serve_config("", "(defaults)");
  }
  auto& c = out.config;
  if (const auto v = parsed.value("--listen")) c.listen = parse_host_port(*v);
  if (const auto v = parsed.value("--clearnode")) c.clearnode_url = *v;
  if (const auto v = parsed.value("--key-file")) c.wallet_key_file = *v;
  if (const auto v = parsed.value("--state-dir")) c.state_dir = *v;
  if (const auto v = parsed.value("--devnode-listen")) c.devnode_listen = parse_host_port(*v);
  if (const auto v = parsed.value("--admin-listen")) {
    if (v->empty()) {
      c.admin_listen.reset();
    } else {
      c.admin_listen = parse_host_port(*v);
    }
  }
  if (const auto v = parsed.value("--threads")) {
    if (v->empty() || v->find_first_not_of("0123456789") != std::string::npos || std::stoul(*v) > 64) {
      throw UsageError("--threads expects a number from 1 to 64");
    }
    out.threads = static_cast<unsigned>(std::stoul(*v));
  }
  if (const auto v = parsed.value("--log-level")) {
    const auto level = ops::parse_log_level(*v);
    if (!level) throw UsageError("--log-level expects debug, info, warning or error");
    out.log_level = *level;
  }
  out.check_only = parsed.flag("--check-config");
  if (!c.dev_mode() && !c.wallet_key_file && !c.wallet_key_credential) {
    throw ConfigError("a ClearNode url needs --key-file (or wallet_key_file / wallet_key_credential)");
  }
  return out;
}

WalletKeySource key_source(const ServeConfig& config) {
  WalletKeySource source;
  source.credential_name = config.wallet_key_credential;
  source.key_file = config.wallet_key_file;
  if (config.dev_mode()) source.generate_into = config.state_dir / "umpire.key";
  return source;
}

// Runs the server until SIGTERM/SIGINT (drain, exit 0) and reloads the catalog on SIGHUP.
asio::awaitable<int> run_server(Server& server, const ServeArgs& args, const ops::Logger& logger,
                                const ops::SystemdNotifier& systemd, std::atomic<bool>& stop_requested) {
  auto executor = co_await asio::this_coro::executor;
  std::string start_error;
  try {
    co_await server.start();
  } catch (const std::exception& error) {
    start_error = error.what();
  }
  if (!start_error.empty()) {
    logger.error("start_failed", ops::LogField("error", start_error));
    std::cerr << "umpire serve: " << start_error << "\n";
    co_await server.stop();
    co_return 1;
  }
  systemd.ready("serving players at " + server.player_url());
  if (server.devnode_url()) {
    std::cerr << "umpire serve: dev mode — players at " << server.player_url() << ", embedded devnode at "
              << *server.devnode_url() << " (no real funds)\n"
              << "  play:  umpire bots --url " << server.player_url() << " --devnode " << *server.devnode_url()
              << " --game tictactoe --bots 2 --games 10\n";
  }

  asio::signal_set signals(executor, SIGINT, SIGTERM, SIGHUP);
  for (;;) {
    const int signal = co_await signals.async_wait(asio::use_awaitable);
    if (signal != SIGHUP) break;
    try {
      if (!args.config_path) throw ConfigError("no --config file to reload");
      auto fresh = load_serve_config(*args.config_path);
      co_await server.reload_catalog(fresh.rooms);
      systemd.status("room catalog reloaded");
    } catch (const std::exception& error) {
      logger.error("reload_failed", ops::LogField("error", error.what()));
    }
  }
  stop_requested = true;
  systemd.stopping("draining games in progress");
  logger.info("draining", ops::LogField("timeout_s", static_cast<std::int64_t>(args.config.drain_timeout.count())));
  co_await server.drain(std::chrono::duration_cast<std::chrono::milliseconds>(args.config.drain_timeout));
  co_await server.stop();
  logger.info("stopped");
  co_return 0;
}

asio::awaitable<void> watchdog_loop(const ops::SystemdNotifier& systemd, std::chrono::microseconds interval,
                                    std::atomic<bool>& stop_requested) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!stop_requested) {
    systemd.watchdog();  // sent from the event loop: a stuck loop stops the pings and systemd restarts us
    timer.expires_after(interval);
    co_await timer.async_wait(asio::use_awaitable);
  }
}

}  // namespace

int run_serve_command(const std::vector<std::string>& args) {
  ServeArgs parsed;
  try {
    parsed = parse_serve_args(args);
  } catch (const UsageError& error) {
    if (std::string(error.what()).empty()) {
      std::cout << kUsage;
      return 0;
    }
    std::cerr << "umpire serve: " << error.what() << "\n" << kUsage;
    return 2;
  } catch (const std::exception& error) {
    std::cerr << "umpire serve: " << error.what() << "\n";
    return 1;
  }
  if (parsed.check_only) {
    std::cout << "configuration ok: " << parsed.config.rooms.size() << " room types, "
              << (parsed.config.dev_mode() ? "dev mode (embedded devnode)" : "ClearNode " + *parsed.config.clearnode_url)
              << "\n";
    return 0;
  }

  const ops::Logger logger(parsed.log_level, ops::make_stderr_sink());
  const ops::SystemdNotifier systemd;
  try {
    auto key = load_wallet_key(key_source(parsed.config));
    logger.info("wallet_key", ops::LogField("source", key.description), ops::LogField("address", key.key.address().checksum()));
    asio::io_context io;
    Server server(io, parsed.config, std::move(key.key), logger);
    std::atomic<bool> stop_requested{false};
    int exit_code = 1;
    asio::co_spawn(io, run_server(server, parsed, logger, systemd, stop_requested), [&](std::exception_ptr failure, int code) {
      exit_code = failure ? 1 : code;
      if (failure) {
        try {
          std::rethrow_exception(failure);
        } catch (const std::exception& error) {
          logger.error("serve_failed", ops::LogField("error", error.what()));
        }
      }
      stop_requested = true;
      io.stop();
    });
    if (const auto interval = systemd.watchdog_ping_interval()) {
      asio::co_spawn(io, watchdog_loop(systemd, *interval, stop_requested), asio::detached);
    }
    const unsigned threads = parsed.threads ? parsed.threads : std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::thread> workers;
    for (unsigned i = 1; i < threads; ++i) {
      workers.emplace_back([&io] {
        pthread_setname_np(pthread_self(), "umpire-players");  // the main thread runs the same loop as "umpire"
        io.run();
      });
    }
    io.run();
    for (auto& worker : workers) worker.join();
    return exit_code;
  } catch (const std::exception& error) {
    logger.error("serve_failed", ops::LogField("error", error.what()));
    std::cerr << "umpire serve: " << error.what() << "\n";
    return 1;
  }
}

}  // namespace umpire::cli
