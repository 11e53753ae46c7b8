// bench/crypto_reference.hpp — what one secp256k1 signature and one recovery cost on a given core right now, measured
// next to each benchmark run: most of a lifecycle's CPU is these operations, so they calibrate the figures on a
// shared, noisy machine (a devnode lifecycle can be read as "so many recoveries' worth").
#pragma once

#include <optional>

namespace umpire::bench {

struct CryptoReference {
  double sign_us = 0;     // PrivateKey::sign_digest (RFC 6979, recoverable)
  double recover_us = 0;  // try_recover_address (public-key recovery, then Keccak of the key)
};

// Runs on `cpu` when given (the calling thread is pinned there for the measurement, then back to `restore_cpu`).
CryptoReference measure_crypto_reference(std::optional<int> cpu, std::optional<int> restore_cpu);

double load_average_1m();  // /proc/loadavg

}  // namespace umpire::bench
