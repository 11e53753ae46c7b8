// devnode/state_store.hpp — optional SQLite (WAL) persistence of the devnode's durable state: ledger entries
// (append-only), app sessions, session keys, counters, and the broker key when none was configured. save() runs in
// one SQLite transaction after every request that changed state and before its frames go out; it writes only what
// changed (new ledger entries, sessions changed since the last save, keys when their set changed). Challenges, auth
// sessions, sockets and the transfer replay cache stay in memory: after a restart clients re-authenticate, as after
// a node restart.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>

#include "crypto/private_key.hpp"

struct sqlite3;

namespace umpire::devnode {

class Engine;

class StateStore {
 public:
  explicit StateStore(const std::filesystem::path& path);  // opens or creates (mode 0600); throws std::runtime_error
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  // Loads stored state into a fresh engine; false if the database held none.
  bool load(Engine& engine);
  // Persists what changed since the last load/save. Throws std::runtime_error (nothing is half-written).
  void save(const Engine& engine);

  // The broker key of a devnode started without one, so that a restart keeps its broker address. Throws
  // std::runtime_error; the key itself never appears in an error.
  std::optional<crypto::PrivateKey> load_broker_key();
  void save_broker_key(const crypto::PrivateKey& key);

 private:
  struct Statements;  // prepared once, reused by every save
  void exec(const char* sql);

  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
  std::unique_ptr<Statements> statements_;
  std::size_t saved_entries_ = 0;
  std::uint64_t saved_session_revision_ = 0;
  std::optional<std::uint64_t> saved_key_revision_;  // unknown until the first load or save
  std::uint64_t saved_transaction_id_ = 0;
};

}  // namespace umpire::devnode
