#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <memory>

#include "store/crypto.hpp"

namespace vegha::store::crypto {
namespace {

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* bytes(std::string_view s) {
    return reinterpret_cast<const unsigned char*>(s.data());
}

unsigned char* bytes(std::string& s) {
    return reinterpret_cast<unsigned char*>(s.data());
}

Error failure(std::string_view what) {
    return make_error(Errc::kInternal, "AES-256-GCM: " + std::string(what));
}

bool sizes_ok(std::string_view key, std::string_view nonce) {
    return key.size() == kKeyBytes && nonce.size() == kNonceBytes;
}

}  // namespace

Result<std::string> random_bytes(std::size_t count) {
    std::string out(count, '\0');
    if (RAND_bytes(bytes(out), static_cast<int>(count)) != 1) {
        return make_error(Errc::kInternal, "the system random generator failed");
    }
    return out;
}

Result<std::string> seal(std::string_view key, std::string_view nonce, std::string_view aad,
                         std::string_view plaintext) {
    if (!sizes_ok(key, nonce)) {
        return failure("wrong key or nonce size");
    }
    CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    int n = 0;
    std::string out(plaintext.size() + kTagBytes, '\0');
    if (!ctx ||
        EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(key), bytes(nonce)) != 1 ||
        EVP_EncryptUpdate(ctx.get(), nullptr, &n, bytes(aad), static_cast<int>(aad.size())) != 1 ||
        EVP_EncryptUpdate(ctx.get(), bytes(out), &n, bytes(plaintext),
                          static_cast<int>(plaintext.size())) != 1) {
        return failure("encryption failed");
    }
    int tail = 0;
    if (EVP_EncryptFinal_ex(ctx.get(), bytes(out) + n, &tail) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes),
                            bytes(out) + plaintext.size()) != 1) {
        return failure("encryption failed");
    }
    return out;
}

Result<std::string> open(std::string_view key, std::string_view nonce, std::string_view aad,
                         std::string_view sealed) {
    if (!sizes_ok(key, nonce)) {
        return failure("wrong key or nonce size");
    }
    if (sealed.size() < kTagBytes) {
        return make_error(Errc::kStoreFailed, "sealed data is shorter than its tag");
    }
    const auto body = sealed.substr(0, sealed.size() - kTagBytes);
    std::string tag(sealed.substr(body.size()));

    CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    int n = 0;
    std::string out(body.size(), '\0');
    if (!ctx ||
        EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(key), bytes(nonce)) != 1 ||
        EVP_DecryptUpdate(ctx.get(), nullptr, &n, bytes(aad), static_cast<int>(aad.size())) != 1 ||
        EVP_DecryptUpdate(ctx.get(), bytes(out), &n, bytes(body), static_cast<int>(body.size())) !=
            1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes),
                            bytes(tag)) != 1) {
        wipe(out);
        return failure("decryption failed");
    }
    int tail = 0;
    if (EVP_DecryptFinal_ex(ctx.get(), bytes(out) + n, &tail) != 1) {
        wipe(out);
        return make_error(Errc::kStoreFailed, "sealed data does not verify with the data key");
    }
    return out;
}

std::string sha256(std::string_view data) {
    std::string digest(SHA256_DIGEST_LENGTH, '\0');
    SHA256(bytes(data), data.size(), bytes(digest));
    return digest;
}

void wipe(std::string& bytes_to_wipe) noexcept {
    OPENSSL_cleanse(bytes_to_wipe.data(), bytes_to_wipe.size());
    bytes_to_wipe.clear();
}

}  // namespace vegha::store::crypto
