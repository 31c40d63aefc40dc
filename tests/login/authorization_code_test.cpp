#include "login/authorization_code.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <thread>

#include "oauth/form.hpp"
#include "oauth/pkce.hpp"
#include "support/printers.hpp"
#include "support/raw_http.hpp"
#include "support/run_with_deadline.hpp"
#include "support/test_http_server.hpp"

namespace vegha::login {
namespace {
namespace asio = boost::asio;
using oauth::Profile;
using std::chrono::seconds;
using test::CannedResponse;
using test::ReceivedRequest;
using test::TestHttpServer;
using Params = std::map<std::string, std::string>;

const oauth::Clock::time_point kNow = oauth::Clock::time_point(seconds(1'700'000'000));

Params query_of(std::string_view url_or_body, bool is_body = false) {
    Params params;
    if (is_body) {
        for (auto& [name, value] : oauth::parse_form(url_or_body).value()) {
            params[name] = value;
        }
        return params;
    }
    for (const auto& param : boost::urls::url_view(url_or_body).params()) {
        params[param.key] = param.value;
    }
    return params;
}

CannedResponse token_json(const ReceivedRequest&, std::size_t) {
    return test::answer(200, "application/json",
                        R"({"access_token":"at-1","token_type":"Bearer","expires_in":600,)"
                        R"("refresh_token":"rt-1","scope":"openid api:read"})");
}

CannedResponse invalid_grant(const ReceivedRequest&, std::size_t) {
    return test::answer(400, "application/json",
                        R"({"error":"invalid_grant","error_description":"code already used"})");
}

Profile profile_for(const std::string& token_url, std::string_view redirect,
                    std::string_view extra = "") {
    const std::string text = R"({"grant":"authorization_code","client_id":"native-app",
        "token_url":")" + token_url +
                             R"(",
        "authorization_url":"http://127.0.0.1:9/authorize?tenant=t1",
        "redirect_uri":")" + std::string(redirect) +
                             R"(","scopes":"openid api:read")" + std::string(extra) + "}";
    return oauth::parse_profile(boost::json::parse(text).as_object(), "native", {}).value();
}

class AuthorizationCodeLoginTest : public testing::Test {
protected:
    explicit AuthorizationCodeLoginTest(TestHttpServer::Handler handler = token_json)
        : server_(std::move(handler)),
          http_(io_.get_executor(), {}),
          profile_(profile_for(server_.url(), "http://127.0.0.1/callback")) {
        options_.open_browser = false;
        options_.deadline = seconds(10);
    }

    ~AuthorizationCodeLoginTest() override {
        if (browser_.joinable()) {
            browser_.join();
        }
    }

    // The user's browser: given the authorization URL, it sends the redirect that `answer`
    // makes from the request's parameters, as the provider would after the sign-in.
    void browser_answers(std::function<std::string(const Params&)> answer) {
        options_.on_browser_url = [this, answer](std::string_view url) {
            shown_url_ = std::string(url);
            const Params request = query_of(url);
            const boost::urls::url_view redirect(request.at("redirect_uri"));
            const std::string target = std::string(redirect.encoded_path()) + "?" + answer(request);
            browser_ = std::thread([port = redirect.port_number(), target, this] {
                page_ = test::http_get(port, target);
            });
        };
    }

    Result<oauth::Token> login() {
        auto result = test::run_with_deadline(
            io_, run_authorization_code_login(profile_, http_, options_, [] { return kNow; }),
            seconds(30));
        if (browser_.joinable()) {
            browser_.join();
        }
        if (!result) {
            throw std::runtime_error("the login did not finish");
        }
        return std::move(*result);
    }

