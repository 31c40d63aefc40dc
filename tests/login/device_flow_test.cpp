#include "login/device_flow.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "oauth/form.hpp"
#include "support/printers.hpp"
#include "support/run_with_deadline.hpp"
#include "support/test_http_server.hpp"

namespace vegha::login {
namespace {
namespace asio = boost::asio;
using std::chrono::milliseconds;
using std::chrono::seconds;
using test::CannedResponse;
using test::ReceivedRequest;
using test::TestHttpServer;

const oauth::Clock::time_point kNow = oauth::Clock::time_point(seconds(1'700'000'000));

std::string device_json(int expires_in = 600, int interval = 5) {
    return R"({"device_code":"dev-code-1","user_code":"WDJB-MJHT",)"
           R"("verification_uri":"https://idp.example/device",)"
           R"("verification_uri_complete":"https://idp.example/device?user_code=WDJB-MJHT",)"
           R"("expires_in":)" +
           std::to_string(expires_in) + R"(,"interval":)" + std::to_string(interval) + "}";
}

CannedResponse oauth_error(std::string_view error) {
    return test::answer(400, "application/json", R"({"error":")" + std::string(error) + "\"}");
}

CannedResponse token_json() {
    return test::answer(200, "application/json",
                        R"({"access_token":"at-d","token_type":"Bearer","expires_in":300})");
}

// A provider whose token endpoint answers the polls in `script` order, then repeats the
// last answer; the device authorization endpoint issues device_json(expires_in, interval).
TestHttpServer::Handler provider(std::vector<std::string> script, int expires_in = 600,
                                 int interval = 5) {
    return [script, expires_in, interval](const ReceivedRequest& request, std::size_t n) {
        if (request.target == "/device") {
            return test::answer(200, "application/json", device_json(expires_in, interval));
        }
        const std::string& step = script[std::min(n - 2, script.size() - 1)];
        return step == "token" ? token_json() : oauth_error(step);
    };
}

class DeviceLoginTest : public testing::Test {
protected:
    explicit DeviceLoginTest(TestHttpServer::Handler handler) : server_(std::move(handler)) {
        const std::string text =
            R"({"grant":"authorization_code","client_id":"tv-app","token_url":")" +
            server_.url("/token") +
            R"(","authorization_url":"http://127.0.0.1:9/auth",)"
            R"("redirect_uri":"http://127.0.0.1/callback","scopes":"openid api:read"})";
        profile_ = oauth::parse_profile(boost::json::parse(text).as_object(), "tv", {}).value();

        options_.device_authorization_url = boost::urls::url(server_.url("/device"));
        options_.on_user_code = [this](const DeviceCode& code) { shown_.push_back(code); };
        // Time passes only when the flow sleeps: no test waits out a real interval.
        options_.steady_now = [this] { return clock_; };
        options_.sleep = [this](milliseconds duration) -> asio::awaitable<void> {
            slept_.push_back(std::chrono::duration_cast<seconds>(duration));
            clock_ += duration;
            co_return;
        };
    }

    Result<oauth::Token> login() {
        auto result = test::run_with_deadline(
            io_, run_device_login(profile_, http_, options_, [] { return kNow; }));
        if (!result) {
            throw std::runtime_error("the device login did not finish");
        }
        return std::move(*result);
    }

    std::size_t polls() const { return server_.requests() - 1; }

