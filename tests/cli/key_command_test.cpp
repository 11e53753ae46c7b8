// `umpire key`: round trips between new, address, sign and recover, and clear one-line errors on bad input.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/commands.hpp"

using umpire::cli::run_key_command;

namespace {

struct Result {
  int code;
  std::string out;
  std::string err;
};

Result key(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int code = run_key_command(args, out, err);
  return {code, out.str(), err.str()};
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

class KeyCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("umpire-key-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string write(const std::string& name, const std::string& content) const {
    std::ofstream(path(name), std::ios::binary) << content;
    return path(name);
  }
  std::filesystem::path dir_;
};

}  // namespace

TEST_F(KeyCommand, NewAddressSignRecoverRoundTrip) {
  const auto created = key({"new", "--out", path("k.hex")});
  ASSERT_EQ(created.code, 0) << created.err;
  const std::string address = first_line(created.out);
  EXPECT_EQ(std::filesystem::status(path("k.hex")).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_EQ(first_line(key({"address", "--key-file", path("k.hex")}).out), address);

  const auto data = write("data.json", R"([1,"ping",{},1733412346000])");
  for (const bool personal : {false, true}) {
    std::vector<std::string> sign_args = {"sign", "--key-file", path("k.hex"), "--data-file", data};
    std::vector<std::string> recover_args = {"recover", "--data-file", data, "--sig"};
    const auto signed_ = key(personal ? (sign_args.push_back("--personal"), sign_args) : sign_args);
    ASSERT_EQ(signed_.code, 0) << signed_.err;
    const std::string sig = first_line(signed_.out);
    EXPECT_EQ(sig.size(), 132u);
    recover_args.push_back(sig);
    if (personal) recover_args.push_back("--personal");
    EXPECT_EQ(first_line(key(recover_args).out), address);
  }
}

TEST_F(KeyCommand, SignMatchesTheNotesVector) {
  const auto data = write("req.json", R"([3,"get_ledger_balances",{},1733412346000])");
  const auto result = key({"sign", "--key", "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
                           "--data-file", data});
  EXPECT_EQ(first_line(result.out),
            "0xcf348705a6bf62256828242bbe5c5c89c0b49dce0cb4d6fc22e4e415aa67bd760cd16ccc91f5e06ac4d42947082d5aa0d4f1e2f037bcc70a82a14429b860570c1c");
}

TEST_F(KeyCommand, NewWithoutOutPrintsSecretThenAddress) {
  const auto result = key({"new"});
  ASSERT_EQ(result.code, 0);
  const std::string secret = first_line(result.out);
  const std::string address = first_line(result.out.substr(secret.size() + 1));
  EXPECT_EQ(first_line(key({"address", "--key", secret}).out), address);
}

TEST_F(KeyCommand, GarbageInputGivesOneClearLineAndNonZeroExit) {
  const auto short_key = write("short.hex", "abcd\n");
  const auto data = write("d", "x");
  const struct {
    std::vector<std::string> args;
    std::string expect;
  } cases[] = {
      {{"address", "--key-file", path("missing.hex")}, "cannot read key file"},
      {{"address", "--key-file", short_key}, "64 hex digits"},
      {{"address", "--key", "0xnothex"}, "64 hex digits"},
      {{"address", "--key", std::string(64, 'q')}, "non-hex"},
      {{"recover", "--data-file", data, "--sig", "0x1234"}, "expected 65 bytes"},
      {{"recover", "--data-file", data, "--sig", "0x" + std::string(130, 'g')}, "non-hex"},
      {{"recover", "--data-file", path("missing"), "--sig", "0x" + std::string(130, '1')}, "cannot read data file"},
      {{"sign", "--key", "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"}, "--data-file"},
  };
  for (const auto& c : cases) {
    const auto result = key(c.args);
    EXPECT_NE(result.code, 0) << c.expect;
    EXPECT_NE(result.err.find(c.expect), std::string::npos) << result.err;
    EXPECT_TRUE(result.out.empty());
    if (result.code == 1) {
      EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
    }
  }
}

TEST_F(KeyCommand, UsageErrorsExitTwo) {
  EXPECT_EQ(key({}).code, 2);
  EXPECT_EQ(key({"frobnicate"}).code, 2);
  EXPECT_EQ(key({"address", "--bogus"}).code, 2);
  EXPECT_EQ(key({"address", "--key-file", "a", "--key", "b"}).code, 2);
}

TEST_F(KeyCommand, ExistingKeyFileIsNeverOverwritten) {
  ASSERT_EQ(key({"new", "--out", path("k.hex")}).code, 0);
  std::ifstream in(path("k.hex"));
  const std::string before((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto again = key({"new", "--out", path("k.hex")});
  EXPECT_EQ(again.code, 1);
  std::ifstream in2(path("k.hex"));
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(in2)), std::istreambuf_iterator<char>()), before);
}

TEST_F(KeyCommand, BinaryExitCodesMatch) {
  const std::string exe = UMPIRE_EXECUTABLE;
  EXPECT_EQ(std::system((exe + " key address --key-file " + path("none") + " 2>/dev/null").c_str()) >> 8, 1);
  EXPECT_EQ(std::system((exe + " key 2>/dev/null").c_str()) >> 8, 2);
  EXPECT_EQ(std::system((exe + " key new --out " + path("bin.hex") + " >/dev/null").c_str()) >> 8, 0);
  EXPECT_EQ(std::system((exe + " nonsense 2>/dev/null").c_str()) >> 8, 2);
}
