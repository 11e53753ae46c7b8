// devnode/app_sessions.cpp — the app-session rules. Each check mirrors the node's order; the comments name the
// places where the node's behaviour is surprising but reproduced on purpose.
#include "devnode/app_sessions.hpp"

#include <algorithm>

#include "devnode/rpc_error.hpp"

namespace umpire::devnode {
namespace {

std::string negative_allocation(const AppAllocation& allocation) {
  return "negative allocation: " + allocation.amount.to_string() + " for asset " + allocation.asset;
}

void validate_participant(const std::string& wallet, const std::map<std::string, std::int64_t>& weights) {
  if (!weights.contains(wallet)) throw RpcError("allocation to non-participant " + wallet);
}

// The node's verifyAllocations; `totals` are the session's per-asset totals before the update (assets ever posted).
void verify_allocations(const std::map<std::string, wire::Decimal>& totals,
                        const std::map<std::string, wire::Decimal>& sums, const std::string& prefix) {
  for (const auto& [asset, total] : totals) {
    const auto sum = sums.find(asset);
    if (total.is_zero()) {
      if (sum != sums.end() && !sum->second.is_zero()) {
        throw RpcError(prefix + "asset " + asset + " is not deposited into the app session. Please deposit the asset first");
      }
      continue;
    }
    if (sum == sums.end() || sum->second != total) throw RpcError(prefix + "asset " + asset + " not fully redistributed");
  }
  for (const auto& [asset, sum] : sums) {
    if (!totals.contains(asset) && !sum.is_zero()) throw RpcError(prefix + "allocation references unknown asset " + asset);
  }
}

}  // namespace

AppSessions::SignatureContext AppSessions::signature_for(const std::string& participant,
                                                         const std::set<std::string>& signers,
                                                         std::int64_t now_ms) const {
  if (signers.contains(participant)) return {true, {}};  // a direct signature wins and is never charged
  for (const auto& signer : signers) {
    const SessionKey* key = session_keys_.live(signer, now_ms);
    if (key && key->wallet == participant) return {true, signer};
  }
  return {};
}

void check_spending_cap(const SessionKey& key, const std::string& session_key, const std::string& asset,
                        const wire::Decimal& amount, const LedgerTransaction& transaction) {
  const std::string prefix = "session key spending validation failed: operation denied: ";
  const auto allowance = std::find_if(key.allowances.begin(), key.allowances.end(),
                                      [&](const auto& item) { return item.asset == asset; });
  if (allowance == key.allowances.end()) throw RpcError(prefix + "asset " + asset + " not allowed in session key spending cap");
  const auto allowed = wire::Decimal::parse(allowance->amount).value_or(wire::Decimal());
  const auto spent = transaction.session_key_spent(session_key, asset);
  if (spent + amount > allowed) {
    throw RpcError(prefix + "insufficient session key allowance: " + amount.to_string() + " required, " +
                   (allowed - spent).to_string() + " available");
  }
}

void AppSessions::check_session_key_deposit(const std::string& session_key, const std::string& application,
                                            const std::string& asset, const wire::Decimal& amount,
                                            const LedgerTransaction& transaction, std::int64_t now_ms) const {
  const SessionKey* key = session_keys_.live(session_key, now_ms);
  if (!key) throw RpcError("session key validation failed: session key not found or expired");
  if (key->is_root()) return;
  if (key->application != application) {
    throw RpcError("session key application validation failed: session key application mismatch: session key is for '" +
                   key->application + "', but app session is for '" + application + "'");
  }
  check_spending_cap(*key, session_key, asset, amount, transaction);
}

AppSessionOutcome AppSessions::create(const CreateAppSessionRequest& request, const std::set<std::string>& signers,
                                      std::int64_t now_ms) {
  const auto& definition = request.definition;
  if (definition.protocol != kProtocolV02 && definition.protocol != kProtocolV04) {
    throw RpcError("unsupported protocol: " + definition.protocol);
  }
  const auto participants = definition.participants.value_or(std::vector<std::string>{});
  const auto weights = definition.weights.value_or(std::vector<std::int64_t>{});
  if (participants.size() < 2) throw RpcError("invalid number of participants");
  if (weights.size() != participants.size()) throw RpcError("number of weights must be equal to participants");
  if (definition.nonce == 0) throw RpcError("nonce is zero or not provided");
  std::int64_t total_weight = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] < 0) throw RpcError("participant " + participants[i] + " weight cannot be negative");
    total_weight += weights[i];
  }
  if (static_cast<std::int64_t>(definition.quorum) > total_weight || definition.quorum > (1ULL << 62)) {
    throw RpcError("target quorum (" + std::to_string(definition.quorum) + ") cannot be greater than total sum of weights (" +
                   std::to_string(total_weight) + ")");
  }
  const std::string id = wire::app_session_id(definition);

  LedgerTransaction transaction(ledger_);
  AppSessionOutcome outcome{id, {}, false};
  for (const auto& allocation : request.allocations) {
    if (allocation.amount.is_zero()) continue;
    if (allocation.amount.is_negative()) throw RpcError(negative_allocation(allocation));
    const auto signature = signature_for(allocation.participant, signers, now_ms);
    if (!signature.has_signature) throw RpcError("missing signature for participant " + allocation.participant);
    if (!signature.session_key.empty()) {
      check_session_key_deposit(signature.session_key, definition.application, allocation.asset, allocation.amount,
                                transaction, now_ms);
    }
    // Channel checks (challenged channels, non-zero channel allocations) always pass: the devnode has no channels.
    const auto wallet_account = Ledger::unified(allocation.participant, allocation.asset);
    if (allocation.amount > transaction.balance(wallet_account)) {
      throw RpcError("insufficient funds: " + allocation.participant + " for asset " + allocation.asset);
    }
    transaction.move(wallet_account, AccountRef{id, allocation.participant, allocation.asset}, allocation.amount,
                     signature.session_key);
    outcome.balance_changed.insert(allocation.participant);
  }
  if (sessions_.contains(id)) throw RpcError("failed to create application session");  // duplicate primary key

  AppSession session;
  session.id = id;
  session.definition = definition;
  session.session_data = request.session_data.value_or("");
  session.created_ms = session.updated_ms = now_ms;
  session.sequence = next_sequence_++;
  transaction.commit(now_ms);
  mark_changed(sessions_.emplace(id, std::move(session)).first->second);
  return outcome;
}

