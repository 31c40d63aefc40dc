// Both grants end to end: client library -> daemon -> real oidc-provider, and back.

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "tests/integration/demo_profiles.hpp"
#include "tests/support/broker_env.hpp"
#include "vegha/client.hpp"

namespace vegha::test {
namespace {

class GrantsTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { idp_ = new DemoIdp(); }
    static void TearDownTestSuite() {
        delete idp_;
        idp_ = nullptr;
    }

    void SetUp() override { daemon_ = std::make_unique<Daemon>(demo_config(*idp_), demo_env()); }

    client::Client client() {
        return client::Client(
            client::ClientOptions{daemon_->socket_path().string(), std::chrono::seconds(30)});
    }

    client::Result<client::AccessToken> get(const std::string& profile,
                                            std::chrono::seconds min_ttl = {}) {
        return client().get_token(client::TokenRequest{profile, "", min_ttl});
    }

    static DemoIdp* idp_;
    std::unique_ptr<Daemon> daemon_;
};

DemoIdp* GrantsTest::idp_ = nullptr;

TEST_F(GrantsTest, ClientCredentialsTokenComesFromTheProviderThenFromTheCache) {
    const int before = idp_->counters().client_credentials;

    auto first = get("service");
    ASSERT_TRUE(first) << first.error().code << ": " << first.error().message;
    EXPECT_FALSE(first->access_token.empty());
    EXPECT_EQ(first->token_type, "Bearer");
    EXPECT_EQ(first->scope, "api:read api:write");
    EXPECT_FALSE(first->from_cache);
    EXPECT_GT(first->expires_at, std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
    EXPECT_EQ(idp_->counters().client_credentials, before + 1);

    auto second = get("service");
    ASSERT_TRUE(second);
    EXPECT_TRUE(second->from_cache);
    EXPECT_EQ(second->access_token, first->access_token);
    EXPECT_EQ(idp_->counters().client_credentials, before + 1);
}

TEST_F(GrantsTest, ClientSecretPostAuthenticatesInTheBody) {
    auto token = get("service-post");
    ASSERT_TRUE(token) << token.error().message;
    EXPECT_EQ(token->scope, "api:read");
}

TEST_F(GrantsTest, BasicCredentialsAreFormEncodedBeforeBase64) {
    // Client "cli app" with secret "p@ss+w/rd:=1" only authenticates when both are
    // form-encoded first (RFC 6749 §2.3.1).
    auto token = get("spaced-client");
    ASSERT_TRUE(token) << token.error().code << ": " << token.error().message;
    EXPECT_EQ(token->scope, "api:read");
}

TEST_F(GrantsTest, PasswordGrantForAPublicClient) {
    const int before = idp_->counters().password;
    auto token = get("alice");
    ASSERT_TRUE(token) << token.error().code << ": " << token.error().message;
    EXPECT_EQ(token->scope, "api:read offline_access openid");
    EXPECT_EQ(idp_->counters().password, before + 1);

    auto again = get("alice");
    ASSERT_TRUE(again);
    EXPECT_TRUE(again->from_cache);
    EXPECT_EQ(idp_->counters().password, before + 1);
}

TEST_F(GrantsTest, PasswordGrantForAConfidentialClient) {
    auto token = get("alice-confidential");
    ASSERT_TRUE(token) << token.error().code << ": " << token.error().message;
    EXPECT_EQ(token->scope, "api:read");
}

TEST_F(GrantsTest, WrongClientSecretIsATypedProviderError) {
    auto token = get("wrong-secret");
    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, "idp_error");
    EXPECT_EQ(token.error().idp_error, "invalid_client");
    EXPECT_EQ(token.error().http_status, 401u);
}

TEST_F(GrantsTest, WrongPasswordIsATypedProviderError) {
    auto token = get("alice-wrong-password");
    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, "idp_error");
    EXPECT_EQ(token.error().idp_error, "invalid_grant");
}

TEST_F(GrantsTest, AFailedRequestIsNotCached) {
    const int before = idp_->counters().token_requests;
    EXPECT_FALSE(get("wrong-secret"));
    EXPECT_FALSE(get("wrong-secret"));
    EXPECT_EQ(idp_->counters().token_requests, before + 2);
}

TEST_F(GrantsTest, AProfileWithJustAnIssuerDiscoversItsTokenEndpoint) {
    auto token = get("discovered");
    ASSERT_TRUE(token) << token.error().code << ": " << token.error().message;
    EXPECT_EQ(token->scope, "api:read");

    auto again = get("discovered");
    ASSERT_TRUE(again);
    EXPECT_TRUE(again->from_cache);
}

TEST_F(GrantsTest, MetadataNamingAnotherIssuerIsRefused) {
    // The provider calls itself http://127.0.0.1:PORT; a profile that expects
    // http://localhost:PORT must not accept its metadata (RFC 8414 §3.3).
    auto token = get("wrong-issuer");
    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, "invalid_token_response");
    EXPECT_NE(token.error().message.find("issuer"), std::string::npos) << token.error().message;
}

TEST_F(GrantsTest, UnknownProfileIsNamedInTheError) {
    auto token = get("no-such-profile");
    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, "unknown_profile");
    EXPECT_NE(token.error().message.find("no-such-profile"), std::string::npos);
}

TEST_F(GrantsTest, UnreachableProviderIsANetworkError) {
    auto token = get("unreachable");
    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, "network_error");
}

