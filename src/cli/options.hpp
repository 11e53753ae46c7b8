// cli/options.hpp — a small command-line option parser: `--name value`, `--name=value`, boolean flags and
// repeatable options. Hand-written rather than Boost.Program_options because the subcommands need only this,
// and it keeps error messages in one predictable form ("unknown option --x").
#pragma once

#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace umpire::cli {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OptionSpec {
  std::set<std::string> valued;      // options that take a value, e.g. "--key-file"
  std::set<std::string> flags;       // boolean options, e.g. "--personal"
  std::set<std::string> repeatable;  // subset of `valued` that may appear more than once
};

class ParsedOptions {
 public:
  std::optional<std::string> value(const std::string& name) const;
  std::string required(const std::string& name) const;  // throws UsageError naming the option
  std::vector<std::string> values(const std::string& name) const;
  bool flag(const std::string& name) const { return flags_.contains(name); }
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  friend ParsedOptions parse_options(const std::vector<std::string>&, std::size_t, const OptionSpec&);
  std::map<std::string, std::vector<std::string>> values_;
  std::set<std::string> flags_;
  std::vector<std::string> positional_;
};

// Parses args[first..]. Throws UsageError on an unknown option, a missing value or a repeated single option.
ParsedOptions parse_options(const std::vector<std::string>& args, std::size_t first, const OptionSpec& spec);

}  // namespace umpire::cli