std::map<std::string, std::int64_t> AppSessions::verify_quorum(const AppSession& session,
                                                               const std::set<std::string>& signers,
                                                               const std::string& intent, std::int64_t now_ms) const {
  std::map<std::string, std::int64_t> weights;
  const auto& participants = session.definition.participants.value_or(std::vector<std::string>{});
  const auto& definition_weights = session.definition.weights.value_or(std::vector<std::int64_t>{});
  for (std::size_t i = 0; i < participants.size() && i < definition_weights.size(); ++i) {
    weights[participants[i]] = definition_weights[i];
  }
  std::set<std::string> wallets;  // getWallets: signers mapped through live session keys
  for (const auto& signer : signers) wallets.insert(session_keys_.wallet_for(signer, now_ms));
  std::int64_t signed_weight = 0;
  for (const auto& wallet : wallets) {
    const auto it = weights.find(wallet);
    if (it == weights.end()) throw RpcError("signature from unknown participant wallet " + wallet);
    signed_weight += it->second;
  }
  if (signed_weight < static_cast<std::int64_t>(session.definition.quorum)) {
    const std::string reason =
        "quorum not reached: " + std::to_string(signed_weight) + " / " + std::to_string(session.definition.quorum);
    if (intent == "deposit") throw RpcError("incorrect deposit request: " + reason);
    if (intent == "withdraw") throw RpcError("incorrect withdrawal request: " + reason);
    throw RpcError("incorrect submit_state request: " + reason);
  }
  return weights;
}

void AppSessions::check_signer_applications(const std::set<std::string>& signers, const std::string& application,
                                            std::int64_t now_ms) const {
  for (const auto& signer : signers) {
    const SessionKey* key = session_keys_.live(signer, now_ms);
    if (!key || key->wallet == signer || key->is_root() || key->application == application) continue;
    throw RpcError("session key application validation failed for signer " + signer +
                   ": session key application mismatch: session key is for '" + key->application +
                   "', but app session is for '" + application + "'");
  }
}

std::map<std::string, wire::Decimal> AppSessions::session_totals(const std::string& id,
                                                                 const LedgerTransaction& transaction) const {
  std::map<std::string, wire::Decimal> totals;  // assets ever posted to the session, as the node's GROUP BY
  for (const auto& [account, amount] : ledger_.accounts_under(id)) totals[account.asset] += transaction.balance(account);
  return totals;
}

std::set<std::string> AppSessions::operate(const AppSession& session, const SubmitAppStateRequest& request,
                                           const std::map<std::string, std::int64_t>& weights,
                                           LedgerTransaction& transaction) {
  const auto totals = session_totals(session.id, transaction);
  std::map<std::string, wire::Decimal> sums;
  for (const auto& allocation : request.allocations) {
    if (allocation.amount.is_negative()) throw RpcError(negative_allocation(allocation));
    validate_participant(allocation.participant, weights);
    // The node *sets* the listed sub-balance. Unlisted holders keep theirs, so omitting one passes the check
    // below and corrupts the books exactly as on the node (the clearing account then shows it in the audit).
    transaction.set_balance(AccountRef{session.id, allocation.participant, allocation.asset}, allocation.amount);
    sums[allocation.asset] += allocation.amount;
  }
  verify_allocations(totals, sums, "incorrect operate request: non-zero allocations sum delta: ");
  return {};
}

