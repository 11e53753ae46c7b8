// cli/serve_config.cpp — TOML → ServeConfig with toml++. Every table lists the keys it knows; anything else is an
// error with its line, so a typo never silently falls back to a default.
#include "cli/serve_config.hpp"

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <toml++/toml.h>

namespace umpire::cli {
namespace {

class Reader {
 public:
  Reader(const toml::table& table, std::string origin, std::string prefix)
      : table_(table), origin_(std::move(origin)), prefix_(std::move(prefix)) {}

  [[noreturn]] void fail(const toml::node* node, const std::string& key, const std::string& problem) const {
    const auto line = node ? node->source().begin.line : table_.source().begin.line;
    throw ConfigError(origin_ + ":" + std::to_string(line) + ": " + prefix_ + key + ": " + problem);
  }

  void only(std::initializer_list<std::string_view> keys) const {
    const std::set<std::string_view> allowed(keys);
    for (const auto& [key, node] : table_) {
      if (!allowed.contains(key.str())) fail(&node, std::string(key.str()), "unknown key");
    }
  }

  const toml::node* node(const std::string& key) const { return table_.get(key); }

  std::optional<std::string> string(const std::string& key) const {
    const auto* n = node(key);
    if (!n) return std::nullopt;
    if (!n->is_string()) fail(n, key, "must be a string");
    return n->as_string()->get();
  }

