// The player protocol: envelopes round-trip through the wire form, unknown bytes fail to parse, and error codes keep
// the numbers clients may have stored.
#include <gtest/gtest.h>

#include "umpire/v1/umpire.pb.h"

using namespace umpire::v1;

TEST(PlayerProtocol, ClientMessageRoundTrips) {
  ClientMessage message;
  message.set_request_id(42);
  auto* move = message.mutable_move();
  move->set_room_id("room-1");
  move->set_move("4");
  move->set_expected_seq(3);
  const std::string bytes = message.SerializeAsString();
  ClientMessage parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  EXPECT_EQ(parsed.request_id(), 42u);
  ASSERT_EQ(parsed.body_case(), ClientMessage::kMove);
  EXPECT_EQ(parsed.move().move(), "4");
  EXPECT_EQ(parsed.move().expected_seq(), 3u);
}

TEST(PlayerProtocol, ServerMessageRoundTrips) {
  ServerMessage message;
  auto* over = message.mutable_game_over();
  over->set_room_id("room-1");
  over->set_outcome(OUTCOME_WIN);
  over->set_winner_seat(1);
  auto* allocation = over->add_allocations();
  allocation->set_participant("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
  allocation->set_asset("usdc");
  allocation->set_amount("1.98");
  ServerMessage parsed;
  ASSERT_TRUE(parsed.ParseFromString(message.SerializeAsString()));
  EXPECT_EQ(parsed.request_id(), 0u);
  EXPECT_TRUE(parsed.game_over().has_winner_seat());
  EXPECT_FALSE(parsed.game_over().has_forfeiting_seat());
  EXPECT_EQ(parsed.game_over().allocations(0).amount(), "1.98");
}

TEST(PlayerProtocol, GarbageDoesNotParse) {
  ClientMessage parsed;
  EXPECT_FALSE(parsed.ParseFromString(std::string("\xff\xff\xff\xff", 4)));
}

TEST(PlayerProtocol, ErrorCodesKeepTheirNumbers) {
  // Clients store these numbers; changing one is a breaking change. Add new codes, never renumber.
  EXPECT_EQ(MALFORMED_FRAME, 100);
  EXPECT_EQ(RATE_LIMITED, 102);
  EXPECT_EQ(NOT_LOGGED_IN, 200);
  EXPECT_EQ(BAD_LOGIN_SIGNATURE, 201);
  EXPECT_EQ(ROOM_FULL, 302);
  EXPECT_EQ(PROPOSAL_EXPIRED, 400);
  EXPECT_EQ(NOT_YOUR_TURN, 500);
  EXPECT_EQ(STALE_SEQUENCE, 502);
  EXPECT_EQ(INTERNAL, 999);
}

TEST(PlayerProtocol, ResumeAndSeriesProgressRoundTrip) {
  ClientMessage resume;
  resume.set_request_id(7);
  resume.mutable_resume()->set_room_id("room-9");
  ClientMessage parsed_resume;
  ASSERT_TRUE(parsed_resume.ParseFromString(resume.SerializeAsString()));
  ASSERT_EQ(parsed_resume.body_case(), ClientMessage::kResume);
  EXPECT_EQ(parsed_resume.resume().room_id(), "room-9");

  ServerMessage progress;
  auto* body = progress.mutable_series_progress();
  body->set_games_played(2);
  body->set_games_total(5);
  body->add_wins_by_seat(1);
  body->add_wins_by_seat(1);
  ServerMessage parsed_progress;
  ASSERT_TRUE(parsed_progress.ParseFromString(progress.SerializeAsString()));
  ASSERT_EQ(parsed_progress.body_case(), ServerMessage::kSeriesProgress);
  EXPECT_EQ(parsed_progress.series_progress().wins_by_seat_size(), 2);
  EXPECT_FALSE(parsed_progress.series_progress().series_over());
}

TEST(PlayerProtocol, ErrorCarriesCodeMessageContextAndRequestId) {
  ServerMessage message;
  message.set_request_id(12);
  auto* error = message.mutable_error();
  error->set_code(STALE_SEQUENCE);
  error->set_message("expected_seq 3, next is 4");
  error->set_request_id(12);
  (*error->mutable_context())["expected_seq"] = "4";
  ServerMessage parsed;
  ASSERT_TRUE(parsed.ParseFromString(message.SerializeAsString()));
  EXPECT_EQ(parsed.error().code(), STALE_SEQUENCE);
  EXPECT_EQ(parsed.error().request_id(), 12u);
  EXPECT_EQ(parsed.error().context().at("expected_seq"), "4");
}

TEST(PlayerProtocol, EveryErrorCodeSitsInItsGroup) {
  // 1xx frame, 2xx login, 3xx rooms, 4xx proposal, 5xx moves, 9xx server: a client may branch on code / 100.
  const auto* codes = ErrorCode_descriptor();
  for (int i = 0; i < codes->value_count(); ++i) {
    const int number = codes->value(i)->number();
    if (number == 0) continue;
    const int group = number / 100;
    EXPECT_TRUE(group == 1 || group == 2 || group == 3 || group == 4 || group == 5 || group == 9)
        << codes->value(i)->name();
  }
  EXPECT_EQ(RECONNECT_WINDOW_PASSED, 306);
  EXPECT_EQ(ILLEGAL_MOVE, 501);
  EXPECT_EQ(CLEARNODE_UNAVAILABLE, 900);
}
