#include "store/secret_service/transfer_session.hpp"

#include <gtest/gtest.h>

namespace vegha::store::secret_service {
namespace {

// RFC 2409 §6.2: the 1024-bit prime, big-endian; p-1 is a degenerate public value.
Bytes prime_minus_one() {
    Bytes p(128, 0xff);
    p.back() = 0xfe;
    return p;
}

TEST(DhTransfer, TwoSidesDeriveTheSameKey) {
    auto a = DhTransfer::generate();
    auto b = DhTransfer::generate();
    ASSERT_TRUE(a && b);
    ASSERT_TRUE(a->derive(b->public_value()));
    ASSERT_TRUE(b->derive(a->public_value()));

    Bytes iv;
    auto sealed = a->encrypt("the data key", iv);
    ASSERT_TRUE(sealed);
    auto opened = b->decrypt(iv, *sealed);

    ASSERT_TRUE(opened) << opened.error().message;
    EXPECT_EQ(opened->reveal(), "the data key");
    EXPECT_EQ(iv.size(), 16u);
    EXPECT_EQ(sealed->size() % 16, 0u);
}

TEST(DhTransfer, RefusesDegeneratePeerValues) {
    auto a = DhTransfer::generate();
    ASSERT_TRUE(a);
    for (const auto& peer : {Bytes{}, Bytes{0}, Bytes{1}, prime_minus_one(), Bytes(129, 1)}) {
        auto derived = a->derive(peer);
        ASSERT_FALSE(derived);
        EXPECT_EQ(derived.error().code, Errc::kKeystoreUnavailable);
    }
}

TEST(DhTransfer, ASecretUnderAnotherSessionKeyIsAnErrorNotGarbage) {
    auto a = DhTransfer::generate();
    auto b = DhTransfer::generate();
    auto c = DhTransfer::generate();
    ASSERT_TRUE(a && b && c);
    ASSERT_TRUE(a->derive(b->public_value()));
    ASSERT_TRUE(c->derive(b->public_value()));

    Bytes iv;
    auto sealed = a->encrypt("the data key", iv);
    ASSERT_TRUE(sealed);
    auto opened = c->decrypt(iv, *sealed);

    // CBC padding catches a wrong key almost always (about 1 in 256 passes by chance, so the
    // check is that what comes out is never the plaintext).
    EXPECT_TRUE(!opened || opened->reveal() != "the data key");
}

TEST(DhTransfer, RefusesMisshapenCiphertext) {
    auto a = DhTransfer::generate();
    auto b = DhTransfer::generate();
    ASSERT_TRUE(a && b && a->derive(b->public_value()));
    EXPECT_FALSE(a->decrypt(Bytes(15, 0), Bytes(16, 0)));
    EXPECT_FALSE(a->decrypt(Bytes(16, 0), Bytes(17, 0)));
    EXPECT_FALSE(a->decrypt(Bytes(16, 0), Bytes{}));
}

}  // namespace
}  // namespace vegha::store::secret_service
