// journal/sqlite_journal.cpp — the SQLite implementation of Journal.
// Threading: appends push onto a queue under a short mutex (no I/O under it); one writer thread owns the write
// connection, drains the queue into one transaction per batch, commits (the only disk sync), then runs the
// completions. With [journal] commit_delay_us set, a busy writer first waits a little for more (wait_for_siblings).
// Reads use their own connection; WAL lets them proceed during a commit.
#include <pthread.h>
#include <sqlite3.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "journal/journal.hpp"

namespace umpire::journal {
namespace {

using Clock = std::chrono::steady_clock;

// RAII for sqlite3* connections and statements.
struct ConnectionCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StatementFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using Connection = std::unique_ptr<sqlite3, ConnectionCloser>;
using Statement = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

void check(sqlite3* db, int rc, const std::string& what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    throw JournalError("journal: " + what + ": " + sqlite3_errmsg(db));
  }
}

void exec(sqlite3* db, const std::string& sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string text = message ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    throw JournalError("journal: " + sql.substr(0, 40) + ": " + text);
  }
}

// `name` is a file path, or for an in-memory journal a URI that the writer and reader connections share.
Connection open_connection(const std::string& name, const std::filesystem::path& path, bool create) {
  sqlite3* raw = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
  const int rc = sqlite3_open_v2(name.c_str(), &raw, flags, nullptr);
  Connection db(raw);
  if (rc != SQLITE_OK) {
    throw JournalError("journal: cannot open " + path.string() + ": " + (raw ? sqlite3_errmsg(raw) : "out of memory"));
  }
  sqlite3_busy_timeout(raw, 5000);
  return db;
}

Statement prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  check(db, sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), std::string("prepare ") + sql);
  return Statement(stmt);
}

std::string column_text(sqlite3_stmt* stmt, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_blob(stmt, column));
  return text ? std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, column))) : std::string();
}

class SqliteJournal final : public Journal {
 public:
  explicit SqliteJournal(const JournalOptions& options) : options_(options) {
    const bool in_memory = options.path == ":memory:";
    const std::string name = in_memory
                                 ? "file:umpire-journal-" + std::to_string(reinterpret_cast<std::uintptr_t>(this)) +
                                       "?mode=memory&cache=shared"
                                 : options.path.string();
    writer_db_ = open_connection(name, options.path, true);
    exec(writer_db_.get(), "PRAGMA journal_mode=WAL");
    exec(writer_db_.get(), options.sync_every_commit ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    // Appends only, so every commit writes the table's last page or two and nothing else:
    // - no index by room. Records of a thousand rooms arrive interleaved, so such an index takes each commit's
    //   records into as many different leaf pages, and WAL writes every page a commit touched in full: a group
    //   commit of 50 moves wrote about 50 pages (measured: pwrite, pread and fdatasync were ~7% of the server's CPU
    //   at 1,000 rooms, and the journal cost 17-24% of relay throughput). Recovery reads everything unfinished in
    //   one scan instead (unfinished_room_records); journals made with the index lose it here.
    // - no AUTOINCREMENT (its sqlite_sequence row is one more page per commit): records are never deleted, so the
    //   next rowid is always the highest plus one and sequences still only grow.
    exec(writer_db_.get(),
         "CREATE TABLE IF NOT EXISTS records ("
         " sequence INTEGER PRIMARY KEY, room_id TEXT NOT NULL, kind TEXT NOT NULL,"
         " payload BLOB NOT NULL, at_unix_ms INTEGER NOT NULL);"
         "DROP INDEX IF EXISTS records_by_room;"
         "CREATE TABLE IF NOT EXISTS finished_rooms (room_id TEXT PRIMARY KEY, at_unix_ms INTEGER NOT NULL);");
    insert_ =
        prepare(writer_db_.get(), "INSERT INTO records(room_id, kind, payload, at_unix_ms) VALUES (?1, ?2, ?3, ?4)");
    // An in-memory database has no WAL, so its readers would collide with the writer: they run on the writer thread.
    if (!in_memory) reader_db_ = open_connection(name, options.path, false);
    writer_ = std::thread([this] { write_loop(); });
  }

  ~SqliteJournal() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_writer_.notify_one();
    writer_.join();
  }

  void append(Record record, Completion done) override {
    bool wake;
    {
      std::lock_guard lock(mutex_);
      queue_.push_back({std::move(record), std::move(done), nullptr});
      wake = worth_waking();
    }
    if (wake) wake_writer_.notify_one();
  }

  void append_all(std::vector<Entry> entries) override {
    if (entries.empty()) return;
    bool wake;
    {
      std::lock_guard lock(mutex_);
      for (auto& entry : entries) queue_.push_back({std::move(entry.record), std::move(entry.done), nullptr});
      wake = worth_waking();
    }
    if (wake) wake_writer_.notify_one();
  }

  void flush() override {
    run_on_writer([] {});
  }

