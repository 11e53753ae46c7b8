// Structured logging: the key=value line, the level threshold, context fields, the secret guard, the line sink under
// concurrent writers, and the journal entry (its fields, and how stderr is recognised as the journal stream).
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <sstream>
#include <thread>

#include "ops/log.hpp"

using namespace umpire::ops;

namespace {

// Keeps what the logger hands its sink, after masking.
class RecordingSink : public LogSink {
 public:
  struct Event {
    LogLevel level;
    std::string line;
  };
  void write(LogLevel level, std::string_view event, std::span<const LogField> fields) override {
    std::lock_guard lock(mutex_);
    events.push_back({level, format_log_line(level, event, fields)});
  }
  std::vector<Event> events;

 private:
  std::mutex mutex_;
};

void write_whole(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n <= 0) return;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string line(std::string_view event, std::vector<LogField> fields, LogLevel level = LogLevel::info) {
  return format_log_line(level, event, fields);
}

// A 32-byte secp256k1 private key as it would appear in a key file (Hardhat's well-known test key #0).
const std::string private_key_hex = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const std::string jwt =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ3YWxsZXQiOiIweDEyMyIsImV4cCI6MTcwMDAwMDAwMH0.c2lnbmF0dXJlLWJ5dGVz";

}  // namespace

TEST(LogLine, IsLevelEventThenPairsInOrder) {
  EXPECT_EQ(line("room_closed", {LogField("room", "r-81"), LogField("players", 2), LogField("paid", true)}),
            "level=info event=room_closed room=r-81 players=2 paid=true");
  EXPECT_EQ(line("clearnode_down", {}, LogLevel::error), "level=error event=clearnode_down");
  EXPECT_EQ(line("x", {LogField("amount", "0.000001"), LogField("delta", -3)}, LogLevel::warning),
            "level=warning event=x amount=0.000001 delta=-3");
}

TEST(LogLine, QuotesAndEscapesValuesSoAnEventStaysOneLine) {
  EXPECT_EQ(line("e", {LogField("reason", "all players left")}), R"(level=info event=e reason="all players left")");
  EXPECT_EQ(line("e", {LogField("empty", "")}), R"(level=info event=e empty="")");
  EXPECT_EQ(line("e", {LogField("q", "say \"hi\"")}), R"(level=info event=e q="say \"hi\"")");
  EXPECT_EQ(line("e", {LogField("path", "C:\\x")}), R"(level=info event=e path="C:\\x")");
  EXPECT_EQ(line("e", {LogField("kv", "a=b")}), R"(level=info event=e kv="a=b")");
  EXPECT_EQ(line("e", {LogField("text", "one\ntwo\r\tthree\x01\x7f")}),
            R"(level=info event=e text="one\ntwo\r\tthree\x01\x7f")");
  EXPECT_EQ(line("e", {LogField("name", "José")}), "level=info event=e name=José");  // UTF-8 passes through
  EXPECT_EQ(line("e", {LogField("text", "x\ny")}).find('\n'), std::string::npos);
}

TEST(LogLine, KeysAndEventNamesAreSnakeCase) {
  EXPECT_EQ(line("Room Closed!", {LogField("App-Session", "a"), LogField("", "b")}),
            "level=info event=room_closed_ app_session=a _=b");
}

TEST(LogLevel, ParsesConfigurationNames) {
  EXPECT_EQ(parse_log_level("debug"), LogLevel::debug);
  EXPECT_EQ(parse_log_level("info"), LogLevel::info);
  EXPECT_EQ(parse_log_level("warning"), LogLevel::warning);
  EXPECT_EQ(parse_log_level("warn"), LogLevel::warning);
  EXPECT_EQ(parse_log_level("error"), LogLevel::error);
  EXPECT_FALSE(parse_log_level("INFO"));
  EXPECT_FALSE(parse_log_level("verbose"));
  EXPECT_EQ(to_string(LogLevel::warning), "warning");
}

