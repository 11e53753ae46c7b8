// Devnode ledger conservation: thousands of random transfers and app-session operations across many wallets;
// every outcome matches a simple model, balances equal the model's, and the audit stays balanced.
#include <random>

#include "harness.hpp"

using namespace devnode_test;
using wire::Decimal;

TEST(DevnodeConservation, RandomOperationsKeepTheBooksBalanced) {
  Harness h;
  std::mt19937_64 random(20251205);
  constexpr std::size_t kWallets = 10;
  auto wallets = keys(kWallets);
  std::vector<std::uint64_t> sockets;
  std::vector<std::string> addresses;
  std::map<std::string, Decimal> unified;  // model
  struct Session { std::string id; std::vector<std::size_t> members; std::map<std::size_t, Decimal> held; std::uint64_t version = 1; };
  std::vector<Session> sessions;
  for (std::size_t i = 0; i < kWallets; ++i) {
    sockets.push_back(h.connect());
    ASSERT_EQ(h.authenticate(sockets[i], wallets[i], crypto::PrivateKey::generate().address()).method, "auth_verify");
    addresses.push_back(wallets[i].address().checksum());
    h.engine().fund(addresses[i], "usdc", *Decimal::parse("1000"), h.now);
    unified[addresses[i]] = *Decimal::parse("1000");
  }
  auto amount = [&](int max_cents) { return Decimal::from_units(static_cast<std::int64_t>(random() % max_cents), 2); };
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };
  auto alloc = [&](std::size_t who, Decimal value) {
    return Json{{"participant", addresses[who]}, {"asset", "usdc"}, {"amount", value.to_string()}};
  };
  int successes = 0;
  for (int op = 0; op < 2500; ++op) {
    h.now += 7;
    const auto kind = random() % 10;
    if (kind < 4 || sessions.empty()) {  // transfer
      const auto from = pick(kWallets), to = (from + 1 + pick(kWallets - 1)) % kWallets;
      const auto value = amount(40000);
      const bool ok = value.is_positive() && value <= unified[addresses[from]];
      const auto reply = h.response(sockets[from], "transfer",
                                    {{"destination", addresses[to]}, {"allocations", {{{"asset", "usdc"}, {"amount", value.to_string()}}}}},
                                    {&wallets[from]});
      ASSERT_EQ(reply.method == "transfer", ok) << op << " " << reply.error();
      if (ok) unified[addresses[from]] -= value, unified[addresses[to]] += value, ++successes;
    } else if (kind < 6) {  // create with 2–3 members
      Session s;
      const auto first = pick(kWallets);
      s.members = {first, (first + 1 + pick(kWallets - 1)) % kWallets};
      if (random() % 2) {
        const auto third = (s.members[1] + 1 + pick(kWallets - 2)) % kWallets;
        if (third != first) s.members.push_back(third);
      }
      Json participants = Json::array(), weights = Json::array(), allocations = Json::array();
      std::vector<const crypto::PrivateKey*> signers;
      bool ok = true;
      for (auto m : s.members) {
        participants.push_back(addresses[m]);
        weights.push_back(1);
        s.held[m] = amount(30000);
        ok = ok && s.held[m] <= unified[addresses[m]];
        allocations.push_back(alloc(m, s.held[m]));
        signers.push_back(&wallets[m]);
      }
      const Json definition{{"application", kApp}, {"protocol", "NitroRPC/0.4"}, {"participants", participants}, {"weights", weights},
                            {"quorum", s.members.size()}, {"challenge", 0}, {"nonce", op + 1}};
      const auto reply = h.response(sockets[s.members[0]], "create_app_session", {{"definition", definition}, {"allocations", allocations}}, signers);
      ASSERT_EQ(reply.method == "create_app_session", ok) << op << " " << reply.error();
      if (ok) {
        for (auto m : s.members) unified[addresses[m]] -= s.held[m];
        s.id = reply.params["app_session_id"];
        sessions.push_back(s);
        ++successes;
      }
    } else {  // operate / deposit / withdraw / close on an open session, signed by everyone
      const auto index = pick(sessions.size());
      auto& s = sessions[index];
      std::vector<const crypto::PrivateKey*> signers;
      for (auto m : s.members) signers.push_back(&wallets[m]);
      Json allocations = Json::array();
      std::map<std::size_t, Decimal> next = s.held;
      std::string method = "submit_app_state", intent;
      bool ok = true;
      Decimal total;
      for (auto& [m, v] : s.held) total += v;
      if (kind == 6) {  // operate: move a random amount between two members, everyone listed
        intent = "operate";
        const auto a = s.members[0], b = s.members[1];
        const auto moved = Decimal::from_units(total.is_zero() ? 0 : static_cast<std::int64_t>(random() % (static_cast<std::uint64_t>(*s.held[a].to_units(2)) + 1)), 2);
        next[a] -= moved, next[b] += moved;
      } else if (kind == 7) {
        intent = "deposit";
        const auto m = s.members[pick(s.members.size())];
        const auto extra = amount(20000);
        next[m] += extra;
        ok = extra.is_positive() && extra <= unified[addresses[m]];
      } else if (kind == 8) {
        intent = "withdraw";
        const auto m = s.members[pick(s.members.size())];
        const auto part = Decimal::from_units(static_cast<std::int64_t>(random() % (static_cast<std::uint64_t>(*s.held[m].to_units(2)) + 1)), 2);
        next[m] -= part;
        ok = part.is_positive();
      } else {
        method = "close_app_session";
      }
      for (auto m : s.members) allocations.push_back(alloc(m, next[m]));
      Json params{{"app_session_id", s.id}, {"allocations", allocations}};
      if (method == "submit_app_state") params["intent"] = intent, params["version"] = s.version + 1;
      const auto reply = h.response(sockets[s.members[0]], method, params, signers);
      ASSERT_EQ(reply.method == method, ok) << op << " " << method << " " << intent << " " << reply.error();
      if (!ok) continue;
      ++successes;
      for (auto m : s.members) unified[addresses[m]] -= next[m] - s.held[m];
      if (method == "close_app_session") {
        for (auto m : s.members) unified[addresses[m]] += next[m];
        sessions.erase(sessions.begin() + static_cast<std::ptrdiff_t>(index));
      } else {
        s.held = next;
        s.version += 1;
      }
    }
  }
  EXPECT_GT(successes, 1500);
  for (std::size_t i = 0; i < kWallets; ++i) {
    const auto balances = h.balances(sockets[i]);
    EXPECT_EQ(balances.at("usdc"), unified[addresses[i]].to_string()) << i;
  }
  for (const auto& s : sessions) {
    for (auto m : s.members) EXPECT_EQ(h.balances(sockets[m], s.id).at("usdc"), s.held.at(m).to_string());
  }
  const auto audit = h.response(h.connect(), "devnode_audit", Json::object()).params;
  EXPECT_EQ(audit["balanced"], true);
  EXPECT_EQ(audit["assets"][0]["minted"], "10000");
  EXPECT_EQ(audit["assets"][0]["held"], "10000");
  EXPECT_EQ(audit["assets"][0]["credits"], audit["assets"][0]["debits"]);
}
