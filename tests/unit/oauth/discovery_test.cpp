#include "oauth/discovery.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>

#include "support/printers.hpp"
#include "support/run_with_deadline.hpp"
#include "support/test_http_server.hpp"

namespace vegha::oauth {
namespace {

using test::CannedResponse;
using test::ReceivedRequest;
using test::TestHttpServer;

HttpResponse json_response(std::string body, unsigned status = 200) {
    return HttpResponse{status, "application/json", std::move(body)};
}

TEST(MetadataUrls, TriesOpenIdConfigurationThenTheRfc8414PlaceForAnIssuerWithAPath) {
    const auto urls = metadata_urls(boost::urls::url("https://idp.example/tenants/a/"));

    ASSERT_EQ(urls.size(), 2u);
    EXPECT_EQ(urls[0].buffer(), "https://idp.example/tenants/a/.well-known/openid-configuration");
    EXPECT_EQ(urls[1].buffer(),
              "https://idp.example/.well-known/oauth-authorization-server/tenants/a");
}

TEST(ParseMetadata, ReadsTheEndpointsAndMethods) {
    auto metadata = parse_metadata(json_response(R"({"issuer":"https://idp.example",
        "authorization_endpoint":"https://idp.example/auth",
        "token_endpoint":"https://idp.example/token",
        "revocation_endpoint":"https://idp.example/revoke",
        "code_challenge_methods_supported":["S256"],
        "token_endpoint_auth_methods_supported":["none","client_secret_basic"]})"),
                                   "https://idp.example");

    ASSERT_TRUE(metadata) << metadata.error().message;
    EXPECT_EQ(metadata->token_endpoint->buffer(), "https://idp.example/token");
    EXPECT_EQ(metadata->revocation_endpoint->buffer(), "https://idp.example/revoke");
    EXPECT_FALSE(metadata->device_authorization_endpoint);
    EXPECT_EQ(metadata->code_challenge_methods_supported, std::vector<std::string>{"S256"});
    EXPECT_EQ(metadata->token_endpoint_auth_methods_supported.size(), 2u);
}

TEST(ParseMetadata, RefusesADocumentForAnotherIssuer) {
    auto metadata = parse_metadata(
        json_response(
            R"({"issuer":"https://evil.example","token_endpoint":"https://evil.example/t"})"),
        "https://idp.example");

    ASSERT_FALSE(metadata);
    EXPECT_EQ(metadata.error().code, Errc::kInvalidTokenResponse);
}

TEST(ParseMetadata, RefusesAPlainHttpEndpointOnARemoteHost) {
    auto metadata = parse_metadata(json_response(R"({"issuer":"https://idp.example",
        "token_endpoint":"http://idp.example/token"})"),
                                   "https://idp.example");

    ASSERT_FALSE(metadata);
    EXPECT_EQ(metadata.error().code, Errc::kInsecureUrl);
}

TEST(ParseMetadata, ReportsGarbageWithoutEchoingIt) {
    auto metadata =
        parse_metadata(HttpResponse{200, "text/html",
                                    "<html>eyJhbGciOiJSUzI1NiJ9eyJzdWIiOiIxMjM0NTY3ODkwIn0</html>"},
                       "https://idp.example");

    ASSERT_FALSE(metadata);
    EXPECT_EQ(metadata.error().message.find("eyJhbGciOiJSUzI1NiJ9"), std::string::npos);
}

TEST(ApplyMetadata, FillsOnlyWhatTheProfileLeavesOut) {
    ProviderMetadata metadata;
    metadata.token_endpoint = boost::urls::url("https://idp.example/token");
    metadata.authorization_endpoint = boost::urls::url("https://idp.example/auth");
    Profile profile;
    profile.authorization_url = boost::urls::url("https://login.example/custom");

    apply_metadata(metadata, profile);

    EXPECT_EQ(profile.token_url.buffer(), "https://idp.example/token");
    EXPECT_EQ(profile.authorization_url->buffer(), "https://login.example/custom");
}

TEST(Discovery, FetchesOnceAndCachesPerIssuer) {
    std::string issuer;
    TestHttpServer server([&issuer](const ReceivedRequest& request, std::size_t) {
        if (request.target != "/.well-known/openid-configuration") {
            return test::answer(404, "text/plain", "not here");
        }
        return test::answer(
            200, "application/json",
            R"({"issuer":")" + issuer + R"(","token_endpoint":")" + issuer + R"(/token"})");
    });
    issuer = "http://127.0.0.1:" + std::to_string(server.port());
    boost::asio::io_context io;
    HttpClient http(io.get_executor(), {});
    Discovery discovery(http, [] { return Clock::now(); });
    Profile profile;
    profile.issuer = issuer;

    auto first = test::run_with_deadline(io, discovery.complete(profile));
    auto second = test::run_with_deadline(io, discovery.complete(profile));

    ASSERT_TRUE(first && *first) << (first ? first->error().message : "deadline");
    EXPECT_EQ((*first)->token_url.buffer(), issuer + "/token");
    ASSERT_TRUE(second && *second);
    EXPECT_EQ(server.requests(), 1u);
}

}  // namespace
}  // namespace vegha::oauth