std::set<std::string> AppSessions::deposit(const AppSession& session, const SubmitAppStateRequest& request,
                                           const std::set<std::string>& signers,
                                           const std::map<std::string, std::int64_t>& weights,
                                           LedgerTransaction& transaction, std::int64_t now_ms) {
  // Current sub-balances are read once, before any movement, as the node does.
  const auto current = [&](const AppAllocation& allocation) {
    return ledger_.balance(AccountRef{session.id, allocation.participant, allocation.asset});
  };
  for (const auto& allocation : request.allocations) {
    if (allocation.amount < current(allocation)) {
      throw RpcError("incorrect deposit request: decreased allocation for participant " + allocation.participant);
    }
  }
  std::set<std::string> changed;
  for (const auto& allocation : request.allocations) {
    const auto before = current(allocation);
    if (!(allocation.amount > before)) continue;
    if (allocation.amount.is_negative()) throw RpcError(negative_allocation(allocation));
    validate_participant(allocation.participant, weights);
    const auto amount = allocation.amount - before;
    const auto signature = signature_for(allocation.participant, signers, now_ms);
    if (!signature.has_signature) throw RpcError("incorrect deposit request: depositor signature is required");
    const auto wallet_account = Ledger::unified(allocation.participant, allocation.asset);
    if (amount > transaction.balance(wallet_account)) {
      throw RpcError("incorrect deposit request: insufficient unified balance");
    }
    if (!signature.session_key.empty()) {
      check_session_key_deposit(signature.session_key, session.definition.application, allocation.asset, amount,
                                transaction, now_ms);
    }
    transaction.move(wallet_account, AccountRef{session.id, allocation.participant, allocation.asset}, amount,
                     signature.session_key);
    changed.insert(allocation.participant);
  }
  if (changed.empty()) throw RpcError("incorrect deposit request: non-positive allocations sum delta");
  return changed;
}

std::set<std::string> AppSessions::withdraw(const AppSession& session, const SubmitAppStateRequest& request,
                                            const std::map<std::string, std::int64_t>& weights,
                                            LedgerTransaction& transaction) {
  const auto current = [&](const AppAllocation& allocation) {
    return ledger_.balance(AccountRef{session.id, allocation.participant, allocation.asset});
  };
  for (const auto& allocation : request.allocations) {
    if (allocation.amount > current(allocation)) {
      throw RpcError("incorrect withdrawal request: increased allocation for participant " + allocation.participant);
    }
  }
  std::set<std::string> changed;
  for (const auto& allocation : request.allocations) {
    if (allocation.amount.is_negative()) throw RpcError(negative_allocation(allocation));
    const auto before = current(allocation);
    if (!(allocation.amount < before)) continue;
    validate_participant(allocation.participant, weights);
    transaction.move(AccountRef{session.id, allocation.participant, allocation.asset},
                     Ledger::unified(allocation.participant, allocation.asset), before - allocation.amount);
    changed.insert(allocation.participant);
  }
  if (changed.empty()) throw RpcError("incorrect withdrawal request: non-negative allocations sum delta");
  return changed;
}

AppSessionOutcome AppSessions::submit(const SubmitAppStateRequest& request, const std::set<std::string>& signers,
                                      std::int64_t now_ms) {
  const auto found = sessions_.find(request.app_session_id);
  if (found == sessions_.end() || found->second.status != "open") {
    throw RpcError("an open app session not found: record not found");
  }
  AppSession& session = found->second;
  if (session.definition.protocol == kProtocolV04) {
    if (session.version + 1 != request.version) {
      throw RpcError("incorrect app state: incorrect version: expected " + std::to_string(session.version + 1) +
                     ", got " + std::to_string(request.version));
    }
  } else if (session.definition.protocol == kProtocolV02) {
    if (!request.intent.empty() || request.version != 0) {
      throw RpcError("incorrect request: specified parameters are not supported in this protocol");
    }
  } else {
    throw RpcError("incorrect app state: unsupported protocol: " + session.definition.protocol);
  }
  const auto weights = verify_quorum(session, signers, request.intent, now_ms);
  check_signer_applications(signers, session.definition.application, now_ms);

  LedgerTransaction transaction(ledger_);
  AppSessionOutcome outcome{session.id, {}, true};
  if (request.intent == "deposit") outcome.balance_changed = deposit(session, request, signers, weights, transaction, now_ms);
  else if (request.intent == "withdraw") outcome.balance_changed = withdraw(session, request, weights, transaction);
  else if (request.intent == "operate" || request.intent.empty()) operate(session, request, weights, transaction);
  else throw RpcError("incorrect app state: unsupported intent: " + request.intent);

  transaction.commit(now_ms);
  session.version += 1;
  if (request.session_data) session.session_data = *request.session_data;
  session.updated_ms = now_ms;
  mark_changed(session);
  return outcome;
}

