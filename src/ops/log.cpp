// ops/log.cpp — see the header. The secret guard, the line format and the journal fields are pure functions;
// the sinks only move finished text to a file descriptor or to journald.
#include "ops/log.hpp"

#define SD_JOURNAL_SUPPRESS_LOCATION  // CODE_FILE/CODE_LINE would always name this file
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <utility>

namespace umpire::ops {
namespace {

bool is_hex_digit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_alnum(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_base64url(char c) { return is_alnum(c) || c == '-' || c == '_'; }

std::vector<std::string_view> key_words(std::string_view key) {
  std::vector<std::string_view> words;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= key.size(); ++i) {
    if (i == key.size() || !is_alnum(key[i])) {
      if (i > start) words.push_back(key.substr(start, i - start));
      start = i + 1;
    }
  }
  return words;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// A key such as private_key, db_password or auth_jwt: its value is a secret whatever it looks like.
bool key_names_secret(std::string_view key) {
  static constexpr std::string_view secret_words[] = {"private", "secret",   "password", "passwd",     "passphrase",
                                                      "token",   "jwt",      "seed",     "mnemonic",   "credential",
                                                      "credentials"};
  const std::string lowered = lower(key);
  for (const auto word : key_words(lowered)) {
    for (const auto secret : secret_words) {
      if (word == secret) return true;
    }
  }
  return false;
}

// app_session_id, tx_hash, state_hash: public 32-byte values that share a private key's shape.
bool key_names_public_hash(std::string_view key) {
  const std::string lowered = lower(key);
  const auto words = key_words(lowered);
  return !words.empty() && (words.back() == "id" || words.back() == "hash");
}

// Length of the JWT starting at `at` (header "eyJ…" '.' payload '.' signature), or 0.
std::size_t jwt_length(std::string_view text, std::size_t at) {
  if (text.substr(at, 3) != "eyJ" || (at > 0 && is_base64url(text[at - 1]))) return 0;
  std::size_t i = at;
  for (int segment = 0; segment < 3; ++segment) {
    const std::size_t start = i;
    while (i < text.size() && is_base64url(text[i])) ++i;
    if (segment < 2) {
      if (i == start || i >= text.size() || text[i] != '.') return 0;
      ++i;
    }
  }
  return i - at;
}

// Length of the 64-hex-digit word (optionally 0x-prefixed) starting at `at`, or 0. Words are maximal runs of
// letters and digits, so a longer hex string (a signature) or an identifier containing hex is left alone.
std::size_t hex64_length(std::string_view text, std::size_t at) {
  if (at > 0 && is_alnum(text[at - 1])) return 0;
  std::size_t end = at;
  while (end < text.size() && is_alnum(text[end])) ++end;
  std::string_view word = text.substr(at, end - at);
  if (word.size() == 66 && word[0] == '0' && (word[1] == 'x' || word[1] == 'X')) word.remove_prefix(2);
  if (word.size() != 64) return 0;
  for (char c : word) {
    if (!is_hex_digit(c)) return 0;
  }
  return end - at;
}

bool needs_quotes(std::string_view value) {
  if (value.empty()) return true;
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f || c == '"' || c == '=' || c == '\\') return true;
  }
  return false;
}

void append_value(std::string& out, std::string_view value) {
  if (!needs_quotes(value)) {
    out += value;
    return;
  }
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (byte < 0x20 || byte == 0x7f) {
          out += "\\x";
          out += hex[byte >> 4];
          out += hex[byte & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

// Keys and event names are snake_case words: anything else would need quoting or break journal field names.
std::string snake_name(std::string_view name) {
  std::string out = lower(name);
  for (char& c : out) {
    if (!is_alnum(c) && c != '_') c = '_';
  }
  return out.empty() ? "_" : out;
}

std::string journal_name(std::string_view key) {
  std::string out = "UMPIRE_" + snake_name(key);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  out.resize(std::min<std::size_t>(out.size(), 64));  // journald's limit on field names
  return out;
}

int syslog_priority(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return 7;
    case LogLevel::info: return 6;
    case LogLevel::warning: return 4;
    case LogLevel::error: return 3;
  }
  return 6;
}

void write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t written = ::write(fd, text.data(), text.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return;  // nowhere left to report a failing log
    text.remove_prefix(static_cast<std::size_t>(written));
  }
}

class LineSink final : public LogSink {
 public:
  explicit LineSink(int fd) : fd_(fd) {}
  void write(LogLevel level, std::string_view event, std::span<const LogField> fields) override {
    write_all(fd_, format_log_line(level, event, fields) + "\n");
  }

 private:
  int fd_;
};

class JournalSink final : public LogSink {
 public:
  explicit JournalSink(int fallback_fd) : fallback_fd_(fallback_fd) {}
  void write(LogLevel level, std::string_view event, std::span<const LogField> fields) override {
    const auto entry = journal_fields(level, event, fields);
    std::vector<iovec> parts;
    parts.reserve(entry.size());
    for (const auto& field : entry) parts.push_back(iovec{const_cast<char*>(field.data()), field.size()});
    if (sd_journal_sendv(parts.data(), static_cast<int>(parts.size())) < 0) {
      write_all(fallback_fd_, format_log_line(level, event, fields) + "\n");
    }
  }

 private:
  int fallback_fd_;
};

}  // namespace

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warning: return "warning";
    case LogLevel::error: return "error";
  }
  return "info";
}

