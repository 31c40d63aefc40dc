#include "oauth/pkce.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>
#include <cstdint>
#include <stdexcept>

namespace vegha::oauth {
namespace {

constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Random bytes for a secret; the caller wipes them (Secret does, once they are moved in).
std::string random_bytes(std::size_t count) {
    std::string bytes(count, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(count)) != 1) {
        throw std::runtime_error("the system's random number generator failed");
    }
    return bytes;
}

bool is_unreserved(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() * 4 + 2) / 3);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const auto n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
                       static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                       static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 2]));
        out += kBase64Url[(n >> 18) & 63];
        out += kBase64Url[(n >> 12) & 63];
        out += kBase64Url[(n >> 6) & 63];
        out += kBase64Url[n & 63];
    }

    const std::size_t rest = bytes.size() - i;
    if (rest > 0) {
        auto n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
        if (rest == 2) {
            n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
        }
        out += kBase64Url[(n >> 18) & 63];
        out += kBase64Url[(n >> 12) & 63];
        if (rest == 2) {
            out += kBase64Url[(n >> 6) & 63];
        }
    }
    return out;
}

std::string s256_challenge(std::string_view verifier) {
    std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
    SHA256(reinterpret_cast<const unsigned char*>(verifier.data()), verifier.size(), digest.data());
    return base64url_encode(
        std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

bool is_valid_verifier(std::string_view verifier) {
    if (verifier.size() < kMinVerifierLength || verifier.size() > kMaxVerifierLength) {
        return false;
    }
    for (const char c : verifier) {
        if (!is_unreserved(c)) {
            return false;
        }
    }
    return true;
}

Pkce make_pkce(std::size_t verifier_length) {
    if (verifier_length < kMinVerifierLength || verifier_length > kMaxVerifierLength) {
        throw std::invalid_argument("a PKCE verifier must be 43 to 128 characters long");
    }

    // Every base64url character of whole input bytes carries six random bits, so encoding a
    // few bytes more than needed and cutting to length keeps the draw uniform (no modulo
    // bias, no zero padding bits in the kept part).
    std::string bytes = random_bytes(verifier_length * 3 / 4 + 3);
    std::string encoded = base64url_encode(bytes);
    OPENSSL_cleanse(bytes.data(), bytes.size());
    OPENSSL_cleanse(encoded.data() + verifier_length, encoded.size() - verifier_length);
    encoded.resize(verifier_length);

    Pkce pkce;
    pkce.challenge = s256_challenge(encoded);
    pkce.verifier = Secret(std::move(encoded));
    return pkce;
}

std::string random_state() {
    std::string bytes = random_bytes(32);
    std::string state = base64url_encode(bytes);
    OPENSSL_cleanse(bytes.data(), bytes.size());
    return state;
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
    // The length of a state is no secret (ours is always 43 characters); only the bytes
    // are compared without an early exit.
    if (a.size() != b.size()) {
        return false;
    }
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace vegha::oauth
