#include "oauth/token_service.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <functional>
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
    // Without retries unless a test asks for them, so request counts stay exact.
    explicit TokenServiceTest(TestHttpServer::Handler handler = numbered_token,
                              TokenServiceOptions options = {.renewal = {.attempts = 1}})
        : server_(std::move(handler)),
          service_(
              io_.get_executor(), client_, [this] { return now_; },
              [this](const Token& token) {
                  ++renders_;
                  return R"({"access_token":")" + std::string(token.access_token.reveal()) + "\"}";
              },
              std::move(options)) {}

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
        run_until([&] {
            return std::all_of(results.begin(), results.end(),
                               [](const auto& r) { return r.has_value(); });
        });
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

    // Runs the I/O loop until `done` holds or the test deadline passes. Renewal timers keep
    // the loop busy, so "until it runs out of work" would wait for the deadline.
    void run_until(const std::function<bool()>& done,
                   std::chrono::steady_clock::duration deadline = test::kTestDeadline) {
        const auto until = std::chrono::steady_clock::now() + deadline;
        while (!done() && std::chrono::steady_clock::now() < until) {
            io_.run_one_for(milliseconds(20));
        }
        io_.restart();
    }

    asio::io_context io_;
    TestHttpServer server_;
    HttpClient http_{io_.get_executor(), {}};
    Clock::time_point now_ = kStart;
    TokenClient client_{http_, [this] { return now_; }};
    int renders_ = 0;
    TokenService service_;
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
                // No ?: and no temporary inside the co_await expression: GCC 12
                // destroys such temporaries twice.
                const Profile& p = i % 2 ? a : b;
                const TokenOptions options;
                results[i].emplace(co_await service_.get_token(p, options));
            },
            test::rethrow);
    }
    run_until([&] {
        return std::all_of(results.begin(), results.end(),
                           [](const auto& r) { return r.has_value(); });
    });

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
    EXPECT_EQ(lease.error().code, Errc::kLoginRequired);
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
                const TokenOptions options;
                results[i].emplace(co_await service.get_token(p, options));
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

// ---- lifecycle: refresh, rotation, retries, timers ----

// A provider that scripts its answers: one function per request, in order; past the end,
// the last one again.
class ScriptedProvider {
public:
    using Step = std::function<CannedResponse(const ReceivedRequest&)>;

    explicit ScriptedProvider(std::vector<Step> steps) : steps_(std::move(steps)) {}

    TestHttpServer::Handler handler() {
        return [this](const ReceivedRequest& request, std::size_t n) {
            const std::size_t i = std::min(n, steps_.size()) - 1;
            return steps_[i](request);
        };
    }

private:
    std::vector<Step> steps_;
};

ScriptedProvider::Step token_answer(std::string json, std::string content_type = "application/json",
                                    unsigned status = 200) {
    return [json = std::move(json), content_type = std::move(content_type),
            status](const ReceivedRequest&) { return test::answer(status, content_type, json); };
}

std::string form_value(const ReceivedRequest& request, std::string_view name) {
    const std::string needle = std::string(name) + "=";
    const auto& body = request.body;
    for (std::size_t pos = 0; pos < body.size();) {
        const auto end = std::min(body.find('&', pos), body.size());
        if (body.compare(pos, needle.size(), needle) == 0) {
            return body.substr(pos + needle.size(), end - pos - needle.size());
        }
        pos = end + 1;
    }
    return {};
}

// A password profile (public client) for the scripted provider.
Profile password_profile(const std::string& url) {
    const std::string text = R"({"grant":"password","client_id":"cli","username":"alice",
        "password":"pw","token_url":")" +
                             url + R"(","scopes":"openid offline_access"})";
    return parse_profile(boost::json::parse(text).as_object(), "me", {}).value();
}

class TokenLifecycleTest : public TokenServiceTest {
protected:
    TokenLifecycleTest(std::vector<ScriptedProvider::Step> steps, RenewalPolicy policy = {})
        : TokenServiceTest(
              [this](const ReceivedRequest& r, std::size_t n) { return script_(r, n); },
              {.renewal = policy}),
          provider_(std::move(steps)),
          script_(provider_.handler()) {}

    // Lets the cached token expire by the service's clock.
    void expire() { now_ += std::chrono::hours(2); }

    ScriptedProvider provider_;
    TestHttpServer::Handler script_;
};

class RefreshWithoutNewRefreshTokenTest : public TokenLifecycleTest {
protected:
    RefreshWithoutNewRefreshTokenTest()
        : TokenLifecycleTest({
              token_answer(R"({"access_token":"a1","token_type":"Bearer","expires_in":3600,
                               "refresh_token":"r1","id_token":"id1"})"),
              token_answer(R"({"access_token":"a2","token_type":"Bearer","expires_in":3600})"),
              token_answer(R"({"access_token":"a3","token_type":"Bearer","expires_in":3600})"),
          }) {}
};

