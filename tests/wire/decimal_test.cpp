// Decimal: parsing (plain, exponent, JSON-number text), shopspring-style printing, exact units, checked arithmetic.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "wire/decimal.hpp"

using umpire::wire::Decimal;

namespace {
std::string roundtrip(std::string_view text) {
  const auto value = Decimal::parse(text);
  return value ? value->to_string() : "<invalid>";
}
}  // namespace

TEST(Decimal, PrintsTrimmedLikeShopspring) {
  EXPECT_EQ(roundtrip("100.0"), "100");
  EXPECT_EQ(roundtrip("0.50"), "0.5");
  EXPECT_EQ(roundtrip("0"), "0");
  EXPECT_EQ(roundtrip("-0.000"), "0");
  EXPECT_EQ(roundtrip("-12.340"), "-12.34");
  EXPECT_EQ(roundtrip("007"), "7");
  EXPECT_EQ(roundtrip("+3."), "3");
  EXPECT_EQ(roundtrip(".25"), "0.25");
  EXPECT_EQ(roundtrip("0.000000000000000001"), "0.000000000000000001");
}

TEST(Decimal, AcceptsExponentNotation) {
  EXPECT_EQ(roundtrip("1e-7"), "0.0000001");
  EXPECT_EQ(roundtrip("2.5E3"), "2500");
  EXPECT_EQ(roundtrip("1e+20"), "100000000000000000000");
  EXPECT_EQ(roundtrip("0e99999999"), "0");
  EXPECT_EQ(roundtrip("1e-99999999"), "0");
}

TEST(Decimal, RoundsBeyondEighteenDigitsHalfAwayFromZero) {
  EXPECT_EQ(roundtrip("0.0000000000000000005"), "0.000000000000000001");
  EXPECT_EQ(roundtrip("-0.0000000000000000005"), "-0.000000000000000001");
  EXPECT_EQ(roundtrip("0.0000000000000000004"), "0");
}

TEST(Decimal, RejectsGarbageAndOverflow) {
  for (const char* bad : {"", "-", ".", "abc", "1.2.3", "1e", "1e+", "0x10", " 1", "1 ", "1,5", "NaN", "Infinity",
                          "1e21", "999999999999999999999"}) {
    EXPECT_FALSE(Decimal::parse(bad).has_value()) << bad;
  }
}

TEST(Decimal, ComparesAndAddsExactly) {
  const auto a = *Decimal::parse("0.1");
  const auto b = *Decimal::parse("0.2");
  EXPECT_EQ((a + b).to_string(), "0.3");
  EXPECT_EQ(a + b, *Decimal::parse("0.3"));
  EXPECT_LT(a, b);
  EXPECT_TRUE((a - b).is_negative());
  EXPECT_TRUE((a - a).is_zero());
  EXPECT_EQ((-a).to_string(), "-0.1");
  const auto huge = *Decimal::parse("170000000000000000000");
  EXPECT_THROW(huge + huge, umpire::wire::DecimalOverflow);
}

TEST(Decimal, ConvertsTokenUnitsExactly) {
  EXPECT_EQ(Decimal::from_units(1'500'000, 6).to_string(), "1.5");
  EXPECT_EQ(*Decimal::parse("1.5")->to_units(6), 1'500'000);
  EXPECT_FALSE(Decimal::parse("1.0000001")->to_units(6).has_value());
  EXPECT_EQ(*Decimal::parse("-2")->to_units(0), -2);
  EXPECT_FALSE(Decimal::parse("1")->to_units(19).has_value());
}

namespace {
__extension__ typedef unsigned __int128 UInt128;

// Digit by digit, the obvious way: the reference the chunked printer is checked against.
std::string reference_digits(umpire::wire::Int128 value) {
  const bool negative = value < 0;
  UInt128 magnitude = negative ? UInt128(0) - static_cast<UInt128>(value) : static_cast<UInt128>(value);
  std::string reversed;
  do {
    reversed.push_back(static_cast<char>('0' + static_cast<int>(magnitude % 10)));
    magnitude /= 10;
  } while (magnitude != 0);
  if (negative) reversed.push_back('-');
  return {reversed.rbegin(), reversed.rend()};
}
}  // namespace

TEST(Decimal, PrintsInt128AtEveryChunkBoundary) {
  using umpire::wire::Int128;
  using umpire::wire::int128_to_string;
  const Int128 max = static_cast<Int128>(~UInt128{0} >> 1);
  const Int128 min = -max - 1;
  const Int128 two_64 = static_cast<Int128>(1) << 64;
  Int128 ten_19 = 1;
  for (int i = 0; i < 19; ++i) ten_19 *= 10;
  std::vector<Int128> values = {0,
                                1,
                                9,
                                10,
                                99,
                                100,
                                two_64 - 1,
                                two_64,
                                two_64 + 1,
                                ten_19 - 1,
                                ten_19,
                                ten_19 + 1,
                                ten_19 * ten_19 - 1,
                                ten_19 * ten_19,
                                ten_19 * ten_19 + 7,
                                ten_19 * 10 + 5,
                                max,
                                min};
  for (Int128 v = 1; v < max / 7; v = v * 7 + 3) values.push_back(v);  // every length, odd digits
  for (const auto v : std::vector<Int128>(values)) {
    if (v != min) values.push_back(-v);  // -min is not an Int128
  }
  for (const auto v : values) EXPECT_EQ(int128_to_string(v), reference_digits(v));
  EXPECT_EQ(int128_to_string(max), "170141183460469231731687303715884105727");
  EXPECT_EQ(int128_to_string(min), "-170141183460469231731687303715884105728");
}

TEST(Decimal, PrintsLargeIntegersWithSmallFractions) {
  EXPECT_EQ(roundtrip("170141183460469231731.687303715884105727"), "170141183460469231731.687303715884105727");
  EXPECT_EQ(roundtrip("-170141183460469231731.687303715884105727"), "-170141183460469231731.687303715884105727");
  const auto lowest = -static_cast<umpire::wire::Int128>(~UInt128{0} >> 1) - 1;  // parse does not reach it
  EXPECT_EQ(umpire::wire::Decimal::from_raw(lowest).to_string(), "-170141183460469231731.687303715884105728");
  EXPECT_EQ(roundtrip("18446744073709551616.000000000000000001"), "18446744073709551616.000000000000000001");
  EXPECT_EQ(roundtrip("10000000000000000000.1"), "10000000000000000000.1");
  EXPECT_EQ(roundtrip("5.000000000000000010"), "5.00000000000000001");
  EXPECT_EQ(roundtrip("-0.100000000000000000"), "-0.1");
  EXPECT_EQ(umpire::wire::Decimal::from_units(1, 18).to_string(), "0.000000000000000001");
}
