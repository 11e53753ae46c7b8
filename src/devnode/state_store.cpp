// devnode/state_store.cpp — the SQLite schema and incremental saves.
#include "devnode/state_store.hpp"

#include <sqlite3.h>

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
  void run() {
    step();
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
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

StateStore::StateStore(const std::filesystem::path& path) {
  if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw std::runtime_error("devnode database " + path.string() + ": " + message);
  }
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA synchronous=FULL");  // a reply means the change is on disk
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
}

StateStore::~StateStore() { sqlite3_close(db_); }

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
    saved_sessions_[session.id] = {session.status, session.version, session.session_data};
    engine.mutable_app_sessions().restore(std::move(session));
    any = true;
  }
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
    saved_key_expiry_[key.address] = key.expires_at_s;
    engine.mutable_session_keys().restore(std::move(key));
    any = true;
  }
  Statement meta(db_, "SELECT value FROM meta WHERE key = 'next_transaction_id'");
  if (meta.step()) {
    saved_transaction_id_ = static_cast<std::uint64_t>(meta.column_int(0));
    engine.set_next_transaction_id(saved_transaction_id_);
  }
  engine.rebuild_indexes();
  return any;
}

void StateStore::save(const Engine& engine) {
  exec("BEGIN IMMEDIATE");
  try {
    const auto& entries = engine.ledger().entries();
    Statement insert_entry(db_, "INSERT INTO ledger_entries(tx, account_id, wallet, asset, credit, debit, session_key, created_ms)"
                                " VALUES(?,?,?,?,?,?,?,?)");
    for (std::size_t i = saved_entries_; i < entries.size(); ++i) {
      const auto& e = entries[i];
      insert_entry.integer(1, static_cast<std::int64_t>(e.transaction)).text(2, e.account.account_id).text(3, e.account.wallet)
          .text(4, e.account.asset).text(5, e.credit.to_string()).text(6, e.debit.to_string()).text(7, e.session_key)
          .integer(8, e.created_ms).run();
    }
    Statement upsert_session(db_, "INSERT OR REPLACE INTO app_sessions VALUES(?,?,?,?,?,?,?,?)");
    std::map<std::string, std::tuple<std::string, std::uint64_t, std::string>> sessions_now;
    for (const auto& [id, s] : engine.app_sessions().all()) {
      auto state = std::make_tuple(s.status, s.version, s.session_data);
      const auto saved = saved_sessions_.find(id);
      if (saved == saved_sessions_.end() || saved->second != state) {
        upsert_session.text(1, id).text(2, wire::definition_json(s.definition)).text(3, s.status)
            .integer(4, static_cast<std::int64_t>(s.version)).text(5, s.session_data).integer(6, s.created_ms)
            .integer(7, s.updated_ms).integer(8, static_cast<std::int64_t>(s.sequence)).run();
      }
      sessions_now[id] = std::move(state);
    }
    Statement delete_keys(db_, "DELETE FROM session_keys WHERE address NOT IN (SELECT value FROM json_each(?))");
    Statement upsert_key(db_, "INSERT OR REPLACE INTO session_keys VALUES(?,?,?,?,?,?,?,?)");
    nlohmann::json addresses = nlohmann::json::array();
    std::map<std::string, std::int64_t> keys_now;
    for (const auto& [address, key] : engine.session_keys().all()) {
      addresses.push_back(address);
      keys_now[address] = key.expires_at_s;
      const auto saved = saved_key_expiry_.find(address);
      if (saved != saved_key_expiry_.end() && saved->second == key.expires_at_s) continue;
      nlohmann::json allowances = nlohmann::json::array();
      for (const auto& a : key.allowances) allowances.push_back({a.asset, a.amount});
      upsert_key.text(1, address).integer(2, static_cast<std::int64_t>(key.id)).text(3, key.wallet).text(4, key.application)
          .text(5, allowances.dump()).text(6, key.scope).integer(7, key.expires_at_s).integer(8, key.created_ms).run();
    }
    delete_keys.text(1, addresses.dump()).run();  // keys replaced for the same (wallet, application)
    Statement meta(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES('next_transaction_id', ?)");
    meta.integer(1, static_cast<std::int64_t>(engine.next_transaction_id())).run();
    exec("COMMIT");
    saved_entries_ = entries.size();
    saved_sessions_ = std::move(sessions_now);
    saved_key_expiry_ = std::move(keys_now);
    saved_transaction_id_ = engine.next_transaction_id();
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

}  // namespace umpire::devnode
