#include "store/secret_service/transfer_session.hpp"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

namespace vegha::store::secret_service {
namespace {

constexpr std::size_t kPrimeBytes = 128;
constexpr std::size_t kAesKeyBytes = 16;
constexpr std::size_t kIvBytes = 16;

struct BnDeleter {
    void operator()(BIGNUM* bn) const { BN_clear_free(bn); }
};
using Bn = std::unique_ptr<BIGNUM, BnDeleter>;

struct CtxDeleter {
    void operator()(BN_CTX* ctx) const { BN_CTX_free(ctx); }
};

Error dh_failure(std::string_view what) {
    return make_error(Errc::kInternal, "Secret Service transfer session: " + std::string(what));
}

Error bad_peer(std::string_view what) {
    return make_error(Errc::kKeystoreUnavailable,
                      "the Secret Service provider sent " + std::string(what));
}

// RFC 5869 with the salt left unset, which is the same as HashLen zero bytes (§2.2).
bool hkdf_sha256(const unsigned char* ikm, std::size_t ikm_len, std::string& out) {
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
        EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr), &EVP_PKEY_CTX_free);
    std::size_t len = out.size();
    return ctx && EVP_PKEY_derive_init(ctx.get()) == 1 &&
           EVP_PKEY_CTX_set_hkdf_md(ctx.get(), EVP_sha256()) == 1 &&
           EVP_PKEY_CTX_set1_hkdf_key(ctx.get(), ikm, static_cast<int>(ikm_len)) == 1 &&
           EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len) == 1 &&
           len == out.size();
}

}  // namespace

struct DhTransfer::Numbers {
    Bn prime;
    Bn exponent;
    Bn public_value;
};

DhTransfer::DhTransfer(std::unique_ptr<Numbers> numbers) : numbers_(std::move(numbers)) {}
DhTransfer::DhTransfer(DhTransfer&&) noexcept = default;
DhTransfer& DhTransfer::operator=(DhTransfer&&) noexcept = default;

DhTransfer::~DhTransfer() {
    OPENSSL_cleanse(aes_key_.data(), aes_key_.size());
}

Result<DhTransfer> DhTransfer::generate() {
    auto n = std::make_unique<Numbers>();
    std::unique_ptr<BN_CTX, CtxDeleter> ctx(BN_CTX_new());
    Bn generator(BN_new());
    n->prime.reset(BN_get_rfc2409_prime_1024(nullptr));
    n->exponent.reset(BN_secure_new());
    n->public_value.reset(BN_new());
    if (!ctx || !generator || !n->prime || !n->exponent || !n->public_value ||
        BN_set_word(generator.get(), 2) != 1) {
        return dh_failure("out of memory");
    }

    // A private exponent uniform in [2, p-2].
    Bn range(BN_dup(n->prime.get()));
    if (!range || BN_sub_word(range.get(), 3) != 1 ||
        BN_priv_rand_range(n->exponent.get(), range.get()) != 1 ||
        BN_add_word(n->exponent.get(), 2) != 1 ||
        BN_mod_exp(n->public_value.get(), generator.get(), n->exponent.get(), n->prime.get(),
                   ctx.get()) != 1) {
        return dh_failure("cannot generate a key pair");
    }
    return DhTransfer(std::move(n));
}

Bytes DhTransfer::public_value() const {
    Bytes out(static_cast<std::size_t>(BN_num_bytes(numbers_->public_value.get())));
    BN_bn2bin(numbers_->public_value.get(), out.data());
    return out;
}

Result<void> DhTransfer::derive(const Bytes& peer_public) {
    if (peer_public.empty() || peer_public.size() > kPrimeBytes) {
        return bad_peer("a public value of the wrong size");
    }
    std::unique_ptr<BN_CTX, CtxDeleter> ctx(BN_CTX_new());
    Bn peer(BN_bin2bn(peer_public.data(), static_cast<int>(peer_public.size()), nullptr));
    Bn upper(BN_dup(numbers_->prime.get()));
    Bn shared(BN_secure_new());
    if (!ctx || !peer || !upper || !shared || BN_sub_word(upper.get(), 1) != 1) {
        return dh_failure("out of memory");
    }
    // 0, 1 and p-1 (and anything not below p) pin the shared value to a known small set.
    if (BN_cmp(peer.get(), BN_value_one()) <= 0 || BN_cmp(peer.get(), upper.get()) >= 0) {
        return bad_peer("a degenerate public value");
    }
    if (BN_mod_exp(shared.get(), peer.get(), numbers_->exponent.get(), numbers_->prime.get(),
                   ctx.get()) != 1) {
        return dh_failure("cannot compute the shared value");
    }

    std::string padded(kPrimeBytes, '\0');
    auto* padded_bytes = reinterpret_cast<unsigned char*>(padded.data());
    aes_key_.assign(kAesKeyBytes, '\0');
    const bool ok = BN_bn2binpad(shared.get(), padded_bytes, static_cast<int>(kPrimeBytes)) ==
                        static_cast<int>(kPrimeBytes) &&
                    hkdf_sha256(padded_bytes, padded.size(), aes_key_);
    OPENSSL_cleanse(padded.data(), padded.size());
    if (!ok) {
        aes_key_.clear();
        return dh_failure("cannot derive the session key");
    }
    return {};
}

Result<Bytes> DhTransfer::encrypt(std::string_view plaintext, Bytes& iv) const {
    if (aes_key_.size() != kAesKeyBytes) {
        return dh_failure("no session key yet");
    }
    iv.assign(kIvBytes, 0);
    if (RAND_bytes(iv.data(), static_cast<int>(iv.size())) != 1) {
        return dh_failure("the system random generator failed");
    }
    std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                        &EVP_CIPHER_CTX_free);
    Bytes out(plaintext.size() + kIvBytes);
    int n = 0;
    int tail = 0;
    const auto* key = reinterpret_cast<const unsigned char*>(aes_key_.data());
    if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_cbc(), nullptr, key, iv.data()) != 1 ||
        EVP_EncryptUpdate(ctx.get(), out.data(), &n,
                          reinterpret_cast<const unsigned char*>(plaintext.data()),
                          static_cast<int>(plaintext.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx.get(), out.data() + n, &tail) != 1) {
        return dh_failure("encryption failed");
    }
    out.resize(static_cast<std::size_t>(n + tail));
    return out;
}

Result<Secret> DhTransfer::decrypt(const Bytes& iv, const Bytes& ciphertext) const {
    if (aes_key_.size() != kAesKeyBytes) {
        return dh_failure("no session key yet");
    }
    if (iv.size() != kIvBytes || ciphertext.empty() || ciphertext.size() % kIvBytes != 0) {
        return bad_peer("an encrypted secret of the wrong shape");
    }
    std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                        &EVP_CIPHER_CTX_free);
    std::string out(ciphertext.size(), '\0');
    auto* out_bytes = reinterpret_cast<unsigned char*>(out.data());
    int n = 0;
    int tail = 0;
    const auto* key = reinterpret_cast<const unsigned char*>(aes_key_.data());
    if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_128_cbc(), nullptr, key, iv.data()) != 1 ||
        EVP_DecryptUpdate(ctx.get(), out_bytes, &n, ciphertext.data(),
                          static_cast<int>(ciphertext.size())) != 1 ||
        EVP_DecryptFinal_ex(ctx.get(), out_bytes + n, &tail) != 1) {
        OPENSSL_cleanse(out.data(), out.size());
        return bad_peer("a secret that does not decrypt under the session key");
    }
    out.resize(static_cast<std::size_t>(n + tail));
    return Secret(std::move(out));
}

}  // namespace vegha::store::secret_service