  void mark_room_finished(const std::string& room_id) override {
    run_on_writer([this, room_id] {
      auto stmt =
          prepare(writer_db_.get(), "INSERT OR IGNORE INTO finished_rooms(room_id, at_unix_ms) VALUES (?1, ?2)");
      sqlite3_bind_text(stmt.get(), 1, room_id.data(), static_cast<int>(room_id.size()), SQLITE_TRANSIENT);
      sqlite3_bind_int64(stmt.get(), 2, now_unix_ms());
      check(writer_db_.get(), sqlite3_step(stmt.get()), "mark room finished");
    });
  }

  std::vector<Record> read_all() const override {
    return read("SELECT sequence, room_id, kind, payload, at_unix_ms FROM records ORDER BY sequence", nullptr);
  }

  std::vector<Record> read_room(const std::string& room_id) const override {
    return read("SELECT sequence, room_id, kind, payload, at_unix_ms FROM records WHERE room_id = ?1 ORDER BY sequence",
                &room_id);
  }

  std::vector<RoomRecords> unfinished_room_records() const override {
    std::vector<RoomRecords> rooms;
    std::unordered_map<std::string, std::size_t> index;
    for (auto& record : read("SELECT sequence, room_id, kind, payload, at_unix_ms FROM records"
                             " WHERE room_id NOT IN (SELECT room_id FROM finished_rooms) ORDER BY sequence",
                             nullptr)) {
      const auto [it, fresh] = index.try_emplace(record.room_id, rooms.size());
      if (fresh) rooms.push_back({record.room_id, {}});
      rooms[it->second].records.push_back(std::move(record));
    }
    return rooms;
  }

  std::vector<std::string> unfinished_rooms() const override {
    std::vector<std::string> rooms;
    with_reader([&](sqlite3* db) {
      auto stmt = prepare(db,
                          "SELECT room_id FROM records WHERE room_id NOT IN (SELECT room_id FROM finished_rooms)"
                          " GROUP BY room_id ORDER BY MIN(sequence)");
      while (sqlite3_step(stmt.get()) == SQLITE_ROW) rooms.push_back(column_text(stmt.get(), 0));
    });
    return rooms;
  }

  JournalStats stats() const override {
    std::lock_guard lock(mutex_);
    return stats_;
  }

 private:
  struct Pending {
    Record record;
    Completion done;
    std::function<void()> writer_task;  // set instead of a record for work that must run on the writer thread
  };

  static std::int64_t now_unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  // Runs `task` on the writer thread after everything queued before it is committed, and waits for it.
  void run_on_writer(std::function<void()> task) const {
    std::mutex done_mutex;
    std::condition_variable done_cv;
    bool finished = false;
    std::exception_ptr failure;
    {
      std::lock_guard lock(mutex_);
      queue_.push_back({{}, {}, [&] {
                          try {
                            task();
                          } catch (...) {
                            failure = std::current_exception();
                          }
                          std::lock_guard done_lock(done_mutex);
                          finished = true;
                          done_cv.notify_one();
                        }});
    }
    wake_writer_.notify_one();
    std::unique_lock done_lock(done_mutex);
    done_cv.wait(done_lock, [&] { return finished; });
    if (failure) std::rethrow_exception(failure);
  }

