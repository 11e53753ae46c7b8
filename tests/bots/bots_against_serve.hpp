// tests/bots/bots_against_serve.hpp — the fixture shared by the bots' end-to-end suites: one `umpire serve` in dev
// mode (embedded devnode) per suite as a separate process on free ports, `umpire bots` runs against it with their
// JSON summary parsed, and the checks every clean run must pass.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "support/umpire_process.hpp"

namespace umpire::testing {

using namespace std::chrono_literals;

class BotsAgainstServe : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fs::exists(umpire_binary())) return;
    dir_ = fresh_test_dir("umpire-bots-e2e");
    players_port_ = free_port();
    devnode_port_ = free_port();
    admin_port_ = free_port();
    const auto admin_port = admin_port_;
    std::vector<std::string> args{"serve",
                                  "--listen",
                                  "127.0.0.1:" + std::to_string(players_port_),
                                  "--state-dir",
                                  (dir_ / "state").string(),
                                  "--devnode-listen",
                                  "127.0.0.1:" + std::to_string(devnode_port_),
                                  "--admin-listen",
                                  "127.0.0.1:" + std::to_string(admin_port)};
    serve_ = new UmpireProcess(args, dir_ / "serve.log");
    ready_ = serve_->wait_listening({players_port_, devnode_port_});
  }
  static void TearDownTestSuite() {
    if (serve_ && serve_->running()) {
      // SIGTERM drains and exits 0 (a use-after-free in the drain once made this crash unnoticed).
      serve_->signal(SIGTERM);
      EXPECT_TRUE(serve_->wait_exit(60s));
      EXPECT_EQ(serve_->status(), 0) << read_text(dir_ / "serve.log");
    }
    delete serve_;
    serve_ = nullptr;
    if (!dir_.empty() && !::testing::Test::HasFailure()) fs::remove_all(dir_);
  }
  void SetUp() override {
    if (!fs::exists(umpire_binary())) GTEST_SKIP() << "no umpire binary at " << umpire_binary();
    if (!ready_) {
      const std::string text = read_text(dir_ / "serve.log");
      if (text.find("not built") != std::string::npos) GTEST_SKIP() << "serve is not part of this build";
      FAIL() << "umpire serve did not start listening; its log:\n" << text;
    }
  }

  // Runs the bots and returns their JSON summary (an empty object on failure, with the test failed).
  nlohmann::json bots(std::vector<std::string> extra, std::chrono::seconds timeout = 60s) {
    std::vector<std::string> args{"bots",      "--url",    "ws://127.0.0.1:" + std::to_string(players_port_) + "/play",
                                  "--devnode", "ws://127.0.0.1:" + std::to_string(devnode_port_) + "/ws",
                                  "--json",    "--seed",   "7"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto log = dir_ / "bots.log";
    const Finished finished = run_umpire(args, log, timeout);
    const std::string stderr_text = read_text(log);
    EXPECT_EQ(finished.status, 0) << "stdout:\n" << finished.out << "\nstderr so far:\n" << stderr_text;
    const auto json = nlohmann::json::parse(finished.out, nullptr, false);
    EXPECT_TRUE(json.is_object()) << finished.out;
    return json.is_object() ? json : nlohmann::json::object();
  }

  static void expect_clean(const nlohmann::json& summary) {
    ASSERT_TRUE(summary.contains("games_completed")) << summary.dump();
    EXPECT_EQ(summary["games_aborted"], 0) << summary.dump();
    EXPECT_EQ(summary["errors"], nlohmann::json::object()) << summary.dump();
    EXPECT_EQ(summary["wrong_payouts"], 0) << summary.dump();
    EXPECT_EQ(summary["payouts_checked"], summary["games_completed"]) << summary.dump();
    EXPECT_EQ(summary["conservation_ok"], true) << summary.dump();
    EXPECT_GT(summary["moves"].get<std::uint64_t>(), 0u);
    EXPECT_GT(summary["move_rtt_us"]["p50"].get<std::uint64_t>(), 0u);
    EXPECT_GE(summary["move_rtt_us"]["max"].get<std::uint64_t>(), summary["move_rtt_us"]["p99"].get<std::uint64_t>());
    // The bots sampled their own loop (every millisecond, so any run of a second or more has samples).
    EXPECT_GE(summary["event_loop_lag_us"]["max"].get<std::uint64_t>(),
              summary["event_loop_lag_us"]["p99"].get<std::uint64_t>());
    EXPECT_GT(summary["event_loop_lag_us"]["max"].get<std::uint64_t>(), 0u) << "no sample, or a loop never late";
    // The rake the games announced is exactly what Umpire's balance gained, and what the bots lost.
    EXPECT_EQ(summary["umpire_balance_change"], summary["rake_reported"]) << summary.dump();
    EXPECT_EQ("-" + summary["umpire_balance_change"].get<std::string>(), summary["bots_balance_change"]);
  }

  static inline fs::path dir_;
  static inline std::uint16_t players_port_ = 0;
  static inline std::uint16_t devnode_port_ = 0;
  static inline std::uint16_t admin_port_ = 0;
  static inline UmpireProcess* serve_ = nullptr;
  static inline bool ready_ = false;
};

}  // namespace umpire::testing
