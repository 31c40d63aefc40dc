#include "core/secret.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <array>
#include <cstdio>

namespace vegha {

Secret::Secret(std::string value) : value_(std::move(value)) {
    // A short string lives inside the object, so moving it leaves the bytes behind.
    OPENSSL_cleanse(value.data(), value.capacity());
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
    // Clears the whole buffer, not just size() bytes: a moved-from short string has size 0
    // but keeps its old bytes inline. OPENSSL_cleanse is not optimised away.
    OPENSSL_cleanse(value_.data(), value_.capacity());
    value_.clear();
}

std::string Secret::fingerprint() const {
    std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
    SHA256(reinterpret_cast<const unsigned char*>(value_.data()), value_.size(), digest.data());
    std::array<char, 9> hex{};
    for (int i = 0; i < 4; ++i) {
        std::snprintf(&hex[static_cast<std::size_t>(i) * 2], 3, "%02x", digest[i]);
    }
    return std::string(hex.data(), 8);
}

bool operator==(const Secret& a, const Secret& b) noexcept {
    return a.value_.size() == b.value_.size() &&
           CRYPTO_memcmp(a.value_.data(), b.value_.data(), a.value_.size()) == 0;
}

}  // namespace vegha
