#include "oauth/token_client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <map>
#include <string>

#include "oauth/form.hpp"
#include "support/printers.hpp"
#include "support/run_with_deadline.hpp"
#include "support/test_http_server.hpp"

namespace vegha::oauth {
namespace {

Profile profile_from(std::string_view text) {
    auto profile = parse_profile(boost::json::parse(text).as_object(), "test", {});
    if (!profile) {
        ADD_FAILURE() << profile.error().message;
        return {};
    }
    return std::move(*profile);
}

// The form body of a request as name -> value; repeated names would be a bug, so they fail.
std::map<std::string, std::string> body_fields(const HttpRequest& request) {
    auto fields = parse_form(request.body.reveal());
    EXPECT_TRUE(fields);
    std::map<std::string, std::string> out;
    if (fields) {
        for (auto& [name, value] : *fields) {
            EXPECT_TRUE(out.emplace(name, value).second) << "repeated field " << name;
        }
    }
    return out;
}

constexpr std::string_view kClientCredentials = R"({
    "grant": "client_credentials", "token_url": "https://idp.example/oauth2/token?tenant=a",
    "client_id": "svc app", "client_secret": "p@ss+w/rd:=1",
    "scopes": ["write", "read"], "audience": "https://api.example", "timeout_seconds": 7
})";

TEST(BuildTokenRequest, PostsAFormToTheTokenUrl) {
    auto request = build_token_request(profile_from(kClientCredentials));

    ASSERT_TRUE(request) << request.error().message;
    EXPECT_EQ(request->method, HttpRequest::Method::kPost);
    EXPECT_EQ(request->url.buffer(), "https://idp.example/oauth2/token?tenant=a");
    EXPECT_EQ(request->content_type, "application/x-www-form-urlencoded");
    EXPECT_EQ(request->timeout, std::chrono::seconds(7));
}

TEST(BuildTokenRequest, SendsTheGrantTypeSortedScopesAndAudience) {
    auto request = build_token_request(profile_from(kClientCredentials));
    ASSERT_TRUE(request);

    const auto fields = body_fields(*request);

    EXPECT_EQ(fields.at("grant_type"), "client_credentials");
    EXPECT_EQ(fields.at("scope"), "read write");
    EXPECT_EQ(fields.at("audience"), "https://api.example");
    EXPECT_NE(request->body.reveal().find("scope=read+write"), std::string_view::npos)
        << "scopes are space-separated in the order ScopeSet sorts them";
}

TEST(BuildTokenRequest, LeavesOutScopeAndAudienceWhenTheProfileHasNone) {
    auto request = build_token_request(profile_from(R"({"grant":"client_credentials",
        "token_url":"https://i.example/t","client_id":"c","client_secret":"s"})"));
    ASSERT_TRUE(request);

    const auto fields = body_fields(*request);

    EXPECT_FALSE(fields.contains("scope"));
    EXPECT_FALSE(fields.contains("audience"));
}

TEST(BuildTokenRequest, PutsBasicCredentialsInTheAuthorizationHeaderAndNotTheBody) {
    auto request = build_token_request(profile_from(kClientCredentials));
    ASSERT_TRUE(request);

    const auto fields = body_fields(*request);

    EXPECT_EQ(request->authorization,
              basic_authorization("svc app", Secret(std::string_view("p@ss+w/rd:=1"))));
    EXPECT_EQ(request->authorization.reveal().substr(0, 6), "Basic ");
    EXPECT_FALSE(fields.contains("client_id"));
    EXPECT_FALSE(fields.contains("client_secret"));
    EXPECT_EQ(request->body.reveal().find("p%40ss"), std::string_view::npos);
}

TEST(BuildTokenRequest, PutsPostCredentialsInTheBodyAndNoAuthorization) {
    auto request = build_token_request(profile_from(R"({"grant":"client_credentials",
        "token_url":"https://i.example/t","client_id":"svc app","client_secret":"p@ss+w/rd:=1",
        "client_auth":"client_secret_post"})"));
    ASSERT_TRUE(request);

    const auto fields = body_fields(*request);

    EXPECT_TRUE(request->authorization.empty());
    EXPECT_EQ(fields.at("client_id"), "svc app");
    EXPECT_EQ(fields.at("client_secret"), "p@ss+w/rd:=1");
}

TEST(BuildTokenRequest, NamesAPublicClientInTheBodyWithoutASecret) {
    auto request = build_token_request(profile_from(R"({"grant":"password",
        "token_url":"https://i.example/t","client_id":"cli","username":"u","password":"p"})"));
    ASSERT_TRUE(request);

    const auto fields = body_fields(*request);

    EXPECT_TRUE(request->authorization.empty());
    EXPECT_EQ(fields.at("client_id"), "cli");
    EXPECT_FALSE(fields.contains("client_secret"));
}