TEST_F(RefreshWithoutNewRefreshTokenTest, KeepsTheOldRefreshTokenAndIdToken) {
    ASSERT_TRUE(get_one(password_profile(server_.url())));
    expire();

    auto renewed = get_one(password_profile(server_.url()));

    ASSERT_TRUE(renewed) << renewed.error().message;
    EXPECT_EQ(renewed->entry->token.access_token.reveal(), "a2");
    EXPECT_EQ(renewed->entry->token.refresh_token.reveal(), "r1");
    EXPECT_EQ(renewed->entry->token.id_token.reveal(), "id1");
    const auto received = server_.received();
    ASSERT_EQ(received.size(), 2u);
    EXPECT_EQ(form_value(received[1], "grant_type"), "refresh_token");
    EXPECT_EQ(form_value(received[1], "refresh_token"), "r1");
    // RFC 6749 §6: no scope means the scope first granted.
    EXPECT_EQ(form_value(received[1], "scope"), "");

    expire();
    auto again = get_one(password_profile(server_.url()));
    ASSERT_TRUE(again);
    EXPECT_EQ(form_value(server_.received()[2], "refresh_token"), "r1");
}

class RotatingProviderTest : public TokenLifecycleTest {
protected:
    RotatingProviderTest()
        : TokenLifecycleTest({
              token_answer(R"({"access_token":"a1","token_type":"Bearer","expires_in":3600,
                               "refresh_token":"r1"})"),
              token_answer(R"({"access_token":"a2","token_type":"Bearer","expires_in":3600,
                               "refresh_token":"r2"})"),
              token_answer(R"({"error":"invalid_grant","error_description":"rotated"})",
                           "application/json", 400),
              token_answer(R"({"access_token":"a4","token_type":"Bearer","expires_in":3600,
                               "refresh_token":"r4"})"),
          }) {}
};

TEST_F(RotatingProviderTest, UsesTheRotatedRefreshTokenNextTime) {
    ASSERT_TRUE(get_one(password_profile(server_.url())));
    expire();
    ASSERT_TRUE(get_one(password_profile(server_.url())));
    expire();

    // The provider now refuses the refresh token; the password grant starts afresh.
    auto renewed = get_one(password_profile(server_.url()));

    ASSERT_TRUE(renewed) << renewed.error().message;
    EXPECT_EQ(renewed->entry->token.access_token.reveal(), "a4");
    const auto received = server_.received();
    ASSERT_EQ(received.size(), 4u);
    EXPECT_EQ(form_value(received[2], "refresh_token"), "r2");
    EXPECT_EQ(form_value(received[3], "grant_type"), "password");
}

TEST_F(RotatingProviderTest, ADeadGrantForABrowserLoginAsksForALogin) {
    const std::string text = R"({"grant":"authorization_code","client_id":"app",
        "authorization_url":"https://idp.example/auth","redirect_uri":"http://127.0.0.1/cb",
        "token_url":")" + server_.url() +
                             "\"}";
    const Profile code = parse_profile(boost::json::parse(text).as_object(), "app", {}).value();

    // Nobody can log in here: a non-interactive caller learns that at once.
    auto first = get_one(code);
    ASSERT_FALSE(first);
    EXPECT_EQ(first.error().code, Errc::kLoginRequired);
    EXPECT_EQ(server_.requests(), 0u);
}

class FlakyProviderTest : public TokenLifecycleTest {
protected:
    FlakyProviderTest()
        : TokenLifecycleTest(
              {
                  token_answer("<html>Bad gateway</html>", "text/html", 502),
                  token_answer("", "text/plain", 503),
                  token_answer(R"({"access_token":"a3","token_type":"Bearer","expires_in":60})"),
              },
              {.attempts = 3, .backoff = milliseconds(10)}) {}
};

TEST_F(FlakyProviderTest, RetriesServerErrorsABoundedNumberOfTimes) {
    auto token = get_one(profile());

    ASSERT_TRUE(token) << token.error().message;
    EXPECT_EQ(token->entry->token.access_token.reveal(), "a3");
    EXPECT_EQ(server_.requests(), 3u);
}

class DeadProviderTest : public TokenLifecycleTest {
protected:
    DeadProviderTest()
        : TokenLifecycleTest({token_answer("<html>Bad gateway</html>", "text/html", 502)},
                             {.attempts = 3, .backoff = milliseconds(10)}) {}
};

TEST_F(DeadProviderTest, GivesUpAfterTheLastAttempt) {
    auto token = get_one(profile());

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, Errc::kInvalidTokenResponse);
    EXPECT_EQ(token.error().http_status, 502u);
    EXPECT_EQ(server_.requests(), 3u);
}

class ForbiddingProviderTest : public TokenLifecycleTest {
protected:
    ForbiddingProviderTest()
        : TokenLifecycleTest(
              {token_answer("<html><body>Forbidden by proxy</body></html>", "text/html", 403)},
              {.attempts = 3, .backoff = milliseconds(10)}) {}
};

