// crypto/signer.hpp — the signing interface the rest of Umpire depends on, so that components never hold a
// PrivateKey themselves and tests can pass a fake. KeySigner is the in-process implementation.
#pragma once

#include "crypto/private_key.hpp"

namespace umpire::crypto {

class Signer {
 public:
  virtual ~Signer() = default;
  virtual const Address& address() const = 0;
  virtual Signature sign_digest(const Hash32& digest) const = 0;
};

class KeySigner final : public Signer {
 public:
  explicit KeySigner(PrivateKey key) : key_(std::move(key)) {}
  const Address& address() const override { return key_.address(); }
  Signature sign_digest(const Hash32& digest) const override { return key_.sign_digest(digest); }

 private:
  PrivateKey key_;
};

}  // namespace umpire::crypto
