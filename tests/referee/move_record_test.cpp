// move_record_json: the journal's move record, built by hand, must be byte for byte what nlohmann::json would write
// for the same object, since recovery reads it back with nlohmann::json.
#include "referee/move_record.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

using umpire::referee::move_record_json;

namespace {
std::string nlohmann_record(std::uint64_t seq, unsigned seat, const std::string& move, unsigned game) {
  return nlohmann::json{{"seq", seq}, {"seat", seat}, {"move", move}, {"game", game}}.dump();
}
}  // namespace

TEST(MoveRecord, MatchesNlohmannForPlainAndEscapedMoves) {
  const std::string moves[] = {"4",
                               "",
                               "e2e4",
                               "rock",
                               "say \"hi\"",
                               "back\\slash",
                               "\n",
                               "\t\x01",
                               "\x1f\x7f",
                               "caf\xc3\xa9",
                               "\xe2\x80\xa8",
                               "<b>&amp;</b>",
                               std::string(1, '\0') + "x",
                               std::string(200, 'z')};
  for (const auto& move : moves) {
    EXPECT_EQ(move_record_json(7, 1, move, 3), nlohmann_record(7, 1, move, 3)) << move;
  }
  EXPECT_EQ(move_record_json(18'446'744'073'709'551'615ULL, 4'294'967'295U, "0", 4'294'967'295U),
            nlohmann_record(18'446'744'073'709'551'615ULL, 4'294'967'295U, "0", 4'294'967'295U));
  EXPECT_EQ(move_record_json(0, 0, "0", 0), R"({"game":0,"move":"0","seat":0,"seq":0})");
}

TEST(MoveRecord, ReadsBackWithNlohmann) {
  const auto parsed = nlohmann::json::parse(move_record_json(12, 0, "a\"b", 2));
  EXPECT_EQ(parsed.at("seq").get<std::uint64_t>(), 12u);
  EXPECT_EQ(parsed.at("seat").get<unsigned>(), 0u);
  EXPECT_EQ(parsed.at("move").get<std::string>(), "a\"b");
  EXPECT_EQ(parsed.at("game").get<unsigned>(), 2u);
}
