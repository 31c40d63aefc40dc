#pragma once

// The broker's error vocabulary. Expected failures (bad configuration, a provider's refusal,
// a network fault, garbage from a peer) are values of type Error carried in a Result<T>;
// exceptions are kept for what should never happen.

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <string>
#include <string_view>
#include <system_error>

namespace vegha {

// Each code has a stable snake_case name that travels over IPC (see proto/PROTOCOL.md);
// names are never reused for a different meaning.
enum class Errc {
    kInvalidRequest = 1,    // a request the broker cannot act on (bad field type, bad value)
    kMissingField,          // a required profile or request field is absent
    kUnknownProfile,        // no profile by that name
    kUnsupportedGrant,      // grant type the broker does not implement
    kInsecureUrl,           // http:// to a host that is not loopback, or an unusable URL
    kIdpError,              // the provider answered with an OAuth error (RFC 6749 §5.2)
    kInvalidTokenResponse,  // the provider's answer is not a usable token response
    kNetwork,               // resolve, connect, read or write failed
    kTimeout,               // a deadline passed
    kTls,                   // TLS handshake or certificate verification failed
    kLoginRequired,         // only an interactive login can produce a token
    kUnsupportedVersion,    // protocol version the peer does not speak
    kUnknownOperation,      // protocol operation the peer does not know
    kMalformedFrame,        // a frame that is not a JSON object, or truncated
    kFrameTooLarge,         // a frame over the size cap
    kPermissionDenied,      // peer of another uid
    kDaemonUnavailable,     // client side: no daemon is listening
    kKeystoreLocked,        // the OS keystore is locked and no unlock prompt succeeded
    kKeystoreUnavailable,   // no usable OS keystore (no session bus, no provider, no answer)
    kStoreFailed,           // the sealed grant store cannot be read, verified or written
    kInternal,              // a bug; logged with detail, reported without
};

const boost::system::error_category& broker_category() noexcept;

inline boost::system::error_code make_error_code(Errc e) noexcept {
    return {static_cast<int>(e), broker_category()};
}

// The stable wire name of a code, such as "idp_error".
std::string_view errc_name(Errc e) noexcept;

// Inverse of errc_name; an unknown name maps to kInternal so a newer daemon's codes still
// surface as errors rather than as success.
Errc errc_from_name(std::string_view name) noexcept;

// An expected failure: a code for programs, a message for people, and when the provider
// refused, the provider's own `error` and `error_description` untouched.
struct Error {
    Errc code = Errc::kInternal;
    std::string message;
    std::string idp_error;
    std::string idp_error_description;
    unsigned http_status = 0;
};

inline Error make_error(Errc code, std::string message) {
    return Error{code, std::move(message), {}, {}, 0};
}

// Lets Result<T>::value() throw when misused on an error; the broker's own code checks
// results rather than calling value() on a failure.
[[noreturn]] void throw_exception_from_error(const Error& e, const boost::source_location& loc);

template <class T>
using Result = boost::system::result<T, Error>;

}  // namespace vegha

namespace boost::system {
template <>
struct is_error_code_enum<vegha::Errc> : std::true_type {};
}  // namespace boost::system