  void write_loop() {
    pthread_setname_np(pthread_self(), "umpire-journal");  // what `top -H` and perf show for this thread
    std::deque<Pending> batch;
    for (;;) {
      bool delayed = false;
      {
        std::unique_lock lock(mutex_);
        wake_writer_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty() && stopping_) return;
        delayed = wait_for_siblings(lock);
        // Take records up to the first writer task (which must see them committed), bounded by max_batch.
        while (!queue_.empty() && batch.size() < options_.max_batch) {
          if (queue_.front().writer_task && !batch.empty()) break;
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
          if (batch.back().writer_task) break;
        }
      }
      if (batch.size() == 1 && batch.front().writer_task) {
        batch.front().writer_task();
      } else {
        commit(batch, delayed);
      }
      batch.clear();
    }
  }

  // With commit_delay set and load sustained (at least commit_siblings records already waiting at this commit and
  // at the one before: they arrived during a commit, or in one append_all), waits (the lock released) until
  // commit_delay has passed or there is no reason to wait longer: a full batch, a writer task (flush and shutdown
  // must not wait), stopping. Two in a row, because one long queue can be one slow sync rather than a busy server
  // (gated on one, the delay waited on 7 of 12,891 commits with 1,000 thinking players); and records waiting, not
  // the batch after the wait, so that the delay does not keep itself going once the load has fallen. Returns
  // whether it waited.
  bool wait_for_siblings(std::unique_lock<std::mutex>& lock) {
    const bool busy = queue_.size() >= options_.commit_siblings;
    const bool sustained = busy && busy_before_;
    busy_before_ = busy;
    if (options_.commit_delay.count() <= 0 || !sustained) return false;
    const auto no_reason_to_wait = [&] {
      return stopping_ || queue_.size() >= options_.max_batch ||
             std::any_of(queue_.begin(), queue_.end(), [](const Pending& p) { return p.writer_task != nullptr; });
    };
    if (no_reason_to_wait()) return false;
    delaying_ = true;
    wake_writer_.wait_until(lock, Clock::now() + options_.commit_delay, no_reason_to_wait);
    delaying_ = false;
    return true;
  }

  // Whether an append should wake the writer (mutex_ held). While it waits for siblings, only a full batch
  // should: a wake-up per append would cost the very context switches the delay is there to save.
  bool worth_waking() const { return !delaying_ || queue_.size() >= options_.max_batch; }

  void commit(std::deque<Pending>& batch, bool delayed) {
    const auto started = Clock::now();
    std::optional<std::string> error;
    std::vector<std::uint64_t> sequences;
    sequences.reserve(batch.size());
    try {
      exec(writer_db_.get(), "BEGIN IMMEDIATE");
      for (auto& pending : batch) {
        sequences.push_back(insert(pending.record));
        if (pending.record.kind == kRoomFinishedKind) insert_finished(pending.record.room_id);
      }
      exec(writer_db_.get(), "COMMIT");
    } catch (const JournalError& failure) {
      error = failure.what();
      sqlite3_exec(writer_db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
      sequences.assign(batch.size(), 0);
    }
    {
      std::lock_guard lock(mutex_);
      stats_.commits += 1;
      if (delayed) stats_.delayed_commits += 1;
      if (!error) stats_.records_committed += batch.size();
      if (error) stats_.failed_commits += 1;
      stats_.last_commit_error = error;
      stats_.commit_time_total += Clock::now() - started;
    }
    if (options_.on_commit) options_.on_commit(batch.size(), delayed, error.has_value());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].done) batch[i].done(error, sequences[i]);
    }
  }

  std::uint64_t insert(const Record& record) {
    sqlite3_stmt* stmt = insert_.get();
    sqlite3_reset(stmt);
    sqlite3_bind_text(stmt, 1, record.room_id.data(), static_cast<int>(record.room_id.size()), SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, record.kind.data(), static_cast<int>(record.kind.size()), SQLITE_STATIC);
    sqlite3_bind_blob(stmt, 3, record.payload.data(), static_cast<int>(record.payload.size()), SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 4, record.at_unix_ms ? record.at_unix_ms : now_unix_ms());
    check(writer_db_.get(), sqlite3_step(stmt), "append");
    return static_cast<std::uint64_t>(sqlite3_last_insert_rowid(writer_db_.get()));
  }

  // The finished mark of an appended kRoomFinishedKind record, in the same transaction as the record.
  void insert_finished(const std::string& room_id) {
    auto stmt = prepare(writer_db_.get(), "INSERT OR IGNORE INTO finished_rooms(room_id, at_unix_ms) VALUES (?1, ?2)");
    sqlite3_bind_text(stmt.get(), 1, room_id.data(), static_cast<int>(room_id.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(stmt.get(), 2, now_unix_ms());
    check(writer_db_.get(), sqlite3_step(stmt.get()), "mark room finished");
  }

  // Runs `use` with a connection fit for reading: the read connection, or the writer's for an in-memory journal.
  void with_reader(const std::function<void(sqlite3*)>& use) const {
    if (!reader_db_) {
      run_on_writer([&] { use(writer_db_.get()); });
      return;
    }
    std::lock_guard lock(reader_mutex_);
    use(reader_db_.get());
  }

  std::vector<Record> read(const char* sql, const std::string* room_id) const {
    std::vector<Record> records;
    with_reader([&](sqlite3* db) {
      auto stmt = prepare(db, sql);
      if (room_id) sqlite3_bind_text(stmt.get(), 1, room_id->data(), static_cast<int>(room_id->size()), SQLITE_STATIC);
      int rc;
      while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
        records.push_back({static_cast<std::uint64_t>(sqlite3_column_int64(stmt.get(), 0)), column_text(stmt.get(), 1),
                           column_text(stmt.get(), 2), column_text(stmt.get(), 3),
                           sqlite3_column_int64(stmt.get(), 4)});
      }
      check(db, rc, "read");
    });
    return records;
  }

  JournalOptions options_;
  Connection writer_db_;             // used only on the writer thread (after construction)
  Statement insert_;                 // prepared once on the writer connection
  Connection reader_db_;             // guarded by reader_mutex_; null for an in-memory journal
  mutable std::mutex reader_mutex_;  // serializes readers on the one read connection

  mutable std::mutex mutex_;  // guards queue_, stopping_ and stats_; never held during I/O
  mutable std::condition_variable wake_writer_;
  mutable std::deque<Pending> queue_;  // mutable: const reads of an in-memory journal queue writer tasks
  bool stopping_ = false;
  bool delaying_ = false;  // the writer is waiting for siblings (wait_for_siblings)
  bool busy_before_ = false;  // writer thread only: commit_siblings records were waiting at the last commit
  JournalStats stats_;
  std::thread writer_;  // last member: starts after everything it uses exists
};

}  // namespace

std::unique_ptr<Journal> Journal::open(const JournalOptions& options) {
  return std::make_unique<SqliteJournal>(options);
}

}  // namespace umpire::journal
