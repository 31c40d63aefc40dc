#pragma once

// The three operations Secret needs from a crypto library, kept apart so that a build
// without OpenSSL (the Windows store test under Wine) supplies its own and shares the rest
// of core/secret.cpp.

#include <cstddef>
#include <string>
#include <string_view>

namespace vegha::detail {

// Zeroes `size` bytes in a way the compiler may not optimise away.
void secure_wipe(void* data, std::size_t size) noexcept;

// The 32-byte SHA-256 digest of `data`.
std::string sha256(std::string_view data);

// Compares without an early exit, so timing says nothing about where two values differ.
bool constant_time_equal(const void* a, const void* b, std::size_t size) noexcept;

}  // namespace vegha::detail
