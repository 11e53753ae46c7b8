// cli/key_command.cpp — `umpire key new|address|sign|recover`: key management and signing for operators and tests.
// Signatures use the ClearNode RPC scheme (keccak256 of the raw bytes) or, with --personal, EIP-191.
#include <fstream>
#include <iostream>
#include <iterator>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "crypto/eth_messages.hpp"

namespace umpire::cli {
namespace {

using crypto::CryptoError;
using crypto::PrivateKey;

constexpr std::string_view kKeyUsage =
    "usage: umpire key new [--out FILE]\n"
    "       umpire key address (--key-file FILE | --key 0xHEX)\n"
    "       umpire key sign (--key-file FILE | --key 0xHEX) --data-file FILE [--personal]\n"
    "       umpire key recover --data-file FILE --sig 0xSIGNATURE [--personal]\n"
    "sign/recover hash the file's exact bytes with keccak256 (the ClearNode RPC scheme), or with --personal the\n"
    "EIP-191 personal_sign hash. --key puts the key in your shell history and process list; prefer --key-file.\n";

std::string read_data_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CryptoError("cannot read data file " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

PrivateKey load_key(const ParsedOptions& options) {
  const auto file = options.value("--key-file");
  const auto inline_key = options.value("--key");
  if (file && inline_key) throw UsageError("give --key-file or --key, not both");
  if (file) return PrivateKey::load_file(*file);
  if (inline_key) return PrivateKey::from_hex(*inline_key);
  throw UsageError("missing --key-file FILE (or --key 0xHEX)");
}

crypto::Hash32 data_hash(const ParsedOptions& options) {
  const std::string data = read_data_file(options.required("--data-file"));
  return options.flag("--personal") ? crypto::personal_message_hash(data) : crypto::rpc_payload_hash(data);
}

int key_new(const ParsedOptions& options, std::ostream& out) {
  const auto key = PrivateKey::generate();
  if (const auto path = options.value("--out")) {
    crypto::write_key_file(*path, key);
    out << key.address().checksum() << "\n";
  } else {
    // No file: the secret goes to stdout (for `> file` or a secret store), the address to the same stream after it.
    out << key.to_secret_hex() << "\n" << key.address().checksum() << "\n";
  }
  return 0;
}

int key_address(const ParsedOptions& options, std::ostream& out) {
  out << load_key(options).address().checksum() << "\n";
  return 0;
}

int key_sign(const ParsedOptions& options, std::ostream& out) {
  const auto key = load_key(options);
  out << key.sign_digest(data_hash(options)).to_hex() << "\n";
  return 0;
}

int key_recover(const ParsedOptions& options, std::ostream& out) {
  const auto signature = crypto::Signature::parse(options.required("--sig"));
  out << crypto::recover_address(data_hash(options), signature).checksum() << "\n";
  return 0;
}

}  // namespace

int run_key_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] == "--help" || args[0] == "help") {
    (args.empty() ? err : out) << kKeyUsage;
    return args.empty() ? 2 : 0;
  }
  const OptionSpec spec{{"--out", "--key-file", "--key", "--data-file", "--sig"}, {"--personal"}, {}};
  try {
    const std::string& action = args[0];
    const ParsedOptions options = parse_options(args, 1, spec);
    if (!options.positional().empty()) throw UsageError("unexpected argument " + options.positional().front());
    if (action == "new") return key_new(options, out);
    if (action == "address") return key_address(options, out);
    if (action == "sign") return key_sign(options, out);
    if (action == "recover") return key_recover(options, out);
    throw UsageError("unknown key action '" + action + "'");
  } catch (const UsageError& error) {
    err << "umpire key: " << error.what() << "\n" << kKeyUsage;
    return 2;
  } catch (const std::exception& error) {
    err << "umpire key: error: " << error.what() << "\n";
    return 1;
  }
}

}  // namespace umpire::cli
