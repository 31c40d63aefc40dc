#include "oauth/token_service.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "support/printers.hpp"
#include "support/run_with_deadline.hpp"
#include "support/test_http_server.hpp"

namespace vegha::oauth {
namespace {
namespace asio = boost::asio;

using std::chrono::milliseconds;
using std::chrono::seconds;
using test::CannedResponse;
using test::ReceivedRequest;
using test::TestHttpServer;

constexpr std::size_t kCallers = 50;
const Clock::time_point kStart = Clock::time_point(seconds(1'700'000'000));

// Issues "tok-1", "tok-2", ... one per request, each living an hour, a little late so that
// every caller has asked before the first answer arrives.
CannedResponse numbered_token(const ReceivedRequest&, std::size_t n) {
    return test::answer(200, "application/json",
                        R"({"access_token":"tok-)" + std::to_string(n) +
                            R"(","token_type":"Bearer","expires_in":3600})",
                        milliseconds(100));
}

CannedResponse html_error(const ReceivedRequest&, std::size_t) {
    return test::answer(500, "text/html",
                        "<html><body><h1>Internal Server Error</h1></body></html>",
                        milliseconds(100));
}

CannedResponse invalid_grant(const ReceivedRequest&, std::size_t) {
    return test::answer(
        400, "application/json",
        R"({"error":"invalid_grant","error_description":"Invalid user credentials"})",
        milliseconds(100));
}

// A client_credentials profile for `url` asking for `scopes`.
Profile profile_for(const std::string& url, std::string_view scopes) {
    const std::string text = R"({"grant":"client_credentials","client_id":"svc",
        "client_secret":"s3cret","token_url":")" +
                             url + R"(","scopes":")" + std::string(scopes) + "\"}";
    return parse_profile(boost::json::parse(text).as_object(), "svc", {}).value();
}

class TokenServiceTest : public testing::Test {
protected:
    explicit TokenServiceTest(TestHttpServer::Handler handler = numbered_token)
        : server_(std::move(handler)) {}

    Profile profile(std::string_view scopes = "read write") const {
        return profile_for(server_.url(), scopes);
    }

    // Starts `count` concurrent get_token calls and runs them all to completion.
    std::vector<std::optional<Result<TokenLease>>> get_concurrently(const Profile& profile,
                                                                    std::size_t count,
                                                                    TokenOptions options = {}) {
        std::vector<std::optional<Result<TokenLease>>> results(count);
        for (std::size_t i = 0; i < count; ++i) {
            asio::co_spawn(
                io_,
                [this, &profile, &results, i, options]() -> asio::awaitable<void> {
                    results[i].emplace(co_await service_.get_token(profile, options));
                },
                test::rethrow);
        }
        io_.run_for(test::kTestDeadline);
        io_.restart();
        for (std::size_t i = 0; i < count; ++i) {
            EXPECT_TRUE(results[i].has_value()) << "caller " << i << " never finished";
        }
        return results;
    }

    Result<TokenLease> get_one(const Profile& profile, TokenOptions options = {}) {
        auto results = get_concurrently(profile, 1, options);
        if (!results[0]) {
            return make_error(Errc::kInternal, "test deadline");
        }
        return std::move(*results[0]);
    }

    asio::io_context io_;
    TestHttpServer server_;
    HttpClient http_{io_.get_executor(), {}};
    Clock::time_point now_ = kStart;
    TokenClient client_{http_, [this] { return now_; }};
    int renders_ = 0;
    TokenService service_{io_.get_executor(), client_, [this] { return now_; },
                          [this](const Token& token) {
                              ++renders_;
                              return R"({"access_token":")" +
                                     std::string(token.access_token.reveal()) + "\"}";
                          }};
};

TEST_F(TokenServiceTest, LetsFiftyConcurrentCallersShareOneProviderRequest) {
    const Profile p = profile();

    const auto results = get_concurrently(p, kCallers);

    EXPECT_EQ(server_.requests(), 1u);
    EXPECT_EQ(http_.requests_sent(), 1u);
    std::set<const CachedToken*> entries;
    for (const auto& result : results) {
        ASSERT_TRUE(result && *result) << (result ? (*result).error().message : "unfinished");
        EXPECT_EQ((*result)->entry->token.access_token.reveal(), "tok-1");
        EXPECT_FALSE((*result)->from_cache);
        entries.insert((*result)->entry.get());
    }
    EXPECT_EQ(entries.size(), 1u) << "every caller holds the one shared entry";
    EXPECT_EQ(renders_, 1);
}

