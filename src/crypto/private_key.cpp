// crypto/private_key.cpp — key generation, loading and signing. The secret sits in its own mmap'd page marked
// MADV_DONTDUMP (kept out of core dumps) and is wiped with OPENSSL_cleanse before the page is released.
#include "crypto/private_key.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <new>
#include <sstream>

namespace umpire::crypto {

struct PrivateKey::Secret {
  std::array<std::uint8_t, 32> key{};
  secp256k1_context* ctx = nullptr;  // a signing context, randomized against side channels

  static void* operator new(std::size_t size) {
    void* page = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) throw std::bad_alloc();
    madvise(page, size, MADV_DONTDUMP);
    return page;
  }
  static void operator delete(void* page, std::size_t size) { munmap(page, size); }

  Secret() {
    ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    std::array<std::uint8_t, 32> seed{};
    // Randomization only hardens against side channels; a failure leaves a context that still signs correctly.
    if (RAND_bytes(seed.data(), seed.size()) == 1 && !secp256k1_context_randomize(ctx, seed.data())) {
      seed.fill(0);
    }
    OPENSSL_cleanse(seed.data(), seed.size());
  }
  ~Secret() {
    OPENSSL_cleanse(key.data(), key.size());
    secp256k1_context_destroy(ctx);
  }
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
};

namespace {

Address address_of(const secp256k1_context* ctx, const std::array<std::uint8_t, 32>& key) {
  secp256k1_pubkey pubkey;
  if (!secp256k1_ec_pubkey_create(ctx, &pubkey, key.data())) throw CryptoError("private key is not valid");
  std::array<std::uint8_t, 65> uncompressed{};
  std::size_t length = uncompressed.size();
  secp256k1_ec_pubkey_serialize(ctx, uncompressed.data(), &length, &pubkey, SECP256K1_EC_UNCOMPRESSED);
  return Address::from_public_key(std::span<const std::uint8_t, 64>(uncompressed.data() + 1, 64));
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

PrivateKey::PrivateKey(std::unique_ptr<Secret> secret)
    : secret_(std::move(secret)), address_(address_of(secret_->ctx, secret_->key)) {}

PrivateKey::PrivateKey(PrivateKey&&) noexcept = default;
PrivateKey& PrivateKey::operator=(PrivateKey&&) noexcept = default;
PrivateKey::~PrivateKey() = default;

PrivateKey PrivateKey::generate() {
  auto secret = std::make_unique<Secret>();
  do {
    if (RAND_bytes(secret->key.data(), secret->key.size()) != 1) throw CryptoError("the system RNG failed");
  } while (!secp256k1_ec_seckey_verify(secret->ctx, secret->key.data()));
  return PrivateKey(std::move(secret));
}

PrivateKey PrivateKey::from_hex(std::string_view text) {
  text = trim(text);
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) text.remove_prefix(2);
  if (text.size() != 64) throw CryptoError("private key must be 64 hex digits, got " + std::to_string(text.size()));
  // Decoded straight into the protected page so that no copy of the secret lands on the heap.
  auto secret = std::make_unique<Secret>();
  for (std::size_t i = 0; i < 32; ++i) {
    const int hi = hex_digit(text[2 * i]);
    const int lo = hex_digit(text[2 * i + 1]);
    if (hi < 0 || lo < 0) throw CryptoError("private key has a non-hex character");
    secret->key[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  if (!secp256k1_ec_seckey_verify(secret->ctx, secret->key.data())) {
    throw CryptoError("private key is zero or not below the curve order");
  }
  return PrivateKey(std::move(secret));
}

PrivateKey PrivateKey::load_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CryptoError("cannot read key file " + path.string() + ": " + std::strerror(errno));
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  try {
    auto key = from_hex(content);
    OPENSSL_cleanse(content.data(), content.size());
    return key;
  } catch (const CryptoError& error) {
    OPENSSL_cleanse(content.data(), content.size());
    throw CryptoError("key file " + path.string() + ": " + error.what());
  }
}

Signature PrivateKey::sign_digest(const Hash32& digest) const {
  secp256k1_ecdsa_recoverable_signature raw;
  if (!secp256k1_ecdsa_sign_recoverable(secret_->ctx, &raw, digest.data(), secret_->key.data(), nullptr, nullptr)) {
    throw CryptoError("signing failed");
  }
  Signature signature;
  int recid = 0;
  secp256k1_ecdsa_recoverable_signature_serialize_compact(secret_->ctx, signature.bytes.data(), &recid, &raw);
  signature.bytes[64] = static_cast<std::uint8_t>(27 + recid);
  return signature;
}

std::string PrivateKey::to_secret_hex() const { return to_hex(secret_->key); }

void write_key_file(const std::filesystem::path& path, const PrivateKey& key) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw CryptoError("cannot create key file " + path.string() + ": " + std::strerror(errno));
  std::string text = key.to_secret_hex() + "\n";
  const ssize_t written = ::write(fd, text.data(), text.size());
  OPENSSL_cleanse(text.data(), text.size());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (written != static_cast<ssize_t>(text.size()) || !synced) {
    std::filesystem::remove(path);
    throw CryptoError("cannot write key file " + path.string());
  }
}

}  // namespace umpire::crypto
