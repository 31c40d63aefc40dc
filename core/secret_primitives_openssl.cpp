#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "core/secret_primitives.hpp"

namespace vegha::detail {

void secure_wipe(void* data, std::size_t size) noexcept {
    OPENSSL_cleanse(data, size);
}

std::string sha256(std::string_view data) {
    std::string digest(SHA256_DIGEST_LENGTH, '\0');
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
           reinterpret_cast<unsigned char*>(digest.data()));
    return digest;
}

bool constant_time_equal(const void* a, const void* b, std::size_t size) noexcept {
    return CRYPTO_memcmp(a, b, size) == 0;
}

}  // namespace vegha::detail
