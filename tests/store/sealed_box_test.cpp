#include "store/sealed_box.hpp"

#include <gtest/gtest.h>

#include "store/crypto.hpp"

namespace vegha::store {
namespace {

std::string key_of(char fill) {
    return std::string(crypto::kKeyBytes, fill);
}

TEST(SealedBox, OpensWhatItSealed) {
    auto box = seal_box(key_of('k'), "the grants");
    ASSERT_TRUE(box);

    auto plain = open_box(key_of('k'), *box);

    ASSERT_TRUE(plain) << plain.error().message;
    EXPECT_EQ(*plain, "the grants");
}

TEST(SealedBox, SealsTheSameTextDifferentlyEachTime) {
    auto a = seal_box(key_of('k'), "same");
    auto b = seal_box(key_of('k'), "same");
    ASSERT_TRUE(a && b);
    EXPECT_NE(*a, *b);
}

TEST(SealedBox, RefusesAnotherKey) {
    auto box = seal_box(key_of('k'), "the grants");
    ASSERT_TRUE(box);

    auto plain = open_box(key_of('x'), *box);

    ASSERT_FALSE(plain);
    EXPECT_EQ(plain.error().code, Errc::kStoreFailed);
}

TEST(SealedBox, RefusesEveryFlippedByte) {
    auto box = seal_box(key_of('k'), "the grants");
    ASSERT_TRUE(box);
    for (std::size_t i = 0; i < box->size(); ++i) {
        auto tampered = *box;
        tampered[i] = static_cast<char>(tampered[i] ^ 0x01);
        EXPECT_FALSE(open_box(key_of('k'), tampered)) << "byte " << i;
    }
}

TEST(SealedBox, NamesAnUnknownFormatVersion) {
    auto box = seal_box(key_of('k'), "the grants");
    ASSERT_TRUE(box);
    (*box)[kSealedMagic.size()] = 9;

    auto plain = open_box(key_of('k'), *box);

    ASSERT_FALSE(plain);
    EXPECT_NE(plain.error().message.find("version 9"), std::string::npos);
}

TEST(SealedBox, RefusesTruncatedAndForeignInput) {
    auto box = seal_box(key_of('k'), "the grants");
    ASSERT_TRUE(box);
    for (std::size_t size : {std::size_t{0}, std::size_t{5}, std::size_t{20}, box->size() - 1}) {
        EXPECT_FALSE(open_box(key_of('k'), box->substr(0, size))) << size;
    }
    EXPECT_FALSE(open_box(key_of('k'), "{\"v\":1,\"grants\":[]}"));
}

}  // namespace
}  // namespace vegha::store
