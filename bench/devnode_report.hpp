// bench/devnode_report.hpp — turns the runs of bench/devnode.sh (one JSON object per line, as printed by a
// measurement) into results/devnode.json (every run, plus the median of each variant over the rounds) and the
// markdown fragment results/devnode.md (one table per measurement, with the machine, date and commit, a line per
// target, then the optional hand-written notes).
#pragma once

#include <filesystem>
#include <string>

namespace umpire::bench {

struct ReportInputs {
  std::filesystem::path runs;      // JSON lines
  std::filesystem::path json_out;
  std::filesystem::path markdown_out;
  std::string date;                // ISO 8601, UTC
  std::string commit;              // git commit of the measured tree
  bool dirty = false;              // the tree had uncommitted changes
  std::filesystem::path notes;     // optional hand-written reading of the figures, appended to the markdown
};

// Throws std::runtime_error on unreadable input.
void write_devnode_report(const ReportInputs& inputs);

}  // namespace umpire::bench