TEST_F(GrantsTest, ABrowserLoginProfileAskedNonInteractivelyNeedsALogin) {
    const int before = idp_->counters().token_requests;
    auto token = get("browser-login");
    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, "login_required");
    EXPECT_EQ(idp_->counters().token_requests, before);
}

TEST_F(GrantsTest, MinimumLifetimeBeyondTheCachedTokenFetchesANewOne) {
    ASSERT_TRUE(get("service"));
    const int before = idp_->counters().client_credentials;

    // The demo provider's tokens live an hour; asking for two forces a new request, which
    // is still returned although it cannot satisfy the wish either.
    auto token = get("service", std::chrono::seconds(7200));
    ASSERT_TRUE(token);
    EXPECT_FALSE(token->from_cache);
    EXPECT_EQ(idp_->counters().client_credentials, before + 1);

    auto modest = get("service", std::chrono::seconds(60));
    ASSERT_TRUE(modest);
    EXPECT_TRUE(modest->from_cache);
}

TEST_F(GrantsTest, InlineConfigurationGetsATokenAndSharesTheCache) {
    const std::string inline_config = R"({"grant": "client_credentials", "token_url": ")" +
                                      idp_->token_url() +
                                      R"(", "client_id": "demo-service", "client_secret": ")" +
                                      kServiceSecret + R"(", "scopes": "api:write api:read"})";
    auto named = get("service");
    ASSERT_TRUE(named);
    const int before = idp_->counters().token_requests;

    auto token = client().get_token(client::TokenRequest{"", inline_config, {}});
    ASSERT_TRUE(token) << token.error().code << ": " << token.error().message;
    // Same provider, client, secret and scope set (in another order): the same token.
    EXPECT_TRUE(token->from_cache);
    EXPECT_EQ(token->access_token, named->access_token);
    EXPECT_EQ(idp_->counters().token_requests, before);
}

TEST_F(GrantsTest, InlineConfigurationMayNotReadTheDaemonsEnvironment) {
    const std::string inline_config = R"({"grant": "password", "token_url": ")" +
                                      idp_->token_url() +
                                      R"(", "client_id": "demo-cli", "username": "alice",
                                          "password_env": "TEST_ALICE_PASSWORD"})";
    auto token = client().get_token(client::TokenRequest{"", inline_config, {}});
    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, "invalid_request");
}

TEST_F(GrantsTest, ConcurrentCallersShareOneProviderRequest) {
    const int before = idp_->counters().client_credentials;
    constexpr int kCallers = 16;
    std::atomic<int> succeeded{0};
    std::vector<std::thread> callers;
    std::vector<std::string> tokens(kCallers);
    for (int i = 0; i < kCallers; ++i) {
        callers.emplace_back([&, i] {
            auto token = get("service");
            if (token) {
                tokens[static_cast<std::size_t>(i)] = token->access_token;
                ++succeeded;
            }
        });
    }
    for (auto& caller : callers) {
        caller.join();
    }
    EXPECT_EQ(succeeded.load(), kCallers);
    // Each test has a fresh daemon, so its cache is empty: exactly one request.
    EXPECT_EQ(idp_->counters().client_credentials, before + 1);
    for (const auto& token : tokens) {
        EXPECT_EQ(token, tokens.front());
    }
}

TEST_F(GrantsTest, ListAndStatusDescribeProfilesWithoutSecrets) {
    ASSERT_TRUE(get("service"));
    auto c = client();
    auto profiles = c.list();
    ASSERT_TRUE(profiles);
    bool saw_service = false;
    for (const auto& profile : *profiles) {
        if (profile.name == "service") {
            saw_service = true;
            EXPECT_EQ(profile.grant, "client_credentials");
            EXPECT_EQ(profile.client_id, "demo-service");
            EXPECT_TRUE(profile.has_token);
        }
    }
    EXPECT_TRUE(saw_service);

    auto status = c.status();
    ASSERT_TRUE(status);
    EXPECT_EQ(status->protocol, 1);
    EXPECT_EQ(status->profiles, static_cast<std::int64_t>(profiles->size()));
    EXPECT_GE(status->cached_tokens, 1);
    EXPECT_EQ(status->token_store, "memory (by configuration)");
}

TEST_F(GrantsTest, NoSecretOrTokenEverReachesTheLog) {
    std::vector<std::string> issued;
    for (const char* profile :
         {"service", "service-post", "spaced-client", "alice", "alice-confidential"}) {
        auto token = get(profile);
        ASSERT_TRUE(token) << profile;
        issued.push_back(token->access_token);
        if (!token->id_token.empty()) {
            issued.push_back(token->id_token);
        }
    }
    EXPECT_FALSE(get("wrong-secret"));
    EXPECT_FALSE(get("alice-wrong-password"));

    const std::string log = daemon_->log();
    ASSERT_FALSE(log.empty());
    for (const auto& secret : issued) {
        EXPECT_EQ(log.find(secret), std::string::npos) << "a token is in the daemon's log";
    }
    for (const char* secret : {kServiceSecret, kPostSecret, kSpacedSecret, kAlicePassword,
                               kWrongPassword, kWrongSecret, "demo-cli-secret"}) {
        EXPECT_EQ(log.find(secret), std::string::npos) << secret << " is in the daemon's log";
    }
}

}  // namespace
}  // namespace vegha::test
