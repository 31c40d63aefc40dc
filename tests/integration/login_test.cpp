// Interactive logins through the daemon, end to end: the real demo provider (oidc-provider),
// vegha-brokerd with tests/browser/drive-login.mjs as its browser (Debian's Chromium, driven
// headless through the provider's login and consent pages), and the real client library
// and CLI. Needs Node.js, idp/node_modules with playwright-core, and /usr/bin/chromium.

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/broker_env.hpp"
#include "tests/support/process.hpp"
#include "vegha/client.hpp"

namespace vegha::test {
namespace {
namespace fs = std::filesystem;
namespace json = boost::json;
using std::chrono::seconds;

bool have_browser_tools() {
    return fs::exists("/usr/bin/chromium") &&
           fs::exists(source_dir() / "idp" / "node_modules" / "playwright-core");
}

std::string login_config(const DemoIdp& idp) {
    const std::string issuer = idp.issuer();
    return R"({"profiles": {
      "code": {"grant": "authorization_code", "client_id": "demo-native",
               "authorization_url": ")" +
           issuer + R"(/auth",
               "token_url": ")" +
           issuer + R"(/token",
               "redirect_uri": "http://127.0.0.1/callback",
               "revocation_url": ")" +
           issuer + R"(/token/revocation",
               "issuer": ")" +
           issuer + R"(",
               "scopes": ["openid", "api:read", "offline_access"],
               "login_timeout_seconds": 90},
      "tv": {"grant": "authorization_code", "login": "device", "client_id": "demo-native",
             "device_authorization_url": ")" +
           issuer + R"(/device/auth",
             "token_url": ")" +
           issuer + R"(/token",
             "scopes": ["openid", "api:read"], "login_timeout_seconds": 90}
    }})";
}

// The environment drive-login.mjs reads: it is started by the daemon (as its browser) or by
// the test (as the user on another device).
std::map<std::string, std::string> driver_env(const fs::path& launches, const char* consent) {
    return {{"VEGHA_TEST_BROWSER_LAUNCHES", launches.string()},
            {"LOGIN_USER", "alice"},
            {"LOGIN_PASSWORD", "wonderland"},
            {"CONSENT", consent},
            {"DRIVE_ACTION", "login"}};
}

std::string driver_command() {
    return "/usr/bin/env node " + (source_dir() / "tests" / "browser" / "drive-login.mjs").string();
}

class LoginTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!have_browser_tools()) {
            GTEST_SKIP() << "needs /usr/bin/chromium and playwright-core in idp/node_modules "
                            "(scripts/install-deps.sh)";
        }
        idp_.emplace();
        launches_ = dir_.path() / "launches";
    }

    void start_daemon(const char* consent = "accept") {
        DaemonOptions options;
        options.env = driver_env(launches_, consent);
        options.extra_args = {"--browser-command", driver_command()};
        daemon_.emplace(login_config(*idp_), std::move(options));
    }

    CommandResult vegha_token(std::vector<std::string> args) {
        std::vector<std::string> argv{token_cli_path().string(), "--socket",
                                      daemon_->socket_path().string()};
        argv.insert(argv.end(), args.begin(), args.end());
        return run_command(ProcessOptions{.argv = std::move(argv)}, seconds(150));
    }

    client::Client client() {
        return client::Client(
            client::ClientOptions{daemon_->socket_path().string(), std::chrono::seconds(150)});
    }

    int launches() const {
        std::istringstream lines(fs::exists(launches_) ? read_file(launches_) : "");
        int count = 0;
        for (std::string line; std::getline(lines, line);) {
            ++count;
        }
        return count;
    }

    TempDir dir_;
    std::optional<DemoIdp> idp_;
    std::optional<Daemon> daemon_;
    fs::path launches_;
};

TEST_F(LoginTest, GetLogsInThroughTheBrowserThenServesTheTokenFromTheCache) {
    start_daemon();

    auto first = vegha_token({"get", "code", "--interactive"});

    ASSERT_EQ(first.exit_code, 0) << first.err << daemon_->log();
    ASSERT_FALSE(first.out.empty());
    EXPECT_NE(first.err.find("Opening your browser to log in"), std::string::npos) << first.err;
    EXPECT_NE(first.err.find(idp_->issuer() + "/auth?"), std::string::npos) << first.err;
    EXPECT_NE(first.err.find("Waiting for the login to finish"), std::string::npos);
    EXPECT_EQ(first.out.find("Opening"), std::string::npos);
    EXPECT_EQ(launches(), 1);
    const int token_requests = idp_->counters().token_requests;
    EXPECT_EQ(token_requests, 1);

    auto second = vegha_token({"get", "code", "--interactive", "--format", "json"});

    ASSERT_EQ(second.exit_code, 0) << second.err;
    const json::object reply = json::parse(second.out).as_object();
    EXPECT_TRUE(reply.at("cached").as_bool());
    EXPECT_EQ(std::string(reply.at("access_token").as_string()) + "\n", first.out);
    EXPECT_EQ(idp_->counters().token_requests, token_requests);
    EXPECT_EQ(launches(), 1);
    EXPECT_TRUE(second.err.empty()) << second.err;
}

