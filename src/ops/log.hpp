// ops/log.hpp — structured logging for the daemon: one event per line as key=value pairs on stderr
// (`level=info event=room_closed room=r-81 reason="all players left"`), or, when stderr is systemd's journal
// stream, one journal entry with PRIORITY, MESSAGE and an UMPIRE_<KEY> field per pair. A Logger is created by
// `serve` and passed to components; there is no global logger. Every value passes the secret guard below, so a
// private key or a JWT that reaches a log call by mistake is masked, never written.
#pragma once

#include <concepts>
#include <array>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace umpire::ops {

enum class LogLevel { debug, info, warning, error };

std::string_view to_string(LogLevel level);
// "debug", "info", "warning" (or "warn"), "error"; nothing for anything else.
std::optional<LogLevel> parse_log_level(std::string_view text);

// One key=value pair. Keys are snake_case words (other characters become '_'); values are text, integers or
// booleans — amounts stay decimal strings, as on the wire.
struct LogField {
  LogField(std::string_view field_key, std::string_view field_value) : key(field_key), value(field_value) {}
  LogField(std::string_view field_key, const char* field_value) : key(field_key), value(field_value) {}
  template <std::integral Integer>
    requires(!std::same_as<Integer, char>)
  LogField(std::string_view field_key, Integer field_value)
      : key(field_key), value(integer_text(field_value)) {}

  std::string key;
  std::string value;

 private:
  template <typename Integer>
  static std::string integer_text(Integer number) {
    if constexpr (std::same_as<Integer, bool>) return number ? "true" : "false";
    else return std::to_string(number);
  }
};

// The secret guard. Returns the value with anything that looks like a secret replaced by a marker:
// a JWT (three base64url segments, the first starting "eyJ") → [redacted-jwt]; a PEM private key block, or the
// whole value when the key names a secret (private/secret/password/passphrase/token/jwt/seed/mnemonic/credential)
// → [redacted]; a run of exactly 64 hex digits (a secp256k1 private key, with or without 0x) →
// [redacted-hex64], unless the key names a public 32-byte value (it ends in _id or _hash, e.g. app_session_id).
std::string mask_secrets(std::string_view key, std::string_view value);
// True when mask_secrets would change the value: for callers that must refuse rather than mask (e.g. config echo).
bool looks_secret(std::string_view key, std::string_view value);

// `level=info event=room_closed room=r-81 ...`: values are quoted when empty or holding spaces, quotes, '=',
// backslashes or control characters; inside quotes \" \\ \n \r \t and \xNN escape, so an event is one line.
std::string format_log_line(LogLevel level, std::string_view event, std::span<const LogField> fields);

// The journal entry of an event, one "NAME=value" per field: PRIORITY (syslog: error 3, warning 4, info 6,
// debug 7), SYSLOG_IDENTIFIER=umpire, MESSAGE (the log line), UMPIRE_EVENT and UMPIRE_<KEY> per pair. Values are
// raw (journal fields are binary-safe); names are upper-cased, with characters outside [A-Z0-9_] as '_'.
std::vector<std::string> journal_fields(LogLevel level, std::string_view event, std::span<const LogField> fields);

// Where events go. Implementations are safe to call from several threads at once.
class LogSink {
 public:
  virtual ~LogSink() = default;
  // Fields arrive already masked.
  virtual void write(LogLevel level, std::string_view event, std::span<const LogField> fields) = 0;
};

// One line per event written to a file descriptor with a single write(2), so lines from threads do not interleave.
std::unique_ptr<LogSink> make_line_sink(int fd);
// sd_journal_sendv with journal_fields; if the journal refuses an entry, the line goes to `fallback_fd` instead.
std::unique_ptr<LogSink> make_journal_sink(int fallback_fd);
// True when $JOURNAL_STREAM ("<device>:<inode>", set by systemd) names the file open on `fd`: systemd connected
// it to the journal, so native entries with fields are better than parsing our lines.
bool is_journal_stream(const char* journal_stream_env, int fd);
// The daemon's sink: the journal when stderr is the journal stream, else lines on stderr.
std::unique_ptr<LogSink> make_stderr_sink();

class Logger {
 public:
  Logger(LogLevel threshold, std::shared_ptr<LogSink> sink);

  bool enabled(LogLevel level) const { return level >= threshold_; }
  LogLevel threshold() const { return threshold_; }

  // A logger that adds `context` (e.g. room=r-81) before each event's own fields; shares the sink.
  Logger with(std::vector<LogField> context) const;

  void log(LogLevel level, std::string_view event, std::span<const LogField> fields) const;

  // logger.info("room_closed", LogField("room", id), LogField("players", 2)). Arguments, not a braced list, so
  // calls compile inside coroutines (GCC 12 rejects some braced lists there).
  template <std::same_as<LogField>... Fields>
  void debug(std::string_view event, const Fields&... fields) const { emit(LogLevel::debug, event, fields...); }
  template <std::same_as<LogField>... Fields>
  void info(std::string_view event, const Fields&... fields) const { emit(LogLevel::info, event, fields...); }
  template <std::same_as<LogField>... Fields>
  void warning(std::string_view event, const Fields&... fields) const { emit(LogLevel::warning, event, fields...); }
  template <std::same_as<LogField>... Fields>
  void error(std::string_view event, const Fields&... fields) const { emit(LogLevel::error, event, fields...); }

 private:
  template <typename... Fields>
  void emit(LogLevel level, std::string_view event, const Fields&... fields) const {
    if (!enabled(level)) return;
    const std::array<LogField, sizeof...(Fields)> list{fields...};
    log(level, event, list);
  }

  LogLevel threshold_;
  std::shared_ptr<LogSink> sink_;
  std::vector<LogField> context_;
};

}  // namespace umpire::ops
