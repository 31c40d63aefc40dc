#include "oauth/scope_set.hpp"

#include <gtest/gtest.h>

namespace vegha::oauth {
namespace {

using Items = std::vector<std::string>;

TEST(ScopeSet, SortsAndDeduplicatesItsScopes) {
    const ScopeSet scopes(Items{"write", "read", "write", "admin"});

    EXPECT_EQ(scopes.items(), (Items{"admin", "read", "write"}));
    EXPECT_EQ(scopes.to_string(), "admin read write");
}

TEST(ScopeSet, DropsEmptyScopes) {
    const ScopeSet scopes(Items{"", "read", ""});

    EXPECT_EQ(scopes.items(), Items{"read"});
}

TEST(ScopeSet, ParsesASpaceSeparatedStringToleratingRunsOfSpaces) {
    EXPECT_EQ(ScopeSet::parse("  b  a b "), ScopeSet(Items{"a", "b"}));
}

TEST(ScopeSet, IsEmptyForAnEmptyOrBlankString) {
    EXPECT_TRUE(ScopeSet::parse("").empty());
    EXPECT_TRUE(ScopeSet::parse("   ").empty());
    EXPECT_EQ(ScopeSet().to_string(), "");
}

TEST(ScopeSet, ComparesEqualRegardlessOfOrderAndDuplicates) {
    EXPECT_EQ(ScopeSet::parse("b a"), ScopeSet::parse("a b a"));
    EXPECT_FALSE(ScopeSet::parse("a") == ScopeSet::parse("a b"));
}

TEST(ScopeSet, KeepsScopesThatAreUrls) {
    const ScopeSet scopes = ScopeSet::parse("https://graph.example/.default openid");

    EXPECT_EQ(scopes.to_string(), "https://graph.example/.default openid");
}

}  // namespace
}  // namespace vegha::oauth
