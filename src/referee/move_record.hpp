// referee/move_record.hpp — the journal's record of one applied move, as JSON text. The record is written once per
// relayed move, so it is built by hand instead of through an nlohmann::json object (a map of four keys, then a dump:
// about 8,000 instructions a move, an eighth of the event loop's work, measured with callgrind on 2026-12-08). Recovery
// reads it back with nlohmann::json; the bytes are the same as `json{…}.dump()` would give (keys sorted).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace umpire::referee {

// {"game":G,"move":"…","seat":S,"seq":Q}. `move` must be valid UTF-8 (protobuf checks a string field's UTF-8 when
// it parses a message); text with quotes, backslashes or control characters is escaped as nlohmann::json does.
std::string move_record_json(std::uint64_t seq, unsigned seat, std::string_view move, unsigned game);

}  // namespace umpire::referee
