// bench/devnode_report.cpp — grouping runs into variants, medians and spreads, and the markdown tables.
#include "devnode_report.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "devnode_process.hpp"  // cpu_model

namespace umpire::bench {
namespace {

using Json = nlohmann::json;

// Lifecycles per second the issue asks of the devnode on one core.
double target_per_second(const std::string& storage) { return storage == "db" ? 1000 : 2000; }

std::string variant_key(const Json& run) {
  return run.at("mode").get<std::string>() + "/" + run.at("storage").get<std::string>() + "/" +
         std::to_string(run.at("connections").get<int>()) + "x" + std::to_string(run.at("window").get<int>()) + "/" +
         run.value("close_signers", "referee");
}

struct Spread {
  double median = 0;
  double min = 0;
  double max = 0;
};

Spread spread_of(std::vector<double> values) {
  if (values.empty()) return {};
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  const double median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  return {median, values.front(), values.back()};
}

Spread field_spread(const std::vector<Json>& runs, const char* field) {
  std::vector<double> values;
  for (const auto& run : runs) {
    if (run.contains(field) && run[field].is_number()) values.push_back(run[field].get<double>());
  }
  return spread_of(std::move(values));
}

Spread reference_spread(const std::vector<Json>& runs, const char* field) {
  std::vector<double> values;
  for (const auto& run : runs) values.push_back(run.at("crypto_reference").at(field).get<double>());
  return spread_of(std::move(values));
}

std::string whole(double value) { return std::to_string(static_cast<long long>(std::llround(value))); }

std::string fixed(double value, int decimals) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(decimals);
  out << value;
  return out.str();
}

// "1812 (1650–1900)" — the median and, over several rounds, the range.
std::string with_range(const Spread& s, std::size_t rounds) {
  if (rounds < 2) return whole(s.median);
  return whole(s.median) + " (" + whole(s.min) + "–" + whole(s.max) + ")";
}

std::string clients_label(const Json& run) {
  const int connections = run.at("connections").get<int>();
  const int window = run.at("window").get<int>();
  if (connections == 1) return "1 connection, " + std::to_string(window) + " lifecycles pipelined";
  return std::to_string(connections) + " connections, " + std::to_string(window) + " in flight each";
}

// A run's figure divided by the secp256k1 recovery time measured just before it (same CPU): CPU per lifecycle in
// "recoveries", a ratio that moves less with the machine and its load than the µs themselves.
Spread in_recoveries(const std::vector<Json>& runs, const char* field) {
  std::vector<double> values;
  for (const auto& run : runs) {
    const double recover_us = run.at("crypto_reference").at("recover_us").get<double>();
    if (run.contains(field) && run[field].is_number() && recover_us > 0) values.push_back(run[field].get<double>() / recover_us);
  }
  return spread_of(std::move(values));
}

// The load generator's share of its core during the run (1.00 = it was the bottleneck).
Spread load_share(const std::vector<Json>& runs) {
  std::vector<double> values;
  for (const auto& run : runs) {
    const double seconds = run.at("seconds").get<double>();
    if (seconds > 0) {
      values.push_back(run.at("load_process_cpu_us_per_lifecycle").get<double>() * run.at("completed").get<double>() / 1e6 /
                       seconds);
    }
  }
  return spread_of(std::move(values));
}

Json summarize(const std::vector<Json>& runs) {
  const Json& first = runs.front();
  Json summary{{"variant", variant_key(first)}, {"mode", first["mode"]}, {"storage", first["storage"]},
               {"connections", first["connections"]}, {"window", first["window"]},
               {"close_signers", first.value("close_signers", "referee")}, {"rounds", runs.size()}};
  for (const char* field : {"lifecycles_per_s", "devnode_cpu_us_per_lifecycle", "devnode_cpu_share",
                            "load_process_cpu_us_per_lifecycle", "umpire_cpu_us_per_lifecycle",
                            "player_signing_cpu_us_per_lifecycle", "loadavg_1m_before"}) {
    bool present = false;
    for (const auto& run : runs) present = present || run.contains(field);
    if (!present) continue;
    const Spread s = field_spread(runs, field);
    summary[field] = {{"median", s.median}, {"min", s.min}, {"max", s.max}};
  }
  const Spread share = load_share(runs);
  summary["load_process_cpu_share"] = {{"median", share.median}, {"min", share.min}, {"max", share.max}};
  const double cpu_us = summary["devnode_cpu_us_per_lifecycle"]["median"].get<double>();
  summary["devnode_lifecycles_per_s_per_core"] = cpu_us > 0 ? 1e6 / cpu_us : 0.0;
  summary["devnode_cpu_per_lifecycle_in_recoveries"] = in_recoveries(runs, "devnode_cpu_us_per_lifecycle").median;
  if (summary.contains("umpire_cpu_us_per_lifecycle")) {
    const double umpire_us = summary["umpire_cpu_us_per_lifecycle"]["median"].get<double>();
    summary["umpire_lifecycles_per_s_per_core"] = umpire_us > 0 ? 1e6 / umpire_us : 0.0;
    summary["umpire_cpu_per_lifecycle_in_recoveries"] = in_recoveries(runs, "umpire_cpu_us_per_lifecycle").median;
  }
  // Issue 3's targets apply to the devnode (raw load, close signed by the referee as Umpire does).
  if (first["mode"] == "raw" && first.value("close_signers", "referee") == "referee") {
    const double target = target_per_second(first["storage"]);
    summary["target_lifecycles_per_s"] = target;
    summary["target_met_per_core"] = summary["devnode_lifecycles_per_s_per_core"].get<double>() >= target;
    summary["target_met_wall_clock"] = summary["lifecycles_per_s"]["median"].get<double>() >= target;
  }
  return summary;
}

std::string devnode_table(const std::vector<std::vector<Json>>& variants, std::size_t rounds) {
  std::string out =
      "| storage | clients | close signed by | lifecycles/s (wall clock) | devnode CPU µs / lifecycle | devnode CPU / "
      "lifecycle, in recoveries | devnode busy (share of its core) | lifecycles/s per core (10⁶ ÷ CPU µs) | load "
      "generator CPU µs / lifecycle | load generator busy (share of its core) |\n"
      "|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& runs : variants) {
    const Json& first = runs.front();
    if (first["mode"] != "raw") continue;
    const Spread cpu = field_spread(runs, "devnode_cpu_us_per_lifecycle");
    const double per_core = cpu.median > 0 ? 1e6 / cpu.median : 0;
    out += "| " + first["storage"].get<std::string>() + " | " + clients_label(first) + " | " +
           first.value("close_signers", "referee") + " | " + with_range(field_spread(runs, "lifecycles_per_s"), rounds) +
           " | " + with_range(cpu, rounds) + " | " + fixed(in_recoveries(runs, "devnode_cpu_us_per_lifecycle").median, 1) +
           " | " + fixed(field_spread(runs, "devnode_cpu_share").median, 2) + " | " + whole(per_core) + " | " +
           whole(field_spread(runs, "load_process_cpu_us_per_lifecycle").median) + " | " +
           fixed(load_share(runs).median, 2) + " |\n";
  }
  return out;
}

