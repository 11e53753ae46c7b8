// `serve` configuration: the sample in deploy/ parses, defaults apply, and every kind of mistake is an error that
// names the key and its line.
#include <gtest/gtest.h>

#include "cli/serve_config.hpp"

using namespace umpire::cli;

namespace {
std::string error_of(const std::string& toml) {
  try {
    parse_serve_config(toml, "test.toml");
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "";
}
}  // namespace

TEST(ServeConfig, SampleInDeployParses) {
  const auto config = load_serve_config(std::string(UMPIRE_SOURCE_DIR) + "/deploy/umpire.toml");
  EXPECT_FALSE(config.dev_mode());
  EXPECT_EQ(config.listen.text(), "0.0.0.0:7000");
  EXPECT_EQ(config.wallet_key_credential, "wallet.key");
  ASSERT_EQ(config.rooms.size(), 2u);
  EXPECT_EQ(config.rooms[0].stake, "1");
  EXPECT_EQ(config.rooms[0].rake_bps, 100u);
  EXPECT_EQ(config.rooms[1].games_per_session, 0u);
  EXPECT_EQ(config.rooms[1].turn_time, std::chrono::seconds(30)) << "room defaults apply";
  EXPECT_EQ(config.loop_lag_sample, std::chrono::milliseconds(10));
  EXPECT_EQ(config.journal_commit_delay, std::chrono::microseconds(1000)) << "the sample shows the default";
}

TEST(ServeConfig, LoopLagSamplingCanBeSetOrTurnedOff) {
  EXPECT_EQ(parse_serve_config("", "t.toml").loop_lag_sample, std::chrono::milliseconds(10)) << "the default";
  EXPECT_EQ(parse_serve_config("[server]\nloop_lag_sample_ms = 1\n", "t.toml").loop_lag_sample,
            std::chrono::milliseconds(1));
  EXPECT_EQ(parse_serve_config("[server]\nloop_lag_sample_ms = 0\n", "t.toml").loop_lag_sample,
            std::chrono::milliseconds(0));
  EXPECT_EQ(error_of("[server]\nloop_lag_sample_ms = -1\n"),
            "test.toml:2: server.loop_lag_sample_ms: must be between 0 and 60000");
}

TEST(ServeConfig, JournalCommitDelayDefaultsToAMillisecondAndCanBeTurnedOff) {
  const auto defaults = parse_serve_config("", "t.toml");
  EXPECT_EQ(defaults.journal_commit_delay, std::chrono::microseconds(1000));
  EXPECT_EQ(defaults.journal_commit_siblings, 4u);
  const auto set = parse_serve_config("[journal]\ncommit_delay_us = 1500\ncommit_siblings = 16\n", "t.toml");
  EXPECT_EQ(set.journal_commit_delay, std::chrono::microseconds(1500));
  EXPECT_EQ(set.journal_commit_siblings, 16u);
  EXPECT_EQ(parse_serve_config("[journal]\ncommit_delay_us = 0\n", "t.toml").journal_commit_delay,
            std::chrono::microseconds(0));
  EXPECT_EQ(error_of("[journal]\ncommit_delay_us = 200000\n"),
            "test.toml:2: journal.commit_delay_us: must be between 0 and 100000");
  EXPECT_EQ(error_of("[journal]\ncommit_siblings = 0\n"),
            "test.toml:2: journal.commit_siblings: must be between 1 and 4096");
}

TEST(ServeConfig, EmptyFileIsDevModeWithDefaultCatalog) {
  const auto config = parse_serve_config("", "empty.toml");
  EXPECT_TRUE(config.dev_mode());
  EXPECT_EQ(config.rooms.size(), default_room_catalog().size());
  EXPECT_EQ(config.listen.text(), "127.0.0.1:7000");
}

TEST(ServeConfig, ErrorsNameTheKeyAndLine) {
  EXPECT_EQ(error_of("[server]\nlisen = \"1.2.3.4:5\"\n"), "test.toml:2: server.lisen: unknown key");
  EXPECT_EQ(error_of("[limits]\nmax_frame_bytes = \"big\"\n"), "test.toml:2: limits.max_frame_bytes: must be an integer");
  EXPECT_EQ(error_of("\n\n[limits]\nmessages_per_second = 0\n"),
            "test.toml:4: limits.messages_per_second: must be between 1 and 100000");
  EXPECT_EQ(error_of("[[room]]\nid = \"a\"\ngame = \"tictactoe\"\nasset = \"usdc\"\nstake = \"-1\"\n"),
            "test.toml:5: room.stake: must be a positive decimal string like \"1.5\"");
  EXPECT_NE(error_of("[[room]]\nid = \"a\"\n").find("room.game: is required"), std::string::npos);
  EXPECT_EQ(error_of("[server]\nlisten = \"nohost\"\n"),
            "test.toml:2: server.listen: expected host:port, got \"nohost\"");
  EXPECT_EQ(error_of("[clearnode]\nurl = \"http://x\"\n"), "test.toml:2: clearnode.url: must start with ws:// or wss://");
  EXPECT_NE(error_of("[clearnode]\nurl = \"wss://x/ws\"\n").find("wallet_key_file or wallet_key_credential"),
            std::string::npos);
  EXPECT_EQ(error_of("[bogus]\n"), "test.toml:1: bogus: unknown key");
  EXPECT_NE(error_of("[server\n").find("test.toml:1:"), std::string::npos) << "TOML syntax errors carry the line";
}

TEST(ServeConfig, DuplicateRoomIdsAreRejected) {
  const std::string room = "[[room]]\nid = \"a\"\ngame = \"tictactoe\"\nasset = \"usdc\"\nstake = \"1\"\n";
  EXPECT_EQ(error_of(room + room), "test.toml:7: room.id: duplicate room id \"a\"");
}

TEST(ServeConfig, HostPortForms) {
  EXPECT_EQ(parse_host_port("[::1]:80").host, "::1");
  EXPECT_EQ(parse_host_port("localhost:65535").port, 65535);
  EXPECT_THROW(parse_host_port("h:65536"), ConfigError);
  EXPECT_THROW(parse_host_port("h:"), ConfigError);
}

// ---- wallet key sources ----
#include <unistd.h>

#include "cli/wallet_key.hpp"

namespace {
std::filesystem::path fresh_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("umpire-wallet-" + std::to_string(::getpid()) + "-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}
}  // namespace

TEST(WalletKey, CredentialWinsAndComesFromCredentialsDirectory) {
  const auto dir = fresh_dir("cred");
  const auto key = umpire::crypto::PrivateKey::generate();
  umpire::crypto::write_key_file(dir / "wallet.key", key);
  ::setenv("CREDENTIALS_DIRECTORY", dir.c_str(), 1);
  const auto loaded = load_wallet_key({"wallet.key", dir / "other.key", std::nullopt});
  ::unsetenv("CREDENTIALS_DIRECTORY");
  EXPECT_EQ(loaded.key.address(), key.address());
  EXPECT_EQ(loaded.description, "systemd credential wallet.key");
}

TEST(WalletKey, CredentialWithoutSystemdIsAClearError) {
  ::unsetenv("CREDENTIALS_DIRECTORY");
  try {
    load_wallet_key({"wallet.key", std::nullopt, std::nullopt});
    FAIL();
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("CREDENTIALS_DIRECTORY"), std::string::npos);
  }
}

TEST(WalletKey, DevKeyIsGeneratedOnceThenReused) {
  const auto dir = fresh_dir("dev");
  const auto first = load_wallet_key({std::nullopt, std::nullopt, dir / "state" / "umpire.key"});
  const auto second = load_wallet_key({std::nullopt, std::nullopt, dir / "state" / "umpire.key"});
  EXPECT_EQ(first.key.address(), second.key.address());
  EXPECT_NE(first.description.find("(new)"), std::string::npos);
  EXPECT_EQ(second.description.find("(new)"), std::string::npos);
}
