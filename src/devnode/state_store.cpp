// devnode/state_store.cpp — the SQLite schema and incremental saves.
#include "devnode/state_store.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sqlite3.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "devnode/engine.hpp"

namespace umpire::devnode {
namespace {

class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &statement_, nullptr) != SQLITE_OK) fail();
  }
  ~Statement() { sqlite3_finalize(statement_); }
  Statement& text(int index, const std::string& value) {
    sqlite3_bind_text(statement_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& integer(int index, std::int64_t value) {
    sqlite3_bind_int64(statement_, index, value);
    return *this;
  }
  bool step() {  // true while a row is available
    const int rc = sqlite3_step(statement_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) fail();
    return false;
  }
  void run() {  // one execution; the statement is reset for the next, even when this one failed
    const int rc = sqlite3_step(statement_);
    const std::string error = rc == SQLITE_ROW || rc == SQLITE_DONE ? "" : sqlite3_errmsg(db_);
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
    if (!error.empty()) throw std::runtime_error("devnode database: " + error);
  }
  std::string column_text(int index) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement_, index));
    return text ? std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(statement_, index))) : std::string();
  }
  std::int64_t column_int(int index) const { return sqlite3_column_int64(statement_, index); }

 private:
  [[noreturn]] void fail() const { throw std::runtime_error(std::string("devnode database: ") + sqlite3_errmsg(db_)); }
  sqlite3* db_;
  sqlite3_stmt* statement_ = nullptr;
};

wire::Decimal decimal_text(const std::string& text) {
  const auto value = wire::Decimal::parse(text);
  if (!value) throw std::runtime_error("devnode database: bad amount '" + text + "'");
  return *value;
}

}  // namespace

// Prepared once per store: a save is a handful of bound executions, not a fresh compile of each statement.
struct StateStore::Statements {
  explicit Statements(sqlite3* db)
      : begin(db, "BEGIN IMMEDIATE"),
        commit(db, "COMMIT"),
        insert_entry(db, "INSERT INTO ledger_entries(tx, account_id, wallet, asset, credit, debit, session_key, created_ms)"
                         " VALUES(?,?,?,?,?,?,?,?)"),
        upsert_session(db, "INSERT OR REPLACE INTO app_sessions VALUES(?,?,?,?,?,?,?,?)"),
        delete_other_keys(db, "DELETE FROM session_keys WHERE address NOT IN (SELECT value FROM json_each(?))"),
        upsert_key(db, "INSERT OR REPLACE INTO session_keys VALUES(?,?,?,?,?,?,?,?)"),
        set_transaction_id(db, "INSERT OR REPLACE INTO meta(key, value) VALUES('next_transaction_id', ?)") {}
  Statement begin;
  Statement commit;
  Statement insert_entry;
  Statement upsert_session;
  Statement delete_other_keys;
  Statement upsert_key;
  Statement set_transaction_id;
};

