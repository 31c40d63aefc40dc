#include "oauth/token.hpp"

#include <gtest/gtest.h>

#include <string>

#include "support/printers.hpp"

namespace vegha::oauth {
namespace {

using std::chrono::seconds;

// A fixed moment, so every expiry below is exact.
const Clock::time_point kSentAt = Clock::time_point(seconds(1'700'000'000));

TokenResponseContext context(std::string_view requested = "read write",
                             seconds default_lifetime = seconds(300)) {
    return TokenResponseContext{ScopeSet::parse(requested), kSentAt, default_lifetime};
}

HttpResponse json_response(std::string body, unsigned status = 200) {
    return HttpResponse{status, "application/json;charset=UTF-8", std::move(body)};
}

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

bool token_like(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
           c == '+' || c == '/' || c == '=';
}

std::size_t longest_token_like_run(std::string_view text) {
    std::size_t longest = 0;
    std::size_t run = 0;
    for (const char c : text) {
        run = token_like(c) ? run + 1 : 0;
        longest = std::max(longest, run);
    }
    return longest;
}

// ---- success ----

TEST(ParseTokenResponse, ReadsAJsonTokenResponse) {
    auto token = parse_token_response(
        json_response(R"({"access_token":"at-123","token_type":"Bearer","expires_in":3600,
                          "refresh_token":"rt-456","id_token":"id-789","scope":"read write"})"),
        context());

    ASSERT_TRUE(token) << token.error().message;
    EXPECT_EQ(token->access_token.reveal(), "at-123");
    EXPECT_EQ(token->token_type, "Bearer");
    EXPECT_EQ(token->refresh_token.reveal(), "rt-456");
    EXPECT_EQ(token->id_token.reveal(), "id-789");
    EXPECT_EQ(token->scope.to_string(), "read write");
    EXPECT_EQ(token->lifetime, seconds(3600));
    EXPECT_FALSE(token->lifetime_assumed);
}

TEST(ParseTokenResponse, ComputesExpiryFromTheMomentTheRequestWasSent) {
    auto token = parse_token_response(
        json_response(R"({"access_token":"a","token_type":"Bearer","expires_in":120})"), context());

    ASSERT_TRUE(token);
    EXPECT_EQ(token->expires_at, kSentAt + seconds(120));
}

TEST(ParseTokenResponse, ReadsTheTokenTypeCaseInsensitively) {
    for (const char* type : {"bearer", "BEARER", "Bearer", "bEaReR"}) {
        auto token = parse_token_response(
            json_response(R"({"access_token":"a","token_type":")" + std::string(type) + "\"}"),
            context());

        ASSERT_TRUE(token) << type;
        EXPECT_EQ(token->token_type, "Bearer") << type;
    }
}

TEST(ParseTokenResponse, KeepsAnotherTokenTypeAsSent) {
    auto token = parse_token_response(json_response(R"({"access_token":"a","token_type":"DPoP"})"),
                                      context());

    ASSERT_TRUE(token);
    EXPECT_EQ(token->token_type, "DPoP");
}

TEST(ParseTokenResponse, ReadsExpiresInGivenAsANumericString) {
    auto token = parse_token_response(
        json_response(R"({"access_token":"a","token_type":"Bearer","expires_in":"3599"})"),
        context());

    ASSERT_TRUE(token);
    EXPECT_EQ(token->lifetime, seconds(3599));
    EXPECT_FALSE(token->lifetime_assumed);
    EXPECT_EQ(token->expires_at, kSentAt + seconds(3599));
}

TEST(ParseTokenResponse, ReadsExpiresInGivenAsAFloat) {
    auto token = parse_token_response(
        json_response(R"({"access_token":"a","token_type":"Bearer","expires_in":3599.5})"),
        context());

    ASSERT_TRUE(token);
    EXPECT_EQ(token->lifetime, std::chrono::milliseconds(3'599'500));
    EXPECT_FALSE(token->lifetime_assumed);
    EXPECT_EQ(token->expires_at, kSentAt + std::chrono::milliseconds(3'599'500));
}

TEST(ParseTokenResponse, AssumesTheDefaultLifetimeWhenExpiresInIsAbsent) {
    auto token =
        parse_token_response(json_response(R"({"access_token":"a","token_type":"Bearer"})"),
                             context("read", seconds(900)));

    ASSERT_TRUE(token);
    EXPECT_TRUE(token->lifetime_assumed);
    EXPECT_EQ(token->lifetime, seconds(900));
    EXPECT_EQ(token->expires_at, kSentAt + seconds(900));
}

TEST(ParseTokenResponse, TreatsAnUnusableExpiresInAsUnknown) {
    for (const char* expires_in :
         {"-5", R"("abc")", R"("-1")", R"("3599s")", R"("")", "true", "null", "[60]", "1e300"}) {
        auto token = parse_token_response(
            json_response(R"({"access_token":"a","token_type":"Bearer","expires_in":)" +
                          std::string(expires_in) + "}"),
            context("read", seconds(120)));

        ASSERT_TRUE(token) << expires_in << ": " << token.error().message;
        EXPECT_TRUE(token->lifetime_assumed) << expires_in;
        EXPECT_EQ(token->lifetime, seconds(120)) << expires_in;
        EXPECT_EQ(token->expires_at, kSentAt + seconds(120)) << expires_in;
    }
}

TEST(ParseTokenResponse, TakesTheRequestedScopesWhenTheResponseNamesNone) {
    auto token = parse_token_response(
        json_response(R"({"access_token":"a","token_type":"Bearer"})"), context("write read"));

    ASSERT_TRUE(token);
    EXPECT_EQ(token->scope, ScopeSet::parse("read write"));
}

TEST(ParseTokenResponse, RecordsANarrowerGrantedScope) {
    auto token = parse_token_response(
        json_response(R"({"access_token":"a","token_type":"Bearer","scope":"read"})"),
        context("read write"));

    ASSERT_TRUE(token);
    EXPECT_EQ(token->scope, ScopeSet::parse("read"));
}

TEST(ParseTokenResponse, IgnoresUnknownMembers) {
    auto token = parse_token_response(
        json_response(R"({"access_token":"a","token_type":"Bearer","not-before-policy":0,
                          "session_state":"xyz","nested":{"x":[1,2]},"expires_in":60})"),
        context());

