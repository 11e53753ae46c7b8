// bench/devnode_report.cpp — grouping runs into variants, medians and spreads, and the markdown tables.
#include "devnode_report.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
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
  const double cpu_us = summary["devnode_cpu_us_per_lifecycle"]["median"].get<double>();
  summary["devnode_lifecycles_per_s_per_core"] = cpu_us > 0 ? 1e6 / cpu_us : 0.0;
  summary["target_lifecycles_per_s"] = target_per_second(first["storage"]);
  return summary;
}

std::string devnode_table(const std::vector<std::vector<Json>>& variants, std::size_t rounds) {
  std::string out =
      "| storage | clients | close signed by | lifecycles/s measured | devnode CPU µs / lifecycle | devnode's share of "
      "its core | lifecycles/s per full core (10⁶ ÷ CPU µs) | target | generator CPU µs / lifecycle |\n"
      "|---|---|---|---:|---:|---:|---:|---|---:|\n";
  for (const auto& runs : variants) {
    const Json& first = runs.front();
    if (first["mode"] != "raw") continue;
    const Spread rate = field_spread(runs, "lifecycles_per_s");
    const Spread cpu = field_spread(runs, "devnode_cpu_us_per_lifecycle");
    const double per_core = cpu.median > 0 ? 1e6 / cpu.median : 0;
    const double target = target_per_second(first["storage"]);
    const std::string met = std::string(rate.median >= target ? "met" : "missed") + " measured, " +
                            (per_core >= target ? "met" : "missed") + " per core";
    out += "| " + first["storage"].get<std::string>() + " | " + clients_label(first) + " | " +
           first.value("close_signers", "referee") + " | " + with_range(rate, rounds) + " | " + with_range(cpu, rounds) +
           " | " + fixed(field_spread(runs, "devnode_cpu_share").median, 2) + " | " + whole(per_core) + " | ≥ " +
           whole(target) + ": " + met + " | " + whole(field_spread(runs, "load_process_cpu_us_per_lifecycle").median) +
           " |\n";
  }
  return out;
}

std::string connector_table(const std::vector<std::vector<Json>>& variants, std::size_t rounds) {
  std::string out =
      "| storage | lifecycles in flight | lifecycles/s end to end | Umpire-side CPU µs / lifecycle | players' signing µs / "
      "lifecycle (not counted) | devnode CPU µs / lifecycle |\n"
      "|---|---:|---:|---:|---:|---:|\n";
  for (const auto& runs : variants) {
    const Json& first = runs.front();
    if (first["mode"] != "connector") continue;
    out += "| " + first["storage"].get<std::string>() + " | " + std::to_string(first["window"].get<int>()) + " | " +
           with_range(field_spread(runs, "lifecycles_per_s"), rounds) + " | " +
           with_range(field_spread(runs, "umpire_cpu_us_per_lifecycle"), rounds) + " | " +
           whole(field_spread(runs, "player_signing_cpu_us_per_lifecycle").median) + " | " +
           with_range(field_spread(runs, "devnode_cpu_us_per_lifecycle"), rounds) + " |\n";
  }
  return out;
}

std::string reference_table(const std::vector<Json>& all_runs, const std::vector<std::vector<Json>>& variants) {
  const Spread sign = reference_spread(all_runs, "sign_us");
  const Spread recover = reference_spread(all_runs, "recover_us");
  std::string out = "| secp256k1 sign µs | secp256k1 recover µs | devnode CPU per lifecycle, in recoveries |\n|---:|---:|---|\n";
  std::string ratios;
  for (const auto& runs : variants) {
    const Json& first = runs.front();
    if (first["mode"] != "raw" || recover.median <= 0) continue;
    if (!ratios.empty()) ratios += "; ";
    ratios += first["storage"].get<std::string>() + ", " + std::to_string(first["connections"].get<int>()) + " conn.: " +
              fixed(field_spread(runs, "devnode_cpu_us_per_lifecycle").median / recover.median, 1);
  }
  out += "| " + fixed(sign.median, 1) + " (" + fixed(sign.min, 1) + "–" + fixed(sign.max, 1) + ") | " +
         fixed(recover.median, 1) + " (" + fixed(recover.min, 1) + "–" + fixed(recover.max, 1) + ") | " + ratios + " |\n";
  return out;
}

