// tests/client/proposal_check_test.cpp — the player's check of a SessionProposal: a proposal built the way the
// referee builds it passes, and each tampering (one value changed at a time) is refused with its own fault.
#include "client/proposal_check.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "crypto/eth_messages.hpp"
#include "crypto/signature.hpp"
#include "wire/app_session.hpp"
#include "wire/envelope.hpp"
#include "wire/go_json.hpp"

namespace umpire::client {
namespace {

using Json = nlohmann::ordered_json;

crypto::PrivateKey key(const char* hex) { return crypto::PrivateKey::from_hex(hex); }

// The parts of a proposal; build() turns them into request bytes and a summary that agree, as the referee does.
struct ProposalParts {
  std::vector<std::string> participants;
  std::vector<std::int64_t> weights{0, 0, 100};
  std::uint64_t quorum = 100;
  std::string application = "umpire/tictactoe";
  std::string protocol = "NitroRPC/0.4";
  std::uint64_t nonce = 1764060000123;
  std::vector<std::array<std::string, 3>> allocations;  // participant, asset, amount

  Json params() const {
    Json definition;
    definition["application"] = application;
    definition["protocol"] = protocol;
    definition["participants"] = participants;
    definition["weights"] = weights;
    definition["quorum"] = quorum;
    definition["challenge"] = 0;
    definition["nonce"] = nonce;
    Json list = Json::array();
    for (const auto& [participant, asset, amount] : allocations) {
      Json item;
      item["participant"] = participant;
      item["asset"] = asset;
      item["amount"] = amount;
      list.push_back(item);
    }
    Json out;
    out["definition"] = definition;
    out["allocations"] = list;
    out["session_data"] = R"({"game":"tictactoe","state":".........|0"})";
    return out;
  }

  wire::AppDefinition definition() const {
    return {application, protocol, participants, weights, quorum, 0, nonce};
  }

  v1::SessionProposal build(const Json& params_json) const {
    v1::SessionProposal proposal;
    proposal.set_room_id("r-81");
    proposal.set_request_json(wire::build_payload(17, "create_app_session", wire::go_marshal(params_json), 1764060000456));
    auto* summary = proposal.mutable_summary();
    summary->set_app_session_id(wire::app_session_id(definition()));
    for (const auto& p : participants) summary->add_participants(p);
    for (const auto w : weights) summary->add_weights(static_cast<std::uint32_t>(w));
    summary->set_quorum(static_cast<std::uint32_t>(quorum));
    summary->set_asset("usdc");
    for (const auto& [participant, asset, amount] : allocations) {
      auto* a = summary->add_allocations();
      a->set_participant(participant);
      a->set_asset(asset);
      a->set_amount(amount);
    }
    summary->set_nonce(nonce);
    summary->set_protocol(protocol);
    summary->set_application(application);
    proposal.set_deadline_ms(1764060030456);
    proposal.set_attempt(1);
    return proposal;
  }
  v1::SessionProposal build() const { return build(params()); }
};

class ProposalCheckTest : public ::testing::Test {
 protected:
  ProposalCheckTest() {
    parts.participants = {alice.address().checksum(), bob.address().checksum(), umpire.address().checksum()};
    parts.allocations = {{alice.address().checksum(), "usdc", "1"},
                         {bob.address().checksum(), "usdc", "1"},
                         {umpire.address().checksum(), "usdc", "0"}};
    expected = {alice.address(), "usdc", "1", 2, umpire.address().checksum()};
  }

  // The fault reported for a proposal, or "ok".
  std::string verdict(const v1::SessionProposal& proposal) const {
    const auto refusal = check_proposal(proposal, expected);
    return refusal ? std::string(to_string(refusal->fault)) : "ok";
  }
  std::string verdict_of_params(const std::function<void(Json&)>& tamper) const {
    Json params = parts.params();
    tamper(params);
    return verdict(parts.build(params));
  }
  std::string verdict_of_summary(const std::function<void(v1::ProposalSummary&)>& tamper) const {
    auto proposal = parts.build();
    tamper(*proposal.mutable_summary());
    return verdict(proposal);
  }

