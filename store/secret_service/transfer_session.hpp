#pragma once

// The client half of the Secret Service's encrypted transfer session,
// "dh-ietf1024-sha256-aes128-cbc-pkcs7" (Secret Service API, "Transfer of Secrets"):
// Diffie-Hellman over the 1024-bit MODP group of RFC 2409 §6.2 with generator 2, the shared
// value left-padded to the prime's 128 bytes, HKDF-SHA256 (RFC 5869) with no salt and no info
// giving a 16-byte AES key, then AES-128-CBC with PKCS#7 padding and a fresh IV per secret.
//
// The padding matters: hashing the shared value without its leading zero bytes would derive a
// different key about once in 256 sessions, a fault that would look random.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/secret.hpp"

namespace vegha::store::secret_service {

inline constexpr std::string_view kDhAlgorithm = "dh-ietf1024-sha256-aes128-cbc-pkcs7";
inline constexpr std::string_view kPlainAlgorithm = "plain";

using Bytes = std::vector<std::uint8_t>;

class DhTransfer {
public:
    // A fresh private exponent and its public value. kInternal if OpenSSL fails.
    static Result<DhTransfer> generate();

    DhTransfer(DhTransfer&&) noexcept;
    DhTransfer& operator=(DhTransfer&&) noexcept;
    ~DhTransfer();

    // Our public value, big-endian, for OpenSession's `input`.
    Bytes public_value() const;

    // Derives the AES key from the provider's public value (OpenSession's `output`). A value
    // outside 2..p-2 is refused (kKeystoreUnavailable): it would make the key guessable.
    Result<void> derive(const Bytes& peer_public);

    // AES-128-CBC/PKCS#7 under the derived key: encrypt() fills `iv` with a fresh random IV.
    Result<Bytes> encrypt(std::string_view plaintext, Bytes& iv) const;
    // A wrong IV length, bad padding or a decryption failure is kKeystoreUnavailable.
    Result<Secret> decrypt(const Bytes& iv, const Bytes& ciphertext) const;

private:
    struct Numbers;
    explicit DhTransfer(std::unique_ptr<Numbers> numbers);

    std::unique_ptr<Numbers> numbers_;
    std::string aes_key_;
};

}  // namespace vegha::store::secret_service