TEST(Logger, DropsEventsBelowTheThreshold) {
  auto sink = std::make_shared<RecordingSink>();
  Logger logger(LogLevel::warning, sink);
  logger.debug("d");
  logger.info("i", LogField("room", "r-1"));
  logger.warning("w", LogField("room", "r-2"));
  logger.error("e");
  ASSERT_EQ(sink->events.size(), 2u);
  EXPECT_EQ(sink->events[0].line, "level=warning event=w room=r-2");
  EXPECT_EQ(sink->events[1].line, "level=error event=e");
  EXPECT_FALSE(logger.enabled(LogLevel::info));
  EXPECT_TRUE(logger.enabled(LogLevel::error));

  Logger verbose(LogLevel::debug, sink);
  verbose.debug("d");
  EXPECT_EQ(sink->events.back().line, "level=debug event=d");
}

TEST(Logger, ContextFieldsComeFirstAndDoNotChangeTheParent) {
  auto sink = std::make_shared<RecordingSink>();
  Logger logger(LogLevel::info, sink);
  const Logger room = logger.with({LogField("room", "r-81"), LogField("game", "tictactoe")});
  room.info("room_closed", LogField("outcome", "draw"));
  logger.info("serve_started");
  ASSERT_EQ(sink->events.size(), 2u);
  EXPECT_EQ(sink->events[0].line, "level=info event=room_closed room=r-81 game=tictactoe outcome=draw");
  EXPECT_EQ(sink->events[1].line, "level=info event=serve_started");
}

TEST(SecretGuard, MasksPrivateKeysWithOrWithout0x) {
  EXPECT_EQ(mask_secrets("value", private_key_hex), "[redacted-hex64]");
  EXPECT_EQ(mask_secrets("value", "0x" + private_key_hex), "[redacted-hex64]");
  EXPECT_EQ(mask_secrets("error", "cannot use key 0x" + private_key_hex + ": bad"),
            "cannot use key [redacted-hex64]: bad");
  EXPECT_TRUE(looks_secret("error", private_key_hex));
}

TEST(SecretGuard, MasksJwtsAnywhereInTheValue) {
  EXPECT_EQ(mask_secrets("auth", jwt), "[redacted-jwt]");
  EXPECT_EQ(mask_secrets("header", "Bearer " + jwt + " (expired)"), "Bearer [redacted-jwt] (expired)");
  EXPECT_TRUE(looks_secret("header", "Bearer " + jwt));
}

TEST(SecretGuard, MasksWholeValuesOfSecretNamedKeysAndPemKeys) {
  EXPECT_EQ(mask_secrets("private_key", "anything"), "[redacted]");
  EXPECT_EQ(mask_secrets("db_password", "hunter2"), "[redacted]");
  EXPECT_EQ(mask_secrets("JWT", "x"), "[redacted]");
  EXPECT_EQ(mask_secrets("session_token", "abc"), "[redacted]");
  EXPECT_EQ(mask_secrets("config", "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE...\n-----END EC PRIVATE KEY-----"),
            "[redacted]");
}

TEST(SecretGuard, LeavesPublicValuesAlone) {
  // Addresses (20 bytes), signatures (65 bytes), and 32-byte ids and hashes in fields named so.
  const std::string address = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
  const std::string signature = "0x" + std::string(130, 'a');
  EXPECT_EQ(mask_secrets("wallet", address), address);
  EXPECT_EQ(mask_secrets("signature", signature), signature);
  EXPECT_EQ(mask_secrets("app_session_id", "0x" + private_key_hex), "0x" + private_key_hex);
  EXPECT_EQ(mask_secrets("state_hash", private_key_hex), private_key_hex);
  EXPECT_EQ(mask_secrets("session_key", address), address);
  EXPECT_EQ(mask_secrets("room", "r-81"), "r-81");
  EXPECT_EQ(mask_secrets("tokens_left", "3"), "3");  // "tokens" is not the word "token"
  EXPECT_FALSE(looks_secret("reason", "all players left"));
  // 63 or 65 hex digits are not a key's shape; "eyJ" inside a word is not a JWT.
  EXPECT_FALSE(looks_secret("v", private_key_hex.substr(1)));
  EXPECT_FALSE(looks_secret("v", private_key_hex + "0"));
  EXPECT_FALSE(looks_secret("v", "heyJude.a.b"));
}