std::string connector_table(const std::vector<std::vector<Json>>& variants, std::size_t rounds) {
  std::string out =
      "| storage | lifecycles in flight | lifecycles/s end to end | Umpire-side CPU µs / lifecycle | Umpire-side CPU / "
      "lifecycle, in recoveries | Umpire-side lifecycles/s per core (10⁶ ÷ CPU µs) | players' signing CPU µs / "
      "lifecycle (not counted) | devnode CPU µs / lifecycle | devnode busy (share of its core) |\n"
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& runs : variants) {
    const Json& first = runs.front();
    if (first["mode"] != "connector") continue;
    const Spread umpire = field_spread(runs, "umpire_cpu_us_per_lifecycle");
    out += "| " + first["storage"].get<std::string>() + " | " + std::to_string(first["window"].get<int>()) + " | " +
           with_range(field_spread(runs, "lifecycles_per_s"), rounds) + " | " + with_range(umpire, rounds) + " | " +
           fixed(in_recoveries(runs, "umpire_cpu_us_per_lifecycle").median, 1) + " | " +
           whole(umpire.median > 0 ? 1e6 / umpire.median : 0) + " | " +
           whole(field_spread(runs, "player_signing_cpu_us_per_lifecycle").median) + " | " +
           with_range(field_spread(runs, "devnode_cpu_us_per_lifecycle"), rounds) + " | " +
           fixed(field_spread(runs, "devnode_cpu_share").median, 2) + " |\n";
  }
  return out;
}