  crypto::PrivateKey alice = key("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
  crypto::PrivateKey bob = key("0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a");
  crypto::PrivateKey umpire = key("0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6");
  ProposalParts parts;
  ProposalExpectation expected;
};

TEST_F(ProposalCheckTest, AcceptsTheProposalTheRefereeBuilds) { EXPECT_EQ(verdict(parts.build()), "ok"); }

TEST_F(ProposalCheckTest, AcceptsParamsWrappedInAOneElementArray) {
  Json wrapped = Json::array();
  wrapped.push_back(parts.params());
  EXPECT_EQ(verdict(parts.build(wrapped)), "ok");
}

TEST_F(ProposalCheckTest, AcceptsTheSecondSeatAndEqualStakesWrittenDifferently) {
  expected.own_address = bob.address();
  parts.allocations[1][2] = "1.000";
  EXPECT_EQ(verdict(parts.build()), "ok");
}

TEST_F(ProposalCheckTest, AcceptsAnOmittedZeroUmpireAllocation) {
  parts.allocations.pop_back();
  EXPECT_EQ(verdict(parts.build()), "ok");
}

TEST_F(ProposalCheckTest, RefusesRequestsThatAreNotCreateAppSession) {
  auto proposal = parts.build();
  proposal.set_request_json("not json");
  EXPECT_EQ(verdict(proposal), "malformed_request");
  proposal.set_request_json("[1,\"create_app_session\",{}]");
  EXPECT_EQ(verdict(proposal), "malformed_request");
  proposal.set_request_json(wire::build_payload(1, "close_app_session", wire::go_marshal(parts.params()), 5));
  EXPECT_EQ(verdict(proposal), "wrong_method");
}

TEST_F(ProposalCheckTest, RefusesDuplicateAndCaseVariantKeys) {
  // Go would take the later "Participants" while a lax check reads the first: the two readings must never differ.
  auto proposal = parts.build();
  std::string text = proposal.request_json();
  const auto at = text.find("\"weights\"");
  ASSERT_NE(at, std::string::npos);
  text.insert(at, "\"Participants\":[\"" + bob.address().checksum() + "\"],");
  proposal.set_request_json(text);
  EXPECT_EQ(verdict(proposal), "malformed_request");
  EXPECT_EQ(verdict_of_params([](Json& p) { p["definition"]["Nonce"] = 5; }), "malformed_request");
  // A key the node would ignore today but that is not in the protocol is refused too.
  EXPECT_EQ(verdict_of_params([](Json& p) { p["definition"]["extra"] = 5; }), "bad_definition");
}

TEST_F(ProposalCheckTest, RefusesABadDefinition) {
  EXPECT_EQ(verdict_of_params([](Json& p) { p["definition"]["nonce"] = 0; }), "bad_definition");
  EXPECT_EQ(verdict_of_params([](Json& p) { p["definition"]["nonce"] = (std::uint64_t{1} << 53) + 1; }),
            "bad_definition");
  EXPECT_EQ(verdict_of_params([](Json& p) { p["definition"]["quorum"] = "100"; }), "bad_definition");
  EXPECT_EQ(verdict_of_params([](Json& p) { p["definition"]["protocol"] = "NitroRPC/0.2"; }), "bad_definition");
  EXPECT_EQ(verdict_of_params([](Json& p) { p["definition"].erase("challenge"); }), "bad_definition");
}

TEST_F(ProposalCheckTest, RefusesTheWrongNumberOfParticipants) {
  parts.participants.insert(parts.participants.begin() + 2, key("0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a").address().checksum());
  parts.weights = {0, 0, 0, 100};
  EXPECT_EQ(verdict(parts.build()), "wrong_seat_count");
}

TEST_F(ProposalCheckTest, RefusesAddressesNotInEip55Form) {
  parts.participants[1] = bob.address().lowercase();
  parts.allocations[1][0] = bob.address().lowercase();
  EXPECT_EQ(verdict(parts.build()), "bad_participant");
}

TEST_F(ProposalCheckTest, RefusesAServerThatIsNotLast) {
  std::swap(parts.participants[1], parts.participants[2]);
  EXPECT_EQ(verdict(parts.build()), "server_not_last");
  expected.server_address = bob.address().checksum();  // the bytes name Umpire, but Hello named someone else
  std::swap(parts.participants[1], parts.participants[2]);
  EXPECT_EQ(verdict(parts.build()), "server_not_last");
}

TEST_F(ProposalCheckTest, RefusesWeightForAPlayerOrNoneForTheServer) {
  parts.weights = {0, 50, 50};
  parts.quorum = 50;
  EXPECT_EQ(verdict(parts.build()), "wrong_weights");
  parts.weights = {0, 0, 0};
  parts.quorum = 0;
  EXPECT_EQ(verdict(parts.build()), "wrong_weights");
  parts.weights = {0, 100};
  parts.quorum = 100;
  EXPECT_EQ(verdict(parts.build()), "wrong_weights");
}

TEST_F(ProposalCheckTest, RefusesAQuorumOtherThanTheServersWeight) {
  parts.quorum = 150;  // Umpire alone could not move the state: the game could never be settled
  EXPECT_EQ(verdict(parts.build()), "wrong_quorum");
}

TEST_F(ProposalCheckTest, RefusesAProposalThatDoesNotSeatThePlayer) {
  expected.own_address = key("0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a").address();
  EXPECT_EQ(verdict(parts.build()), "not_a_participant");
  expected.own_address = umpire.address();  // the server's own seat is not a player's
  EXPECT_EQ(verdict(parts.build()), "not_a_participant");
}

TEST_F(ProposalCheckTest, RefusesBadAllocations) {
  EXPECT_EQ(verdict_of_params([](Json& p) { p["allocations"][0]["amount"] = 1; }), "bad_allocation");
  EXPECT_EQ(verdict_of_params([](Json& p) { p["allocations"][0]["amount"] = "one"; }), "bad_allocation");
  EXPECT_EQ(verdict_of_params([](Json& p) { p["allocations"].push_back(p["allocations"][0]); }), "bad_allocation");
  const auto stranger = key("0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a").address().checksum();
  EXPECT_EQ(verdict_of_params([&](Json& p) { p["allocations"][2]["participant"] = stranger; }), "bad_allocation");
}

TEST_F(ProposalCheckTest, RefusesAnotherAsset) {
  parts.allocations[0][1] = "eth";
  EXPECT_EQ(verdict(parts.build()), "wrong_asset");
}

TEST_F(ProposalCheckTest, RefusesAnOwnStakeOtherThanTheRooms) {
  parts.allocations[0][2] = "1.000001";
  EXPECT_EQ(verdict(parts.build()), "wrong_own_stake");
  parts.allocations.erase(parts.allocations.begin());
  EXPECT_EQ(verdict(parts.build()), "wrong_own_stake");
}

TEST_F(ProposalCheckTest, RefusesAnOpponentStakeOtherThanTheRooms) {
  parts.allocations[1][2] = "0.5";
  EXPECT_EQ(verdict(parts.build()), "wrong_other_stake");
}

TEST_F(ProposalCheckTest, RefusesAnUmpireAllocation) {
  parts.allocations[2][2] = "0.01";
  EXPECT_EQ(verdict(parts.build()), "umpire_allocation");
}

TEST_F(ProposalCheckTest, RefusesASummaryThatDisagreesWithTheBytes) {
  const auto bob_text = bob.address().checksum();
  EXPECT_EQ(verdict_of_summary([&](v1::ProposalSummary& s) { s.set_participants(1, s.participants(0)); }),
            "summary_mismatch");
  EXPECT_EQ(verdict_of_summary([](v1::ProposalSummary& s) { s.set_weights(2, 99); }), "summary_mismatch");
  EXPECT_EQ(verdict_of_summary([](v1::ProposalSummary& s) { s.set_quorum(99); }), "summary_mismatch");
  EXPECT_EQ(verdict_of_summary([](v1::ProposalSummary& s) { s.set_asset("eth"); }), "summary_mismatch");
  EXPECT_EQ(verdict_of_summary([](v1::ProposalSummary& s) { s.mutable_allocations(1)->set_amount("2"); }),
            "summary_mismatch");
  EXPECT_EQ(verdict_of_summary([](v1::ProposalSummary& s) { s.set_nonce(s.nonce() + 1); }), "summary_mismatch");
  EXPECT_EQ(verdict_of_summary([](v1::ProposalSummary& s) { s.set_application("umpire/chess"); }),
            "summary_mismatch");
  EXPECT_EQ(verdict_of_summary([](v1::ProposalSummary& s) {
              s.set_app_session_id("0x" + std::string(64, 'a'));
            }),
            "summary_mismatch");
}

TEST_F(ProposalCheckTest, TheSummaryIdIsTheHashOfTheDefinitionInTheBytes) {
  // Bytes with another nonce and a summary that repeats the old id: the id must be recomputed, not trusted.
  auto proposal = parts.build();
  parts.nonce += 1;
  auto other = parts.build();
  other.mutable_summary()->set_app_session_id(proposal.summary().app_session_id());
  EXPECT_EQ(verdict(other), "summary_mismatch");
}

TEST_F(ProposalCheckTest, SignsKeccakOfTheExactBytesWithoutPrefix) {
  const auto proposal = parts.build();
  const crypto::KeySigner wallet(key("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"));
  const auto message = make_sign_proposal(wallet, proposal);
  ASSERT_TRUE(message.has_sign_proposal());
  EXPECT_EQ(message.sign_proposal().room_id(), "r-81");
  EXPECT_EQ(message.sign_proposal().app_session_id(), proposal.summary().app_session_id());
  const auto signature = crypto::Signature::parse(message.sign_proposal().signature());
  EXPECT_EQ(crypto::recover_address(crypto::keccak256(proposal.request_json()), signature), alice.address());
  EXPECT_NE(crypto::recover_address(crypto::personal_message_hash(proposal.request_json()), signature),
            alice.address());
}

TEST_F(ProposalCheckTest, DeclineNamesTheFault) {
  parts.allocations[2][2] = "0.01";
  const auto proposal = parts.build();
  const auto refusal = check_proposal(proposal, expected);
  ASSERT_TRUE(refusal);
  const auto message = make_decline_proposal(proposal, *refusal);
  EXPECT_EQ(message.decline_proposal().room_id(), "r-81");
  EXPECT_EQ(message.decline_proposal().reason().rfind("umpire_allocation: ", 0), 0u);
}

}  // namespace
}  // namespace umpire::client