TEST(Logger, MasksSecretsBeforeTheSinkSeesThem) {
  auto sink = std::make_shared<RecordingSink>();
  Logger logger(LogLevel::debug, sink);
  logger.with({LogField("wallet_key", "0x" + private_key_hex)})
      .error("login_failed", LogField("jwt", jwt), LogField("detail", "token " + jwt + " rejected"));
  ASSERT_EQ(sink->events.size(), 1u);
  const std::string& text = sink->events[0].line;
  EXPECT_EQ(text.find(private_key_hex), std::string::npos) << text;
  EXPECT_EQ(text.find("eyJ"), std::string::npos) << text;
  EXPECT_EQ(text, R"(level=error event=login_failed wallet_key=[redacted-hex64] jwt=[redacted] )"
                  R"(detail="token [redacted-jwt] rejected")");
}

TEST(LineSink, WritesWholeLinesFromConcurrentThreads) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  {
    Logger logger(LogLevel::info, make_line_sink(::fileno(file)));
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&logger, t] {
        for (int i = 0; i < 250; ++i) {
          logger.info("move_relayed", LogField("thread", t), LogField("move", i), LogField("note", "a b c"));
        }
      });
    }
    for (auto& thread : threads) thread.join();
  }
  std::rewind(file);
  std::string text;
  char buffer[4096];
  while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, file)) text.append(buffer, n);
  std::fclose(file);

  std::istringstream lines(text);
  std::string one;
  int count = 0;
  while (std::getline(lines, one)) {
    ++count;
    EXPECT_TRUE(one.starts_with("level=info event=move_relayed thread=")) << one;
    EXPECT_TRUE(one.ends_with(R"( note="a b c")")) << one;
  }
  EXPECT_EQ(count, 1000);
}

TEST(Journal, EntryHasPriorityMessageAndOneUmpireFieldPerPair) {
  const std::vector<LogField> fields = {LogField("room", "r-81"), LogField("reason", "two\nlines"),
                                        LogField("app-session", "x")};
  const auto entry = journal_fields(LogLevel::warning, "room_closed", fields);
  const std::vector<std::string> expected = {
      "PRIORITY=4",
      "SYSLOG_IDENTIFIER=umpire",
      R"(MESSAGE=level=warning event=room_closed room=r-81 reason="two\nlines" app_session=x)",
      "UMPIRE_EVENT=room_closed",
      "UMPIRE_ROOM=r-81",
      "UMPIRE_REASON=two\nlines",  // journal fields are binary-safe: the raw value
      "UMPIRE_APP_SESSION=x",
  };
  EXPECT_EQ(entry, expected);
  EXPECT_EQ(journal_fields(LogLevel::debug, "e", {})[0], "PRIORITY=7");
  EXPECT_EQ(journal_fields(LogLevel::info, "e", {})[0], "PRIORITY=6");
  EXPECT_EQ(journal_fields(LogLevel::error, "e", {})[0], "PRIORITY=3");
}

TEST(Journal, StderrIsTheJournalOnlyWhenJournalStreamNamesIt) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  const int fd = ::fileno(file);
  struct stat status {};
  ASSERT_EQ(::fstat(fd, &status), 0);
  const std::string matching = std::to_string(status.st_dev) + ":" + std::to_string(status.st_ino);
  const std::string other_inode = std::to_string(status.st_dev) + ":" + std::to_string(status.st_ino + 1);
  EXPECT_TRUE(is_journal_stream(matching.c_str(), fd));
  EXPECT_FALSE(is_journal_stream(other_inode.c_str(), fd));
  EXPECT_FALSE(is_journal_stream(nullptr, fd));
  EXPECT_FALSE(is_journal_stream("", fd));
  EXPECT_FALSE(is_journal_stream("12", fd));
  EXPECT_FALSE(is_journal_stream((matching + "x").c_str(), fd));
  EXPECT_FALSE(is_journal_stream(matching.c_str(), -1));
  std::fclose(file);
}

