// cli/options.cpp — see options.hpp.
#include "cli/options.hpp"

namespace umpire::cli {

std::optional<std::string> ParsedOptions::value(const std::string& name) const {
  const auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second.back();
}

std::string ParsedOptions::required(const std::string& name) const {
  auto found = value(name);
  if (!found) throw UsageError("missing required option " + name);
  return *found;
}

std::vector<std::string> ParsedOptions::values(const std::string& name) const {
  const auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

ParsedOptions parse_options(const std::vector<std::string>& args, std::size_t first, const OptionSpec& spec) {
  ParsedOptions parsed;
  for (std::size_t i = first; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      parsed.positional_.push_back(arg);
      continue;
    }
    std::string name = arg;
    std::optional<std::string> inline_value;
    if (const auto eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      inline_value = arg.substr(eq + 1);
    }
    if (spec.flags.contains(name)) {
      if (inline_value) throw UsageError("option " + name + " takes no value");
      parsed.flags_.insert(name);
    } else if (spec.valued.contains(name)) {
      if (!inline_value) {
        if (i + 1 >= args.size()) throw UsageError("missing value for option " + name);
        inline_value = args[++i];
      }
      auto& slot = parsed.values_[name];
      if (!slot.empty() && !spec.repeatable.contains(name)) throw UsageError("option " + name + " given twice");
      slot.push_back(*inline_value);
    } else {
      throw UsageError("unknown option " + name);
    }
  }
  return parsed;
}

}  // namespace umpire::cli
