// Tokens kept fresh against the real provider with lifetimes of a few seconds: renewal
// ahead of expiry, refresh-token rotation, and renewal on a caller's say-so.

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <optional>
#include <set>
#include <thread>

#include "tests/integration/demo_profiles.hpp"
#include "tests/support/broker_env.hpp"
#include "tests/support/raw_ipc.hpp"
#include "vegha/client.hpp"

namespace vegha::test {
namespace {
namespace json = boost::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kLifetimeSeconds = 4;

std::int64_t unix_now() {
    return std::chrono::duration_cast<seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

class LifecycleTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        idp_ = new DemoIdp(DemoIdp::Options{.access_token_ttl = kLifetimeSeconds});
    }
    static void TearDownTestSuite() {
        delete idp_;
        idp_ = nullptr;
    }

    void SetUp() override {
        daemon_ = std::make_unique<Daemon>(demo_config(*idp_), demo_env());
        client_.emplace(client::ClientOptions{.socket_path = daemon_->socket_path().string()});
    }

    client::Result<client::AccessToken> get(const std::string& profile) {
        return client_->get_token(client::TokenRequest{.profile = profile});
    }

    json::object raw_get(const std::string& params) {
        RawConnection connection(daemon_->socket_path());
        connection.send_frame(R"({"v":1,"id":1,"op":"get_token","params":)" + params + "}");
        auto reply = connection.read_frame(seconds(30));
        EXPECT_TRUE(reply);
        return reply ? json::parse(*reply).as_object() : json::object{};
    }

    static DemoIdp* idp_;
    std::unique_ptr<Daemon> daemon_;
    std::optional<client::Client> client_;
};

DemoIdp* LifecycleTest::idp_ = nullptr;

TEST_F(LifecycleTest, TokensStayValidAcrossSeveralLifetimesWithRotatingRefreshTokens) {
    const auto before = idp_->counters();
    ASSERT_TRUE(get("alice"));

    // Three and a half lifetimes, asking four times a second. The daemon renews ahead of
    // expiry with the refresh token, which the provider rotates on every use (and revokes
    // the whole grant if an old one is ever used again).
    std::set<std::string> tokens;
    int from_cache = 0;
    int calls = 0;
    const auto until = std::chrono::steady_clock::now() + milliseconds(kLifetimeSeconds * 3500);
    while (std::chrono::steady_clock::now() < until) {
        auto token = get("alice");
        ASSERT_TRUE(token) << token.error().code << ": " << token.error().message;
        // expires_at is in whole seconds, so a token with under a second left has
        // expires_at equal to the current second; one past it has expired.
        EXPECT_GE(token->expires_at, unix_now()) << "a caller saw an expired token";
        tokens.insert(token->access_token);
        from_cache += token->from_cache ? 1 : 0;
        ++calls;
        std::this_thread::sleep_for(milliseconds(250));
    }

    const auto after = idp_->counters();
    EXPECT_EQ(after.password, before.password + 1) << "the grant was lost and logged in again";
    EXPECT_GE(after.refresh_token - before.refresh_token, 3);
    EXPECT_GE(tokens.size(), 3u);
    // Renewal runs ahead of expiry, so callers are answered from the cache; a call or two
    // may meet a renewal that a loaded machine delayed into the token's last moments.
    EXPECT_GE(from_cache, calls - 2);
}

TEST_F(LifecycleTest, ClientCredentialsAreRenewedWithoutAnyCaller) {
    ASSERT_TRUE(get("service"));
    const int first = idp_->counters().client_credentials;

    EXPECT_TRUE(wait_until([&] { return idp_->counters().client_credentials > first; },
                           seconds(kLifetimeSeconds * 2)));

    auto token = get("service");
    ASSERT_TRUE(token);
    EXPECT_TRUE(token->from_cache);
    EXPECT_GT(token->expires_at, unix_now());
}

TEST_F(LifecycleTest, ARejectedTokenIsRenewedOnceThenServedToEveryoneWhoSawIt) {
    auto first = raw_get(R"({"profile":"service"})");
    ASSERT_TRUE(first.at("ok").as_bool());
    const std::string rejected(first.at("result").at("access_token").as_string());
    const int before = idp_->counters().client_credentials;

    auto renewed = raw_get(R"({"profile":"service","rejected_token":")" + rejected + "\"}");
    ASSERT_TRUE(renewed.at("ok").as_bool());
    const std::string fresh(renewed.at("result").at("access_token").as_string());
    EXPECT_NE(fresh, rejected);
    EXPECT_FALSE(renewed.at("cached").as_bool());

    // A second caller that saw the same bad token gets the new one, with no new request.
    auto again = raw_get(R"({"profile":"service","rejected_token":")" + rejected + "\"}");
    EXPECT_EQ(again.at("result").at("access_token").as_string(), fresh);
    EXPECT_TRUE(again.at("cached").as_bool());
    EXPECT_EQ(idp_->counters().client_credentials, before + 1);
}

TEST_F(LifecycleTest, ForceRefreshRenewsAValidToken) {
    auto first = raw_get(R"({"profile":"alice"})");
    ASSERT_TRUE(first.at("ok").as_bool());
    const int refreshes = idp_->counters().refresh_token;

    auto forced = raw_get(R"({"profile":"alice","force_refresh":true})");
    ASSERT_TRUE(forced.at("ok").as_bool());
    EXPECT_NE(forced.at("result").at("access_token").as_string(),
              first.at("result").at("access_token").as_string());
    EXPECT_EQ(idp_->counters().refresh_token, refreshes + 1);
}

}  // namespace
}  // namespace vegha::test