    ASSERT_TRUE(token) << token.error().message;
    EXPECT_EQ(token->lifetime, seconds(60));
}

TEST(ParseTokenResponse, LeavesRefreshAndIdTokensEmptyWhenAbsent) {
    auto token = parse_token_response(
        json_response(R"({"access_token":"a","token_type":"Bearer"})"), context());

    ASSERT_TRUE(token);
    EXPECT_TRUE(token->refresh_token.empty());
    EXPECT_TRUE(token->id_token.empty());
}

TEST(ParseTokenResponse, CarriesAFiftyKilobyteTokenIntact) {
    std::string big;
    for (std::size_t i = 0; big.size() < 50 * 1024; ++i) {
        big += "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."[i % 65];
    }

    auto token = parse_token_response(
        json_response(R"({"access_token":")" + big + R"(","token_type":"Bearer"})"), context());

    ASSERT_TRUE(token);
    EXPECT_EQ(token->access_token.reveal(), big);
}

TEST(ParseTokenResponse, ReadsAFormEncodedTokenResponse) {
    const HttpResponse response{200, "application/x-www-form-urlencoded",
                                "access_token=at%2B1&token_type=bearer&expires_in=3600&"
                                "scope=read+write"};

    auto token = parse_token_response(response, context("read"));

    ASSERT_TRUE(token) << token.error().message;
    EXPECT_EQ(token->access_token.reveal(), "at+1");
    EXPECT_EQ(token->token_type, "Bearer");
    EXPECT_EQ(token->lifetime, seconds(3600));
    EXPECT_EQ(token->scope.to_string(), "read write");
}

TEST(ParseTokenResponse, ReadsAFormEncodedErrorResponse) {
    const HttpResponse response{400, "application/x-www-form-urlencoded; charset=utf-8",
                                "error=invalid_client&error_description=unknown+client"};

    auto token = parse_token_response(response, context());

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, Errc::kIdpError);
    EXPECT_EQ(token.error().idp_error, "invalid_client");
    EXPECT_EQ(token.error().idp_error_description, "unknown client");
}

TEST(ParseTokenResponse, ReadsJsonLabelledAsSomethingElse) {
    for (const char* type : {"text/plain", "text/javascript", ""}) {
        const HttpResponse response{200, type, R"({"access_token":"a","token_type":"Bearer"})"};

        auto token = parse_token_response(response, context());

        ASSERT_TRUE(token) << "content type \"" << type << "\"";
        EXPECT_EQ(token->access_token.reveal(), "a");
    }
}

// ---- refusals ----

TEST(ParseTokenResponse, TreatsAnErrorMemberAsARefusalEvenWithStatus200) {
    auto token = parse_token_response(
        json_response(R"({"error":"invalid_scope","error_description":"no such scope"})", 200),
        context());

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, Errc::kIdpError);
    EXPECT_EQ(token.error().idp_error, "invalid_scope");
    EXPECT_EQ(token.error().idp_error_description, "no such scope");
    EXPECT_EQ(token.error().http_status, 200u);
}

TEST(ParseTokenResponse, ReportsInvalidGrantWithStatus400AsAProviderRefusal) {
    auto token = parse_token_response(
        json_response(R"({"error":"invalid_grant","error_description":"Invalid user credentials"})",
                      400),
        context());

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, Errc::kIdpError);
    EXPECT_EQ(token.error().idp_error, "invalid_grant");
    EXPECT_EQ(token.error().idp_error_description, "Invalid user credentials");
    EXPECT_EQ(token.error().http_status, 400u);
    EXPECT_TRUE(contains(token.error().message, "invalid_grant")) << token.error().message;
}

TEST(ParseTokenResponse, ReportsARefusalWithoutADescription) {
    auto token =
        parse_token_response(json_response(R"({"error":"unauthorized_client"})", 401), context());

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, Errc::kIdpError);
    EXPECT_EQ(token.error().idp_error, "unauthorized_client");
    EXPECT_TRUE(token.error().idp_error_description.empty());
}

