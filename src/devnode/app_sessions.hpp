// devnode/app_sessions.hpp — app sessions: records, and the create / submit_app_state / close_app_session rules of
// the node in their exact order and texts (notes §5). Sub-balances live in the ledger (account_id = session id,
// wallet = participant); every request's movements are staged and committed only if all checks pass.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "devnode/ledger.hpp"
#include "devnode/session_keys.hpp"
#include "wire/app_session.hpp"

namespace umpire::devnode {

inline constexpr const char* kProtocolV02 = "NitroRPC/0.2";
inline constexpr const char* kProtocolV04 = "NitroRPC/0.4";

struct AppSession {
  std::string id;  // 0x + lowercase keccak of the definition
  wire::AppDefinition definition;
  std::string status = "open";  // "open" or "closed"
  std::uint64_t version = 1;
  std::string session_data;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  std::uint64_t sequence = 0;  // creation order; breaks updated_at ties in listings
  std::uint64_t revision = 0;  // in memory only: AppSessions' change counter at this session's last change
};

struct AppAllocation {
  std::string participant;
  std::string asset;
  wire::Decimal amount;
};

struct CreateAppSessionRequest {
  wire::AppDefinition definition;
  std::vector<AppAllocation> allocations;
  std::optional<std::string> session_data;
};

struct SubmitAppStateRequest {
  std::string app_session_id;
  std::vector<AppAllocation> allocations;
  std::optional<std::string> session_data;
  std::string intent;         // "", "operate", "deposit", "withdraw" (0.4)
  std::uint64_t version = 0;  // 0.4 only
};

struct CloseAppSessionRequest {
  std::string app_session_id;
  std::vector<AppAllocation> allocations;
  std::optional<std::string> session_data;
};

// What a successful request changed, for notifications.
struct AppSessionOutcome {
  std::string app_session_id;
  std::set<std::string> balance_changed;  // wallets whose unified balance moved (they get `bu`)
  bool state_submitted = false;           // submit_app_state: participants get `asu`
};

struct AppSessionFilter {
  std::string participant;  // exact string; empty = everyone
  std::string status;       // exact string; empty = any
  bool ascending = false;   // by updated_at
  std::uint64_t offset = 0;
  std::uint64_t limit = 10;
};

// The spending cap of a session key (transfer, create funding, deposit): what the key already spent of `asset` in
// this ledger, plus `amount`, must stay within its allowance. Throws RpcError with the node's text otherwise.
void check_spending_cap(const SessionKey& key, const std::string& session_key, const std::string& asset,
                        const wire::Decimal& amount, const LedgerTransaction& transaction);

class AppSessions {
 public:
  AppSessions(Ledger& ledger, const SessionKeyRegistry& session_keys) : ledger_(ledger), session_keys_(session_keys) {}

  // `signers` are the recovered request signers (EIP-55), as the node's signer map. Throw RpcError on failure.
  AppSessionOutcome create(const CreateAppSessionRequest& request, const std::set<std::string>& signers,
                           std::int64_t now_ms);
  AppSessionOutcome submit(const SubmitAppStateRequest& request, const std::set<std::string>& signers,
                           std::int64_t now_ms);
  AppSessionOutcome close(const CloseAppSessionRequest& request, const std::set<std::string>& signers,
                          std::int64_t now_ms);

  const AppSession* find(const std::string& id) const;
  std::vector<const AppSession*> list(const AppSessionFilter& filter) const;
  // Non-zero sub-balances, participant by participant (as listed in the definition), then by asset.
  std::vector<AppAllocation> allocations_of(const AppSession& session) const;

  const std::map<std::string, AppSession>& all() const { return sessions_; }
  void restore(AppSession session);

  // Change tracking for persistence, without scanning every session: the counter bumps on every create, submit,
  // close and restore; changed_since(r) lists the sessions whose last change came after r, oldest change first.
  std::uint64_t revision() const { return revision_; }
  std::vector<const AppSession*> changed_since(std::uint64_t revision) const;

 private:
  struct SignatureContext {
    bool has_signature = false;
    std::string session_key;  // set when only a session key of the participant signed
  };
  SignatureContext signature_for(const std::string& participant, const std::set<std::string>& signers,
                                 std::int64_t now_ms) const;
  void check_session_key_deposit(const std::string& session_key, const std::string& application,
                                 const std::string& asset, const wire::Decimal& amount,
                                 const LedgerTransaction& transaction, std::int64_t now_ms) const;
  std::map<std::string, std::int64_t> verify_quorum(const AppSession& session, const std::set<std::string>& signers,
                                                    const std::string& intent, std::int64_t now_ms) const;
  void check_signer_applications(const std::set<std::string>& signers, const std::string& application,
                                 std::int64_t now_ms) const;
  std::set<std::string> operate(const AppSession& session, const SubmitAppStateRequest& request,
                                const std::map<std::string, std::int64_t>& weights, LedgerTransaction& transaction);
  std::set<std::string> deposit(const AppSession& session, const SubmitAppStateRequest& request,
                                const std::set<std::string>& signers, const std::map<std::string, std::int64_t>& weights,
                                LedgerTransaction& transaction, std::int64_t now_ms);
  std::set<std::string> withdraw(const AppSession& session, const SubmitAppStateRequest& request,
                                 const std::map<std::string, std::int64_t>& weights, LedgerTransaction& transaction);
  std::map<std::string, wire::Decimal> session_totals(const std::string& id, const LedgerTransaction& transaction) const;

  Ledger& ledger_;
  const SessionKeyRegistry& session_keys_;
  void mark_changed(AppSession& session);

  std::map<std::string, AppSession> sessions_;
  std::uint64_t next_sequence_ = 1;
  std::uint64_t revision_ = 0;
  std::map<std::uint64_t, std::string> ids_by_revision_;  // each session once, under its latest revision
};

}  // namespace umpire::devnode
