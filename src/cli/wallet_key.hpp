// cli/wallet_key.hpp — where `serve` gets the referee wallet key: a systemd credential ($CREDENTIALS_DIRECTORY/NAME),
// a key file, or in dev mode a key generated once into the state directory. Errors name the source, never the key.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "crypto/private_key.hpp"

namespace umpire::cli {

struct WalletKeySource {
  std::optional<std::string> credential_name;            // LoadCredential= name
  std::optional<std::filesystem::path> key_file;
  std::optional<std::filesystem::path> generate_into;    // dev mode: created (0600) if absent, reused after
};

struct LoadedWalletKey {
  crypto::PrivateKey key;
  std::string description;  // e.g. "systemd credential wallet.key" — for the log line, never the key itself
};

// The first source that is set wins, in the order credential, file, generated. Throws std::runtime_error.
LoadedWalletKey load_wallet_key(const WalletKeySource& source);

}  // namespace umpire::cli
