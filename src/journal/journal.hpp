// journal/journal.hpp — Umpire's write-ahead journal: an append-only log of room events in SQLite (WAL mode).
// Owns durability and group commit: appends from any thread are queued to one writer thread, which commits
// everything queued in one transaction and then completes each append, so durability costs one disk sync per batch,
// not per move. It knows nothing of what the events mean; the referee records intent before action and replays.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace umpire::journal {

class JournalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One event of one room. `kind` names the event (e.g. "proposal", "move", "close_intent"); `payload` is the
// referee's own encoding of it. `sequence` is assigned by the journal and orders all records.
struct Record {
  std::uint64_t sequence = 0;
  std::string room_id;
  std::string kind;
  std::string payload;
  std::int64_t at_unix_ms = 0;
};

// A record of this kind marks its room finished in the same transaction, like mark_room_finished() but without
// blocking the caller: the completion says when it is durable.
inline constexpr std::string_view kRoomFinishedKind = "room_finished";

struct JournalOptions {
  std::filesystem::path path;          // a file; ":memory:" for a journal that does not survive the process
  bool sync_every_commit = true;       // synchronous=FULL (survives power loss) vs NORMAL (survives a crash)
  std::size_t max_batch = 4096;        // records per transaction at most
  // Group commit under load (after PostgreSQL's commit_delay and commit_siblings): when at least `commit_siblings`
  // records are already waiting as the writer turns to its next commit (they arrived during the last one), and
  // were at the commit before too, it waits up to `commit_delay` for more before committing, so a busy journal
  // pays one disk sync for more records.
  // Those appends wait up to commit_delay longer for their completion. Zero (this struct's default) never waits;
  // `umpire serve` sets 1 ms unless configured. A lightly loaded journal, where fewer records than commit_siblings
  // arrive during a commit, does not wait either way.
  std::chrono::microseconds commit_delay{0};
  std::size_t commit_siblings = 4;
  // Called on the writer thread after each commit (records in it, whether it waited for commit_delay, whether it
  // failed): the server counts commits for /metrics, where the batching factor shows. Must not block.
  std::function<void(std::size_t records, bool delayed, bool failed)> on_commit;
};

struct JournalStats {
  std::uint64_t records_committed = 0;
  std::uint64_t commits = 0;           // transactions; records_committed / commits is the batching factor
  std::uint64_t delayed_commits = 0;   // commits that waited for commit_delay first
  std::chrono::nanoseconds commit_time_total{0};
  std::uint64_t failed_commits = 0;
  std::optional<std::string> last_commit_error;  // set while the latest commit failed (readiness: not writable)
};

class Journal {
 public:
  // Called on the writer thread once the record is durable (error empty) or the commit failed (error set).
  // Callers post back to their own executor; the callback must not block.
  using Completion = std::function<void(std::optional<std::string> error, std::uint64_t sequence)>;

  // Opens (creating if needed) and starts the writer thread. Throws JournalError naming the path on failure.
  static std::unique_ptr<Journal> open(const JournalOptions& options);

  virtual ~Journal() = default;

  // Queues a record; `done` runs once it is committed. Never blocks on the disk.
  virtual void append(Record record, Completion done) = 0;

  // Queues several records at once, in order, with one wake-up of the writer (a producer that gathers a turn's
  // records saves a lock and a wake-up per record; on a busy core the writer would otherwise wake for each).
  struct Entry {
    Record record;
    Completion done;
  };
  virtual void append_all(std::vector<Entry> entries) = 0;

  // Blocks until everything appended before the call is committed (shutdown, tests).
  virtual void flush() = 0;

  // Reads, in sequence order. Safe while appends go on (WAL readers do not block the writer).
  virtual std::vector<Record> read_all() const = 0;
  virtual std::vector<Record> read_room(const std::string& room_id) const = 0;

  // Recovery's read: every room not marked finished with its records, in one pass over the journal, rooms in the
  // order of their first record. (read_room scans the journal once per call: there is no index by room, because
  // one would cost a scattered page write per record on every commit; see sqlite_journal.cpp.)
  struct RoomRecords {
    std::string room_id;
    std::vector<Record> records;
  };
  virtual std::vector<RoomRecords> unfinished_room_records() const = 0;

  // Marks a room finished: its records stay for audit but recovery skips it. Durable when it returns.
  virtual void mark_room_finished(const std::string& room_id) = 0;
  virtual std::vector<std::string> unfinished_rooms() const = 0;

  virtual JournalStats stats() const = 0;
};

}  // namespace umpire::journal
