#pragma once

// A throwaway TLS identity for loopback tests: a fresh P-256 key and a self-signed
// certificate naming one IP address, made with OpenSSL in memory.

#include <string>
#include <string_view>

namespace vegha::test {

struct TlsIdentity {
    std::string certificate_pem;
    std::string private_key_pem;
};

// Valid from a minute ago for an hour, with subjectAltName IP:`ip_address`. Throws
// std::runtime_error if OpenSSL fails.
TlsIdentity make_self_signed_identity(std::string_view ip_address);

// The same for any subjectAltName, such as "DNS:idp.test".
TlsIdentity make_self_signed_identity_with(const std::string& subject_alt_name);

}  // namespace vegha::test
