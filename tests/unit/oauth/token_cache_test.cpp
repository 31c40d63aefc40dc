#include "oauth/token_cache.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace vegha::oauth {
namespace {

using std::chrono::seconds;

const Clock::time_point kStart = Clock::time_point(seconds(1'700'000'000));

// A token obtained at `issued` that lives `lifetime`.
std::shared_ptr<const CachedToken> entry(std::string value, Clock::time_point issued,
                                         Clock::duration lifetime) {
    auto cached = std::make_shared<CachedToken>();
    cached->token.access_token = Secret(std::move(value));
    cached->token.token_type = "Bearer";
    cached->token.lifetime = lifetime;
    cached->token.expires_at = issued + lifetime;
    cached->rendered = "{}";
    return cached;
}

TEST(TokenCache, FindsATokenWithinItsLifetime) {
    TokenCache cache;
    cache.put("k", entry("t1", kStart, seconds(3600)), kStart);

    const auto hit = cache.find("k", kStart + seconds(60), seconds(0));

    ASSERT_NE(hit, nullptr);
    EXPECT_EQ(hit->token.access_token.reveal(), "t1");
}

TEST(TokenCache, FindsNothingForAnUnknownKey) {
    TokenCache cache;
    cache.put("k", entry("t1", kStart, seconds(3600)), kStart);

    EXPECT_EQ(cache.find("other", kStart, seconds(0)), nullptr);
}

TEST(TokenCache, MissesWhenMinTtlExceedsWhatRemains) {
    TokenCache cache;
    cache.put("k", entry("t1", kStart, seconds(3600)), kStart);
    const auto now = kStart + seconds(3000);  // 600 s left, margin 30 s

    EXPECT_NE(cache.find("k", now, seconds(569)), nullptr);
    EXPECT_EQ(cache.find("k", now, seconds(570)), nullptr);
    EXPECT_EQ(cache.find("k", now, seconds(900)), nullptr);
}

TEST(TokenCache, MissesOnceTheTokenHasExpired) {
    TokenCache cache;
    cache.put("k", entry("t1", kStart, seconds(3600)), kStart);

    EXPECT_EQ(cache.find("k", kStart + seconds(3600), seconds(0)), nullptr);
    EXPECT_EQ(cache.find("k", kStart + seconds(7200), seconds(0)), nullptr);
}

TEST(TokenCache, KeepsASafetyMarginOfATenthOfAShortLifetime) {
    // 100 s lifetime: margin 10 s, so the token is handed out until 10 s before expiry.
    TokenCache cache;
    cache.put("k", entry("t1", kStart, seconds(100)), kStart);

    EXPECT_NE(cache.find("k", kStart + seconds(89), seconds(0)), nullptr);
    EXPECT_EQ(cache.find("k", kStart + seconds(90), seconds(0)), nullptr);
}

TEST(TokenCache, CapsTheSafetyMarginAtThirtySeconds) {
    // One hour: a tenth would be 6 minutes; the margin is 30 s.
    TokenCache cache;
    cache.put("k", entry("t1", kStart, seconds(3600)), kStart);

    EXPECT_NE(cache.find("k", kStart + seconds(3569), seconds(0)), nullptr);
    EXPECT_EQ(cache.find("k", kStart + seconds(3570), seconds(0)), nullptr);
}

TEST(TokenCache, AddsTheMarginToMinTtl) {
    // 100 s lifetime, margin 10 s, min_ttl 20 s: valid while more than 30 s remain.
    TokenCache cache;
    cache.put("k", entry("t1", kStart, seconds(100)), kStart);

    EXPECT_NE(cache.find("k", kStart + seconds(69), seconds(20)), nullptr);
    EXPECT_EQ(cache.find("k", kStart + seconds(70), seconds(20)), nullptr);
}

TEST(TokenCache, FreshEnoughAgreesWithFind) {
    const auto cached = entry("t1", kStart, seconds(100));

    EXPECT_TRUE(TokenCache::fresh_enough(cached->token, kStart, seconds(0)));
    EXPECT_FALSE(TokenCache::fresh_enough(cached->token, kStart, seconds(90)));
    EXPECT_FALSE(TokenCache::fresh_enough(cached->token, kStart + seconds(200), seconds(0)));
}

TEST(TokenCache, PeekReturnsAnEntryWhateverItsExpiry) {
    TokenCache cache;
    cache.put("k", entry("t1", kStart, seconds(60)), kStart);

    const auto peeked = cache.peek("k");

    ASSERT_NE(peeked, nullptr);
    EXPECT_EQ(peeked->token.access_token.reveal(), "t1");
    EXPECT_EQ(cache.find("k", kStart + seconds(3600), seconds(0)), nullptr);
    EXPECT_EQ(cache.peek("missing"), nullptr);
}

TEST(TokenCache, PutReplacesTheEntryForAKey) {
    TokenCache cache;
    cache.put("k", entry("old", kStart, seconds(60)), kStart);
    cache.put("k", entry("new", kStart, seconds(3600)), kStart);

    EXPECT_EQ(cache.size(), 1u);
    EXPECT_EQ(cache.peek("k")->token.access_token.reveal(), "new");
}

TEST(TokenCache, EraseRemovesTheEntry) {
    TokenCache cache;
    cache.put("k", entry("t1", kStart, seconds(60)), kStart);

    cache.erase("k");

    EXPECT_EQ(cache.size(), 0u);
    EXPECT_EQ(cache.peek("k"), nullptr);
}

TEST(TokenCache, EvictsExpiredEntriesFirstWhenFull) {
    TokenCache cache(2);
    cache.put("expired", entry("e", kStart - seconds(7200), seconds(3600)), kStart);
    cache.put("soon", entry("s", kStart, seconds(60)), kStart);

    cache.put("late", entry("l", kStart, seconds(3600)), kStart);

    EXPECT_EQ(cache.size(), 2u);
    EXPECT_EQ(cache.peek("expired"), nullptr);
    EXPECT_NE(cache.peek("soon"), nullptr);
    EXPECT_NE(cache.peek("late"), nullptr);
}

TEST(TokenCache, EvictsTheSoonestExpiringWhenNoneHasExpired) {
    TokenCache cache(2);
    cache.put("middle", entry("m", kStart, seconds(600)), kStart);
    cache.put("soonest", entry("s", kStart, seconds(60)), kStart);

    cache.put("latest", entry("l", kStart, seconds(3600)), kStart);

    EXPECT_EQ(cache.size(), 2u);
    EXPECT_EQ(cache.peek("soonest"), nullptr);
    EXPECT_NE(cache.peek("middle"), nullptr);
    EXPECT_NE(cache.peek("latest"), nullptr);
}

TEST(TokenCache, DropsEveryExpiredEntryOnceOverCapacity) {
    TokenCache cache(3);
    cache.put("e1", entry("1", kStart - seconds(100), seconds(10)), kStart);
    cache.put("e2", entry("2", kStart - seconds(100), seconds(20)), kStart);
    cache.put("valid", entry("v", kStart, seconds(60)), kStart);

    cache.put("new", entry("n", kStart, seconds(60)), kStart);

    EXPECT_EQ(cache.size(), 2u);
    EXPECT_NE(cache.peek("valid"), nullptr);
    EXPECT_NE(cache.peek("new"), nullptr);
}

TEST(TokenCache, StaysWithinCapacityAcrossManyInsertions) {
    TokenCache cache(4);
    for (int i = 0; i < 50; ++i) {
        cache.put("k" + std::to_string(i), entry("t", kStart, seconds(60 + i)), kStart);

        ASSERT_LE(cache.size(), 4u);
    }
    // The four that expire latest remain.
    for (int i = 46; i < 50; ++i) {
        EXPECT_NE(cache.peek("k" + std::to_string(i)), nullptr) << i;
    }
}

TEST(TokenCache, LeavesAnEntryHeldByACallerIntactWhenEvicted) {
    TokenCache cache(1);
    cache.put("a", entry("held", kStart, seconds(60)), kStart);
    const auto held = cache.find("a", kStart, seconds(0));

    cache.put("b", entry("other", kStart, seconds(3600)), kStart);

    EXPECT_EQ(cache.peek("a"), nullptr);
    ASSERT_NE(held, nullptr);
    EXPECT_EQ(held->token.access_token.reveal(), "held");
}

}  // namespace
}  // namespace vegha::oauth
