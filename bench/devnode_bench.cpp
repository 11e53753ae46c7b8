// bench/devnode_bench.cpp — `umpire_devnode_bench`: one measurement of create+close app-session lifecycles
// against a fresh `umpire devnode` child pinned to one core, with this process (the load) pinned to another.
// Prints one JSON object: lifecycles/s, the devnode's CPU per lifecycle (/proc/PID/stat utime+stime) and this
// process's. Mode `raw` is the cheap pre-signed generator; mode `connector` drives clearnode::ClearNodeClient.
// `umpire_devnode_bench report …` turns the runs of bench/devnode.sh into results/devnode.{json,md}.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "connector_load.hpp"
#include "crypto_reference.hpp"
#include "devnode_process.hpp"
#include "devnode_report.hpp"
#include "raw_load.hpp"

namespace {

using namespace umpire::bench;
namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr const char* kUsage =
    "usage: umpire_devnode_bench --umpire PATH [--mode raw|connector] [--storage memory|db]\n"
    "                            [--connections N] [--window N] [--lifecycles N]\n"
    "                            [--close-signers referee|all] [--devnode-cpu N|none] [--load-cpu N|none]\n"
    "                            [--work-dir DIR]\n"
    "  raw:       pre-signed frames over raw WebSockets; --connections sockets, --window lifecycles in flight each\n"
    "  connector: one clearnode::ClearNodeClient, --window lifecycles in flight (--connections must be 1)\n"
    "       umpire_devnode_bench report --runs FILE.jsonl|devnode.json --json OUT --markdown OUT [--date ISO --commit SHA]\n"
    "                            [--dirty 0|1] [--notes FILE.md]\n";

struct Settings {
  fs::path umpire;
  std::string mode = "raw";
  std::string storage = "memory";
  std::size_t connections = 1;
  std::size_t window = 32;
  std::size_t lifecycles = 10'000;
  CloseSigners close_signers = CloseSigners::referee;
  std::optional<int> devnode_cpu = 0;
  std::optional<int> load_cpu = 1;
  fs::path work_dir;
};

std::size_t positive(const std::string& flag, const std::string& text) {
  std::size_t used = 0;
  unsigned long value = 0;
  try {
    value = std::stoul(text, &used);
  } catch (const std::exception&) {
  }
  if (used != text.size() || value == 0) throw std::invalid_argument(flag + " expects a positive integer, got '" + text + "'");
  return value;
}

Settings parse_settings(const std::vector<std::string>& args) {
  Settings settings;
  std::map<std::string, std::string> values;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help") throw std::invalid_argument("");
    if (args[i].rfind("--", 0) != 0 || i + 1 == args.size()) throw std::invalid_argument("bad argument '" + args[i] + "'");
    values[args[i]] = args[i + 1];
    ++i;
  }
  for (const auto& [flag, value] : values) {
    if (flag == "--umpire") settings.umpire = value;
    else if (flag == "--mode") settings.mode = value;
    else if (flag == "--storage") settings.storage = value;
    else if (flag == "--connections") settings.connections = positive(flag, value);
    else if (flag == "--window") settings.window = positive(flag, value);
    else if (flag == "--lifecycles") settings.lifecycles = positive(flag, value);
    else if (flag == "--devnode-cpu") settings.devnode_cpu = value == "none" ? std::nullopt : std::optional<int>(std::stoi(value));
    else if (flag == "--load-cpu") settings.load_cpu = value == "none" ? std::nullopt : std::optional<int>(std::stoi(value));
    else if (flag == "--work-dir") settings.work_dir = value;
    else if (flag == "--close-signers") {
      if (value != "referee" && value != "all") throw std::invalid_argument("--close-signers is referee or all");
      settings.close_signers = value == "all" ? CloseSigners::all : CloseSigners::referee;
    }
    else throw std::invalid_argument("unknown option " + flag);
  }
  if (settings.umpire.empty() || !fs::exists(settings.umpire)) throw std::invalid_argument("--umpire PATH is required");
  if (settings.mode != "raw" && settings.mode != "connector") throw std::invalid_argument("--mode is raw or connector");
  if (settings.storage != "memory" && settings.storage != "db") throw std::invalid_argument("--storage is memory or db");
  if (settings.mode == "connector" && settings.connections != 1) throw std::invalid_argument("the connector uses one link");
  if (settings.lifecycles < settings.connections) throw std::invalid_argument("fewer lifecycles than connections");
  return settings;
}

fs::path make_work_dir() {
  std::string pattern = (fs::temp_directory_path() / "umpire-devnode-bench-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary directory");
  return pattern;
}

double per_lifecycle_us(double seconds, std::size_t lifecycles) {
  return lifecycles == 0 ? 0.0 : seconds * 1e6 / static_cast<double>(lifecycles);
}