TEST_F(TokenServiceTest, RendersTheReplyTextOncePerToken) {
    const auto lease = get_one(profile());

    ASSERT_TRUE(lease) << lease.error().message;
    EXPECT_EQ(lease->entry->rendered, R"({"access_token":"tok-1"})");
    EXPECT_EQ(renders_, 1);
}

TEST_F(TokenServiceTest, AnswersASecondRoundWithinTheLifetimeFromTheCache) {
    const Profile p = profile();
    (void)get_concurrently(p, kCallers);
    now_ += seconds(600);

    const auto results = get_concurrently(p, kCallers);

    EXPECT_EQ(server_.requests(), 1u);
    for (const auto& result : results) {
        ASSERT_TRUE(result && *result);
        EXPECT_TRUE((*result)->from_cache);
        EXPECT_EQ((*result)->entry->token.access_token.reveal(), "tok-1");
    }
    EXPECT_EQ(renders_, 1);
}

TEST_F(TokenServiceTest, SharesTheCacheBetweenProfilesThatDifferOnlyInScopeOrder) {
    (void)get_one(profile("read write"));

    const auto lease = get_one(profile("write read read"));

    ASSERT_TRUE(lease);
    EXPECT_TRUE(lease->from_cache);
    EXPECT_EQ(server_.requests(), 1u);
}

TEST_F(TokenServiceTest, SendsOneMoreRequestForADifferentScope) {
    (void)get_concurrently(profile("read write"), kCallers);
    const Profile narrower = profile("read");

    const auto results = get_concurrently(narrower, kCallers);

    EXPECT_EQ(server_.requests(), 2u);
    for (const auto& result : results) {
        ASSERT_TRUE(result && *result);
        EXPECT_EQ((*result)->entry->token.access_token.reveal(), "tok-2");
    }
}

TEST_F(TokenServiceTest, SendsOneRequestPerProfileWhenTwoAreAskedForAtOnce) {
    const Profile a = profile("a");
    const Profile b = profile("b");
    std::vector<std::optional<Result<TokenLease>>> results(2 * kCallers);
    for (std::size_t i = 0; i < results.size(); ++i) {
        asio::co_spawn(
            io_,
            [this, &a, &b, &results, i]() -> asio::awaitable<void> {
                results[i].emplace(co_await service_.get_token(i % 2 ? a : b, {}));
            },
            test::rethrow);
    }
    io_.run_for(test::kTestDeadline);

    EXPECT_EQ(server_.requests(), 2u);
    std::set<std::string> tokens;
    for (const auto& result : results) {
        ASSERT_TRUE(result && *result);
        tokens.insert(std::string((*result)->entry->token.access_token.reveal()));
    }
    EXPECT_EQ(tokens, (std::set<std::string>{"tok-1", "tok-2"}));
}

TEST_F(TokenServiceTest, FetchesANewTokenOnceTheCachedOneHasExpired) {
    const Profile p = profile();
    (void)get_one(p);
    now_ += seconds(3600);

    const auto lease = get_one(p);

    ASSERT_TRUE(lease);
    EXPECT_FALSE(lease->from_cache);
    EXPECT_EQ(lease->entry->token.access_token.reveal(), "tok-2");
    EXPECT_EQ(server_.requests(), 2u);
}

TEST_F(TokenServiceTest, FetchesANewTokenWhenMinTtlExceedsWhatTheCachedOneHasLeft) {
    const Profile p = profile();
    (void)get_one(p);
    now_ += seconds(3000);  // 600 s left

    const auto cached = get_one(p, TokenOptions{seconds(60)});
    const auto fresh = get_one(p, TokenOptions{seconds(1200)});

    ASSERT_TRUE(cached);
    ASSERT_TRUE(fresh);
    EXPECT_TRUE(cached->from_cache);
    EXPECT_FALSE(fresh->from_cache);
    EXPECT_EQ(fresh->entry->token.access_token.reveal(), "tok-2");
    EXPECT_EQ(fresh->entry->token.expires_at, now_ + seconds(3600));
}

TEST_F(TokenServiceTest, CachesUnderTheProfilesCacheKey) {
    const Profile p = profile();

    (void)get_one(p);

    EXPECT_EQ(service_.cache().size(), 1u);
    ASSERT_NE(service_.cache().peek(cache_key(p)), nullptr);
    EXPECT_EQ(service_.cache().peek(cache_key(p))->token.access_token.reveal(), "tok-1");
}

class TokenServiceWithFailingProviderTest : public TokenServiceTest {
protected:
    TokenServiceWithFailingProviderTest() : TokenServiceTest(html_error) {}
};

