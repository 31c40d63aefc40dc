#pragma once

// The sealed file's byte layout, kept apart from any file or keystore so every platform
// shares it:
//
//   magic "VEGHASB" | format version (1 byte, 1) | nonce (12) | AES-256-GCM ciphertext | tag (16)
//
// The magic and version are the associated data, so a file cannot be relabelled as another
// version without the tag failing. Each seal draws a fresh random nonce; with one data key per
// user and one seal per grant change, the 2^32 random-nonce bound (NIST SP 800-38D §8.3) is
// out of reach.

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace vegha::store {

inline constexpr std::string_view kSealedMagic = "VEGHASB";
inline constexpr unsigned char kSealedFormatVersion = 1;

// Seals `plaintext` under the 32-byte `key`. kInternal only if the platform crypto fails.
Result<std::string> seal_box(std::string_view key, std::string_view plaintext);

// Opens what seal_box() produced. kStoreFailed: not a sealed box, an unknown format version,
// or a tag that does not verify (tampered, truncated, or sealed under another key).
Result<std::string> open_box(std::string_view key, std::string_view box);

}  // namespace vegha::store