TEST(BuildTokenRequest, SendsUsernameAndPasswordForThePasswordGrant) {
    auto request = build_token_request(profile_from(R"({"grant":"password",
        "token_url":"https://i.example/t","client_id":"cli","client_secret":"s",
        "username":"alice@example.com","password":"p&ss=w rd+%"})"));
    ASSERT_TRUE(request);

    const auto fields = body_fields(*request);

    EXPECT_EQ(fields.at("grant_type"), "password");
    EXPECT_EQ(fields.at("username"), "alice@example.com");
    EXPECT_EQ(fields.at("password"), "p&ss=w rd+%");
    EXPECT_FALSE(request->authorization.empty());
}

TEST(BuildTokenRequest, SendsNoUsernameOrPasswordForClientCredentials) {
    auto request = build_token_request(profile_from(kClientCredentials));
    ASSERT_TRUE(request);

    const auto fields = body_fields(*request);

    EXPECT_FALSE(fields.contains("username"));
    EXPECT_FALSE(fields.contains("password"));
}

TEST(BuildTokenRequest, RefusesTheAuthorizationCodeGrantAsNeedingALogin) {
    auto request = build_token_request(profile_from(R"({"grant":"authorization_code",
        "token_url":"https://i.example/t","authorization_url":"https://i.example/a",
        "client_id":"c","redirect_uri":"http://127.0.0.1/cb"})"));

    ASSERT_FALSE(request);
    EXPECT_EQ(request.error().code, Errc::kLoginRequired);
}

// ---- request_token, against a loopback provider ----

class TokenClientTest : public testing::Test {
protected:
    Result<Token> request_token(const Profile& profile) {
        auto token = test::run_with_deadline(io_, client_.request_token(profile));
        if (!token) {
            ADD_FAILURE() << "request_token did not finish before the test deadline";
            return make_error(Errc::kInternal, "test deadline");
        }
        return std::move(*token);
    }

    Profile profile(std::string_view extra = "") const {
        return profile_from(R"({"grant":"password","client_id":"cli app",
            "client_secret":"p@ss+w/rd:=1","username":"alice","password":"pw",
            "scopes":"write read","default_lifetime_seconds":120,"token_url":")" +
                            server_.url() + "\"" + std::string(extra) + "}");
    }

    const Clock::time_point sent_at_ = Clock::time_point(std::chrono::seconds(1'700'000'000));
    boost::asio::io_context io_;
    test::TestHttpServer server_{
        test::answer(200, "application/json",
                     R"({"access_token":"at","token_type":"bearer","expires_in":3600})")};
    HttpClient http_{io_.get_executor(), {}};
    TokenClient client_{http_, [this] { return sent_at_; }};
};

TEST_F(TokenClientTest, SendsTheBuiltRequestToTheTokenEndpoint) {
    ASSERT_TRUE(request_token(profile()));

    const auto received = server_.received();
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0].method, "POST");
    EXPECT_EQ(received[0].target, "/token");
    EXPECT_EQ(received[0].content_type, "application/x-www-form-urlencoded");
    EXPECT_EQ(received[0].authorization, "Basic Y2xpK2FwcDpwJTQwc3MlMkJ3JTJGcmQlM0ElM0Qx");
    auto fields = parse_form(received[0].body);
    ASSERT_TRUE(fields);
    EXPECT_EQ(*fields, (FormFields{{"grant_type", "password"},
                                   {"username", "alice"},
                                   {"password", "pw"},
                                   {"scope", "read write"}}));
}

TEST_F(TokenClientTest, MeasuresExpiryFromTheInjectedClockAtSending) {
    auto token = request_token(profile());

    ASSERT_TRUE(token) << token.error().message;
    EXPECT_EQ(token->access_token.reveal(), "at");
    EXPECT_EQ(token->token_type, "Bearer");
    EXPECT_EQ(token->expires_at, sent_at_ + std::chrono::seconds(3600));
    EXPECT_EQ(token->scope.to_string(), "read write");
}

TEST_F(TokenClientTest, FailsWithoutSendingAnythingForTheAuthorizationCodeGrant) {
    const Profile p = profile_from(R"({"grant":"authorization_code","client_id":"c",
        "authorization_url":"https://i.example/a","redirect_uri":"http://127.0.0.1/cb",
        "token_url":")" + server_.url() +
                                   "\"}");

    auto token = request_token(p);

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, Errc::kLoginRequired);
    EXPECT_EQ(server_.requests(), 0u);
}

TEST_F(TokenClientTest, PassesOnANetworkFailure) {
    const Profile p = profile_from(R"({"grant":"client_credentials","client_id":"c",
        "client_secret":"s","token_url":"http://127.0.0.1:)" +
                                   std::to_string(test::unused_loopback_port()) + "/t\"}");

    auto token = request_token(p);

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, Errc::kNetwork);
}

}  // namespace
}  // namespace vegha::oauth
