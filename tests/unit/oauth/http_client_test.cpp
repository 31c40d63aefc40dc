#include "oauth/http_client.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "support/printers.hpp"
#include "support/run_with_deadline.hpp"
#include "support/self_signed_cert.hpp"
#include "support/test_http_server.hpp"

namespace vegha::oauth {
namespace {

using test::CannedResponse;
using test::TestHttpServer;
using Behaviour = CannedResponse::Behaviour;
using std::chrono::seconds;

HttpRequest post_to(std::string_view url, seconds timeout = seconds(10)) {
    HttpRequest request;
    request.method = HttpRequest::Method::kPost;
    request.url = boost::urls::url(url);
    request.content_type = "application/x-www-form-urlencoded";
    request.body = Secret(std::string_view("grant_type=client_credentials"));
    request.timeout = timeout;
    return request;
}

CannedResponse token_json() {
    return test::answer(200, "application/json", R"({"access_token":"t","token_type":"Bearer"})");
}

HttpClientOptions with_max_body_size(std::size_t limit) {
    HttpClientOptions options;
    options.max_body_size = limit;
    return options;
}

HttpClientOptions trusting(const std::string& ca_file) {
    HttpClientOptions options;
    options.ca_file = ca_file;
    return options;
}

// A PEM file in the test's temporary folder, removed when the test ends. The process id in
// the name keeps concurrent runs of the suite apart.
class TempFile {
public:
    TempFile(std::string_view name, std::string_view content)
        : path_(testing::TempDir() + std::to_string(::getpid()) + "_" + std::string(name)) {
        std::ofstream(path_) << content;
    }
    ~TempFile() { std::remove(path_.c_str()); }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;

    const std::string& path() const noexcept { return path_; }

private:
    std::string path_;
};

class HttpClientTest : public testing::Test {
protected:
    Result<HttpResponse> send(HttpClient& client, const HttpRequest& request) {
        auto result = test::run_with_deadline(io_, client.send(request));
        if (!result) {
            ADD_FAILURE() << "send did not finish before the test deadline";
            return make_error(Errc::kInternal, "test deadline");
        }
        return std::move(*result);
    }

    boost::asio::io_context io_;
};

TEST_F(HttpClientTest, PostsTheRequestAndReadsTheAnswer) {
    TestHttpServer server(test::answer(201, "application/json; charset=utf-8", "{\"a\":1}"));
    HttpClient client(io_.get_executor(), {});
    HttpRequest request = post_to(server.url("/realms/x/token?tenant=a%20b"));
    request.authorization = Secret(std::string_view("Basic YTpi"));

    auto response = send(client, request);

    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->status, 201u);
    EXPECT_EQ(response->content_type, "application/json; charset=utf-8");
    EXPECT_EQ(response->body, "{\"a\":1}");
    const auto received = server.received();
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0].method, "POST");
    EXPECT_EQ(received[0].target, "/realms/x/token?tenant=a%20b");
    EXPECT_EQ(received[0].content_type, "application/x-www-form-urlencoded");
    EXPECT_EQ(received[0].authorization, "Basic YTpi");
    EXPECT_EQ(received[0].body, "grant_type=client_credentials");
    EXPECT_EQ(client.requests_sent(), 1u);
}

TEST_F(HttpClientTest, SendsNoAuthorizationHeaderWhenTheRequestHasNone) {
    TestHttpServer server(token_json());
    HttpClient client(io_.get_executor(), {});

    ASSERT_TRUE(send(client, post_to(server.url())));

    ASSERT_EQ(server.received().size(), 1u);
    EXPECT_EQ(server.received()[0].authorization, "");
}

TEST_F(HttpClientTest, RequestsTheRootPathWhenTheUrlHasNone) {
    TestHttpServer server(token_json());
    HttpClient client(io_.get_executor(), {});

    ASSERT_TRUE(send(client, post_to("http://127.0.0.1:" + std::to_string(server.port()))));

    ASSERT_EQ(server.received().size(), 1u);
    EXPECT_EQ(server.received()[0].target, "/");
}

TEST_F(HttpClientTest, ReturnsAnErrorStatusAsAResponse) {
    TestHttpServer server(test::answer(500, "text/html", "<h1>oops</h1>"));
    HttpClient client(io_.get_executor(), {});

    auto response = send(client, post_to(server.url()));

    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->status, 500u);
    EXPECT_EQ(response->body, "<h1>oops</h1>");
}

TEST_F(HttpClientTest, AcceptsAnAnswerOfExactlyMaxBodySize) {
    TestHttpServer server(test::answer(200, "application/json", std::string(1024, 'x')));
    HttpClient client(io_.get_executor(), with_max_body_size(1024));

    auto response = send(client, post_to(server.url()));

    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->body.size(), 1024u);
}

TEST_F(HttpClientTest, RefusesAnAnswerOverMaxBodySize) {
    TestHttpServer server(test::answer(200, "application/json", std::string(1025, 'x')));
    HttpClient client(io_.get_executor(), with_max_body_size(1024));

    auto response = send(client, post_to(server.url()));

    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, Errc::kInvalidTokenResponse);
    EXPECT_NE(response.error().message.find("1024"), std::string::npos) << response.error().message;
}