std::optional<LogLevel> parse_log_level(std::string_view text) {
  if (text == "debug") return LogLevel::debug;
  if (text == "info") return LogLevel::info;
  if (text == "warning" || text == "warn") return LogLevel::warning;
  if (text == "error") return LogLevel::error;
  return std::nullopt;
}

std::string mask_secrets(std::string_view key, std::string_view value) {
  if (value.empty()) return std::string(value);
  if (key_names_secret(key) || value.find("PRIVATE KEY") != std::string_view::npos) return "[redacted]";
  const bool hex64_allowed = key_names_public_hash(key);
  std::string out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size();) {
    if (const std::size_t n = jwt_length(value, i)) {
      out += "[redacted-jwt]";
      i += n;
    } else if (const std::size_t m = hex64_allowed ? 0 : hex64_length(value, i)) {
      out += "[redacted-hex64]";
      i += m;
    } else {
      out += value[i++];
    }
  }
  return out;
}

bool looks_secret(std::string_view key, std::string_view value) { return mask_secrets(key, value) != value; }

std::string format_log_line(LogLevel level, std::string_view event, std::span<const LogField> fields) {
  std::string line = "level=";
  line += to_string(level);
  line += " event=";
  line += snake_name(event);
  for (const auto& field : fields) {
    line += ' ';
    line += snake_name(field.key);
    line += '=';
    append_value(line, field.value);
  }
  return line;
}

std::vector<std::string> journal_fields(LogLevel level, std::string_view event, std::span<const LogField> fields) {
  std::vector<std::string> entry;
  entry.reserve(fields.size() + 4);
  entry.push_back("PRIORITY=" + std::to_string(syslog_priority(level)));
  entry.push_back("SYSLOG_IDENTIFIER=umpire");
  entry.push_back("MESSAGE=" + format_log_line(level, event, fields));
  entry.push_back("UMPIRE_EVENT=" + snake_name(event));
  for (const auto& field : fields) entry.push_back(journal_name(field.key) + "=" + field.value);
  return entry;
}

std::unique_ptr<LogSink> make_line_sink(int fd) { return std::make_unique<LineSink>(fd); }

std::unique_ptr<LogSink> make_journal_sink(int fallback_fd) { return std::make_unique<JournalSink>(fallback_fd); }

bool is_journal_stream(const char* journal_stream_env, int fd) {
  if (journal_stream_env == nullptr) return false;
  const std::string_view text(journal_stream_env);
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  unsigned long long device = 0;
  unsigned long long inode = 0;
  const auto [device_end, device_error] = std::from_chars(text.data(), text.data() + colon, device);
  const auto [inode_end, inode_error] = std::from_chars(text.data() + colon + 1, text.data() + text.size(), inode);
  if (device_error != std::errc() || device_end != text.data() + colon || inode_error != std::errc() ||
      inode_end != text.data() + text.size()) {
    return false;
  }
  struct stat status {};
  if (::fstat(fd, &status) != 0) return false;
  return static_cast<unsigned long long>(status.st_dev) == device &&
         static_cast<unsigned long long>(status.st_ino) == inode;
}

std::unique_ptr<LogSink> make_stderr_sink() {
  if (is_journal_stream(std::getenv("JOURNAL_STREAM"), STDERR_FILENO)) return make_journal_sink(STDERR_FILENO);
  return make_line_sink(STDERR_FILENO);
}

Logger::Logger(LogLevel threshold, std::shared_ptr<LogSink> sink) : threshold_(threshold), sink_(std::move(sink)) {}

Logger Logger::with(std::vector<LogField> context) const {
  Logger child = *this;
  child.context_.insert(child.context_.end(), std::make_move_iterator(context.begin()),
                        std::make_move_iterator(context.end()));
  return child;
}

void Logger::log(LogLevel level, std::string_view event, std::span<const LogField> fields) const {
  if (!enabled(level) || !sink_) return;
  std::vector<LogField> masked;
  masked.reserve(context_.size() + fields.size());
  for (const auto& field : context_) masked.emplace_back(field.key, mask_secrets(field.key, field.value));
  for (const auto& field : fields) masked.emplace_back(field.key, mask_secrets(field.key, field.value));
  sink_->write(level, event, masked);
}

}  // namespace umpire::ops
