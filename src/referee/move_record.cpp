// referee/move_record.cpp — see move_record.hpp.
#include "referee/move_record.hpp"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

namespace umpire::referee {
namespace {

void append_number(std::string& out, std::uint64_t value) {
  char digits[20];
  const auto [end, error] = std::to_chars(std::begin(digits), std::end(digits), value);
  out.append(digits, static_cast<std::size_t>(end - digits));
}

// Printable ASCII other than the quote and the backslash is written as it is by nlohmann::json too.
bool needs_no_escaping(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; });
}

}  // namespace

std::string move_record_json(std::uint64_t seq, unsigned seat, std::string_view move, unsigned game) {
  std::string out;
  out.reserve(48 + move.size());
  out += R"({"game":)";
  append_number(out, game);
  out += R"(,"move":)";
  if (needs_no_escaping(move)) {
    out.push_back('"');
    out += move;
    out.push_back('"');
  } else {
    out += nlohmann::json(std::string(move)).dump();  // the rare move that needs escaping: nlohmann's own rules
  }
  out += R"(,"seat":)";
  append_number(out, seat);
  out += R"(,"seq":)";
  append_number(out, seq);
  out.push_back('}');
  return out;
}

}  // namespace umpire::referee
