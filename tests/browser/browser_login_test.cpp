#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json/parse.hpp>
#include <boost/url/url_view.hpp>
#include <chrono>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>

#include "login/authorization_code.hpp"
#include "login/browser.hpp"
#include "login/device_flow.hpp"
#include "oauth/form.hpp"
#include "tests/support/broker_env.hpp"
#include "tests/support/process.hpp"

namespace vegha::login {
namespace {
namespace asio = boost::asio;
namespace fs = std::filesystem;
using std::chrono::seconds;

constexpr seconds kLoginDeadline{60};

bool have_browser_tools() {
    return fs::exists("/usr/bin/chromium") &&
           fs::exists(test::source_dir() / "idp" / "node_modules" / "playwright-core");
}

// Runs one coroutine to completion, or fails the test after `limit`.
template <class T>
T run(asio::io_context& io, asio::awaitable<T> task, seconds limit = seconds(100)) {
    std::optional<T> result;
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> { result.emplace(co_await std::move(task)); },
        [](std::exception_ptr e) {
            if (e) {
                std::rethrow_exception(e);
            }
        });
    io.run_for(limit);
    io.restart();
    if (!result) {
        throw std::runtime_error("the login did not end on its own deadline");
    }
    return std::move(*result);
}

class BrowserLoginTest : public testing::Test {
protected:
    void SetUp() override {
        if (!have_browser_tools()) {
            GTEST_SKIP() << "needs /usr/bin/chromium and playwright-core in idp/node_modules "
                            "(scripts/install-deps.sh)";
        }
        idp_.emplace();
        launches_ = dir_.path() / "launches";
        // The browser script inherits the test's environment, as a real browser would.
        ::setenv("VEGHA_TEST_BROWSER_LAUNCHES", launches_.c_str(), 1);
        ::setenv("LOGIN_USER", "alice", 1);
        ::setenv("LOGIN_PASSWORD", "wonderland", 1);
        ::setenv("CONSENT", "accept", 1);
        ::setenv("DRIVE_ACTION", "login", 1);
        options_.browser_command = {"/usr/bin/env", "node", VEGHA_DRIVE_LOGIN_SCRIPT};
        options_.deadline = kLoginDeadline;
    }

    oauth::Profile profile(std::string_view redirect = "http://127.0.0.1/callback",
                           std::string_view scopes = "openid api:read") const {
        const std::string text = R"({"grant":"authorization_code","client_id":"demo-native",
            "token_url":")" + idp_->issuer() +
                                 R"(/token",
            "authorization_url":")" +
                                 idp_->issuer() + R"(/auth",
            "redirect_uri":")" + std::string(redirect) +
                                 R"(",
            "scopes":")" + std::string(scopes) +
                                 "\"}";
        return oauth::parse_profile(boost::json::parse(text).as_object(), "demo", {}).value();
    }

    Result<oauth::Token> login(const oauth::Profile& p) {
        return run(io_, run_authorization_code_login(p, http_, options_, oauth::Clock::now));
    }

    int launches() const {
        std::istringstream lines(test::read_file(launches_));
        int count = 0;
        for (std::string line; std::getline(lines, line);) {
            ++count;
        }
        return count;
    }

    test::TempDir dir_;
    std::optional<test::DemoIdp> idp_;
    fs::path launches_;
    asio::io_context io_;
    oauth::HttpClient http_{io_.get_executor(), {}};
    LoginOptions options_;
};

TEST_F(BrowserLoginTest, SignsInThroughTheProvidersPagesAndGetsARefreshToken) {
    options_.request_offline_access = true;
    const auto p = profile();

    auto token = login(p);

    ASSERT_TRUE(token) << token.error().message;
    EXPECT_FALSE(token->access_token.empty());
    EXPECT_FALSE(token->refresh_token.empty());
    EXPECT_EQ(launches(), 1);

    // The refresh token works at the same provider.
    oauth::FormBody form;
    form.add("grant_type", "refresh_token");
    form.add("refresh_token", token->refresh_token.reveal());
    form.add("client_id", "demo-native");
    oauth::HttpRequest refresh;
    refresh.url = p.token_url;
    refresh.content_type = "application/x-www-form-urlencoded";
    refresh.body = form.finish();
    auto refreshed = run(io_, http_.send(refresh));
    ASSERT_TRUE(refreshed);
    auto parsed = oauth::parse_token_response(*refreshed, {p.scopes, oauth::Clock::now()});
    EXPECT_TRUE(parsed) << parsed.error().message;
}

TEST_F(BrowserLoginTest, WithoutOfflineAccessThereIsNoRefreshToken) {
    auto token = login(profile());

    ASSERT_TRUE(token) << token.error().message;
    EXPECT_TRUE(token->refresh_token.empty());
}

TEST_F(BrowserLoginTest, DeniedConsentIsAnAccessDeniedError) {
    ::setenv("CONSENT", "deny", 1);

    auto token = login(profile());

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, Errc::kIdpError);
    EXPECT_EQ(token.error().idp_error, "access_denied");
    EXPECT_EQ(idp_->counters().token_requests, 0);
}

