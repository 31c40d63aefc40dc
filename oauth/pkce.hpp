#pragma once

// Proof Key for Code Exchange (RFC 7636) and the other one-time values of an authorization
// request. Every random byte comes from OpenSSL's CSPRNG.

#include <cstddef>
#include <string>
#include <string_view>

#include "core/secret.hpp"

namespace vegha::oauth {

// The verifier stays with the broker until the code is exchanged; the challenge travels in
// the authorization request, where anyone on the path may read it (RFC 7636 §4.2).
struct Pkce {
    Secret verifier;
    std::string challenge;
    std::string method = "S256";
};

inline constexpr std::size_t kMinVerifierLength = 43;   // RFC 7636 §4.1
inline constexpr std::size_t kMaxVerifierLength = 128;  // RFC 7636 §4.1

// A fresh verifier of `verifier_length` characters drawn uniformly from the base64url
// alphabet (a subset of the unreserved characters, 6 bits of entropy each), with its S256
// challenge. Throws std::invalid_argument for a length outside 43..128 (a caller's bug) and
// std::runtime_error when the CSPRNG fails. Thread-safe.
Pkce make_pkce(std::size_t verifier_length = 64);

// BASE64URL(SHA256(ASCII(verifier))) without padding (RFC 7636 §4.2).
std::string s256_challenge(std::string_view verifier);

// True when `verifier` matches code-verifier = 43*128unreserved (RFC 7636 §4.1).
bool is_valid_verifier(std::string_view verifier);

// An unguessable `state` for one authorization request: 256 bits from the CSPRNG,
// base64url-encoded (RFC 6749 §10.12 asks for a value an attacker cannot guess). Throws
// std::runtime_error when the CSPRNG fails.
std::string random_state();

// base64url without padding (RFC 4648 §5, RFC 7636 Appendix A).
std::string base64url_encode(std::string_view bytes);

// Compares two strings in time that depends only on their lengths, for values such as
// `state` that an attacker may probe one byte at a time.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace vegha::oauth