AppSessionOutcome AppSessions::close(const CloseAppSessionRequest& request, const std::set<std::string>& signers,
                                     std::int64_t now_ms) {
  if (request.app_session_id.empty() || request.allocations.empty()) {
    throw RpcError("missing required parameters: app_id or allocations");
  }
  const auto found = sessions_.find(request.app_session_id);
  if (found == sessions_.end() || found->second.status != "open") {
    throw RpcError("an open app session not found: record not found");
  }
  AppSession& session = found->second;
  const auto weights = verify_quorum(session, signers, "", now_ms);
  check_signer_applications(signers, session.definition.application, now_ms);

  LedgerTransaction transaction(ledger_);
  const auto totals = session_totals(session.id, transaction);
  AppSessionOutcome outcome{session.id, {}, false};
  std::map<std::string, wire::Decimal> sums;
  for (const auto& allocation : request.allocations) {
    if (allocation.amount.is_negative()) throw RpcError(negative_allocation(allocation));
    validate_participant(allocation.participant, weights);
    // The whole sub-balance leaves the session and the listed amount reaches the wallet; the difference passes
    // through the clearing account and nets to zero once the sums are verified.
    const AccountRef sub_account{session.id, allocation.participant, allocation.asset};
    const auto clearing = Ledger::clearing(allocation.asset);
    const auto held = transaction.balance(sub_account);
    if (held.is_negative()) transaction.move(clearing, sub_account, -held);
    else transaction.move(sub_account, clearing, held);
    transaction.move(clearing, Ledger::unified(allocation.participant, allocation.asset), allocation.amount);
    if (!allocation.amount.is_zero()) {
      sums[allocation.asset] += allocation.amount;
      outcome.balance_changed.insert(allocation.participant);
    }
  }
  verify_allocations(totals, sums, "");

  transaction.commit(now_ms);
  session.status = "closed";
  session.version += 1;
  if (request.session_data) session.session_data = *request.session_data;
  session.updated_ms = now_ms;
  mark_changed(session);
  return outcome;
}

const AppSession* AppSessions::find(const std::string& id) const {
  const auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : &it->second;
}

std::vector<const AppSession*> AppSessions::list(const AppSessionFilter& filter) const {
  std::vector<const AppSession*> matches;
  for (const auto& [id, session] : sessions_) {
    if (!filter.status.empty() && session.status != filter.status) continue;
    if (!filter.participant.empty()) {
      const auto& participants = session.definition.participants.value_or(std::vector<std::string>{});
      if (std::find(participants.begin(), participants.end(), filter.participant) == participants.end()) continue;
    }
    matches.push_back(&session);
  }
  std::sort(matches.begin(), matches.end(), [&](const AppSession* a, const AppSession* b) {
    const auto key_a = std::make_pair(a->updated_ms, a->sequence);
    const auto key_b = std::make_pair(b->updated_ms, b->sequence);
    return filter.ascending ? key_a < key_b : key_a > key_b;
  });
  std::vector<const AppSession*> page;
  for (std::size_t i = filter.offset; i < matches.size() && page.size() < filter.limit; ++i) page.push_back(matches[i]);
  return page;
}

std::vector<AppAllocation> AppSessions::allocations_of(const AppSession& session) const {
  std::vector<AppAllocation> out;
  std::set<std::string> seen;
  for (const auto& participant : session.definition.participants.value_or(std::vector<std::string>{})) {
    if (!seen.insert(participant).second) continue;
    for (const auto& [asset, amount] : ledger_.balances(session.id, participant)) {
      if (!amount.is_zero()) out.push_back({participant, asset, amount});
    }
  }
  return out;
}

void AppSessions::restore(AppSession session) {
  if (session.sequence >= next_sequence_) next_sequence_ = session.sequence + 1;
  AppSession& restored = sessions_[session.id];
  const std::uint64_t revision = restored.revision;
  restored = std::move(session);
  restored.revision = revision;
  mark_changed(restored);
}

void AppSessions::mark_changed(AppSession& session) {
  if (session.revision != 0) ids_by_revision_.erase(session.revision);
  session.revision = ++revision_;
  ids_by_revision_.emplace(session.revision, session.id);
}

std::vector<const AppSession*> AppSessions::changed_since(std::uint64_t revision) const {
  std::vector<const AppSession*> out;
  for (auto it = ids_by_revision_.upper_bound(revision); it != ids_by_revision_.end(); ++it) {
    out.push_back(&sessions_.at(it->second));
  }
  return out;
}

}  // namespace umpire::devnode
