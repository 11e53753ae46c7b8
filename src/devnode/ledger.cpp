// devnode/ledger.cpp — balances, staging and audit of the double-entry ledger.
#include "devnode/ledger.hpp"

#include <stdexcept>

namespace umpire::devnode {

wire::Decimal Ledger::balance(const AccountRef& account) const {
  const auto it = balances_.find(account);
  return it == balances_.end() ? wire::Decimal() : it->second;
}

std::vector<std::pair<std::string, wire::Decimal>> Ledger::balances(const std::string& account_id,
                                                                    const std::string& wallet) const {
  std::vector<std::pair<std::string, wire::Decimal>> out;
  for (auto it = balances_.lower_bound(AccountRef{account_id, wallet, ""});
       it != balances_.end() && it->first.account_id == account_id && it->first.wallet == wallet; ++it) {
    out.emplace_back(it->first.asset, it->second);
  }
  return out;
}

std::vector<std::pair<AccountRef, wire::Decimal>> Ledger::accounts_under(const std::string& account_id) const {
  std::vector<std::pair<AccountRef, wire::Decimal>> out;
  for (auto it = balances_.lower_bound(AccountRef{account_id, "", ""});
       it != balances_.end() && it->first.account_id == account_id; ++it) {
    out.emplace_back(it->first, it->second);
  }
  return out;
}

wire::Decimal Ledger::session_key_spent(const std::string& session_key, const std::string& asset) const {
  const auto it = key_spending_.find({session_key, asset});
  return it == key_spending_.end() ? wire::Decimal() : it->second;
}

std::vector<AssetAudit> Ledger::audit() const {
  std::map<std::string, AssetAudit> by_asset;
  for (const auto& [asset, totals] : asset_totals_) {
    auto& audit = by_asset[asset];
    audit.asset = asset;
    audit.credits = totals.first;
    audit.debits = totals.second;
  }
  for (const auto& [account, amount] : balances_) {
    auto& audit = by_asset[account.asset];
    audit.asset = account.asset;
    if (account == mint(account.asset)) audit.minted = -amount;
    else if (account == clearing(account.asset)) audit.unbalanced = amount;
    else audit.held += amount;
  }
  std::vector<AssetAudit> out;
  for (auto& [asset, audit] : by_asset) out.push_back(std::move(audit));
  return out;
}

void Ledger::apply(const LedgerEntry& entry) {
  balances_[entry.account] += entry.credit - entry.debit;
  auto& totals = asset_totals_[entry.account.asset];
  totals.first += entry.credit;
  totals.second += entry.debit;
  if (!entry.session_key.empty()) key_spending_[{entry.session_key, entry.account.asset}] += entry.debit;
  if (entry.transaction > last_transaction_) last_transaction_ = entry.transaction;
  entries_.push_back(entry);
}

void Ledger::restore(const LedgerEntry& entry) { apply(entry); }

wire::Decimal LedgerTransaction::balance(const AccountRef& account) const {
  const auto it = deltas_.find(account);
  return ledger_.balance(account) + (it == deltas_.end() ? wire::Decimal() : it->second);
}

wire::Decimal LedgerTransaction::session_key_spent(const std::string& session_key, const std::string& asset) const {
  const auto it = spending_.find({session_key, asset});
  return ledger_.session_key_spent(session_key, asset) + (it == spending_.end() ? wire::Decimal() : it->second);
}

void LedgerTransaction::move(const AccountRef& from, const AccountRef& to, const wire::Decimal& amount,
                             const std::string& session_key) {
  if (amount.is_negative()) throw std::logic_error("ledger movements are non-negative");
  const std::uint64_t transaction = ledger_.last_transaction_ + 1 + entries_.size() / 2;
  // Compute both new balances before touching anything, so an overflow leaves the transaction as it was.
  const wire::Decimal from_delta = deltas_[from] - amount;
  const wire::Decimal to_delta = deltas_[to] + amount;
  deltas_[from] = from_delta;
  deltas_[to] = to_delta;
  if (!session_key.empty()) spending_[{session_key, from.asset}] += amount;
  entries_.push_back(LedgerEntry{transaction, from, {}, amount, session_key, 0});
  entries_.push_back(LedgerEntry{transaction, to, amount, {}, {}, 0});
}

void LedgerTransaction::set_balance(const AccountRef& account, const wire::Decimal& target) {
  const wire::Decimal current = balance(account);
  if (target > current) move(Ledger::clearing(account.asset), account, target - current);
  else if (target < current) move(account, Ledger::clearing(account.asset), current - target);
}

void LedgerTransaction::commit(std::int64_t now_ms) {
  for (auto& entry : entries_) {
    entry.created_ms = now_ms;
    ledger_.apply(entry);
  }
  entries_.clear();
  deltas_.clear();
  spending_.clear();
}

}  // namespace umpire::devnode
