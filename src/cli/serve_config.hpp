// cli/serve_config.hpp — the configuration of `umpire serve`: the TOML schema as C++ structs, parsed and checked in
// one place. Unknown keys and bad values are errors that name the key and its line. Components receive these
// structs (or parts of them); none reads a file itself. Amounts stay decimal strings here.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace umpire::cli {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
  std::string text() const { return host + ":" + std::to_string(port); }
};

struct AllowanceConfig {
  std::string asset;
  std::string amount;  // decimal string, as sent in auth_request
};

struct RoomTypeConfig {
  std::string id;                   // stable name players join by, e.g. "tictactoe-1usdc"
  std::string game;                 // a game registered under rooms/
  std::string asset;                // ClearNode asset symbol, e.g. "usdc"
  std::string stake;                // per seat, decimal string
  unsigned seats = 2;
  std::chrono::seconds turn_time{30};
  std::chrono::seconds reconnect_window{60};
  std::chrono::seconds proposal_deadline{30};  // must stay well inside the node's 60 s request window
  unsigned rake_bps = 0;            // Umpire's cut in basis points, rounded down
  unsigned games_per_session = 1;   // series tables: N games per app session, 0 = until a player leaves
  unsigned max_open_rooms = 10000;  // quick-match opens rooms of this type up to this many
  std::string wager;                // series tables: at stake per seat in each game; empty = a tenth of the stake
};

struct ServeConfig {
  // [server]
  HostPort listen{"127.0.0.1", 7000};
  std::optional<HostPort> admin_listen = HostPort{"127.0.0.1", 9100};
  std::filesystem::path state_dir = ".umpire";
  std::optional<std::filesystem::path> tls_cert;
  std::optional<std::filesystem::path> tls_key;
  std::chrono::seconds drain_timeout{60};
  // How often each event loop (the players' and the ClearNode link's) is sampled for lag; 0 = not sampled.
  std::chrono::milliseconds loop_lag_sample{10};
  // [clearnode] — no url means dev mode: the embedded devnode
  std::optional<std::string> clearnode_url;
  std::optional<std::filesystem::path> clearnode_ca_file;
  std::string application = "umpire";
  std::optional<std::filesystem::path> wallet_key_file;   // absent in dev mode: generated into state_dir
  std::optional<std::string> wallet_key_credential;       // systemd LoadCredential= name
  bool fresh_session_key = true;                          // false: the wallet key signs every request itself
  std::chrono::seconds session_key_lifetime{24 * 3600};
  std::vector<AllowanceConfig> allowances;
  std::chrono::milliseconds request_timeout{10000};
  unsigned max_requests_in_flight = 1024;
  // [devnode] (dev mode only)
  std::optional<HostPort> devnode_listen;
  std::vector<std::string> devnode_assets{"usdc:6"};
  bool devnode_persist = true;  // false: the devnode's books in memory (benchmarks: its disk is not Umpire's)
  // [limits]
  std::size_t max_frame_bytes = 16 * 1024;
  unsigned messages_per_second = 50;
  unsigned message_burst = 100;
  std::size_t max_connections = 50000;
  unsigned max_connections_per_address = 4;
  std::size_t outbox_frames = 1024;
  // [checkpoint]
  unsigned checkpoint_every_moves = 10;
  std::chrono::seconds checkpoint_every{30};
  // [journal]
  bool journal_enabled = true;  // false only for benchmarks of the journal's cost: no crash recovery then
  std::filesystem::path journal_path = "journal.db";  // relative paths are inside state_dir
  bool journal_sync_full = true;
  // Group commit under load: see JournalOptions::commit_delay. On by default: it waits only while commit_siblings
  // records keep arriving during each commit (with 1,000 thinking players, on 2 commits in 13,000), and there it
  // cut the journal writer's CPU per move by about two fifths (BENCHMARKS.md). 0 turns it off.
  std::chrono::microseconds journal_commit_delay{1000};
  std::size_t journal_commit_siblings = 4;
  // [[room]]
  std::vector<RoomTypeConfig> rooms;

  bool dev_mode() const { return !clearnode_url.has_value(); }
};

// The room catalog `serve` uses when the configuration names none: one type per game plus a tic-tac-toe series.
std::vector<RoomTypeConfig> default_room_catalog();

// Parses TOML text; `origin` names the file in error messages. Throws ConfigError("origin:LINE: key: problem").
ServeConfig parse_serve_config(std::string_view toml_text, const std::string& origin);
ServeConfig load_serve_config(const std::filesystem::path& path);

// "host:port" or "[v6]:port"; throws ConfigError.
HostPort parse_host_port(std::string_view text);

}  // namespace umpire::cli
