// cli/wallet_key.cpp — see the header.
#include "cli/wallet_key.hpp"

#include <cstdlib>
#include <stdexcept>

namespace umpire::cli {

LoadedWalletKey load_wallet_key(const WalletKeySource& source) {
  if (source.credential_name) {
    const char* directory = std::getenv("CREDENTIALS_DIRECTORY");
    if (!directory || !*directory) {
      throw std::runtime_error("wallet key credential '" + *source.credential_name +
                               "' configured but $CREDENTIALS_DIRECTORY is not set (is the unit's LoadCredential= "
                               "in place?)");
    }
    const auto path = std::filesystem::path(directory) / *source.credential_name;
    return {crypto::PrivateKey::load_file(path), "systemd credential " + *source.credential_name};
  }
  if (source.key_file) {
    return {crypto::PrivateKey::load_file(*source.key_file), "key file " + source.key_file->string()};
  }
  if (source.generate_into) {
    const auto& path = *source.generate_into;
    if (std::filesystem::exists(path)) return {crypto::PrivateKey::load_file(path), "dev key " + path.string()};
    std::filesystem::create_directories(path.parent_path());
    auto key = crypto::PrivateKey::generate();
    crypto::write_key_file(path, key);
    return {std::move(key), "dev key " + path.string() + " (new)"};
  }
  throw std::runtime_error("no wallet key configured: set clearnode.wallet_key_file or wallet_key_credential");
}

}  // namespace umpire::cli