  std::optional<std::int64_t> integer(const std::string& key, std::int64_t min, std::int64_t max) const {
    const auto* n = node(key);
    if (!n) return std::nullopt;
    if (!n->is_integer()) fail(n, key, "must be an integer");
    const auto value = n->as_integer()->get();
    if (value < min || value > max) {
      fail(n, key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    return value;
  }

  std::optional<bool> boolean(const std::string& key) const {
    const auto* n = node(key);
    if (!n) return std::nullopt;
    if (!n->is_boolean()) fail(n, key, "must be true or false");
    return n->as_boolean()->get();
  }

  std::optional<HostPort> host_port(const std::string& key) const {
    const auto text = string(key);
    if (!text) return std::nullopt;
    try {
      return parse_host_port(*text);
    } catch (const ConfigError& error) {
      fail(node(key), key, error.what());
    }
  }

  template <class T>
  void set(const std::string& key, T& target, std::int64_t min, std::int64_t max) const {
    if (const auto value = integer(key, min, max)) target = static_cast<T>(*value);
  }
  template <class Duration>
  void set_duration(const std::string& key, Duration& target, std::int64_t min, std::int64_t max) const {
    if (const auto value = integer(key, min, max)) target = Duration(*value);
  }

  Reader sub(const std::string& key) const {
    const auto* n = node(key);
    if (!n->is_table()) fail(n, key, "must be a table");
    return Reader(*n->as_table(), origin_, prefix_ + key + ".");
  }
  const toml::table& table() const { return table_; }
  const std::string& origin() const { return origin_; }

 private:
  const toml::table& table_;
  std::string origin_;
  std::string prefix_;
};

// A positive decimal string such as "1", "0.5", "100.25" (the referee converts it with the asset's decimals).
bool is_decimal(const std::string& text, bool allow_zero) {
  if (text.empty() || text.front() == '.' || text.back() == '.') return false;
  bool dot = false, nonzero = false;
  for (char c : text) {
    if (c == '.') {
      if (dot) return false;
      dot = true;
    } else if (c < '0' || c > '9') {
      return false;
    } else if (c != '0') {
      nonzero = true;
    }
  }
  return allow_zero || nonzero;
}

void read_server(const Reader& r, ServeConfig& config) {
  r.only({"listen", "admin_listen", "state_dir", "tls_cert", "tls_key", "drain_timeout_seconds",
          "loop_lag_sample_ms"});
  if (auto v = r.host_port("listen")) config.listen = *v;
  if (auto v = r.string("admin_listen")) config.admin_listen = v->empty() ? std::nullopt : r.host_port("admin_listen");
  if (auto v = r.string("state_dir")) config.state_dir = *v;
  if (auto v = r.string("tls_cert")) config.tls_cert = *v;
  if (auto v = r.string("tls_key")) config.tls_key = *v;
  if (config.tls_cert.has_value() != config.tls_key.has_value()) {
    r.fail(r.node(config.tls_cert ? "tls_cert" : "tls_key"), config.tls_cert ? "tls_cert" : "tls_key",
           "tls_cert and tls_key go together");
  }
  r.set_duration("drain_timeout_seconds", config.drain_timeout, 0, 86400);
  r.set_duration("loop_lag_sample_ms", config.loop_lag_sample, 0, 60000);
}

void read_clearnode(const Reader& r, ServeConfig& config) {
  r.only({"url", "ca_file", "application", "wallet_key_file", "wallet_key_credential", "session_key",
          "session_key_lifetime_seconds", "allowances", "request_timeout_ms", "max_requests_in_flight"});
  if (auto v = r.string("url")) {
    if (!v->starts_with("ws://") && !v->starts_with("wss://")) r.fail(r.node("url"), "url", "must start with ws:// or wss://");
    config.clearnode_url = *v;
  }
  if (auto v = r.string("ca_file")) config.clearnode_ca_file = *v;
  if (auto v = r.string("application")) {
    if (v->empty()) r.fail(r.node("application"), "application", "must not be empty (it is the EIP-712 domain name)");
    config.application = *v;
  }
  if (auto v = r.string("wallet_key_file")) config.wallet_key_file = *v;
  if (auto v = r.string("wallet_key_credential")) config.wallet_key_credential = *v;
  if (auto v = r.string("session_key")) {
    if (*v != "generate" && *v != "wallet") r.fail(r.node("session_key"), "session_key", "must be \"generate\" or \"wallet\"");
    config.fresh_session_key = *v == "generate";
  }
  r.set_duration("session_key_lifetime_seconds", config.session_key_lifetime, 60, 365LL * 86400);
  r.set_duration("request_timeout_ms", config.request_timeout, 100, 600000);
  r.set("max_requests_in_flight", config.max_requests_in_flight, 1, 100000);
  if (const auto* list = r.node("allowances")) {
    if (!list->is_array()) r.fail(list, "allowances", "must be an array of {asset, amount} tables");
    for (const auto& item : *list->as_array()) {
      if (!item.is_table()) r.fail(&item, "allowances", "must be an array of {asset, amount} tables");
      Reader a(*item.as_table(), r.origin(), "clearnode.allowances.");
      a.only({"asset", "amount"});
      AllowanceConfig allowance{a.string("asset").value_or(""), a.string("amount").value_or("")};
      if (allowance.asset.empty()) a.fail(&item, "asset", "is required");
      if (!is_decimal(allowance.amount, true)) a.fail(a.node("amount"), "amount", "must be a non-negative decimal string");
      config.allowances.push_back(allowance);
    }
  }
}

void read_devnode(const Reader& r, ServeConfig& config) {
  r.only({"listen", "assets", "persist"});
  config.devnode_listen = r.host_port("listen");
  if (auto v = r.boolean("persist")) config.devnode_persist = *v;
  if (const auto* list = r.node("assets")) {
    if (!list->is_array()) r.fail(list, "assets", "must be an array of \"symbol:decimals\" strings");
    config.devnode_assets.clear();
    for (const auto& item : *list->as_array()) {
      if (!item.is_string() || item.as_string()->get().find(':') == std::string::npos) {
        r.fail(&item, "assets", "must be an array of \"symbol:decimals\" strings");
      }
      config.devnode_assets.push_back(item.as_string()->get());
    }
  }
}

void read_limits(const Reader& r, ServeConfig& config) {
  r.only({"max_frame_bytes", "messages_per_second", "message_burst", "max_connections",
          "max_connections_per_address", "outbox_frames"});
  r.set("max_frame_bytes", config.max_frame_bytes, 256, 16 << 20);
  r.set("messages_per_second", config.messages_per_second, 1, 100000);
  r.set("message_burst", config.message_burst, 1, 100000);
  r.set("max_connections", config.max_connections, 1, 10'000'000);
  r.set("max_connections_per_address", config.max_connections_per_address, 1, 1000);
  r.set("outbox_frames", config.outbox_frames, 8, 1'000'000);
}

void read_checkpoint(const Reader& r, ServeConfig& config) {
  r.only({"every_moves", "every_seconds"});
  r.set("every_moves", config.checkpoint_every_moves, 1, 1'000'000);
  r.set_duration("every_seconds", config.checkpoint_every, 1, 86400);
}

void read_journal(const Reader& r, ServeConfig& config) {
  r.only({"enabled", "path", "sync", "commit_delay_us", "commit_siblings"});
  if (auto v = r.boolean("enabled")) config.journal_enabled = *v;
  if (auto v = r.string("path")) config.journal_path = *v;
  if (auto v = r.string("sync")) {
    if (*v != "full" && *v != "normal") r.fail(r.node("sync"), "sync", "must be \"full\" or \"normal\"");
    config.journal_sync_full = *v == "full";
  }
  r.set_duration("commit_delay_us", config.journal_commit_delay, 0, 100'000);
  r.set("commit_siblings", config.journal_commit_siblings, 1, 4096);
}

RoomTypeConfig read_room(const Reader& r) {
  r.only({"id", "game", "asset", "stake", "seats", "turn_seconds", "reconnect_seconds", "proposal_seconds",
          "rake_bps", "games_per_session", "max_open_rooms", "wager"});
  RoomTypeConfig room;
  room.id = r.string("id").value_or("");
  room.game = r.string("game").value_or("");
  room.asset = r.string("asset").value_or("");
  room.stake = r.string("stake").value_or("");
  for (const auto* key : {"id", "game", "asset", "stake"}) {
    if (!r.node(key)) r.fail(nullptr, key, "is required");
  }
  if (!is_decimal(room.stake, false)) r.fail(r.node("stake"), "stake", "must be a positive decimal string like \"1.5\"");
  r.set("seats", room.seats, 2, 16);
  r.set_duration("turn_seconds", room.turn_time, 1, 3600);
  r.set_duration("reconnect_seconds", room.reconnect_window, 0, 3600);
  r.set_duration("proposal_seconds", room.proposal_deadline, 5, 50);
  r.set("rake_bps", room.rake_bps, 0, 5000);
  r.set("games_per_session", room.games_per_session, 0, 1'000'000);
  r.set("max_open_rooms", room.max_open_rooms, 1, 1'000'000);
  if (r.node("wager")) {
    room.wager = r.string("wager").value_or("");
    if (!is_decimal(room.wager, false)) r.fail(r.node("wager"), "wager", "must be a positive decimal string like \"0.5\"");
    if (room.games_per_session == 1) r.fail(r.node("wager"), "wager", "only series tables (games_per_session != 1) take a wager");
  }
  return room;
}

}  // namespace

HostPort parse_host_port(std::string_view text) {
  std::string host;
  std::string_view port_text;
  if (text.starts_with('[')) {
    const auto close = text.find("]:");
    if (close == std::string_view::npos) throw ConfigError("expected [ipv6]:port, got \"" + std::string(text) + "\"");
    host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      throw ConfigError("expected host:port, got \"" + std::string(text) + "\"");
    }
    host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  unsigned port = 0;
  if (port_text.empty() || port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string_view::npos ||
      (port = static_cast<unsigned>(std::stoul(std::string(port_text)))) > 65535) {
    throw ConfigError("bad port in \"" + std::string(text) + "\"");
  }
  return {host, static_cast<std::uint16_t>(port)};
}

std::vector<RoomTypeConfig> default_room_catalog() {
  auto room = [](std::string id, std::string game, unsigned games_per_session) {
    RoomTypeConfig r;
    r.id = std::move(id);
    r.game = std::move(game);
    r.asset = "usdc";
    r.stake = "1";
    r.rake_bps = 100;
    r.games_per_session = games_per_session;
    return r;
  };
  auto series = room("tictactoe-series", "tictactoe", 0);
  series.stake = "10";
  series.wager = "1";
  return {room("tictactoe", "tictactoe", 1), room("connect_four", "connect_four", 1),
          room("rock_paper_scissors", "rock_paper_scissors", 1), series};
}

ServeConfig parse_serve_config(std::string_view toml_text, const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& error) {
    throw ConfigError(origin + ":" + std::to_string(error.source().begin.line) + ": " +
                      std::string(error.description()));
  }
  ServeConfig config;
  const Reader top(root, origin, "");
  top.only({"server", "clearnode", "devnode", "limits", "checkpoint", "journal", "room"});
  using Section = void (*)(const Reader&, ServeConfig&);
  const std::map<std::string, Section> sections = {{"server", read_server},     {"clearnode", read_clearnode},
                                                   {"devnode", read_devnode},   {"limits", read_limits},
                                                   {"checkpoint", read_checkpoint}, {"journal", read_journal}};
  for (const auto& [name, read] : sections) {
    if (top.node(name)) read(top.sub(name), config);
  }
  if (const auto* rooms = top.node("room")) {
    if (!rooms->is_array_of_tables()) top.fail(rooms, "room", "must be [[room]] tables");
    std::set<std::string> ids;
    for (const auto& item : *rooms->as_array()) {
      const Reader r(*item.as_table(), origin, "room.");
      auto room = read_room(r);
      if (!ids.insert(room.id).second) r.fail(r.node("id"), "id", "duplicate room id \"" + room.id + "\"");
      config.rooms.push_back(std::move(room));
    }
  }
  if (config.rooms.empty()) config.rooms = default_room_catalog();
  if (!config.dev_mode() && !config.wallet_key_file && !config.wallet_key_credential) {
    top.fail(top.node("clearnode"), "clearnode.wallet_key_file",
             "a ClearNode url needs wallet_key_file or wallet_key_credential");
  }
  return config;
}

ServeConfig load_serve_config(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path.string() + ": cannot read the file");
  std::stringstream text;
  text << in.rdbuf();
  return parse_serve_config(text.str(), path.string());
}

}  // namespace umpire::cli
