#include "core/secret.hpp"

#include <gtest/gtest.h>

#include <concepts>
#include <ostream>
#include <string>
#include <utility>

namespace vegha {
namespace {

template <class T>
concept Streamable = requires(std::ostream& os, const T& value) {
    os << value;
};

// The whole point of the type: printing a secret must not compile.
static_assert(Streamable<std::string>, "the detection itself must work");
static_assert(!Streamable<Secret>, "a Secret must not be streamable");
static_assert(!std::convertible_to<Secret, std::string>);
static_assert(!std::convertible_to<Secret, std::string_view>);
static_assert(!std::convertible_to<std::string, Secret>, "construction must be explicit");

bool is_lower_hex(std::string_view text) {
    return text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

TEST(Secret, RevealsExactlyTheValueItWasGiven) {
    const Secret secret(std::string("s3cr3t-value"));

    EXPECT_EQ(secret.reveal(), "s3cr3t-value");
    EXPECT_EQ(secret.size(), 12u);
    EXPECT_FALSE(secret.empty());
}

TEST(Secret, IsEmptyWhenDefaultConstructed) {
    const Secret secret;

    EXPECT_TRUE(secret.empty());
    EXPECT_EQ(secret.reveal(), "");
}

TEST(Secret, ComparesEqualOnlyForTheSameBytes) {
    EXPECT_EQ(Secret(std::string_view("abc")), Secret(std::string("abc")));
    EXPECT_FALSE(Secret(std::string_view("abc")) == Secret(std::string_view("abd")));
    EXPECT_FALSE(Secret(std::string_view("abc")) == Secret(std::string_view("abcd")));
    EXPECT_EQ(Secret(), Secret(std::string_view("")));
}

TEST(Secret, FingerprintIsEightLowercaseHexDigits) {
    const std::string fingerprint = Secret(std::string_view("token-value")).fingerprint();

    EXPECT_EQ(fingerprint.size(), 8u);
    EXPECT_TRUE(is_lower_hex(fingerprint)) << fingerprint;
}

TEST(Secret, FingerprintIsTheStartOfTheSha256OfTheValue) {
    // SHA-256("abc") begins ba7816bf (FIPS 180-2, appendix B.1).
    EXPECT_EQ(Secret(std::string_view("abc")).fingerprint(), "ba7816bf");
}

TEST(Secret, FingerprintIsStableForOneValueAndDiffersForAnother) {
    const Secret a(std::string_view("first-token"));
    const Secret b(std::string_view("second-token"));

    EXPECT_EQ(a.fingerprint(), Secret(std::string_view("first-token")).fingerprint());
    EXPECT_NE(a.fingerprint(), b.fingerprint());
}

TEST(Secret, FingerprintDoesNotContainTheValue) {
    const Secret secret(std::string_view("abcdef12"));

    EXPECT_NE(secret.fingerprint(), "abcdef12");
}

TEST(Secret, MoveConstructionLeavesTheSourceEmpty) {
    Secret source(std::string(64, 'x'));
    const Secret target(std::move(source));

    EXPECT_EQ(target.reveal(), std::string(64, 'x'));
    EXPECT_TRUE(source.empty());  // NOLINT(bugprone-use-after-move): the contract under test
}

TEST(Secret, MoveAssignmentLeavesTheSourceEmptyAndReplacesTheTarget) {
    Secret source(std::string_view("new-value"));
    Secret target(std::string_view("old-value"));

    target = std::move(source);

    EXPECT_EQ(target.reveal(), "new-value");
    EXPECT_TRUE(source.empty());  // NOLINT(bugprone-use-after-move)
}

TEST(Secret, CopyKeepsBothValues) {
    const Secret original(std::string_view("shared"));
    Secret copy(std::string_view("something else entirely, longer than the inline buffer"));

    copy = original;

    EXPECT_EQ(copy, original);
    EXPECT_EQ(original.reveal(), "shared");
}

TEST(Secret, SelfAssignmentKeepsTheValue) {
    Secret secret(std::string_view("keep-me"));
    const Secret& alias = secret;

    secret = alias;

    EXPECT_EQ(secret.reveal(), "keep-me");
}

#if defined(__GLIBCXX__)
// A moved-from std::string has size 0 but keeps a short value's bytes in its inline (SSO)
// buffer; passwords are typically short enough to live there, so wiping size() bytes is
// not enough. This test looks at libstdc++'s inline
// buffer (15 chars) directly, so it only runs with libstdc++.
TEST(Secret, MoveConstructionWipesTheSourcesInlineBuffer) {
    Secret source(std::string_view("hunter2hunter2"));  // 14 chars: stored inline
    const Secret target(std::move(source));
    ASSERT_EQ(target.reveal(), "hunter2hunter2");

    // NOLINTNEXTLINE(bugprone-use-after-move): inspecting what the move left behind
    const std::string_view inline_buffer(source.reveal().data(), 14);

    EXPECT_EQ(inline_buffer.find("unter2"), std::string_view::npos)
        << "the moved-from Secret still holds the secret's bytes";
}
#endif

}  // namespace
}  // namespace vegha
