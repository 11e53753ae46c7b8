// crypto/private_key.hpp — secp256k1 private keys: generate, load, sign. Key material never leaves this class
// except through to_secret_hex(), which exists only to write a key file; it lives in memory excluded from core
// dumps (MADV_DONTDUMP) and is wiped when the key is destroyed.
#pragma once

#include <filesystem>
#include <memory>

#include "crypto/signature.hpp"

namespace umpire::crypto {

class PrivateKey {
 public:
  // A fresh key from OpenSSL's CSPRNG.
  static PrivateKey generate();
  // 64 hex digits, optional 0x; surrounding whitespace (a trailing newline in a file) is ignored.
  static PrivateKey from_hex(std::string_view text);
  // Reads a key file as written by `umpire key new`. Errors name the file, never its content.
  static PrivateKey load_file(const std::filesystem::path& path);

  PrivateKey(PrivateKey&&) noexcept;
  PrivateKey& operator=(PrivateKey&&) noexcept;
  PrivateKey(const PrivateKey&) = delete;
  PrivateKey& operator=(const PrivateKey&) = delete;
  ~PrivateKey();

  const Address& address() const { return address_; }

  // RFC 6979 deterministic, low-s, v = 27/28.
  Signature sign_digest(const Hash32& digest) const;

  // 0x + 64 hex digits. Only for writing a key file; never log it.
  std::string to_secret_hex() const;

 private:
  struct Secret;  // page-aligned, MADV_DONTDUMP, wiped on destruction; holds the secp256k1 context too
  explicit PrivateKey(std::unique_ptr<Secret> secret);

  std::unique_ptr<Secret> secret_;
  Address address_;
};

// Writes `key` to `path` with mode 0600, refusing to overwrite an existing file.
void write_key_file(const std::filesystem::path& path, const PrivateKey& key);

}  // namespace umpire::crypto