TEST_F(BrowserLoginTest, StrayAndStaleRequestsDoNotEndTheLogin) {
    ::setenv("DRIVE_ACTION", "strays-first", 1);

    auto token = login(profile());

    ASSERT_TRUE(token) << token.error().message;
    EXPECT_EQ(idp_->counters().token_requests, 1);
}

TEST_F(BrowserLoginTest, ALoginNobodyFinishesEndsAtTheDeadlineAndReleasesThePort) {
    ::setenv("DRIVE_ACTION", "none", 1);
    options_.deadline = seconds(5);
    unsigned short port = 0;
    options_.on_browser_url = [&](std::string_view url) {
        const auto redirect = boost::urls::url_view(url).params().find("redirect_uri");
        port = boost::urls::url_view((*redirect).value).port_number();
    };

    auto token = login(profile());

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, Errc::kTimeout);
    EXPECT_NE(token.error().message.find("redirect URI registered with the provider"),
              std::string::npos);
    ASSERT_NE(port, 0);
    asio::ip::tcp::acceptor again(io_);
    again.open(asio::ip::tcp::v4());
    again.set_option(asio::socket_base::reuse_address(true));
    boost::system::error_code ec;
    again.bind({asio::ip::address_v4::loopback(), port}, ec);
    EXPECT_FALSE(ec) << "port " << port << " still taken: " << ec.message();
}

TEST_F(BrowserLoginTest, ABusyFixedPortIsReportedBeforeAnyBrowserStarts) {
    asio::ip::tcp::acceptor other(io_, {asio::ip::address_v4::loopback(), 0});
    const auto port = std::to_string(other.local_endpoint().port());

    auto token = login(profile("http://127.0.0.1:" + port + "/callback"));

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, Errc::kNetwork);
    EXPECT_NE(token.error().message.find("port " + port), std::string::npos);
    EXPECT_EQ(launches(), 0);
}

class DeviceBrowserLoginTest : public BrowserLoginTest {
protected:
    Result<oauth::Token> device_login() {
        DeviceOptions options;
        options.device_authorization_url = boost::urls::url(idp_->issuer() + "/device/auth");
        options.deadline = kLoginDeadline;
        // The user opens the complete verification URI on "another device".
        options.on_user_code = [this](const DeviceCode& code) {
            shown_ = code;
            const auto opened =
                open_browser(options_.browser_command, code.verification_uri_complete.value_or(""));
            EXPECT_TRUE(opened);
        };
        const auto p = profile();
        return run(io_, run_device_login(p, http_, options, oauth::Clock::now));
    }

    std::optional<DeviceCode> shown_;
};

TEST_F(DeviceBrowserLoginTest, SignsInOnTheProvidersDevicePages) {
    auto token = device_login();

    ASSERT_TRUE(token) << token.error().message;
    EXPECT_FALSE(token->access_token.empty());
    ASSERT_TRUE(shown_);
    EXPECT_FALSE(shown_->user_code.empty());
    EXPECT_EQ(shown_->verification_uri, idp_->issuer() + "/device");
}

TEST_F(DeviceBrowserLoginTest, AnAbortedDeviceSignInIsAccessDenied) {
    ::setenv("CONSENT", "deny", 1);

    auto token = device_login();

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, Errc::kIdpError);
    EXPECT_EQ(token.error().idp_error, "access_denied");
}

}  // namespace
}  // namespace vegha::login