TEST_F(HttpClientTest, TimesOutWhenTheServerNeverAnswers) {
    TestHttpServer server(test::misbehave(Behaviour::kNeverAnswer));
    HttpClient client(io_.get_executor(), {});
    const auto started = std::chrono::steady_clock::now();

    auto response = send(client, post_to(server.url(), seconds(1)));

    const auto elapsed = std::chrono::steady_clock::now() - started;
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, Errc::kTimeout) << response.error().message;
    EXPECT_GE(elapsed, std::chrono::milliseconds(900));
    EXPECT_LT(elapsed, seconds(5));
    EXPECT_EQ(server.requests(), 1u);
}

TEST_F(HttpClientTest, AnswersWithinTheTimeoutDespiteASlowServer) {
    TestHttpServer server(
        test::answer(200, "application/json", "{}", std::chrono::milliseconds(200)));
    HttpClient client(io_.get_executor(), {});

    auto response = send(client, post_to(server.url(), seconds(2)));

    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->body, "{}");
}

TEST_F(HttpClientTest, ReportsAClosedConnectionAsANetworkError) {
    TestHttpServer server(test::misbehave(Behaviour::kCloseWithoutAnswer));
    HttpClient client(io_.get_executor(), {});

    auto response = send(client, post_to(server.url()));

    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, Errc::kNetwork) << response.error().message;
}

// A peer that answers with something other than HTTP was reached: reporting it as a network
// failure would send the user looking in the wrong place.
TEST_F(HttpClientTest, ReportsAnAnswerThatIsNotHttpAsAnInvalidResponse) {
    TestHttpServer server(test::misbehave(Behaviour::kSendRaw, "SSH-2.0-OpenSSH_9.2\r\n\r\n"));
    HttpClient client(io_.get_executor(), {});

    auto response = send(client, post_to(server.url()));

    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, Errc::kInvalidTokenResponse) << response.error().message;
}

TEST_F(HttpClientTest, ReportsARefusedConnectionAsANetworkError) {
    const unsigned short port = test::unused_loopback_port();
    HttpClient client(io_.get_executor(), {});

    auto response = send(client, post_to("http://127.0.0.1:" + std::to_string(port) + "/token"));

    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, Errc::kNetwork) << response.error().message;
    EXPECT_NE(response.error().message.find(std::to_string(port)), std::string::npos)
        << response.error().message;
}

TEST_F(HttpClientTest, RefusesPlainHttpToANonLoopbackHostWithoutConnecting) {
    HttpClient client(io_.get_executor(), {});
    // A non-routable address: connecting would hang until the timeout, not fail fast.
    const auto started = std::chrono::steady_clock::now();

    auto response = send(client, post_to("http://10.255.255.1/token", seconds(5)));

    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, Errc::kInsecureUrl);
    EXPECT_EQ(client.requests_sent(), 0u);
    EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(1));
}

TEST_F(HttpClientTest, RefusesASchemeThatIsNeitherHttpNorHttps) {
    HttpClient client(io_.get_executor(), {});

    auto response = send(client, post_to("ftp://127.0.0.1/token"));

    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, Errc::kInsecureUrl);
    EXPECT_EQ(client.requests_sent(), 0u);
}

TEST_F(HttpClientTest, ThrowsWhenTheCaFileCannotBeRead) {
    EXPECT_THROW(HttpClient(io_.get_executor(), trusting("/nonexistent/vegha/ca.pem")),
                 std::runtime_error);
}

// ---- TLS ----

TEST_F(HttpClientTest, RejectsASelfSignedCertificateThatIsNotTrusted) {
    TestHttpServer server(token_json(), test::make_self_signed_identity("127.0.0.1"));
    HttpClient client(io_.get_executor(), {});

    auto response = send(client, post_to(server.url()));

    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, Errc::kTls) << response.error().message;
    EXPECT_EQ(server.requests(), 0u);
}

TEST_F(HttpClientTest, TalksHttpsToAServerWhoseCertificateIsTrusted) {
    const auto identity = test::make_self_signed_identity("127.0.0.1");
    const TempFile ca("vegha_trusted_ca.pem", identity.certificate_pem);
    TestHttpServer server(token_json(), identity);
    HttpClient client(io_.get_executor(), trusting(ca.path()));

    auto response = send(client, post_to(server.url()));

    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->status, 200u);
    ASSERT_EQ(server.received().size(), 1u);
    EXPECT_EQ(server.received()[0].body, "grant_type=client_credentials");
}

TEST_F(HttpClientTest, RejectsATrustedCertificateIssuedForAnotherAddress) {
    const auto identity = test::make_self_signed_identity("127.0.0.2");
    const TempFile ca("vegha_other_host_ca.pem", identity.certificate_pem);
    TestHttpServer server(token_json(), identity);
    HttpClient client(io_.get_executor(), trusting(ca.path()));

    auto response = send(client, post_to(server.url()));

    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, Errc::kTls) << response.error().message;
    EXPECT_EQ(server.requests(), 0u);
}

TEST_F(HttpClientTest, TimesOutWhenTheTlsHandshakeIsNeverAnswered) {
    // A server that reads and never writes: the ClientHello goes unanswered.
    TestHttpServer server(TestHttpServer::Silent{});
    HttpClient client(io_.get_executor(), {});

    auto response =
        send(client,
             post_to("https://127.0.0.1:" + std::to_string(server.port()) + "/token", seconds(1)));

    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, Errc::kTimeout) << response.error().message;
}

}  // namespace
}  // namespace vegha::oauth
