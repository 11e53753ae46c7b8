// go_json: byte-exact agreement with Go's json.Marshal on escaping, key order and numbers.
#include <gtest/gtest.h>

#include "wire/go_json.hpp"

using namespace umpire::wire;

TEST(GoJson, EscapesHtmlAndLineSeparators) {
  EXPECT_EQ(go_quote("<a href=\"x\">&</a>"), R"("\u003ca href=\"x\"\u003e\u0026\u003c/a\u003e")");
  EXPECT_EQ(go_quote("a\u2028b\u2029c"), R"("a\u2028b\u2029c")");
  EXPECT_EQ(go_quote(std::string("\x01\b\f\n\r\t\x1f", 7)), R"("\u0001\b\f\n\r\t\u001f")");
  EXPECT_EQ(go_quote("back\\slash"), R"("back\\slash")");
  EXPECT_EQ(go_quote("é€😀"), "\"é€😀\"");
  EXPECT_EQ(go_quote("bad\xff\xc0"), R"("bad\ufffd\ufffd")");
  EXPECT_EQ(go_quote("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");  // an encoded surrogate is three bad bytes
}

TEST(GoJson, CompactWithContainerOrder) {
  nlohmann::ordered_json s;
  s["zeta"] = 1;
  s["alpha"] = nlohmann::ordered_json::array({true, nullptr, "x"});
  EXPECT_EQ(go_marshal(s), R"({"zeta":1,"alpha":[true,null,"x"]})");
  nlohmann::json m = {{"zeta", 1}, {"alpha", 2}};
  EXPECT_EQ(go_marshal(m), R"({"alpha":2,"zeta":1})");
  EXPECT_EQ(go_marshal(nlohmann::json::object()), "{}");
  EXPECT_EQ(go_marshal(nlohmann::json::array()), "[]");
}

TEST(GoJson, NumbersLikeGo) {
  EXPECT_EQ(go_marshal(nlohmann::json(100.0)), "100");
  EXPECT_EQ(go_marshal(nlohmann::json(1733412345678.0)), "1733412345678");
  EXPECT_EQ(go_marshal(nlohmann::json(0.1)), "0.1");
  EXPECT_EQ(go_marshal(nlohmann::json(-5)), "-5");
  EXPECT_EQ(go_format_float(1e21), "1e+21");
  EXPECT_EQ(go_format_float(1e-7), "1e-7");
  EXPECT_EQ(go_format_float(0.000001), "0.000001");
  EXPECT_EQ(go_format_float(123456789e15), "1.23456789e+23");
  EXPECT_EQ(go_format_float(0.0), "0");
}