namespace {

// The datagram journald would receive, parsed from its native protocol: "NAME=value\n", or for values holding a
// newline "NAME\n", a 64-bit little-endian length, the bytes and "\n".
std::vector<std::string> parse_native_entry(std::string_view datagram) {
  std::vector<std::string> fields;
  while (!datagram.empty()) {
    const auto end_of_name = datagram.find_first_of("=\n");
    if (end_of_name == std::string_view::npos) break;
    const std::string name(datagram.substr(0, end_of_name));
    if (datagram[end_of_name] == '=') {
      const auto end = datagram.find('\n', end_of_name);
      fields.push_back(name + "=" + std::string(datagram.substr(end_of_name + 1, end - end_of_name - 1)));
      datagram.remove_prefix(end == std::string_view::npos ? datagram.size() : end + 1);
    } else {
      std::uint64_t size = 0;
      for (int i = 7; i >= 0; --i) size = (size << 8) | static_cast<unsigned char>(datagram[end_of_name + 1 + i]);
      fields.push_back(name + "=" + std::string(datagram.substr(end_of_name + 9, size)));
      datagram.remove_prefix(std::min(datagram.size(), end_of_name + 9 + size + 1));
    }
  }
  return fields;
}

// In a child process with its own mount namespace and an empty /run, listen where libsystemd sends journal
// entries, log one event through the journal sink, and hand back what arrived (or "SKIP reason").
std::string capture_journal_datagram(LogLevel level, std::string_view event, const std::vector<LogField>& fields) {
  int result[2];
  if (::pipe(result) != 0) return "SKIP pipe failed";
  const pid_t child = ::fork();
  if (child < 0) return "SKIP fork failed";
  if (child == 0) {
    ::close(result[0]);
    auto finish = [&](const std::string& text, int status) {
      write_whole(result[1], text);
      ::_exit(status);
    };
    if (::unshare(CLONE_NEWNS) != 0) finish(std::string("SKIP unshare(CLONE_NEWNS): ") + std::strerror(errno), 0);
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") != 0) {
      finish(std::string("SKIP mount: ") + std::strerror(errno), 0);
    }
    ::mkdir("/run/systemd", 0755);
    ::mkdir("/run/systemd/journal", 0755);
    const int listener = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strcpy(address.sun_path, "/run/systemd/journal/socket");
    if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) finish("bind failed", 1);
    timeval timeout{5, 0};
    ::setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    make_journal_sink(STDERR_FILENO)->write(level, event, fields);
    std::string datagram(256 * 1024, '\0');
    const ssize_t n = ::recv(listener, datagram.data(), datagram.size(), 0);
    if (n <= 0) finish("no journal datagram arrived", 1);
    datagram.resize(static_cast<std::size_t>(n));
    finish(datagram, 0);
  }
  ::close(result[1]);
  std::string received;
  char buffer[4096];
  for (ssize_t n; (n = ::read(result[0], buffer, sizeof buffer)) > 0;) received.append(buffer, static_cast<std::size_t>(n));
  ::close(result[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "FAILED " + received;
  return received;
}

}  // namespace

TEST(Journal, SinkSendsNativeEntriesThroughLibsystemd) {
  const std::vector<LogField> fields = {LogField("room", "r-81"), LogField("reason", "two\nlines")};
  const std::string datagram = capture_journal_datagram(LogLevel::error, "room_closed", fields);
  if (datagram.starts_with("SKIP")) GTEST_SKIP() << "needs a private mount namespace: " << datagram;
  ASSERT_FALSE(datagram.starts_with("FAILED")) << datagram;
  const std::vector<std::string> expected = journal_fields(LogLevel::error, "room_closed", fields);
  EXPECT_EQ(parse_native_entry(datagram), expected) << datagram;
}