std::string reference_table(const std::vector<Json>& all_runs) {
  const Spread sign = reference_spread(all_runs, "sign_us");
  const Spread recover = reference_spread(all_runs, "recover_us");
  return "| secp256k1 sign µs (libsecp256k1, RFC 6979) | secp256k1 public-key recovery µs |\n|---:|---:|\n| " +
         fixed(sign.median, 1) + " (" + fixed(sign.min, 1) + "–" + fixed(sign.max, 1) + ") | " + fixed(recover.median, 1) +
         " (" + fixed(recover.min, 1) + "–" + fixed(recover.max, 1) + ") |\n";
}

const std::vector<Json>* find_variant(const std::vector<std::vector<Json>>& variants, const std::string& key) {
  for (const auto& runs : variants) {
    if (variant_key(runs.front()) == key) return &runs;
  }
  return nullptr;
}

// One line per target of issue 3: on one core means on the devnode's CPU time (10⁶ ÷ CPU µs per lifecycle), which
// a shared machine does not distort much; the wall-clock rate is reported beside it with the reason it differs.
std::string target_line(const std::vector<std::vector<Json>>& variants, const std::string& storage) {
  const double target = target_per_second(storage);
  const std::string what = storage == "db" ? "With `--db` (SQLite)" : "In memory";
  const auto* one = find_variant(variants, "raw/" + storage + "/1x32/referee");
  const auto* hundred = find_variant(variants, "raw/" + storage + "/100x1/referee");
  std::string line = "- **" + what + ", ≥ " + whole(target) + " lifecycles/s on one core: ";
  if (!one || !hundred) return line + "not measured** (a variant is missing from the runs).\n";
  const double cpu_one = field_spread(*one, "devnode_cpu_us_per_lifecycle").median;
  const double cpu_hundred = field_spread(*hundred, "devnode_cpu_us_per_lifecycle").median;
  const double core_one = cpu_one > 0 ? 1e6 / cpu_one : 0, core_hundred = cpu_hundred > 0 ? 1e6 / cpu_hundred : 0;
  const double wall_one = field_spread(*one, "lifecycles_per_s").median;
  const double wall_hundred = field_spread(*hundred, "lifecycles_per_s").median;
  const bool met = core_one >= target && core_hundred >= target;
  const double budget = 1e6 / target;
  const std::string figures = whole(core_one) + " (1 connection) and " + whole(core_hundred) +
                              " (100 connections) lifecycles/s per core of devnode CPU (" + whole(cpu_one) + " and " +
                              whole(cpu_hundred) + " µs per lifecycle, budget " + whole(budget) + " µs)";
  if (met) line += "met**: " + figures + ".";
  else {
    // Against the recovery time on this CPU when least disturbed (the fastest reference measured before these runs):
    // the per-run ratio cancels part of the sharing, and this is what the budget buys on an undisturbed core.
    const double recover_us = std::min(reference_spread(*one, "recover_us").min, reference_spread(*hundred, "recover_us").min);
    const double cost = std::max(in_recoveries(*one, "devnode_cpu_us_per_lifecycle").median,
                                 in_recoveries(*hundred, "devnode_cpu_us_per_lifecycle").median);
    const double allowed = recover_us > 0 ? budget / recover_us : 0;
    line += "missed** in this run, because the devnode needed more CPU per lifecycle than the budget: " + figures + ". ";
    if (cost > allowed) {
      line += "Counted in secp256k1 recoveries timed on the same CPU before each run, a lifecycle cost " + fixed(cost, 1) +
              " recoveries; the budget is " + fixed(allowed, 1) + " recoveries of the fastest one measured (" +
              fixed(recover_us, 1) + " µs), so the shortfall is not only the shared machine slowing everything: the "
              "target is at the edge of what this CPU allows with this much signature work; see the profile below.";
    } else {
      line += "Counted in secp256k1 recoveries timed on the same CPU before each run, a lifecycle cost " + fixed(cost, 1) +
              " recoveries, within the budget of " + fixed(allowed, 1) + " recoveries of the fastest one measured (" +
              fixed(recover_us, 1) + " µs): the shared machine slowed the CPU itself (the reference is slower too).";
    }
  }
  if (wall_one >= target && wall_hundred >= target) {
    line += " Wall clock: met too, " + whole(wall_one) + " and " + whole(wall_hundred) + " lifecycles/s measured.";
  } else {
    const double busy_one = field_spread(*one, "devnode_cpu_share").median;
    const double busy_hundred = field_spread(*hundred, "devnode_cpu_share").median;
    const double feeder = std::max(load_share(*one).median, load_share(*hundred).median);
    line += " Wall clock: " + std::string(wall_one >= target || wall_hundred >= target ? "partly missed" : "missed") +
            " here, " + whole(wall_one) + " and " + whole(wall_hundred) +
            " lifecycles/s measured, because the devnode was busy only " + fixed(busy_one, 2) + " and " +
            fixed(busy_hundred, 2) + " of the time: ";
    if (feeder >= 0.9) {
      line += "the load generator (busy " + fixed(feeder, 2) + " of its core) could not keep it fed.";
    } else {
      line += "the load generator was not the limit (busy at most " + fixed(feeder, 2) +
              " of its core); both cores were shared with other processes (1-minute load average " +
              fixed(field_spread(*one, "loadavg_1m_before").median, 1) + " before these runs), and a fresh devnode "
              "also idles while the run starts and drains.";
    }
  }
  return line + "\n";
}

