// core/secret.cpp's out-of-line members for the Wine test build only: Debian has no mingw
// OpenSSL, so wiping and comparing use Windows calls here. The shipped Windows build links
// the real core/secret.cpp against its own OpenSSL.

#include "core/secret.hpp"

// clang-format off
#include <windows.h>
// clang-format on

#include "store/crypto.hpp"

namespace vegha {

Secret::Secret(std::string value) : value_(std::move(value)) {
    SecureZeroMemory(value.data(), value.capacity());
}

Secret::Secret(Secret&& other) noexcept : value_(std::move(other.value_)) {
    other.wipe();
}

Secret& Secret::operator=(const Secret& other) {
    if (this != &other) {
        wipe();
        value_ = other.value_;
    }
    return *this;
}

Secret& Secret::operator=(Secret&& other) noexcept {
    if (this != &other) {
        wipe();
        value_ = std::move(other.value_);
        other.wipe();
    }
    return *this;
}

Secret::~Secret() {
    wipe();
}

void Secret::wipe() noexcept {
    SecureZeroMemory(value_.data(), value_.capacity());
    value_.clear();
}

std::string Secret::fingerprint() const {
    const auto digest = store::crypto::sha256(value_);
    std::string hex;
    for (std::size_t i = 0; i < 4 && i < digest.size(); ++i) {
        hex += "0123456789abcdef"[static_cast<unsigned char>(digest[i]) >> 4];
        hex += "0123456789abcdef"[static_cast<unsigned char>(digest[i]) & 0x0f];
    }
    return hex;
}

bool operator==(const Secret& a, const Secret& b) noexcept {
    if (a.value_.size() != b.value_.size()) {
        return false;
    }
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.value_.size(); ++i) {
        diff |= static_cast<unsigned char>(a.value_[i] ^ b.value_[i]);
    }
    return diff == 0;
}

}  // namespace vegha
