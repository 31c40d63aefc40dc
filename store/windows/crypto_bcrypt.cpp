// store/crypto.hpp over Windows CNG (bcrypt.dll), for Windows builds without OpenSSL.

#include "store/crypto.hpp"

// clang-format off
#include <windows.h>
#include <bcrypt.h>
// clang-format on

#include <memory>

namespace vegha::store::crypto {
namespace {

struct AlgorithmCloser {
    void operator()(void* handle) const { BCryptCloseAlgorithmProvider(handle, 0); }
};
struct KeyDestroyer {
    void operator()(void* handle) const { BCryptDestroyKey(handle); }
};
struct HashDestroyer {
    void operator()(void* handle) const { BCryptDestroyHash(handle); }
};
using Algorithm = std::unique_ptr<void, AlgorithmCloser>;
using Key = std::unique_ptr<void, KeyDestroyer>;
using Hash = std::unique_ptr<void, HashDestroyer>;

PUCHAR bytes(std::string_view s) {
    return reinterpret_cast<PUCHAR>(const_cast<char*>(s.data()));
}

Error failure(std::string_view what, NTSTATUS status) {
    return make_error(Errc::kInternal, "AES-256-GCM (CNG): " + std::string(what) + ", status " +
                                           std::to_string(static_cast<unsigned long>(status)));
}

// An AES-GCM key object for `key`; status in `status` on failure.
Key gcm_key(std::string_view key, Algorithm& algorithm, NTSTATUS& status) {
    BCRYPT_ALG_HANDLE alg = nullptr;
    status = BCryptOpenAlgorithmProvider(&alg, BCRYPT_AES_ALGORITHM, nullptr, 0);
    if (!BCRYPT_SUCCESS(status)) {
        return Key();
    }
    algorithm.reset(alg);
    status =
        BCryptSetProperty(alg, BCRYPT_CHAINING_MODE,
                          reinterpret_cast<PUCHAR>(const_cast<wchar_t*>(BCRYPT_CHAIN_MODE_GCM)),
                          sizeof(BCRYPT_CHAIN_MODE_GCM), 0);
    if (!BCRYPT_SUCCESS(status)) {
        return Key();
    }
    BCRYPT_KEY_HANDLE handle = nullptr;
    status = BCryptGenerateSymmetricKey(alg, &handle, nullptr, 0, bytes(key),
                                        static_cast<ULONG>(key.size()), 0);
    return BCRYPT_SUCCESS(status) ? Key(handle) : Key();
}

BCRYPT_AUTHENTICATED_CIPHER_MODE_INFO mode_info(std::string_view nonce, std::string_view aad,
                                                PUCHAR tag) {
    BCRYPT_AUTHENTICATED_CIPHER_MODE_INFO info;
    BCRYPT_INIT_AUTH_MODE_INFO(info);
    info.pbNonce = bytes(nonce);
    info.cbNonce = static_cast<ULONG>(nonce.size());
    info.pbAuthData = aad.empty() ? nullptr : bytes(aad);
    info.cbAuthData = static_cast<ULONG>(aad.size());
    info.pbTag = tag;
    info.cbTag = static_cast<ULONG>(kTagBytes);
    return info;
}

}  // namespace

Result<std::string> random_bytes(std::size_t count) {
    std::string out(count, '\0');
    if (!BCRYPT_SUCCESS(BCryptGenRandom(nullptr, bytes(out), static_cast<ULONG>(count),
                                        BCRYPT_USE_SYSTEM_PREFERRED_RNG))) {
        return make_error(Errc::kInternal, "the system random generator failed");
    }
    return out;
}

Result<std::string> seal(std::string_view key, std::string_view nonce, std::string_view aad,
                         std::string_view plaintext) {
    if (key.size() != kKeyBytes || nonce.size() != kNonceBytes) {
        return failure("wrong key or nonce size", 0);
    }
    Algorithm algorithm;
    NTSTATUS status = 0;
    auto handle = gcm_key(key, algorithm, status);
    if (!handle) {
        return failure("cannot set up the key", status);
    }
    std::string out(plaintext.size() + kTagBytes, '\0');
    auto info = mode_info(nonce, aad, bytes(out) + plaintext.size());
    ULONG written = 0;
    status = BCryptEncrypt(handle.get(), plaintext.empty() ? nullptr : bytes(plaintext),
                           static_cast<ULONG>(plaintext.size()), &info, nullptr, 0,
                           plaintext.empty() ? nullptr : bytes(out),
                           static_cast<ULONG>(plaintext.size()), &written, 0);
    if (!BCRYPT_SUCCESS(status)) {
        return failure("encryption failed", status);
    }
    return out;
}

Result<std::string> open(std::string_view key, std::string_view nonce, std::string_view aad,
                         std::string_view sealed) {
    if (key.size() != kKeyBytes || nonce.size() != kNonceBytes) {
        return failure("wrong key or nonce size", 0);
    }
    if (sealed.size() < kTagBytes) {
        return make_error(Errc::kStoreFailed, "sealed data is shorter than its tag");
    }
    const auto body = sealed.substr(0, sealed.size() - kTagBytes);
    std::string tag(sealed.substr(body.size()));
    Algorithm algorithm;
    NTSTATUS status = 0;
    auto handle = gcm_key(key, algorithm, status);
    if (!handle) {
        return failure("cannot set up the key", status);
    }
    std::string out(body.size(), '\0');
    auto info = mode_info(nonce, aad, bytes(tag));
    ULONG written = 0;
    status = BCryptDecrypt(handle.get(), body.empty() ? nullptr : bytes(body),
                           static_cast<ULONG>(body.size()), &info, nullptr, 0,
                           body.empty() ? nullptr : bytes(out), static_cast<ULONG>(body.size()),
                           &written, 0);
    if (!BCRYPT_SUCCESS(status)) {
        wipe(out);
        return make_error(Errc::kStoreFailed, "sealed data does not verify with the data key");
    }
    return out;
}

std::string sha256(std::string_view data) {
    std::string digest(32, '\0');
    BCRYPT_ALG_HANDLE alg = nullptr;
    if (!BCRYPT_SUCCESS(BCryptOpenAlgorithmProvider(&alg, BCRYPT_SHA256_ALGORITHM, nullptr, 0))) {
        return {};
    }
    Algorithm algorithm(alg);
    BCRYPT_HASH_HANDLE handle = nullptr;
    if (!BCRYPT_SUCCESS(BCryptCreateHash(alg, &handle, nullptr, 0, nullptr, 0, 0))) {
        return {};
    }
    Hash hash(handle);
    if (!BCRYPT_SUCCESS(BCryptHashData(handle, bytes(data), static_cast<ULONG>(data.size()), 0)) ||
        !BCRYPT_SUCCESS(BCryptFinishHash(handle, bytes(digest), 32, 0))) {
        return {};
    }
    return digest;
}

void wipe(std::string& bytes_to_wipe) noexcept {
    SecureZeroMemory(bytes_to_wipe.data(), bytes_to_wipe.size());
    bytes_to_wipe.clear();
}

}  // namespace vegha::store::crypto