TEST_F(TokenServiceWithFailingProviderTest, GivesEveryWaiterTheSameInvalidResponseError) {
    const Profile p = profile();

    const auto results = get_concurrently(p, kCallers);

    EXPECT_EQ(server_.requests(), 1u);
    ASSERT_TRUE(results[0] && !*results[0]);
    const Error& first = results[0]->error();
    EXPECT_EQ(first.code, Errc::kInvalidTokenResponse);
    EXPECT_EQ(first.http_status, 500u);
    for (const auto& result : results) {
        ASSERT_TRUE(result && !*result);
        EXPECT_EQ(result->error().code, first.code);
        EXPECT_EQ(result->error().message, first.message);
        EXPECT_EQ(result->error().http_status, 500u);
    }
}

TEST_F(TokenServiceWithFailingProviderTest, DoesNotCacheAFailure) {
    const Profile p = profile();
    (void)get_concurrently(p, kCallers);

    const auto again = get_one(p);

    ASSERT_FALSE(again);
    EXPECT_EQ(server_.requests(), 2u);
    EXPECT_EQ(service_.cache().size(), 0u);
    EXPECT_EQ(renders_, 0);
}

class TokenServiceWithRefusingProviderTest : public TokenServiceTest {
protected:
    TokenServiceWithRefusingProviderTest() : TokenServiceTest(invalid_grant) {}
};

TEST_F(TokenServiceWithRefusingProviderTest, GivesEveryWaiterTheProvidersRefusal) {
    const auto results = get_concurrently(profile(), kCallers);

    EXPECT_EQ(server_.requests(), 1u);
    for (const auto& result : results) {
        ASSERT_TRUE(result && !*result);
        EXPECT_EQ(result->error().code, Errc::kIdpError);
        EXPECT_EQ(result->error().idp_error, "invalid_grant");
        EXPECT_EQ(result->error().idp_error_description, "Invalid user credentials");
        EXPECT_EQ(result->error().http_status, 400u);
    }
}

TEST_F(TokenServiceTest, GivesEveryWaiterTheSameNetworkErrorFromOneAttempt) {
    const Profile unreachable = profile_for(
        "http://127.0.0.1:" + std::to_string(test::unused_loopback_port()) + "/token", "read");

    const auto results = get_concurrently(unreachable, kCallers);

    EXPECT_EQ(http_.requests_sent(), 1u);
    for (const auto& result : results) {
        ASSERT_TRUE(result && !*result);
        EXPECT_EQ(result->error().code, Errc::kNetwork) << result->error().message;
    }
}

TEST_F(TokenServiceTest, FailsWithoutARequestForAnAuthorizationCodeProfile) {
    const std::string text = R"({"grant":"authorization_code","client_id":"app",
        "token_url":")" + server_.url() +
                             R"(","authorization_url":"https://i.example/a",
        "redirect_uri":"http://127.0.0.1/cb"})";
    const Profile p = parse_profile(boost::json::parse(text).as_object(), "", {}).value();

    const auto lease = get_one(p);

    ASSERT_FALSE(lease);
    EXPECT_EQ(lease.error().code, Errc::kUnsupportedGrant);
    EXPECT_EQ(server_.requests(), 0u);
}

TEST(TokenService, ReleasesEveryWaiterWhenTheLeaderThrows) {
    asio::io_context io;
    TestHttpServer server(numbered_token);
    HttpClient http(io.get_executor(), {});
    const auto now = [] { return kStart; };
    TokenClient client(http, now);
    TokenService service(io.get_executor(), client, now,
                         [](const Token&) -> std::string { throw std::runtime_error("render"); });
    const Profile p = profile_for(server.url(), "read");
    std::vector<std::optional<Result<TokenLease>>> results(kCallers);
    std::size_t exceptions = 0;

    for (std::size_t i = 0; i < kCallers; ++i) {
        asio::co_spawn(
            io,
            [&service, &p, &results, i]() -> asio::awaitable<void> {
                results[i].emplace(co_await service.get_token(p, {}));
            },
            [&exceptions](std::exception_ptr error) { exceptions += error ? 1 : 0; });
    }
    io.run_for(test::kTestDeadline);

    EXPECT_EQ(exceptions, 1u) << "the leader's exception reaches its spawner";
    std::size_t released = 0;
    for (const auto& result : results) {
        if (result) {
            ++released;
            ASSERT_FALSE(*result);
            EXPECT_EQ(result->error().code, Errc::kInternal);
        }
    }
    EXPECT_EQ(released, kCallers - 1);
    EXPECT_EQ(service.cache().size(), 0u);
}

}  // namespace
}  // namespace vegha::oauth
