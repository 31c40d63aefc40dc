#include "oauth/pkce.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <stdexcept>
#include <string>

namespace vegha::oauth {
namespace {

// RFC 7636 §4.1: code-verifier = 43*128unreserved
const std::regex kVerifierGrammar("^[A-Za-z0-9._~-]{43,128}$");
// RFC 7636 §4.2: BASE64URL(SHA256) of 32 bytes is 43 characters, no padding.
const std::regex kChallengeGrammar("^[A-Za-z0-9_-]{43}$");

TEST(PkceTest, ComputesTheChallengeOfTheRfcAppendixBExample) {
    EXPECT_EQ(s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
              "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(PkceTest, EncodesTheRfcAppendixBOctetsAsItsVerifier) {
    const unsigned char octets[] = {116, 24,  223, 180, 151, 153, 224, 37,  79,  250, 96,
                                    125, 216, 173, 187, 186, 22,  212, 37,  77,  105, 214,
                                    191, 240, 91,  88,  5,   88,  83,  132, 141, 121};
    EXPECT_EQ(
        base64url_encode(std::string_view(reinterpret_cast<const char*>(octets), sizeof(octets))),
        "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
}

TEST(PkceTest, EncodesBase64UrlWithoutPadding) {
    EXPECT_EQ(base64url_encode(""), "");
    EXPECT_EQ(base64url_encode("f"), "Zg");
    EXPECT_EQ(base64url_encode("fo"), "Zm8");
    EXPECT_EQ(base64url_encode("foo"), "Zm9v");
    EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
}

TEST(PkceTest, TenThousandRandomVerifiersFollowTheGrammarAndMatchTheirChallenges) {
    std::set<std::string> seen;
    for (int i = 0; i < 10'000; ++i) {
        const std::size_t length = kMinVerifierLength + static_cast<std::size_t>(i) % 86;
        const Pkce pkce = make_pkce(length);
        const std::string verifier(pkce.verifier.reveal());

        ASSERT_EQ(verifier.size(), length);
        ASSERT_TRUE(std::regex_match(verifier, kVerifierGrammar)) << verifier;
        ASSERT_TRUE(is_valid_verifier(verifier));
        ASSERT_TRUE(std::regex_match(pkce.challenge, kChallengeGrammar)) << pkce.challenge;
        ASSERT_EQ(pkce.challenge, s256_challenge(verifier));
        ASSERT_EQ(pkce.method, "S256");
        seen.insert(verifier);
    }
    EXPECT_EQ(seen.size(), 10'000u);
}

TEST(PkceTest, DefaultVerifierHasSixtyFourCharacters) {
    EXPECT_EQ(make_pkce().verifier.size(), 64u);
}

TEST(PkceTest, RandomVerifiersUseTheWholeAlphabet) {
    std::set<char> characters;
    for (int i = 0; i < 200; ++i) {
        const Pkce pkce = make_pkce(128);
        for (const char c : pkce.verifier.reveal()) {
            characters.insert(c);
        }
    }
    EXPECT_EQ(characters.size(), 64u);
}

TEST(PkceTest, RefusesVerifierLengthsOutsideTheRfcRange) {
    EXPECT_THROW(make_pkce(42), std::invalid_argument);
    EXPECT_THROW(make_pkce(129), std::invalid_argument);
    EXPECT_NO_THROW(make_pkce(43));
    EXPECT_NO_THROW(make_pkce(128));
}

TEST(PkceTest, GrammarCheckRejectsReservedCharactersAndBadLengths) {
    EXPECT_FALSE(is_valid_verifier(std::string(42, 'a')));
    EXPECT_FALSE(is_valid_verifier(std::string(129, 'a')));
    EXPECT_FALSE(is_valid_verifier(std::string(42, 'a') + "+"));
    EXPECT_FALSE(is_valid_verifier(std::string(42, 'a') + "="));
    EXPECT_TRUE(is_valid_verifier(std::string(40, 'a') + ".~-"));
}

TEST(PkceTest, StatesAreLongRandomAndUrlSafe) {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        const std::string state = random_state();
        ASSERT_TRUE(std::regex_match(state, kChallengeGrammar)) << state;  // 256 bits
        seen.insert(state);
    }
    EXPECT_EQ(seen.size(), 1000u);
}

TEST(PkceTest, ConstantTimeEqualComparesWholeValues) {
    EXPECT_TRUE(constant_time_equal("abc", "abc"));
    EXPECT_FALSE(constant_time_equal("abc", "abd"));
    EXPECT_FALSE(constant_time_equal("abc", "abcd"));
    EXPECT_FALSE(constant_time_equal("", "a"));
    EXPECT_TRUE(constant_time_equal("", ""));
}

}  // namespace
}  // namespace vegha::oauth