TEST_F(ForbiddingProviderTest, DoesNotRetryAClientError) {
    auto token = get_one(profile());

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, Errc::kInvalidTokenResponse);
    EXPECT_NE(token.error().message.find("403"), std::string::npos);
    EXPECT_EQ(server_.requests(), 1u);
}

class ProviderDownAtRefreshTest : public TokenLifecycleTest {
protected:
    ProviderDownAtRefreshTest()
        : TokenLifecycleTest(
              {
                  token_answer(R"({"access_token":"a1","token_type":"Bearer","expires_in":3600,
                                   "refresh_token":"r1"})"),
                  token_answer("", "text/plain", 503),
              },
              {.attempts = 2, .backoff = milliseconds(10)}) {}
};

TEST_F(ProviderDownAtRefreshTest, ServesTheStillValidTokenAndKeepsTheRefreshToken) {
    ASSERT_TRUE(get_one(password_profile(server_.url())));

    // Asking for more lifetime than is left forces a refresh, which fails: the token in
    // hand still works, so it is the answer.
    auto token = get_one(password_profile(server_.url()), {.min_ttl = seconds(7200)});

    ASSERT_TRUE(token) << token.error().message;
    EXPECT_EQ(token->entry->token.access_token.reveal(), "a1");
    EXPECT_EQ(token->entry->token.refresh_token.reveal(), "r1");
    EXPECT_EQ(server_.requests(), 3u);
}

TEST_F(TokenServiceTest, ThousandCallersOnAnExpiredTokenCauseOneRequest) {
    (void)get_one(profile());
    now_ += std::chrono::hours(2);

    const auto results = get_concurrently(profile(), 1000);

    EXPECT_EQ(server_.requests(), 2u);
    for (const auto& result : results) {
        ASSERT_TRUE(result && *result);
        EXPECT_EQ((*result)->entry->token.access_token.reveal(), "tok-2");
    }
}

TEST_F(TokenServiceTest, ARejectedTokenIsRenewedOnceForAllWhoSawIt) {
    (void)get_one(profile());

    const auto renewed = get_concurrently(profile(), 20, {.rejected_token = "tok-1"});
    const auto later = get_one(profile(), {.rejected_token = "tok-1"});

    EXPECT_EQ(server_.requests(), 2u);
    for (const auto& result : renewed) {
        ASSERT_TRUE(result && *result);
        EXPECT_EQ((*result)->entry->token.access_token.reveal(), "tok-2");
    }
    ASSERT_TRUE(later);
    EXPECT_TRUE(later->from_cache);
    EXPECT_EQ(later->entry->token.access_token.reveal(), "tok-2");
}

TEST_F(TokenServiceTest, ForceRefreshRenewsAValidToken) {
    (void)get_one(profile());

    const auto renewed = get_one(profile(), {.force_refresh = true});

    ASSERT_TRUE(renewed);
    EXPECT_FALSE(renewed->from_cache);
    EXPECT_EQ(renewed->entry->token.access_token.reveal(), "tok-2");
}

class ShortLivedTokenTest : public TokenLifecycleTest {
protected:
    ShortLivedTokenTest()
        : TokenLifecycleTest({[n = 0](const ReceivedRequest&) mutable {
              return test::answer(200, "application/json",
                                  R"({"access_token":"short-)" + std::to_string(++n) +
                                      R"(","token_type":"Bearer","expires_in":1})");
          }}) {}
};

TEST_F(ShortLivedTokenTest, RenewsAheadOfExpiryWithoutACaller) {
    ASSERT_TRUE(get_one(profile()));
    EXPECT_EQ(service_.renewals_scheduled(), 1u);

    // At three quarters of its one-second lifetime, the timer renews it in the background.
    const std::string key = cache_key(profile());
    run_until(
        [&] {
            auto cached = service_.cache().peek(key);
            return cached && cached->token.access_token.reveal() == "short-2";
        },
        seconds(5));

    EXPECT_EQ(server_.requests(), 2u);
    auto cached = service_.cache().peek(key);
    ASSERT_TRUE(cached);
    EXPECT_EQ(cached->token.access_token.reveal(), "short-2");
}

class IdleGrantTest : public TokenLifecycleTest {
protected:
    IdleGrantTest()
        : TokenLifecycleTest(
              {token_answer(R"({"access_token":"a","token_type":"Bearer","expires_in":1})")},
              {.idle_cutoff = seconds(60)}) {}
};

TEST_F(IdleGrantTest, StopsRenewingAGrantNobodyUses) {
    ASSERT_TRUE(get_one(profile()));
    now_ += std::chrono::minutes(5);  // nobody asked since

    run_until([&] { return service_.renewals_scheduled() == 0; }, seconds(5));

    EXPECT_EQ(service_.renewals_scheduled(), 0u);
    EXPECT_EQ(server_.requests(), 1u);
}

}  // namespace
}  // namespace vegha::oauth