std::string markdown(const ReportInputs& inputs, const std::vector<Json>& all_runs,
                     const std::vector<std::vector<Json>>& variants, std::size_t rounds, const Json& machine) {
  const Spread load = field_spread(all_runs, "loadavg_1m_before");
  const std::size_t lifecycles = all_runs.front().at("lifecycles").get<std::size_t>();
  std::string out = "### Devnode and ClearNode connector: create+close lifecycles (`bench/devnode.sh`)\n\n";
  out += "Machine: " + std::to_string(machine["nproc"].get<long>()) + " CPUs, " + machine["cpu_model"].get<std::string>() +
         ". Run " + inputs.date + " at commit `" + inputs.commit + "`" + (inputs.dirty ? " plus uncommitted changes" : "") +
         ". 1-minute load average before the runs: " + fixed(load.min, 1) + "–" + fixed(load.max, 1) + ".\n\n";
  out += "Each run starts a fresh `umpire devnode` pinned to CPU " +
         (all_runs.front()["devnode_cpu"].is_null() ? std::string("(unpinned)") : std::to_string(all_runs.front()["devnode_cpu"].get<int>())) +
         " with the load on CPU " +
         (all_runs.front()["load_cpu"].is_null() ? std::string("(unpinned)") : std::to_string(all_runs.front()["load_cpu"].get<int>())) +
         " and completes " + std::to_string(lifecycles) + " lifecycles; figures are medians of " + std::to_string(rounds) +
         " rounds (range in brackets), the variants interleaved within each round. A lifecycle is `create_app_session` "
         "for [player A, player B, referee] with weights [0, 0, 100] and quorum 100, each player staking 1 usdc and "
         "signing, plus the referee's session key, then `close_app_session` paying the pot to one player, signed by the "
         "referee alone (its weight is the quorum) unless the table says otherwise. Devnode CPU is utime+stime of its "
         "process (/proc/PID/stat) over the run.\n\n";
  out += "#### Devnode: lifecycles per second on one core\n\n";
  out += "The load generator sends frames built and signed before the clock starts (raw Beast WebSockets); each "
         "connection is its own referee wallet with its own two players. \"Per full core\" is 10⁶ ÷ the devnode's CPU "
         "µs per lifecycle: the rate it sustains when its core is not shared. On a shared machine its share of the "
         "core (1.00 = saturated) is below 1 and the measured rate is lower by that factor.\n\n";
  out += devnode_table(variants, rounds) + "\n";
  out += "#### ClearNode connector: Umpire-side CPU per lifecycle\n\n";
  out += "The same lifecycles through `clearnode::ClearNodeClient` on one link against the devnode (same pinning): "
         "`prepare_create_app_session`, both players sign the exact bytes, `submit_prepared` adds the referee's "
         "session-key signature; then `prepare_close_app_session` and `submit_prepared` signed by the referee. "
         "Umpire-side CPU is this process's utime+stime minus the players' signing, which runs on the players' "
         "machines in production. It includes checking the broker's signature on every frame received.\n\n";
  out += connector_table(variants, rounds) + "\n";
  out += "#### Reference: secp256k1 on the devnode's CPU, measured before each run\n\n";
  out += "Most of a lifecycle is signature work: per lifecycle the devnode recovers 4 signatures (3 on create, 1 on "
         "close) and signs every frame it sends (2 replies, and a `bu` to the caller after each request unless an "
         "identical one was signed in the same millisecond).\n\n";
  out += reference_table(all_runs, variants);
  return out;
}

}  // namespace

void write_devnode_report(const ReportInputs& inputs) {
  std::ifstream in(inputs.runs);
  if (!in) throw std::runtime_error("cannot read " + inputs.runs.string());
  std::vector<Json> all_runs;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) all_runs.push_back(Json::parse(line));
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