StateStore::StateStore(const std::filesystem::path& path) : path_(path) {
  // Created owner-only: the database may hold the broker key. SQLite gives its -wal and -shm files the same mode.
  if (const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600); fd >= 0) ::close(fd);
  if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw std::runtime_error("devnode database " + path.string() + ": " + message);
  }
  // Wait for a lock another connection holds briefly (a devnode closing on this file checkpoints its WAL as it
  // goes) instead of failing at once with "database is locked"; the journal does the same.
  sqlite3_busy_timeout(db_, 5000);
  try {
    exec("PRAGMA journal_mode=WAL");
    // WAL with synchronous=NORMAL: a commit is in the OS (written to the WAL) before the reply goes out, so a devnode
    // killed with SIGKILL loses nothing it acknowledged. Only a power loss or kernel crash may roll back the last
    // commits; a development node takes that over an fsync per request (~1 ms each, a 20x slower --db devnode).
    exec("PRAGMA synchronous=NORMAL");
    exec("CREATE TABLE IF NOT EXISTS ledger_entries(seq INTEGER PRIMARY KEY, tx INTEGER NOT NULL, account_id TEXT NOT NULL,"
         " wallet TEXT NOT NULL, asset TEXT NOT NULL, credit TEXT NOT NULL, debit TEXT NOT NULL, session_key TEXT NOT NULL,"
         " created_ms INTEGER NOT NULL)");
    exec("CREATE TABLE IF NOT EXISTS app_sessions(id TEXT PRIMARY KEY, definition TEXT NOT NULL, status TEXT NOT NULL,"
         " version INTEGER NOT NULL, session_data TEXT NOT NULL, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,"
         " sequence INTEGER NOT NULL)");
    exec("CREATE TABLE IF NOT EXISTS session_keys(address TEXT PRIMARY KEY, id INTEGER NOT NULL, wallet TEXT NOT NULL,"
         " application TEXT NOT NULL, allowances TEXT NOT NULL, scope TEXT NOT NULL, expires_at_s INTEGER NOT NULL,"
         " created_ms INTEGER NOT NULL)");
    exec("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL)");
    exec("CREATE TABLE IF NOT EXISTS node_secrets(name TEXT PRIMARY KEY, value TEXT NOT NULL)");
    statements_ = std::make_unique<Statements>(db_);
  } catch (...) {
    sqlite3_close(db_);
    throw;
  }
}

StateStore::~StateStore() {
  statements_.reset();  // finalized before the connection closes
  sqlite3_close(db_);
}

void StateStore::exec(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string message = error ? error : "unknown error";
    sqlite3_free(error);
    throw std::runtime_error("devnode database: " + message);
  }
}

bool StateStore::load(Engine& engine) {
  bool any = false;
  Statement entries(db_, "SELECT tx, account_id, wallet, asset, credit, debit, session_key, created_ms FROM ledger_entries ORDER BY seq");
  while (entries.step()) {
    LedgerEntry entry{static_cast<std::uint64_t>(entries.column_int(0)),
                      AccountRef{entries.column_text(1), entries.column_text(2), entries.column_text(3)},
                      decimal_text(entries.column_text(4)), decimal_text(entries.column_text(5)), entries.column_text(6),
                      entries.column_int(7)};
    engine.mutable_ledger().restore(entry);
    ++saved_entries_;
    any = true;
  }
  Statement sessions(db_, "SELECT id, definition, status, version, session_data, created_ms, updated_ms, sequence FROM app_sessions");
  while (sessions.step()) {
    const auto definition = nlohmann::json::parse(sessions.column_text(1));
    AppSession session;
    session.id = sessions.column_text(0);
    session.definition.application = definition.at("application");
    session.definition.protocol = definition.at("protocol");
    if (!definition.at("participants").is_null()) session.definition.participants = definition.at("participants").get<std::vector<std::string>>();
    if (!definition.at("weights").is_null()) session.definition.weights = definition.at("weights").get<std::vector<std::int64_t>>();
    session.definition.quorum = definition.at("quorum");
    session.definition.challenge = definition.at("challenge");
    session.definition.nonce = definition.at("nonce");
    session.status = sessions.column_text(2);
    session.version = static_cast<std::uint64_t>(sessions.column_int(3));
    session.session_data = sessions.column_text(4);
    session.created_ms = sessions.column_int(5);
    session.updated_ms = sessions.column_int(6);
    session.sequence = static_cast<std::uint64_t>(sessions.column_int(7));
    engine.mutable_app_sessions().restore(std::move(session));
    any = true;
  }
  saved_session_revision_ = engine.app_sessions().revision();
  Statement keys(db_, "SELECT address, id, wallet, application, allowances, scope, expires_at_s, created_ms FROM session_keys");
  while (keys.step()) {
    SessionKey key;
    key.address = keys.column_text(0);
    key.id = static_cast<std::uint64_t>(keys.column_int(1));
    key.wallet = keys.column_text(2);
    key.application = keys.column_text(3);
    for (const auto& item : nlohmann::json::parse(keys.column_text(4))) key.allowances.push_back({item.at(0), item.at(1)});
    key.scope = keys.column_text(5);
    key.expires_at_s = keys.column_int(6);
    key.created_ms = keys.column_int(7);
    engine.mutable_session_keys().restore(std::move(key));
    any = true;
  }
  saved_key_revision_ = engine.session_keys().revision();
  Statement meta(db_, "SELECT value FROM meta WHERE key = 'next_transaction_id'");
  if (meta.step()) {
    saved_transaction_id_ = static_cast<std::uint64_t>(meta.column_int(0));
    engine.set_next_transaction_id(saved_transaction_id_);
  }
  engine.rebuild_indexes();
  return any;
}

