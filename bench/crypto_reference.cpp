// bench/crypto_reference.cpp — a fixed number of signatures and recoveries timed with the thread's CPU clock.
#include "crypto_reference.hpp"

#include <fstream>

#include "crypto/keccak.hpp"
#include "crypto/private_key.hpp"
#include "devnode_process.hpp"

namespace umpire::bench {

CryptoReference measure_crypto_reference(std::optional<int> cpu, std::optional<int> restore_cpu) {
  constexpr int kOperations = 400;
  if (cpu) pin_this_process(*cpu);
  const auto key = crypto::PrivateKey::generate();
  auto digest = crypto::keccak256(std::string("umpire devnode bench"));
  std::vector<crypto::Signature> signatures;
  signatures.reserve(kOperations);
  CryptoReference reference;
  const double before_sign = thread_cpu_seconds();
  for (int i = 0; i < kOperations; ++i) {
    digest[0] = static_cast<std::uint8_t>(i);
    digest[1] = static_cast<std::uint8_t>(i >> 8);
    signatures.push_back(key.sign_digest(digest));
  }
  const double before_recover = thread_cpu_seconds();
  int recovered = 0;
  for (int i = 0; i < kOperations; ++i) {
    digest[0] = static_cast<std::uint8_t>(i);
    digest[1] = static_cast<std::uint8_t>(i >> 8);
    recovered += crypto::try_recover_address(digest, signatures[static_cast<std::size_t>(i)], crypto::HighS::accept) ? 1 : 0;
  }
  const double after = thread_cpu_seconds();
  if (restore_cpu) pin_this_process(*restore_cpu);
  if (recovered != kOperations) throw std::runtime_error("crypto reference: a signature did not recover");
  reference.sign_us = (before_recover - before_sign) * 1e6 / kOperations;
  reference.recover_us = (after - before_recover) * 1e6 / kOperations;
  return reference;
}

double load_average_1m() {
  std::ifstream in("/proc/loadavg");
  double value = 0;
  in >> value;
  return value;
}

}  // namespace umpire::bench
