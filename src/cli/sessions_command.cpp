// cli/sessions_command.cpp — `umpire sessions`: the operator's view of Umpire's app sessions at the ClearNode,
// and the one manual action on them. `list` shows every open session with Umpire as participant and whether the
// journal knows it (an unknown one is what start-up recovery reports and leaves alone). `close ID --refund` closes
// one with each player's stake returned exactly as the journaled create request locked it, or, for a session the
// journal does not know, with the allocations the operator states (never guessed: this moves real money).
#include <boost/asio.hpp>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "clearnode/clearnode_client.hpp"
#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/serve_config.hpp"
#include "cli/wallet_key.hpp"
#include "journal/journal.hpp"
#include "referee/session_port.hpp"

namespace umpire::cli {
namespace {

namespace asio = boost::asio;
using nlohmann::json;

constexpr const char* kUsage =
    "usage: umpire sessions list [--config FILE] [--clearnode URL] [--key-file FILE] [--state-dir DIR]\n"
    "       umpire sessions close APP_SESSION_ID --refund [--allocations ADDR=AMOUNT,…] [same options]\n"
    "list: the open app sessions with Umpire as participant, and whether the journal knows each.\n"
    "close --refund: returns each player's stake as the journaled create request locked it; a session unknown to\n"
    "the journal needs --allocations (one ADDR=AMOUNT per participant with funds; Umpire gets the rest: nothing).\n"
    "The ClearNode is --clearnode, [clearnode] url, or in dev mode the devnode at [devnode] listen (serve running).\n";

struct Target {
  std::string url;
  std::shared_ptr<crypto::KeySigner> wallet;
  std::filesystem::path journal_path;
  ServeConfig config;
};

Target target_of(const ParsedOptions& parsed) {
  Target target;
  target.config = parsed.value("--config") ? load_serve_config(*parsed.value("--config"))
                                           : parse_serve_config("", "(defaults)");
  auto& config = target.config;
  if (const auto v = parsed.value("--clearnode")) config.clearnode_url = *v;
  if (const auto v = parsed.value("--key-file")) config.wallet_key_file = *v;
  if (const auto v = parsed.value("--state-dir")) config.state_dir = *v;
  if (config.clearnode_url) {
    target.url = *config.clearnode_url;
  } else if (config.devnode_listen) {
    target.url = "ws://" + config.devnode_listen->host + ":" + std::to_string(config.devnode_listen->port) + "/ws";
  } else {
    throw UsageError("no ClearNode: give --clearnode URL (in dev mode, the devnode that serve --devnode-listen opens)");
  }
  WalletKeySource source;
  source.credential_name = config.wallet_key_credential;
  source.key_file = config.wallet_key_file;
  if (!source.key_file && !source.credential_name) source.key_file = config.state_dir / "umpire.key";  // dev mode
  target.wallet = std::make_shared<crypto::KeySigner>(load_wallet_key(source).key);
  target.journal_path = config.journal_path.is_absolute() ? config.journal_path : config.state_dir / config.journal_path;
  return target;
}

// The journal's proposals by app session id: the room and the exact create request's allocations.
struct JournaledSession {
  std::string room_id;
  json allocations;  // as in the signed create request
  bool finished = false;
};

std::map<std::string, JournaledSession> journaled_sessions(const std::filesystem::path& path) {
  std::map<std::string, JournaledSession> out;
  if (!std::filesystem::exists(path)) return out;
  journal::JournalOptions options;
  options.path = path;
  const auto journal = journal::Journal::open(options);
  const auto unfinished = journal->unfinished_rooms();
  for (const auto& record : journal->read_all()) {
    if (record.kind != "proposal") continue;
    const auto payload = json::parse(record.payload, nullptr, false);
    if (!payload.is_object()) continue;
    auto params = json::parse(payload.value("request", ""), nullptr, false);
    if (!params.is_array() || params.size() < 3) continue;
    params = params.at(2);
    if (params.is_array() && !params.empty()) params = params.at(0);
    auto& session = out[payload.value("app_session_id", "")];
    session.room_id = record.room_id;
    session.allocations = params.value("allocations", json::array());
    session.finished = std::find(unfinished.begin(), unfinished.end(), record.room_id) == unfinished.end();
  }
  return out;
}

// "0xA=1.5,0xB=2" → allocations of `asset`.
std::vector<clearnode::AppAllocation> parse_allocations(const std::string& text, const std::string& asset) {
  std::vector<clearnode::AppAllocation> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    const auto item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const auto eq = item.find('=');
    const auto amount = eq == std::string::npos ? std::nullopt : wire::Decimal::parse(item.substr(eq + 1));
    if (!amount || eq == 0) throw UsageError("--allocations expects ADDR=AMOUNT[,ADDR=AMOUNT…], got '" + item + "'");
    clearnode::AppAllocation allocation;
    allocation.participant = crypto::Address::parse(item.substr(0, eq)).checksum();
    allocation.asset = asset;
    allocation.amount = *amount;
    out.push_back(std::move(allocation));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

template <class Body>
void with_clearnode(const Target& target, Body body) {
  asio::io_context io;
  clearnode::ClientOptions options;
  options.url = target.url;
  options.ca_file = target.config.clearnode_ca_file;
  options.wallet = target.wallet;
  options.application = target.config.application;
  options.scope = "app.create";
  auto client = clearnode::ClearNodeClient::create(io.get_executor(), options);
  client->start();
  auto done = asio::co_spawn(
      io,
      [client, body, &target]() -> asio::awaitable<void> {
        std::exception_ptr failure;
        try {
          co_await client->wait_ready(std::chrono::seconds(20));
          // The referee's own view of Umpire's sessions: the same paging, lookup and close as recovery uses.
          const auto sessions = referee::make_clearnode_session_port(client, target.wallet->address().checksum());
          co_await body(*sessions);
        } catch (...) {
          failure = std::current_exception();
        }
        co_await client->stop();
        if (failure) std::rethrow_exception(failure);
      },
      asio::use_future);
  io.run();
  done.get();
}

int list_sessions(const Target& target, std::ostream& out) {
  const auto journaled = journaled_sessions(target.journal_path);
  const std::string umpire = target.wallet->address().checksum();
  std::size_t unknown = 0;
  with_clearnode(target, [&](referee::SessionPort& node) -> asio::awaitable<void> {
    const auto sessions = co_await node.open_sessions();
    out << sessions.size() << " open app session(s) with " << umpire << " as participant\n";
    for (const auto& session : sessions) {
      const auto known = journaled.find(session.app_session_id);
      std::string players;
      for (const auto& participant : session.participants) {
        if (participant != umpire) players += (players.empty() ? "" : ",") + participant;
      }
      out << session.app_session_id << "  version " << session.version << "  created " << session.created_at
          << "  players " << players << "  "
          << (known == journaled.end() ? "UNKNOWN to the journal" : "room " + known->second.room_id) << "\n";
      if (known == journaled.end()) ++unknown;
    }
  });
  if (unknown) out << unknown << " unknown: `umpire sessions close ID --refund --allocations …` closes one\n";
  return 0;
}

int close_session(const Target& target, const std::string& id, const ParsedOptions& parsed, std::ostream& out) {
  if (!parsed.flag("--refund")) throw UsageError("close needs --refund (the only manual close there is)");
  const auto journaled = journaled_sessions(target.journal_path);
  const std::string umpire = target.wallet->address().checksum();
  with_clearnode(target, [&](referee::SessionPort& node) -> asio::awaitable<void> {
    const auto info = co_await node.find(id);
    if (!info || info->status != "open") throw std::runtime_error("app session " + id + " is not open at the ClearNode");
    if (std::find(info->participants.begin(), info->participants.end(), umpire) == info->participants.end()) {
      throw std::runtime_error("app session " + id + " does not have " + umpire + " as participant");
    }
    clearnode::CloseAppSessionParams params;
    params.app_session_id = id;
    const auto known = journaled.find(id);
    if (const auto given = parsed.value("--allocations")) {
      std::string asset = "usdc";
      if (known != journaled.end() && !known->second.allocations.empty()) {
        asset = known->second.allocations.at(0).value("asset", asset);
      }
      params.allocations = parse_allocations(*given, asset);
    } else if (known != journaled.end()) {
      for (const auto& allocation : known->second.allocations) {
        const auto amount = wire::Decimal::parse(allocation.at("amount").get<std::string>());
        if (!amount) throw std::runtime_error("a journaled stake is not a decimal");
        clearnode::AppAllocation refund;
        refund.participant = allocation.at("participant").get<std::string>();
        refund.asset = allocation.at("asset").get<std::string>();
        refund.amount = *amount;
        params.allocations.push_back(std::move(refund));
      }
    } else {
      throw std::runtime_error("app session " + id +
                               " is unknown to the journal: state the refund with --allocations ADDR=AMOUNT,…");
    }
    for (const auto& allocation : params.allocations) {
      if (std::find(info->participants.begin(), info->participants.end(), allocation.participant) ==
          info->participants.end()) {
        throw std::runtime_error(allocation.participant + " is not a participant of " + id);
      }
    }
    const auto result = co_await node.close(params);
    out << "closed " << id << " at version " << result.version << ", refunded:";
    for (const auto& allocation : params.allocations) {
      out << " " << allocation.participant << "=" << allocation.amount.to_string() << " " << allocation.asset;
    }
    out << "\n";
  });
  return 0;
}

}  // namespace

int run_sessions_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  try {
    OptionSpec spec;
    spec.valued = {"--config", "--clearnode", "--key-file", "--state-dir", "--allocations"};
    spec.flags = {"--refund", "--help"};
    const auto parsed = parse_options(args, 0, spec);
    if (parsed.flag("--help")) {
      out << kUsage;
      return 0;
    }
    const auto& words = parsed.positional();
    if (words.empty()) throw UsageError("name a subcommand: list or close");
    if (words[0] == "list" && words.size() == 1) return list_sessions(target_of(parsed), out);
    if (words[0] == "close" && words.size() == 2) return close_session(target_of(parsed), words[1], parsed, out);
    throw UsageError("expected `list` or `close APP_SESSION_ID`");
  } catch (const UsageError& error) {
    err << "umpire sessions: " << error.what() << "\n" << kUsage;
    return 2;
  } catch (const std::exception& error) {
    err << "umpire sessions: " << error.what() << "\n";
    return 1;
  }
}

}  // namespace umpire::cli
