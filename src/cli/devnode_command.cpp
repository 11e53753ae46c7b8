// cli/devnode_command.cpp — `umpire devnode`: runs the local ClearNode v0.5.2 emulator until SIGINT/SIGTERM.
// Parses the command line into DevnodeOptions and prints the broker address and URL; the rest is src/devnode.
#include <boost/asio.hpp>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "devnode/devnode.hpp"

namespace umpire::cli {
namespace {

constexpr const char* kUsage =
    "usage: umpire devnode --listen HOST:PORT [--db FILE] [--fund 0xADDR=ASSET:AMOUNT ...]\n"
    "                      [--assets usdc:6,...] [--tls-cert FILE --tls-key FILE] [--broker-key-file FILE]\n";

boost::asio::ip::tcp::endpoint parse_listen(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) throw UsageError("--listen expects HOST:PORT, got '" + text + "'");
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  boost::system::error_code error;
  const auto address = boost::asio::ip::make_address(host.empty() ? "0.0.0.0" : host, error);
  const std::string port = text.substr(colon + 1);
  if (error || port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) > 65535) {
    throw UsageError("--listen expects HOST:PORT with a numeric host, got '" + text + "'");
  }
  return {address, static_cast<unsigned short>(std::stoul(port))};
}

}  // namespace

int run_devnode_command(const std::vector<std::string>& args) {
  devnode::DevnodeOptions options;
  try {
    OptionSpec spec;
    spec.valued = {"--listen", "--db", "--fund", "--assets", "--tls-cert", "--tls-key", "--broker-key-file"};
    spec.repeatable = {"--fund"};
    spec.flags = {"--help"};
    const ParsedOptions parsed = parse_options(args, 0, spec);
    if (parsed.flag("--help")) {
      std::cout << kUsage;
      return 0;
    }
    if (!parsed.positional().empty()) throw UsageError("unexpected argument " + parsed.positional().front());
    options.listen = parse_listen(parsed.required("--listen"));
    if (auto db = parsed.value("--db")) options.db_path = *db;
    if (auto assets = parsed.value("--assets")) options.assets = devnode::parse_asset_list(*assets);
    for (const auto& grant : parsed.values("--fund")) options.fund.push_back(devnode::parse_funding_grant(grant));
    if (auto cert = parsed.value("--tls-cert")) options.tls_cert = *cert;
    if (auto key = parsed.value("--tls-key")) options.tls_key = *key;
    if (options.tls_cert.has_value() != options.tls_key.has_value()) throw UsageError("give both --tls-cert and --tls-key");
    if (auto key_file = parsed.value("--broker-key-file")) options.broker_key = crypto::PrivateKey::load_file(*key_file);
  } catch (const UsageError& error) {
    std::cerr << "umpire devnode: " << error.what() << "\n" << kUsage;
    return 2;
  } catch (const std::invalid_argument& error) {
    std::cerr << "umpire devnode: " << error.what() << "\n" << kUsage;
    return 2;
  } catch (const std::exception& error) {
    std::cerr << "umpire devnode: " << error.what() << "\n";
    return 1;
  }

  try {
    const bool ephemeral_key = !options.broker_key.has_value() && !options.db_path;  // with --db it is kept there
    boost::asio::io_context io;
    devnode::Devnode node(io, std::move(options));
    node.start();
    std::cout << "umpire devnode: ClearNode v0.5.2 emulator\n"
              << "broker " << node.broker_address().checksum() << (ephemeral_key ? " (ephemeral key)" : "") << "\n"
              << "url " << node.url() << "\n"
              << std::flush;
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) {
      node.stop();
      io.stop();
    });
    io.run();
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "umpire devnode: " << error.what() << "\n";
    return 1;
  }
}

}  // namespace umpire::cli
