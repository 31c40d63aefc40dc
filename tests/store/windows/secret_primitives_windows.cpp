// Secret's crypto primitives for the Wine test build only: Debian has no mingw OpenSSL, so
// they use Windows calls and the store's CNG digest. The shipped Windows build links
// core/secret_primitives_openssl.cpp against its own OpenSSL.

// clang-format off
#include <windows.h>
// clang-format on

#include "core/secret_primitives.hpp"
#include "store/crypto.hpp"

namespace vegha::detail {

void secure_wipe(void* data, std::size_t size) noexcept {
    SecureZeroMemory(data, size);
}

std::string sha256(std::string_view data) {
    return store::crypto::sha256(data);
}

bool constant_time_equal(const void* a, const void* b, std::size_t size) noexcept {
    const auto* x = static_cast<const unsigned char*>(a);
    const auto* y = static_cast<const unsigned char*>(b);
    unsigned char diff = 0;
    for (std::size_t i = 0; i < size; ++i) {
        diff |= static_cast<unsigned char>(x[i] ^ y[i]);
    }
    return diff == 0;
}

}  // namespace vegha::detail