    asio::io_context io_;
    TestHttpServer server_;
    oauth::HttpClient http_;
    Profile profile_;
    LoginOptions options_;
    std::thread browser_;
    std::string shown_url_;
    test::RawResponse page_;
};

class RefusingTokenEndpointTest : public AuthorizationCodeLoginTest {
protected:
    RefusingTokenEndpointTest() : AuthorizationCodeLoginTest(invalid_grant) {}
};

std::string answer_with_code(const Params& request) {
    return "code=the-code&state=" + oauth::form_encode(request.at("state"));
}

TEST(AuthorizationRequestTest, CarriesPkceStateAndTheExactRedirect) {
    const Profile profile = profile_for("http://127.0.0.1:1/token", "http://127.0.0.1/callback");

    auto request = build_authorization_request(profile, {}, "http://127.0.0.1:4567/callback",
                                               "st-1", "challenge-1");

    ASSERT_TRUE(request);
    EXPECT_EQ(request->url.rfind("http://127.0.0.1:9/authorize?tenant=t1&response_type=code&", 0),
              0u)
        << request->url;
    const Params params = query_of(request->url);
    EXPECT_EQ(params.at("tenant"), "t1");
    EXPECT_EQ(params.at("client_id"), "native-app");
    EXPECT_EQ(params.at("redirect_uri"), "http://127.0.0.1:4567/callback");
    EXPECT_EQ(params.at("scope"), "api:read openid");
    EXPECT_EQ(params.at("state"), "st-1");
    EXPECT_EQ(params.at("code_challenge"), "challenge-1");
    EXPECT_EQ(params.at("code_challenge_method"), "S256");
    EXPECT_EQ(params.count("prompt"), 0u);
    EXPECT_EQ(request->redirect_uri, "http://127.0.0.1:4567/callback");
}

TEST(AuthorizationRequestTest, AsksForConsentWhenAskingForOfflineAccess) {
    const Profile profile = profile_for("http://127.0.0.1:1/token", "http://127.0.0.1/callback");
    LoginOptions options;
    options.request_offline_access = true;

    const Params params = query_of(
        build_authorization_request(profile, options, "http://127.0.0.1:1/callback", "s", "c")
            ->url);

    EXPECT_EQ(params.at("scope"), "api:read offline_access openid");
    EXPECT_EQ(params.at("prompt"), "consent");
}

TEST(AuthorizationRequestTest, AnExplicitPromptWins) {
    const Profile profile = profile_for("http://127.0.0.1:1/token", "http://127.0.0.1/callback");
    LoginOptions options;
    options.request_offline_access = true;
    options.prompt = "login";

    const Params params = query_of(
        build_authorization_request(profile, options, "http://127.0.0.1:1/callback", "s", "c")
            ->url);

    EXPECT_EQ(params.at("prompt"), "login");
}

TEST(AuthorizationRequestTest, EncodesEveryReservedCharacter) {
    const Profile profile = profile_for("http://127.0.0.1:1/token", "http://127.0.0.1/callback");
    LoginOptions options;
    options.login_hint = "a+b c@example.com&x=1";

    auto request =
        build_authorization_request(profile, options, "http://127.0.0.1:1/callback", "s", "c");

    EXPECT_NE(request->url.find("login_hint=a%2Bb%20c%40example.com%26x%3D1"), std::string::npos)
        << request->url;
    EXPECT_NE(request->url.find("scope=api%3Aread%20openid"), std::string::npos);
    EXPECT_EQ(query_of(request->url).at("login_hint"), "a+b c@example.com&x=1");
}

TEST(CodeExchangeRequestTest, ConfidentialClientsAuthenticateWithBasic) {
    const Profile profile =
        profile_for("http://127.0.0.1:1/token", "http://127.0.0.1/callback",
                    R"(,"client_secret":"s3cret","client_auth":"client_secret_basic")");

    auto request =
        build_code_exchange_request(profile, Secret(std::string_view("c")),
                                    "http://127.0.0.1:5/callback", Secret(std::string_view("v")));

    ASSERT_TRUE(request);
    EXPECT_FALSE(request->authorization.empty());
    const Params body = query_of(request->body.reveal(), true);
    EXPECT_EQ(body.count("client_id"), 0u);
    EXPECT_EQ(body.at("grant_type"), "authorization_code");
    EXPECT_EQ(body.at("code_verifier"), "v");
}

TEST_F(AuthorizationCodeLoginTest, RedeemsTheCodeOnceWithTheSameRedirectUriAndVerifier) {
    browser_answers(answer_with_code);

    auto token = login();

    ASSERT_TRUE(token) << token.error().message;
    EXPECT_EQ(token->access_token.reveal(), "at-1");
    EXPECT_EQ(token->refresh_token.reveal(), "rt-1");
    EXPECT_EQ(token->expires_at, kNow + seconds(600));
    EXPECT_EQ(page_.status, 200);

    ASSERT_EQ(server_.requests(), 1u);
    const Params sent = query_of(shown_url_);
    const auto received = server_.received().front();
    const Params body = query_of(received.body, true);
    EXPECT_EQ(body.at("grant_type"), "authorization_code");
    EXPECT_EQ(body.at("code"), "the-code");
    EXPECT_EQ(body.at("client_id"), "native-app");
    EXPECT_EQ(body.at("redirect_uri"), sent.at("redirect_uri"));
    EXPECT_NE(received.body.find("redirect_uri=" + oauth::form_encode(sent.at("redirect_uri"))),
              std::string::npos);
    EXPECT_TRUE(oauth::is_valid_verifier(body.at("code_verifier")));
    EXPECT_EQ(oauth::s256_challenge(body.at("code_verifier")), sent.at("code_challenge"));
}

TEST_F(AuthorizationCodeLoginTest, AcceptsAnIssuerOfTheAuthorizationEndpointsOrigin) {
    browser_answers([](const Params& request) {
        return answer_with_code(request) + "&iss=http%3A%2F%2F127.0.0.1%3A9";
    });

    auto token = login();

    ASSERT_TRUE(token) << token.error().message;
}

TEST_F(AuthorizationCodeLoginTest, RejectsAnIssuerOfAnotherOriginWithoutRedeemingTheCode) {
    browser_answers([](const Params& request) {
        return answer_with_code(request) + "&iss=https%3A%2F%2Fevil.example";
    });

    auto token = login();

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, Errc::kInvalidRequest);
    EXPECT_EQ(server_.requests(), 0u);
}

TEST_F(AuthorizationCodeLoginTest, DeniedConsentEndsTheLoginWithoutATokenRequest) {
    browser_answers([](const Params& request) {
        return "error=access_denied&state=" + oauth::form_encode(request.at("state"));
    });

    auto token = login();

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, Errc::kIdpError);
    EXPECT_EQ(token.error().idp_error, "access_denied");
    EXPECT_EQ(server_.requests(), 0u);
}

