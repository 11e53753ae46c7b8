// Private keys: generation, parsing, key files, and that errors never echo key material.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "crypto/eth_messages.hpp"

using namespace umpire::crypto;

namespace {
std::filesystem::path temp_path(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("umpire-crypto-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = dir / name;
  std::filesystem::remove(path);
  return path;
}
}  // namespace

TEST(PrivateKey, HardhatKeyGivesKnownAddress) {
  const auto key = PrivateKey::from_hex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80\n");
  EXPECT_EQ(key.address().checksum(), "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
}

TEST(PrivateKey, GeneratedKeysAreDistinctAndSignRecoverably) {
  const auto a = PrivateKey::generate();
  const auto b = PrivateKey::generate();
  EXPECT_NE(a.address(), b.address());
  const Hash32 digest = keccak256(std::string_view{"umpire"});
  EXPECT_EQ(recover_address(digest, a.sign_digest(digest)), a.address());
}

TEST(PrivateKey, RejectsBadKeysWithoutEchoingThem) {
  const std::string zero(64, '0');
  const std::string order = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
  for (const std::string& bad : {std::string("1234"), std::string(64, 'g'), zero, order}) {
    try {
      PrivateKey::from_hex(bad);
      FAIL() << "accepted a bad key";
    } catch (const CryptoError& error) {
      EXPECT_EQ(std::string(error.what()).find(bad), std::string::npos) << "error echoes the key";
    }
  }
}

TEST(PrivateKey, KeyFileIsMode0600AndRoundTrips) {
  const auto path = temp_path("key.hex");
  const auto key = PrivateKey::generate();
  write_key_file(path, key);
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600);
  EXPECT_EQ(PrivateKey::load_file(path).address(), key.address());
  EXPECT_THROW(write_key_file(path, key), CryptoError) << "must not overwrite an existing key";
}

TEST(PrivateKey, LoadFileErrorsNameTheFileNotTheContent) {
  EXPECT_THROW(PrivateKey::load_file(temp_path("missing.hex")), CryptoError);
  const auto path = temp_path("garbage.hex");
  std::ofstream(path) << "not-a-key-secret-material";
  try {
    PrivateKey::load_file(path);
    FAIL();
  } catch (const CryptoError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(path.string()), std::string::npos);
    EXPECT_EQ(message.find("secret-material"), std::string::npos);
  }
}

TEST(KeySigner, SignsAsItsKey) {
  KeySigner signer(PrivateKey::from_hex("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"));
  const Signer& as_interface = signer;
  const auto signature = sign_rpc_payload(as_interface, R"([3,"get_ledger_balances",{},1733412346000])");
  EXPECT_EQ(recover_address(rpc_payload_hash(R"([3,"get_ledger_balances",{},1733412346000])"), signature),
            as_interface.address());
}