void StateStore::save(const Engine& engine) {
  Statements& sql = *statements_;
  sql.begin.run();
  try {
    const auto& entries = engine.ledger().entries();
    for (std::size_t i = saved_entries_; i < entries.size(); ++i) {
      const auto& e = entries[i];
      sql.insert_entry.integer(1, static_cast<std::int64_t>(e.transaction)).text(2, e.account.account_id)
          .text(3, e.account.wallet).text(4, e.account.asset).text(5, e.credit.to_string()).text(6, e.debit.to_string())
          .text(7, e.session_key).integer(8, e.created_ms).run();
    }
    for (const AppSession* s : engine.app_sessions().changed_since(saved_session_revision_)) {
      sql.upsert_session.text(1, s->id).text(2, wire::definition_json(s->definition)).text(3, s->status)
          .integer(4, static_cast<std::int64_t>(s->version)).text(5, s->session_data).integer(6, s->created_ms)
          .integer(7, s->updated_ms).integer(8, static_cast<std::int64_t>(s->sequence)).run();
    }
    const auto& keys = engine.session_keys();
    if (saved_key_revision_ != keys.revision()) {
      nlohmann::json addresses = nlohmann::json::array();
      for (const auto& [address, key] : keys.all()) {
        addresses.push_back(address);
        nlohmann::json allowances = nlohmann::json::array();
        for (const auto& a : key.allowances) allowances.push_back({a.asset, a.amount});
        sql.upsert_key.text(1, address).integer(2, static_cast<std::int64_t>(key.id)).text(3, key.wallet)
            .text(4, key.application).text(5, allowances.dump()).text(6, key.scope).integer(7, key.expires_at_s)
            .integer(8, key.created_ms).run();
      }
      sql.delete_other_keys.text(1, addresses.dump()).run();  // keys replaced for the same (wallet, application)
    }
    if (engine.next_transaction_id() != saved_transaction_id_) {
      sql.set_transaction_id.integer(1, static_cast<std::int64_t>(engine.next_transaction_id())).run();
    }
    sql.commit.run();
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  saved_entries_ = engine.ledger().entries().size();
  saved_session_revision_ = engine.app_sessions().revision();
  saved_key_revision_ = engine.session_keys().revision();
  saved_transaction_id_ = engine.next_transaction_id();
}

std::optional<crypto::PrivateKey> StateStore::load_broker_key() {
  Statement select(db_, "SELECT value FROM node_secrets WHERE name = 'broker_key'");
  if (!select.step()) return std::nullopt;
  std::string text = select.column_text(0);
  try {
    auto key = crypto::PrivateKey::from_hex(text);
    OPENSSL_cleanse(text.data(), text.size());
    return key;
  } catch (const std::exception&) {
    OPENSSL_cleanse(text.data(), text.size());
    throw std::runtime_error("devnode database " + path_.string() + ": the stored broker key is not a valid key");
  }
}

void StateStore::save_broker_key(const crypto::PrivateKey& key) {
  for (const auto* suffix : {"", "-wal", "-shm"}) {  // a database made before keys were kept here may be readable
    std::error_code ignored;
    std::filesystem::permissions(path_.string() + suffix, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                 ignored);
  }
  std::string text = key.to_secret_hex();
  Statement insert(db_, "INSERT OR REPLACE INTO node_secrets(name, value) VALUES('broker_key', ?)");
  try {
    insert.text(1, text).run();
  } catch (...) {
    OPENSSL_cleanse(text.data(), text.size());
    throw;
  }
  OPENSSL_cleanse(text.data(), text.size());
}

}  // namespace umpire::devnode
