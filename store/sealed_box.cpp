#include "store/sealed_box.hpp"

#include "store/crypto.hpp"

namespace vegha::store {
namespace {

std::string header() {
    std::string h(kSealedMagic);
    h.push_back(static_cast<char>(kSealedFormatVersion));
    return h;
}

}  // namespace

Result<std::string> seal_box(std::string_view key, std::string_view plaintext) {
    auto nonce = crypto::random_bytes(crypto::kNonceBytes);
    if (!nonce) {
        return nonce.error();
    }
    auto aad = header();
    auto sealed = crypto::seal(key, *nonce, aad, plaintext);
    if (!sealed) {
        return sealed.error();
    }
    return aad + *nonce + *sealed;
}

Result<std::string> open_box(std::string_view key, std::string_view box) {
    const auto aad = header();
    if (box.size() < aad.size() + crypto::kNonceBytes + crypto::kTagBytes ||
        box.substr(0, kSealedMagic.size()) != kSealedMagic) {
        return make_error(Errc::kStoreFailed, "not a sealed grants file");
    }
    const auto version = static_cast<unsigned char>(box[kSealedMagic.size()]);
    if (version != kSealedFormatVersion) {
        return make_error(Errc::kStoreFailed, "sealed grants file has unknown format version " +
                                                  std::to_string(version));
    }
    const auto nonce = box.substr(aad.size(), crypto::kNonceBytes);
    return crypto::open(key, nonce, aad, box.substr(aad.size() + crypto::kNonceBytes));
}

}  // namespace vegha::store