TEST_F(LoginTest, FiveConcurrentCallersShareOneBrowserLogin) {
    start_daemon();
    constexpr int kCallers = 5;
    std::vector<client::Result<client::AccessToken>> tokens(
        kCallers, client::Error{"not_run", "", "", "", 0});
    std::vector<int> prompts(kCallers, 0);
    std::mutex mutex;

    std::vector<std::thread> callers;
    for (int i = 0; i < kCallers; ++i) {
        callers.emplace_back([&, i] {
            auto c = client();
            client::TokenRequest request;
            request.profile = "code";
            request.interactive = true;
            request.on_prompt = [&, i](const client::LoginPrompt& prompt) {
                std::lock_guard lock(mutex);
                if (!prompt.url.empty()) {
                    ++prompts[i];
                }
            };
            auto token = c.get_token(request);
            std::lock_guard lock(mutex);
            tokens[i] = std::move(token);
        });
    }
    for (auto& caller : callers) {
        caller.join();
    }

    ASSERT_TRUE(tokens[0]) << tokens[0].error().code << ": " << tokens[0].error().message;
    for (int i = 0; i < kCallers; ++i) {
        ASSERT_TRUE(tokens[i]) << i << ": " << tokens[i].error().code << ": "
                               << tokens[i].error().message;
        EXPECT_EQ(tokens[i]->access_token, tokens[0]->access_token) << i;
        // Callers that joined after the prompt went out still hear of it.
        EXPECT_GE(prompts[i], 1) << i;
    }
    EXPECT_EQ(launches(), 1);
    EXPECT_EQ(idp_->counters().token_requests, 1);
}

TEST_F(LoginTest, ANonInteractiveGetIsLoginRequiredAtOnceWithoutABrowser) {
    start_daemon();

    const auto start = std::chrono::steady_clock::now();
    auto result = vegha_token({"get", "code", "--no-interactive"});
    const auto elapsed = std::chrono::steady_clock::now() - start;

    EXPECT_EQ(result.exit_code, 5) << result.err;
    EXPECT_NE(result.err.find("login_required"), std::string::npos) << result.err;
    EXPECT_TRUE(result.out.empty());
    EXPECT_LT(elapsed, seconds(10));
    EXPECT_EQ(launches(), 0);
}

TEST_F(LoginTest, ADeclinedConsentIsTheProvidersAccessDenied) {
    start_daemon("deny");

    auto result = vegha_token({"get", "code", "--interactive"});

    EXPECT_EQ(result.exit_code, 4) << result.err;
    EXPECT_NE(result.err.find("access_denied"), std::string::npos) << result.err;
    EXPECT_TRUE(result.out.empty());
    EXPECT_EQ(launches(), 1);
    EXPECT_EQ(idp_->counters().token_requests, 0);
}

TEST_F(LoginTest, TheDeviceLoginPromptCarriesAUserCode) {
    start_daemon();
    std::optional<client::LoginPrompt> shown;
    std::unique_ptr<Process> other_device;

    auto c = client();
    client::TokenRequest request;
    request.profile = "tv";
    request.interactive = true;
    request.on_prompt = [&](const client::LoginPrompt& prompt) {
        shown = prompt;
        // The user opens the link on "another device".
        other_device = std::make_unique<Process>(ProcessOptions{
            .argv = {"/usr/bin/env", "node",
                     (source_dir() / "tests" / "browser" / "drive-login.mjs").string(), prompt.url},
            .env = driver_env(launches_, "accept"),
            .stderr_path = dir_.path() / "device-driver.log",
        });
    };

    auto token = c.get_token(request);

    ASSERT_TRUE(token) << token.error().code << ": " << token.error().message << "\n"
                       << daemon_->log();
    EXPECT_FALSE(token->access_token.empty());
    ASSERT_TRUE(shown);
    EXPECT_FALSE(shown->user_code.empty());
    EXPECT_EQ(shown->verification_uri, idp_->issuer() + "/device");
    EXPECT_NE(shown->url.find(idp_->issuer() + "/device"), std::string::npos);
}

TEST_F(LoginTest, LogoutForgetsTheGrantAndRevokesItAtTheProvider) {
    start_daemon();
    auto login = vegha_token({"login", "code"});
    ASSERT_EQ(login.exit_code, 0) << login.err << daemon_->log();
    ASSERT_EQ(idp_->counters().revocation_requests, 0);

    auto logout = vegha_token({"logout", "code"});

    EXPECT_EQ(logout.exit_code, 0) << logout.err;
    EXPECT_NE(logout.err.find("code: logged out; the provider revoked the grant"),
              std::string::npos)
        << logout.err;
    EXPECT_TRUE(logout.out.empty());
    EXPECT_EQ(idp_->counters().revocation_requests, 1);

    // Nothing is left to renew from.
    auto after = vegha_token({"get", "code", "--no-interactive"});
    EXPECT_EQ(after.exit_code, 5) << after.err;

    auto c = client();
    auto again = c.logout(client::TokenRequest{.profile = "code"});
    ASSERT_TRUE(again) << again.error().code << ": " << again.error().message;
    EXPECT_FALSE(again->forgotten);
    EXPECT_FALSE(again->revoked);
    EXPECT_EQ(idp_->counters().revocation_requests, 1);
}

TEST_F(LoginTest, LoginSignsInAnewEvenWithAValidTokenCached) {
    start_daemon();
    auto first = vegha_token({"get", "code", "--interactive"});
    ASSERT_EQ(first.exit_code, 0) << first.err;

    auto second = vegha_token({"login", "code"});

    ASSERT_EQ(second.exit_code, 0) << second.err;
    EXPECT_NE(second.out, first.out);
    EXPECT_EQ(launches(), 2);
}

}  // namespace
}  // namespace vegha::test