// ---- answers that are not token responses ----

TEST(ParseTokenResponse, DescribesAnHtmlPageWithoutLeakingTokenLikeText) {
    const std::string session = "Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1Njc4OTBhYmNkZWY";
    const HttpResponse response{403, "text/html; charset=utf-8",
                                "<html><head><title>403 Forbidden</title></head><body>session " +
                                    session + " denied</body></html>"};

    auto token = parse_token_response(response, context());

    ASSERT_FALSE(token);
    const std::string& message = token.error().message;
    EXPECT_EQ(token.error().code, Errc::kInvalidTokenResponse);
    EXPECT_EQ(token.error().http_status, 403u);
    EXPECT_TRUE(contains(message, "403")) << message;
    EXPECT_TRUE(contains(message, "text/html")) << message;
    EXPECT_FALSE(contains(message, session.substr(0, 16))) << message;
    EXPECT_LT(longest_token_like_run(message), 16u) << message;
}

TEST(ParseTokenResponse, DescribesAnEmpty502) {
    auto token = parse_token_response(HttpResponse{502, "", ""}, context());

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, Errc::kInvalidTokenResponse);
    EXPECT_EQ(token.error().http_status, 502u);
    EXPECT_TRUE(contains(token.error().message, "502")) << token.error().message;
}

TEST(ParseTokenResponse, RefusesAJsonSuccessStatusOutside2xxWithoutAnError) {
    auto token = parse_token_response(
        json_response(R"({"access_token":"a","token_type":"Bearer"})", 500), context());

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, Errc::kInvalidTokenResponse);
}

TEST(ParseTokenResponse, RefusesAResponseWithoutAnAccessToken) {
    for (const char* body : {R"({"token_type":"Bearer","expires_in":60})",
                             R"({"access_token":"","token_type":"Bearer"})",
                             R"({"access_token":42,"token_type":"Bearer"})"}) {
        auto token = parse_token_response(json_response(body), context());

        ASSERT_FALSE(token) << body;
        EXPECT_EQ(token.error().code, Errc::kInvalidTokenResponse) << body;
        EXPECT_TRUE(contains(token.error().message, "access_token")) << token.error().message;
    }
}

TEST(ParseTokenResponse, RefusesAResponseWithoutATokenType) {
    auto token = parse_token_response(json_response(R"({"access_token":"a"})"), context());

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, Errc::kInvalidTokenResponse);
    EXPECT_TRUE(contains(token.error().message, "token_type")) << token.error().message;
}

TEST(ParseTokenResponse, RefusesJsonThatIsNotAnObject) {
    auto token = parse_token_response(json_response(R"(["access_token"])"), context());

    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, Errc::kInvalidTokenResponse);
}

TEST(ParseTokenResponse, DoesNotEchoTheAccessTokenOfAResponseItRefuses) {
    const std::string secret = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl";

    auto token = parse_token_response(
        json_response(R"({"access_token":")" + secret + R"(","token_type":"Bearer"})", 503),
        context());

    ASSERT_FALSE(token);
    EXPECT_FALSE(contains(token.error().message, secret.substr(0, 16))) << token.error().message;
}

// ---- redacted_prefix ----

TEST(RedactedPrefix, HidesAFortyCharacterTokenLikeRun) {
    const std::string token = "0123456789abcdefABCDEF0123456789abcdef-_";

    const std::string out = redacted_prefix("token " + token + " expired");

    EXPECT_EQ(out, "token [redacted] expired");
}

TEST(RedactedPrefix, KeepsShortWords) {
    EXPECT_EQ(redacted_prefix("<h1>Service Unavailable</h1>"), "<h1>Service Unavailable</h1>");
}

TEST(RedactedPrefix, StopsAtTheLimit) {
    EXPECT_EQ(redacted_prefix(std::string(200, ' '), 80).size(), 80u);
    EXPECT_EQ(redacted_prefix("a b c d e f", 5), "a b c");
}

TEST(RedactedPrefix, ReplacesNonPrintableBytesWithSpaces) {
    EXPECT_EQ(redacted_prefix("a\nb\tc\x01"), "a b c ");
}

TEST(RedactedPrefix, HidesAJwtWhoseSegmentsAreJoinedByDots) {
    const std::string out = redacted_prefix(R"({"id_token":"eyJhbGciOi.eyJzdWIi.c2ln"})");

    EXPECT_FALSE(contains(out, "eyJhbGciOi")) << out;
    EXPECT_TRUE(contains(out, "[redacted]")) << out;
}

// A token that starts near the length limit must not have its first characters copied into
// the message before the run is known to be long: those messages reach logs and replies.
TEST(RedactedPrefix, LeaksNoPartOfATokenThatStartsNearTheLimit) {
    const std::string token = "SECRETabcdefghijklmnopqrstuvwxyz0123456789";
    const std::string body = std::string(70, ' ') + token;

    const std::string out = redacted_prefix(body, 80);

    EXPECT_FALSE(contains(out, "SECRET")) << '"' << out << '"';
}

}  // namespace
}  // namespace vegha::oauth
