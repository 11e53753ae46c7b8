// devnode/auth.cpp — challenges, JWT issue/verify, auth sessions.
#include "devnode/auth.hpp"

#include <nlohmann/json.hpp>

#include "crypto/keccak.hpp"
#include "devnode/rpc_error.hpp"
#include "wire/go_json.hpp"

namespace umpire::devnode {
namespace {

constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url(std::string_view bytes) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) {
      out.push_back(kBase64Url[(buffer >> (bits - 6)) & 0x3F]);
      bits -= 6;
    }
  }
  if (bits > 0) out.push_back(kBase64Url[(buffer << (6 - bits)) & 0x3F]);
  return out;
}

std::optional<std::string> unbase64url(std::string_view text) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const char* found = std::char_traits<char>::find(kBase64Url, 64, c);
    if (!found) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(found - kBase64Url);
    bits += 6;
    if (bits >= 8) {
      out.push_back(static_cast<char>((buffer >> (bits - 8)) & 0xFF));
      bits -= 8;
    }
  }
  return out;
}

}  // namespace

std::string ChallengeStore::issue(AuthChallenge challenge, std::int64_t now_ms) {
  forget_expired(now_ms);
  if (pending_.size() >= kMaxPending) throw RpcError("failed to generate challenge");
  std::uint8_t bytes[16];
  for (int i = 0; i < 16; i += 8) {
    const std::uint64_t r = random_();
    for (int j = 0; j < 8; ++j) bytes[i + j] = static_cast<std::uint8_t>(r >> (8 * j));
  }
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  std::string hex = crypto::to_hex(bytes, false);
  const std::string uuid = hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
                           hex.substr(16, 4) + "-" + hex.substr(20);
  challenge.issued_ms = now_ms;
  pending_[uuid] = std::move(challenge);
  return uuid;
}

AuthChallenge* ChallengeStore::find(const std::string& uuid) {
  const auto it = pending_.find(uuid);
  return it == pending_.end() ? nullptr : &it->second;
}

void ChallengeStore::forget_expired(std::int64_t now_ms) {
  std::erase_if(pending_, [&](const auto& item) { return item.second.issued_ms + kLifetimeMs < now_ms; });
}

std::string issue_jwt(const crypto::PrivateKey& broker, const JwtClaims& claims) {
  nlohmann::ordered_json allowances = nlohmann::ordered_json::array();
  for (const auto& allowance : claims.allowances) {
    allowances.push_back({{"asset", allowance.asset}, {"amount", allowance.amount}});
  }
  nlohmann::ordered_json body;
  body["policy"] = {{"wallet", claims.wallet},           {"session_key", claims.session_key},
                    {"scope", claims.scope},             {"application", claims.application},
                    {"allowance", allowances},           {"expiration", claims.expires_at_s}};
  body["iss"] = "clearnode";
  body["exp"] = claims.token_expiry_s;
  const std::string signing_input =
      base64url(R"({"alg":"ES256","typ":"JWT"})") + "." + base64url(wire::go_marshal(body));
  const auto signature = broker.sign_digest(crypto::keccak256(signing_input));
  return signing_input + "." +
         base64url(std::string_view(reinterpret_cast<const char*>(signature.bytes.data()), signature.bytes.size()));
}

std::optional<JwtClaims> verify_jwt(const crypto::Address& broker, const std::string& token, std::int64_t now_ms) {
  try {
    const auto first = token.find('.');
    const auto second = token.find('.', first == std::string::npos ? first : first + 1);
    if (first == std::string::npos || second == std::string::npos) return std::nullopt;
    const auto signature_bytes = unbase64url(std::string_view(token).substr(second + 1));
    const auto body_text = unbase64url(std::string_view(token).substr(first + 1, second - first - 1));
    if (!signature_bytes || signature_bytes->size() != 65 || !body_text) return std::nullopt;
    crypto::Signature signature;
    std::copy(signature_bytes->begin(), signature_bytes->end(), signature.bytes.begin());
    const auto signer = crypto::try_recover_address(crypto::keccak256(std::string_view(token).substr(0, second)),
                                                    signature, crypto::HighS::accept);
    if (!signer || *signer != broker) return std::nullopt;
    const auto body = nlohmann::json::parse(*body_text);
    JwtClaims claims;
    const auto& policy = body.at("policy");
    claims.wallet = policy.at("wallet").get<std::string>();
    claims.session_key = policy.at("session_key").get<std::string>();
    claims.scope = policy.at("scope").get<std::string>();
    claims.application = policy.at("application").get<std::string>();
    for (const auto& allowance : policy.at("allowance")) {
      claims.allowances.push_back({allowance.at("asset").get<std::string>(), allowance.at("amount").get<std::string>()});
    }
    claims.expires_at_s = policy.at("expiration").get<std::uint64_t>();
    claims.token_expiry_s = body.at("exp").get<std::int64_t>();
    if (body.at("iss") != "clearnode" || claims.token_expiry_s * 1000 <= now_ms) return std::nullopt;
    return claims;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

bool AuthSessions::touch(const std::string& wallet, std::int64_t now_ms) {
  const auto it = last_activity_.find(wallet);
  if (it == last_activity_.end() || now_ms - it->second > kLifetimeMs) return false;
  it->second = now_ms;
  return true;
}

}  // namespace umpire::devnode
