// client/proposal_check.hpp — what a player checks before signing a SessionProposal, and the signature itself.
// The check reads the exact request bytes (never just the summary): its own address and stake in the room's asset,
// Umpire (Hello.server_address) the last participant and the only one with weight, quorum reachable by Umpire
// alone, and a summary that agrees with the bytes, app_session_id included. Pure: no I/O; includes nothing
// server-side (wire is the shared codec).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "crypto/address.hpp"
#include "crypto/signer.hpp"
#include "umpire/v1/umpire.pb.h"

namespace umpire::client {

// Why a proposal must not be signed. Stable names (to_string) so that callers can count refusals by kind.
enum class ProposalFault {
  malformed_request,   // not JSON, or not [id, "create_app_session", params, ts] with an object of params
  wrong_method,        // a request, but not create_app_session
  bad_definition,      // definition fields missing or of the wrong type, nonce 0 or above 2^53, bad protocol
  wrong_seat_count,    // participants are not the room's seats plus Umpire
  bad_participant,     // a participant that is not an EIP-55 address, or one listed twice
  server_not_last,     // the last participant is not Hello.server_address
  wrong_weights,       // a player with weight, Umpire without, or weights not one per participant
  wrong_quorum,        // quorum differs from Umpire's weight
  not_a_participant,   // the player's own address is not among the players
  bad_allocation,      // an allocation that is malformed, not a decimal string, listed twice, or for a stranger
  wrong_asset,         // an allocation in an asset other than the room's
  wrong_own_stake,     // the player's own allocation differs from the room's stake
  wrong_other_stake,   // another player's allocation differs from the room's stake
  umpire_allocation,   // Umpire puts in a non-zero amount
  summary_mismatch,    // the summary disagrees with the bytes (participants, weights, amounts, ids, …)
};

std::string_view to_string(ProposalFault fault);

struct ProposalRefusal {
  ProposalFault fault;
  std::string reason;  // for logs and DeclineProposal.reason: says which value was wrong
};

// What the player expects: the room type it joined (stake, asset, seats) and the server it logged in to.
struct ProposalExpectation {
  crypto::Address own_address;
  std::string asset;           // RoomType.asset
  std::string stake;           // RoomType.stake, decimal string
  unsigned seats = 2;          // RoomType.seats
  std::string server_address;  // Hello.server_address, EIP-55
};

ProposalExpectation expectation_for(const crypto::Address& own_address, const v1::RoomType& room,
                                    const std::string& server_address);

// nullopt: safe to sign. Otherwise the first problem found.
std::optional<ProposalRefusal> check_proposal(const v1::SessionProposal& proposal, const ProposalExpectation& expected);

// Raw ECDSA over keccak256(request_json bytes), no prefix: the ClearNode RPC scheme.
crypto::Signature sign_proposal(const crypto::Signer& wallet, const v1::SessionProposal& proposal);

// SignProposal{room_id, summary.app_session_id, signature} ready to send. Check the proposal first.
v1::ClientMessage make_sign_proposal(const crypto::Signer& wallet, const v1::SessionProposal& proposal);

// DeclineProposal{room_id, reason} for a refused proposal.
v1::ClientMessage make_decline_proposal(const v1::SessionProposal& proposal, const ProposalRefusal& refusal);

}  // namespace umpire::client
