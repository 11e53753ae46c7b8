// The subcommands' option parser.
#include <gtest/gtest.h>

#include "cli/options.hpp"

using namespace umpire::cli;

TEST(Options, ParsesValuesFlagsAndEqualsForm) {
  const OptionSpec spec{{"--out", "--fund"}, {"--json"}, {"--fund"}};
  const auto parsed = parse_options({"x", "--out", "a", "--json", "--fund=1", "--fund", "2", "pos"}, 1, spec);
  EXPECT_EQ(parsed.value("--out"), "a");
  EXPECT_TRUE(parsed.flag("--json"));
  EXPECT_EQ(parsed.values("--fund"), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(parsed.positional(), std::vector<std::string>{"pos"});
}

TEST(Options, RejectsUnknownMissingAndRepeated) {
  const OptionSpec spec{{"--out"}, {"--json"}, {}};
  EXPECT_THROW(parse_options({"--nope"}, 0, spec), UsageError);
  EXPECT_THROW(parse_options({"--out"}, 0, spec), UsageError);
  EXPECT_THROW(parse_options({"--out", "a", "--out", "b"}, 0, spec), UsageError);
  EXPECT_THROW(parse_options({"--json=1"}, 0, spec), UsageError);
  EXPECT_THROW(parse_options({}, 0, spec).required("--out"), UsageError);
}