Json measure(const Settings& settings) {
  const fs::path dir = settings.work_dir.empty() ? make_work_dir() : settings.work_dir;
  fs::create_directories(dir);
  const fs::path db = dir / "devnode.db";
  for (const auto* suffix : {"", "-wal", "-shm"}) fs::remove(db.string() + suffix);
  DevnodeLaunch launch{settings.umpire, std::nullopt, settings.devnode_cpu, dir / "devnode.log", {}};
  if (settings.storage == "db") launch.db = db;
  const double load_before = load_average_1m();
  const CryptoReference reference = measure_crypto_reference(settings.devnode_cpu, settings.load_cpu);
  if (settings.load_cpu) pin_this_process(*settings.load_cpu);
  DevnodeProcess devnode(launch);

  Json result{{"mode", settings.mode}, {"storage", settings.storage}, {"connections", settings.connections},
              {"window", settings.window}, {"lifecycles", settings.lifecycles},
              {"close_signers", settings.close_signers == CloseSigners::all ? "all" : "referee"},
              {"devnode_cpu", settings.devnode_cpu ? Json(*settings.devnode_cpu) : Json(nullptr)},
              {"load_cpu", settings.load_cpu ? Json(*settings.load_cpu) : Json(nullptr)},
              {"loadavg_1m_before", load_before},
              {"crypto_reference", {{"sign_us", reference.sign_us}, {"recover_us", reference.recover_us}}}};
  LoadOutcome outcome;
  double devnode_cpu = 0;
  double load_cpu = 0;
  Json audit;
  if (settings.mode == "raw") {
    RawLoad load({devnode.url(), settings.connections, settings.window, settings.lifecycles, settings.close_signers});
    load.setup();
    load.prebuild();
    const double devnode_before = devnode.cpu_seconds();
    const double load_before = own_cpu_seconds();
    outcome = load.run();
    devnode_cpu = devnode.cpu_seconds() - devnode_before;
    load_cpu = own_cpu_seconds() - load_before;
    if (outcome.errors == 0) audit = load.audit();
  } else {
    ConnectorLoad load({devnode.url(), settings.window, settings.lifecycles, settings.close_signers});
    load.setup();
    const double devnode_before = devnode.cpu_seconds();
    const auto connector = load.run();
    devnode_cpu = devnode.cpu_seconds() - devnode_before;
    outcome = connector.load;
    load_cpu = connector.process_cpu_seconds;
    const double umpire_cpu = connector.process_cpu_seconds - connector.player_signing_cpu_seconds;
    result["umpire_cpu_us_per_lifecycle"] = per_lifecycle_us(umpire_cpu, outcome.completed);
    result["player_signing_cpu_us_per_lifecycle"] = per_lifecycle_us(connector.player_signing_cpu_seconds, outcome.completed);
    if (outcome.errors == 0) audit = load.audit();
  }
  result["completed"] = outcome.completed;
  result["errors"] = outcome.errors;
  if (!outcome.first_error.empty()) result["first_error"] = outcome.first_error;
  result["seconds"] = outcome.seconds;
  result["lifecycles_per_s"] = outcome.seconds > 0 ? static_cast<double>(outcome.completed) / outcome.seconds : 0.0;
  result["devnode_cpu_seconds"] = devnode_cpu;
  result["devnode_cpu_us_per_lifecycle"] = per_lifecycle_us(devnode_cpu, outcome.completed);
  result["devnode_cpu_share"] = outcome.seconds > 0 ? devnode_cpu / outcome.seconds : 0.0;  // 1.0 = one core saturated
  result["load_process_cpu_us_per_lifecycle"] = per_lifecycle_us(load_cpu, outcome.completed);
  result["audit_balanced"] = audit.is_object() && audit.value("balanced", false);
  result["clean_shutdown"] = devnode.stop();
  if (settings.work_dir.empty()) fs::remove_all(dir);
  return result;
}

ReportInputs parse_report_inputs(const std::vector<std::string>& args) {
  ReportInputs inputs;
  for (std::size_t i = 0; i + 1 < args.size(); i += 2) {
    const auto& flag = args[i];
    const auto& value = args[i + 1];
    if (flag == "--runs") inputs.runs = value;
    else if (flag == "--json") inputs.json_out = value;
    else if (flag == "--markdown") inputs.markdown_out = value;
    else if (flag == "--date") inputs.date = value;
    else if (flag == "--commit") inputs.commit = value;
    else if (flag == "--dirty") inputs.dirty = value == "1";
    else if (flag == "--notes") inputs.notes = value;
    else throw std::invalid_argument("unknown report option " + flag);
  }
  if (args.size() % 2 != 0 || inputs.runs.empty() || inputs.json_out.empty() || inputs.markdown_out.empty()) {
    throw std::invalid_argument("report needs --runs, --json and --markdown");
  }
  return inputs;
}

int report_command(const std::vector<std::string>& args) {
  try {
    write_devnode_report(parse_report_inputs(args));
    return 0;
  } catch (const std::invalid_argument& error) {
    std::cerr << "umpire_devnode_bench: " << error.what() << "\n" << kUsage;
    return 2;
  } catch (const std::exception& error) {
    std::cerr << "umpire_devnode_bench report: " << error.what() << "\n";
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "report") return report_command(std::vector<std::string>(argv + 2, argv + argc));
  Settings settings;
  try {
    settings = parse_settings(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::exception& error) {
    if (*error.what()) std::cerr << "umpire_devnode_bench: " << error.what() << "\n";
    std::cerr << kUsage;
    return 2;
  }
  try {
    const Json result = measure(settings);
    std::cout << result.dump() << std::endl;
    const bool ok = result["errors"] == 0 && result["completed"] == settings.lifecycles && result["audit_balanced"] == true;
    if (!ok) std::cerr << "umpire_devnode_bench: the run failed: " << result.dump(2) << "\n";
    return ok ? 0 : 1;
  } catch (const std::exception& error) {
    std::cerr << "umpire_devnode_bench: " << error.what() << "\n";
    return 1;
  }
}
