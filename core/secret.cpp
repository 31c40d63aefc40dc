#include "core/secret.hpp"

#include <cstdio>

#include "core/secret_primitives.hpp"

namespace vegha {

Secret::Secret(std::string value) : value_(std::move(value)) {
    // A short string lives inside the object, so moving it leaves the bytes behind.
    detail::secure_wipe(value.data(), value.capacity());
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
    detail::secure_wipe(value_.data(), value_.capacity());
    value_.clear();
}

std::string Secret::fingerprint() const {
    const std::string digest = detail::sha256(value_);
    std::string hex;
    for (std::size_t i = 0; i < 4 && i < digest.size(); ++i) {
        char byte[3];
        std::snprintf(byte, sizeof(byte), "%02x", static_cast<unsigned char>(digest[i]));
        hex += byte;
    }
    return hex;
}

bool operator==(const Secret& a, const Secret& b) noexcept {
    return a.value_.size() == b.value_.size() &&
           detail::constant_time_equal(a.value_.data(), b.value_.data(), a.value_.size());
}

}  // namespace vegha
