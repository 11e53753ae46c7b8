// wire/decimal.hpp — exact signed fixed-point amounts with 18 fractional digits, the node's DECIMAL(64,18).
// Parses what shopspring/decimal accepts (plain and exponent notation, so JSON-number text too) and prints the
// way its String() does: trailing fractional zeros trimmed, zero as "0". Money never touches floating point.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace umpire::wire {

__extension__ typedef __int128 Int128;  // GCC/Clang extension; __extension__ keeps -Wpedantic quiet

class DecimalOverflow : public std::overflow_error {
 public:
  using std::overflow_error::overflow_error;
};

class Decimal {
 public:
  static constexpr int kScale = 18;  // fractional digits kept, as the node's Postgres column

  constexpr Decimal() = default;
  static constexpr Decimal from_raw(Int128 scaled) { return Decimal(scaled); }

  // "12", "-0.5", "+3.", ".25", "1e-7", "2.5E3". More than 18 fractional digits are rounded half away from
  // zero (what Postgres does on storage); values beyond ±1.7e20 and anything else return nullopt.
  static std::optional<Decimal> parse(std::string_view text);

  // `units` of a token with `decimals` decimals (≤ 18), e.g. from_units(1'500'000, 6) == 1.5.
  static Decimal from_units(Int128 units, unsigned decimals);
  // Exact conversion back; nullopt if the amount has more precision than `decimals` or decimals > 18.
  std::optional<Int128> to_units(unsigned decimals) const;

  std::string to_string() const;  // "100", "0.5", "-3.25", "0"

  Int128 raw() const { return scaled_; }
  bool is_negative() const { return scaled_ < 0; }
  bool is_zero() const { return scaled_ == 0; }
  bool is_positive() const { return scaled_ > 0; }

  Decimal operator+(const Decimal& other) const;  // throws DecimalOverflow
  Decimal operator-(const Decimal& other) const;  // throws DecimalOverflow
  Decimal operator-() const;
  Decimal& operator+=(const Decimal& other) { return *this = *this + other; }
  Decimal& operator-=(const Decimal& other) { return *this = *this - other; }

  friend constexpr auto operator<=>(const Decimal&, const Decimal&) = default;
  friend constexpr bool operator==(const Decimal&, const Decimal&) = default;

 private:
  explicit constexpr Decimal(Int128 scaled) : scaled_(scaled) {}
  Int128 scaled_ = 0;  // value × 10^18
};

std::string int128_to_string(Int128 value);

}  // namespace umpire::wire
