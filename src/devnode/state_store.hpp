// devnode/state_store.hpp — optional SQLite (WAL) persistence of the devnode's durable state: ledger entries
// (append-only), app sessions, session keys and counters. save() runs in one SQLite transaction after every
// request that changed state and before its frames go out. Challenges, auth sessions, sockets and the transfer
// replay cache stay in memory: after a restart clients re-authenticate, as after a node restart.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <tuple>

struct sqlite3;

namespace umpire::devnode {

class Engine;

class StateStore {
 public:
  explicit StateStore(const std::filesystem::path& path);  // opens or creates; throws std::runtime_error
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  // Loads stored state into a fresh engine; false if the database held none.
  bool load(Engine& engine);
  // Persists what changed since the last load/save. Throws std::runtime_error (nothing is half-written).
  void save(const Engine& engine);

 private:
  void exec(const char* sql);

  sqlite3* db_ = nullptr;
  std::size_t saved_entries_ = 0;
  std::map<std::string, std::tuple<std::string, std::uint64_t, std::string>> saved_sessions_;  // status, version, data
  std::map<std::string, std::int64_t> saved_key_expiry_;
  std::uint64_t saved_transaction_id_ = 0;
};

}  // namespace umpire::devnode
