// Keccak-256 against published vectors (Ethereum's keccak, not SHA3-256).
#include <gtest/gtest.h>

#include "crypto/keccak.hpp"

using namespace umpire::crypto;

TEST(Keccak256, EmptyInputMatchesEthereumEmptyHash) {
  EXPECT_EQ(to_hex(keccak256(std::string_view{})),
            "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
}

TEST(Keccak256, DiffersFromSha3OnSameInput) {
  // SHA3-256("abc") is 0x3a985da7...; Keccak-256("abc") is 0x4e03657a...
  EXPECT_EQ(to_hex(keccak256(std::string_view{"abc"})),
            "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
}

TEST(Keccak256, HashesTheNotesRpcRequestBytes) {
  EXPECT_EQ(to_hex(keccak256(std::string_view{R"([3,"get_ledger_balances",{},1733412346000])"})),
            "0x0d7d19fb61516bbfd00b866d919f57bd6450b8d25e321780c663274e8d889219");
}

TEST(Hex, RejectsOddLengthAndNonHexWithClearErrors) {
  EXPECT_THROW(from_hex("0xabc"), CryptoError);
  try {
    from_hex("0xzz");
    FAIL();
  } catch (const CryptoError& error) {
    EXPECT_NE(std::string(error.what()).find("non-hex"), std::string::npos);
  }
  EXPECT_EQ(from_hex("0XAbCd"), (std::vector<std::uint8_t>{0xab, 0xcd}));
  EXPECT_TRUE(from_hex("").empty());
}