TEST_F(AuthorizationCodeLoginTest, DeadlineEndsTheLoginWithAHintAboutTheRedirectUri) {
    options_.deadline = seconds(1);
    unsigned short port = 0;
    options_.on_browser_url = [&](std::string_view url) {
        port = boost::urls::url_view(query_of(url).at("redirect_uri")).port_number();
    };

    auto token = login();

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, Errc::kTimeout);
    EXPECT_NE(token.error().message.find("redirect URI registered with the provider"),
              std::string::npos)
        << token.error().message;
    EXPECT_EQ(server_.requests(), 0u);
    EXPECT_FALSE(test::accepts_connections("127.0.0.1", port));
}

TEST_F(AuthorizationCodeLoginTest, FailsAtOnceWhenNoBrowserStartsAndNobodySeesTheUrl) {
    options_.open_browser = true;
    options_.browser_command = {"/nonexistent/browser"};

    const auto start = std::chrono::steady_clock::now();
    auto token = login();

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, Errc::kInvalidRequest);
    EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(5));
}

TEST_F(AuthorizationCodeLoginTest, KeepsWaitingWhenNoBrowserStartsButTheUrlWasShown) {
    options_.open_browser = true;
    options_.browser_command = {"/nonexistent/browser"};
    browser_answers(answer_with_code);

    auto token = login();

    ASSERT_TRUE(token) << token.error().message;
}

TEST_F(AuthorizationCodeLoginTest, ABusyRedirectPortFailsBeforeAnyBrowserOpens) {
    asio::ip::tcp::acceptor other(io_, {asio::ip::address_v4::loopback(), 0});
    const auto port = std::to_string(other.local_endpoint().port());
    profile_ = profile_for(server_.url(), "http://127.0.0.1:" + port + "/callback");
    bool shown = false;
    options_.on_browser_url = [&](std::string_view) { shown = true; };

    auto token = login();

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, Errc::kNetwork);
    EXPECT_NE(token.error().message.find(port), std::string::npos);
    EXPECT_FALSE(shown);
}

TEST_F(RefusingTokenEndpointTest, ARefusedCodeIsNotPresentedTwice) {
    browser_answers(answer_with_code);

    auto token = login();

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, Errc::kIdpError);
    EXPECT_EQ(token.error().idp_error, "invalid_grant");
    EXPECT_EQ(server_.requests(), 1u);
}

}  // namespace
}  // namespace vegha::login