    asio::io_context io_;
    TestHttpServer server_;
    oauth::HttpClient http_{io_.get_executor(), {}};
    oauth::Profile profile_;
    DeviceOptions options_;
    std::vector<DeviceCode> shown_;
    std::vector<seconds> slept_;
    std::chrono::steady_clock::time_point clock_{};
};

struct PendingThenApproved : DeviceLoginTest {
    PendingThenApproved()
        : DeviceLoginTest(
              provider({"authorization_pending", "slow_down", "authorization_pending", "token"})) {}
};

TEST_F(PendingThenApproved, ShowsTheCodeOncePollsAtTheIntervalAndHonoursSlowDown) {
    auto token = login();

    ASSERT_TRUE(token) << token.error().message;
    EXPECT_EQ(token->access_token.reveal(), "at-d");
    ASSERT_EQ(shown_.size(), 1u);
    EXPECT_EQ(shown_[0].user_code, "WDJB-MJHT");
    EXPECT_EQ(shown_[0].verification_uri, "https://idp.example/device");
    EXPECT_EQ(shown_[0].verification_uri_complete,
              "https://idp.example/device?user_code=WDJB-MJHT");
    EXPECT_EQ(slept_, (std::vector<seconds>{seconds(5), seconds(5), seconds(10), seconds(10)}));
    EXPECT_EQ(polls(), 4u);
}

TEST_F(PendingThenApproved, SendsTheDeviceCodeGrantWithTheClientId) {
    ASSERT_TRUE(login());

    const auto received = server_.received();
    ASSERT_GE(received.size(), 2u);
    const auto ask = oauth::parse_form(received[0].body).value();
    EXPECT_EQ(received[0].target, "/device");
    EXPECT_NE(received[0].body.find("scope=api%3Aread+openid"), std::string::npos);
    EXPECT_NE(received[0].body.find("client_id=tv-app"), std::string::npos);
    EXPECT_EQ(received[1].target, "/token");
    EXPECT_NE(received[1].body.find("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3A"
                                    "device_code"),
              std::string::npos);
    EXPECT_NE(received[1].body.find("device_code=dev-code-1"), std::string::npos);
}

struct Declined : DeviceLoginTest {
    Declined() : DeviceLoginTest(provider({"authorization_pending", "access_denied"})) {}
};

TEST_F(Declined, AccessDeniedEndsTheLogin) {
    auto token = login();

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, Errc::kIdpError);
    EXPECT_EQ(token.error().idp_error, "access_denied");
    EXPECT_EQ(polls(), 2u);
}

struct ExpiredAtTheProvider : DeviceLoginTest {
    ExpiredAtTheProvider() : DeviceLoginTest(provider({"expired_token"})) {}
};

TEST_F(ExpiredAtTheProvider, ExpiredTokenEndsTheLogin) {
    auto token = login();

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, Errc::kIdpError);
    EXPECT_EQ(token.error().idp_error, "expired_token");
    EXPECT_NE(token.error().message.find("start the login again"), std::string::npos);
}

struct NeverApproved : DeviceLoginTest {
    NeverApproved() : DeviceLoginTest(provider({"authorization_pending"}, 12, 5)) {}
};

TEST_F(NeverApproved, StopsPollingWhenTheCodeRunsOut) {
    auto token = login();

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, Errc::kTimeout);
    EXPECT_EQ(polls(), 2u);  // at 5 s and 10 s; a poll at 15 s would outlive the code
}

TEST_F(NeverApproved, StopsPollingAtTheCallersDeadline) {
    options_.deadline = seconds(7);

    auto token = login();

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, Errc::kTimeout);
    EXPECT_EQ(polls(), 1u);
}

struct RefusedClient : DeviceLoginTest {
    RefusedClient()
        : DeviceLoginTest([](const ReceivedRequest&, std::size_t) {
              return test::answer(401, "application/json",
                                  R"({"error":"invalid_client","error_description":"no"})");
          }) {}
};

TEST_F(RefusedClient, ARefusedDeviceRequestIsAnIdpError) {
    auto token = login();

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, Errc::kIdpError);
    EXPECT_EQ(token.error().idp_error, "invalid_client");
    EXPECT_TRUE(shown_.empty());
}

struct GarbageProvider : DeviceLoginTest {
    GarbageProvider()
        : DeviceLoginTest([](const ReceivedRequest&, std::size_t) {
              return test::answer(200, "text/html", "<html>a login page</html>");
          }) {}
};

TEST_F(GarbageProvider, AnAnswerThatIsNoDeviceCodeIsReported) {
    auto token = login();

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, Errc::kInvalidTokenResponse);
    EXPECT_TRUE(shown_.empty());
}

}  // namespace
}  // namespace vegha::login
