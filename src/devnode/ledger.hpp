// devnode/ledger.hpp — the double-entry ledger: accounts are (account_id, wallet, asset) as in the node (unified
// balance: account_id = wallet; app session: account_id = session id, wallet = participant). Every movement is a
// debit and an equal credit, staged in a LedgerTransaction and applied only on commit, so a failed request
// changes nothing. Two devnode-only accounts: the mint (source of devnode_fund) and the clearing account through
// which app-session "set" operations pass; a non-zero clearing balance means the books were corrupted the way
// the real node allows (see notes §5.2) and devnode_audit reports it.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "wire/decimal.hpp"

namespace umpire::devnode {

struct AccountRef {
  std::string account_id;
  std::string wallet;
  std::string asset;
  friend auto operator<=>(const AccountRef&, const AccountRef&) = default;
};

struct LedgerEntry {
  std::uint64_t transaction = 0;  // the movement this entry belongs to; each has one debit and one credit
  AccountRef account;
  wire::Decimal credit;
  wire::Decimal debit;
  std::string session_key;  // set on wallet debits authorized through a session key (allowance accounting)
  std::int64_t created_ms = 0;
};

struct AssetAudit {
  std::string asset;
  wire::Decimal credits;   // Σ credit over all entries
  wire::Decimal debits;    // Σ debit over all entries
  wire::Decimal minted;    // what devnode_fund put in
  wire::Decimal held;      // Σ balances of wallet and app-session accounts
  wire::Decimal unbalanced;  // the clearing account's balance; zero unless the books were corrupted
  bool balanced() const { return credits == debits && unbalanced.is_zero() && held == minted; }
};

class Ledger {
 public:
  static AccountRef unified(const std::string& wallet, const std::string& asset) { return {wallet, wallet, asset}; }
  static AccountRef mint(const std::string& asset) { return {"devnode:mint", "devnode:mint", asset}; }
  static AccountRef clearing(const std::string& asset) { return {"devnode:clearing", "devnode:clearing", asset}; }

  wire::Decimal balance(const AccountRef& account) const;
  // Every asset ever posted to (account_id, wallet), sorted by asset; zero rows included, as the node's GROUP BY.
  std::vector<std::pair<std::string, wire::Decimal>> balances(const std::string& account_id,
                                                              const std::string& wallet) const;
  // Every (wallet, asset) account under `account_id` (e.g. all sub-balances of an app session).
  std::vector<std::pair<AccountRef, wire::Decimal>> accounts_under(const std::string& account_id) const;
  wire::Decimal session_key_spent(const std::string& session_key, const std::string& asset) const;
  std::vector<AssetAudit> audit() const;
  const std::vector<LedgerEntry>& entries() const { return entries_; }

  // Replays stored entries (persistence); they are trusted to be balanced.
  void restore(const LedgerEntry& entry);

 private:
  friend class LedgerTransaction;
  void apply(const LedgerEntry& entry);

  std::map<AccountRef, wire::Decimal> balances_;
  std::map<std::pair<std::string, std::string>, wire::Decimal> key_spending_;  // (session key, asset) → Σ debits
  std::map<std::string, std::pair<wire::Decimal, wire::Decimal>> asset_totals_;  // asset → (credits, debits)
  std::vector<LedgerEntry> entries_;
  std::uint64_t last_transaction_ = 0;
};

// Staged movements over a Ledger; reads see committed balances plus what is staged. Not committing discards.
class LedgerTransaction {
 public:
  explicit LedgerTransaction(Ledger& ledger) : ledger_(ledger) {}

  wire::Decimal balance(const AccountRef& account) const;
  wire::Decimal session_key_spent(const std::string& session_key, const std::string& asset) const;

  // Debits `from` and credits `to` by `amount` (≥ 0; a zero amount still records the rows, so the accounts show
  // up with "0" balances as in the node). `session_key` tags the debit for allowance accounting.
  void move(const AccountRef& from, const AccountRef& to, const wire::Decimal& amount,
            const std::string& session_key = {});
  // Sets an account to `target` by moving the difference through the asset's clearing account.
  void set_balance(const AccountRef& account, const wire::Decimal& target);

  bool empty() const { return entries_.empty(); }
  const std::vector<LedgerEntry>& staged() const { return entries_; }
  void commit(std::int64_t now_ms);

 private:
  Ledger& ledger_;
  std::map<AccountRef, wire::Decimal> deltas_;
  std::map<std::pair<std::string, std::string>, wire::Decimal> spending_;
  std::vector<LedgerEntry> entries_;
};

}  // namespace umpire::devnode