std::string markdown(const ReportInputs& inputs, const std::vector<Json>& all_runs,
                     const std::vector<std::vector<Json>>& variants, std::size_t rounds, const Json& machine) {
  const Spread load = field_spread(all_runs, "loadavg_1m_before");
  const std::size_t lifecycles = all_runs.front().at("lifecycles").get<std::size_t>();
  std::string out = "## Devnode and ClearNode connector (issues 3 and 4): `bench/devnode.sh`\n\n";
  out += "Machine: " + std::to_string(machine["nproc"].get<long>()) + " CPUs, " + machine["cpu_model"].get<std::string>() +
         ". Run " + inputs.date + " at commit `" + inputs.commit + "`" + (inputs.dirty ? " plus uncommitted changes" : "") +
         ". 1-minute load average before the runs: " + fixed(load.min, 1) + "–" + fixed(load.max, 1) +
         " (other engineers' builds shared both CPUs, so wall-clock rates are noisy: read the CPU µs per lifecycle and "
         "the ratios, measured the same way in the same run).\n\n";
  out += "Each run starts a fresh `umpire devnode` pinned to CPU " +
         (all_runs.front()["devnode_cpu"].is_null() ? std::string("(unpinned)") : std::to_string(all_runs.front()["devnode_cpu"].get<int>())) +
         " with the load on CPU " +
         (all_runs.front()["load_cpu"].is_null() ? std::string("(unpinned)") : std::to_string(all_runs.front()["load_cpu"].get<int>())) +
         " and completes " + std::to_string(lifecycles) + " lifecycles; figures are medians of " + std::to_string(rounds) +
         (rounds == 1 ? " round" : " rounds (range in brackets)") +
         ", the variants interleaved within each round. A lifecycle is `create_app_session` "
         "for [player A, player B, referee] with weights [0, 0, 100] and quorum 100, each player staking 1 usdc and "
         "signing, plus the referee's session key, then `close_app_session` paying the pot to one player, signed by the "
         "referee alone (its weight is the quorum) unless the table says otherwise. CPU is utime+stime of the process "
         "(/proc/PID/stat for the devnode, getrusage for the load) over the timed run; \"busy\" is that CPU time ÷ the "
         "run's wall time (1.00 = its core saturated). \"In recoveries\" divides CPU per lifecycle by the secp256k1 "
         "recovery time measured on the same CPU just before the run (reference table below).\n\n";
  out += "### Devnode: lifecycles per second on one core (issue 3)\n\n";
  out += "The load generator sends frames built and signed before the clock starts (raw Beast WebSockets); each "
         "connection is its own referee wallet with its own two players. \"Per core\" is 10⁶ ÷ the devnode's CPU "
         "µs per lifecycle: the rate one core sustains when the devnode has it to itself and is kept busy. The "
         "devnode is one thread (one `io_context`), so that is also its ceiling.\n\n";
  out += devnode_table(variants, rounds) + "\n";
  out += "Targets (issue 3):\n\n";
  out += target_line(variants, "memory");
  out += target_line(variants, "db");
  out += "\n### ClearNode connector: Umpire-side CPU per lifecycle, and lifecycles/s end to end (issue 4)\n\n";
  out += "The same lifecycles through `clearnode::ClearNodeClient` (one link, one thread) against the devnode, same "
         "pinning: `prepare_create_app_session`, both players sign the exact bytes, `submit_prepared` adds the "
         "referee's session-key signature; then `prepare_close_app_session` and `submit_prepared` signed by the "
         "referee. Umpire-side CPU is the load process's utime+stime minus the players' signing, which runs on the "
         "players' machines in production; it includes building the requests, Umpire's two session-key signatures and "
         "checking the broker's signature on every frame received (two replies and two `bu` per lifecycle).\n\n";
  out += connector_table(variants, rounds) + "\n";
  out += "### Reference: secp256k1 on the devnode's CPU, measured before each run\n\n";
  out += "Per lifecycle the devnode recovers 4 signatures (3 on create, 1 on close; 6 with the close signed by all) "
         "and signs each frame it sends: 2 replies and a `bu` to the caller after each request, unless an identical "
         "`bu` was signed in the same millisecond. The connector recovers the broker's key from each of the 4 frames "
         "it receives and signs 2 requests.\n\n";
  out += reference_table(all_runs);
  if (!inputs.notes.empty()) {
    std::ifstream notes(inputs.notes);
    if (!notes) throw std::runtime_error("cannot read " + inputs.notes.string());
    out += "\n" + std::string((std::istreambuf_iterator<char>(notes)), std::istreambuf_iterator<char>());
  }
  return out;
}

}  // namespace

