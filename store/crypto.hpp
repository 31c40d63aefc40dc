#pragma once

// The few cryptographic primitives the store needs, behind one small interface so that the
// platform's own library can serve them: OpenSSL (crypto_openssl.cpp) on Linux and macOS,
// Windows CNG (windows/crypto_bcrypt.cpp) where OpenSSL is absent. Byte strings travel as
// std::string; none of these calls logs or keeps a copy of its inputs.

#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace vegha::store::crypto {

inline constexpr std::size_t kKeyBytes = 32;    // AES-256
inline constexpr std::size_t kNonceBytes = 12;  // GCM's 96-bit IV (NIST SP 800-38D §8.2.2)
inline constexpr std::size_t kTagBytes = 16;

// `count` bytes from the operating system's CSPRNG; kInternal if it fails.
Result<std::string> random_bytes(std::size_t count);

// AES-256-GCM. seal() returns ciphertext followed by the 16-byte tag; open() takes the same
// and returns the plaintext, or kStoreFailed when the tag does not verify (wrong key, or any
// byte of nonce, associated data or ciphertext changed).
Result<std::string> seal(std::string_view key, std::string_view nonce, std::string_view aad,
                         std::string_view plaintext);
Result<std::string> open(std::string_view key, std::string_view nonce, std::string_view aad,
                         std::string_view sealed);

// SHA-256 of `data`, 32 raw bytes.
std::string sha256(std::string_view data);

// Overwrites a buffer in a way the optimiser keeps.
void wipe(std::string& bytes) noexcept;

}  // namespace vegha::store::crypto