void write_devnode_report(const ReportInputs& given) {
  ReportInputs inputs = given;
  std::ifstream in(inputs.runs);
  if (!in) throw std::runtime_error("cannot read " + inputs.runs.string());
  // JSON lines as printed by the measurements, or an earlier report (results/devnode.json) whose runs are re-read:
  // `bench/devnode.sh --report-only` rebuilds the markdown after the notes were edited, without measuring again.
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<Json> all_runs;
  if (const Json whole_file = Json::parse(text, nullptr, false); whole_file.is_object() && whole_file.contains("runs")) {
    for (const auto& run : whole_file["runs"]) all_runs.push_back(run);
    if (inputs.date.empty()) {  // the measurement's own date and commit, not the re-render's
      inputs.date = whole_file.value("date", "");
      inputs.commit = whole_file.value("git_commit", "");
      inputs.dirty = whole_file.value("git_dirty", false);
    }
  } else {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) all_runs.push_back(Json::parse(line));
    }
  }
  if (all_runs.empty()) throw std::runtime_error(inputs.runs.string() + " holds no runs");
  std::vector<std::vector<Json>> variants;  // in order of first appearance
  for (const auto& run : all_runs) {
    const auto key = variant_key(run);
    auto it = std::find_if(variants.begin(), variants.end(), [&](const auto& runs) { return variant_key(runs.front()) == key; });
    if (it == variants.end()) variants.push_back({run});
    else it->push_back(run);
  }
  std::size_t rounds = 0;
  for (const auto& runs : variants) rounds = std::max(rounds, runs.size());

  const Json machine{{"nproc", ::sysconf(_SC_NPROCESSORS_ONLN)}, {"cpu_model", cpu_model()}};
  Json summary = Json::array();
  for (const auto& runs : variants) summary.push_back(summarize(runs));
  const Json report{{"benchmark", "devnode"}, {"date", inputs.date}, {"git_commit", inputs.commit},
                    {"git_dirty", inputs.dirty}, {"machine", machine}, {"rounds", rounds},
                    {"summary", summary}, {"runs", all_runs}};
  std::ofstream json_out(inputs.json_out);
  json_out << report.dump(2) << "\n";
  std::ofstream markdown_out(inputs.markdown_out);
  markdown_out << markdown(inputs, all_runs, variants, rounds, machine);
  if (!json_out || !markdown_out) throw std::runtime_error("cannot write the report files");
}

}  // namespace umpire::bench
