#include "oauth/http_client.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <istream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

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

TEST_F(HttpClientTest, ARequestMayTrustItsOwnCaBundle) {
    const auto identity = test::make_self_signed_identity("127.0.0.1");
    TestHttpServer server(token_json(), identity);
    const TempFile ca("request_ca.pem", identity.certificate_pem);
    HttpClient client(io_.get_executor(), {});  // the system's trust store by default

    HttpRequest request = post_to(server.url());
    auto untrusted = send(client, request);
    request.ca_file = ca.path();
    auto trusted = send(client, request);

    ASSERT_FALSE(untrusted);
    EXPECT_EQ(untrusted.error().code, Errc::kTls);
    ASSERT_TRUE(trusted) << trusted.error().message;
    EXPECT_EQ(trusted->status, 200u);
}

TEST_F(HttpClientTest, AnUnreadableCaBundleIsATlsErrorNamingIt) {
    const auto identity = test::make_self_signed_identity("127.0.0.1");
    TestHttpServer server(token_json(), identity);
    HttpClient client(io_.get_executor(), {});

    HttpRequest request = post_to(server.url());
    request.ca_file = "/nonexistent/ca.pem";
    auto response = send(client, request);

    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, Errc::kTls);
    EXPECT_NE(response.error().message.find("/nonexistent/ca.pem"), std::string::npos);
}

// ---- proxies ----

TEST(ProxyFor, ConnectsDirectlyWithoutAProxy) {
    auto proxy = proxy_for("idp.example", ProxySettings{});
    ASSERT_TRUE(proxy);
    EXPECT_FALSE(*proxy);
}

TEST(ProxyFor, NeverProxiesLoopback) {
    const ProxySettings settings{"http://proxy.example:3128", ""};
    for (const char* host : {"127.0.0.1", "localhost", "::1"}) {
        auto proxy = proxy_for(host, settings);
        ASSERT_TRUE(proxy);
        EXPECT_FALSE(*proxy) << host;
    }
}

TEST(ProxyFor, HonoursNoProxyByExactHostAndDomainSuffix) {
    const ProxySettings settings{"http://proxy.example:3128",
                                 "login.example, .corp.example,10.1.2.3:443"};
    const auto proxied = [&](const char* host) { return proxy_for(host, settings).value(); };

    EXPECT_FALSE(proxied("login.example"));
    EXPECT_FALSE(proxied("idp.corp.example"));
    EXPECT_FALSE(proxied("corp.example"));
    EXPECT_FALSE(proxied("10.1.2.3"));
    ASSERT_TRUE(proxied("evilcorp.example"));
    EXPECT_EQ(proxied("idp.example")->buffer(), "http://proxy.example:3128");
}

TEST(ProxyFor, AStarInNoProxyMeansNoProxyAtAll) {
    auto proxy = proxy_for("idp.example", ProxySettings{"http://proxy.example:3128", "*"});
    ASSERT_TRUE(proxy);
    EXPECT_FALSE(*proxy);
}

TEST(ProxyFor, RefusesAProxyThatIsNotAnHttpUrl) {
    auto proxy = proxy_for("idp.example", ProxySettings{"socks5://proxy.example:1080", ""});
    ASSERT_FALSE(proxy);
    EXPECT_EQ(proxy.error().code, Errc::kInvalidRequest);
}

// A minimal CONNECT proxy on 127.0.0.1: it records the authority asked for, connects to
// 127.0.0.1 on that port whatever the host name (so a test can use a name that does not
// resolve here), answers 200 and relays bytes both ways until either side closes.
class ConnectProxy {
public:
    ConnectProxy() : acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
        thread_ = std::thread([this] { serve(); });
    }
    ~ConnectProxy() {
        boost::system::error_code ignored;
        acceptor_.close(ignored);
        io_.stop();
        thread_.join();
    }

    std::string url() const {
        return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
    }
    std::vector<std::string> asked() const {
        std::lock_guard lock(mutex_);
        return asked_;
    }

private:
    using Socket = boost::asio::ip::tcp::socket;

    void serve() {
        boost::system::error_code ec;
        Socket client(io_);
        acceptor_.accept(client, ec);
        if (ec) {
            return;
        }
        boost::asio::streambuf head;
        boost::asio::read_until(client, head, "\r\n\r\n", ec);
        if (ec) {
            return;
        }
        std::string line;
        std::istream stream(&head);
        std::getline(stream, line);  // "CONNECT host:port HTTP/1.1"
        const auto authority = line.substr(8, line.find(' ', 8) - 8);
        {
            std::lock_guard lock(mutex_);
            asked_.push_back(authority);
        }
        const auto port =
            static_cast<unsigned short>(std::stoi(authority.substr(authority.rfind(':') + 1)));
        Socket upstream(io_);
        upstream.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
        const std::string answer =
            ec ? "HTTP/1.1 502 Bad Gateway\r\n\r\n" : "HTTP/1.1 200 Connection established\r\n\r\n";
        boost::asio::write(client, boost::asio::buffer(answer), ec);
        if (ec || !upstream.is_open()) {
            return;
        }
        relay(client, upstream);
    }

    // Copies both ways with poll() until one side closes.
    static void relay(Socket& a, Socket& b) {
        std::array<char, 16384> buffer{};
        pollfd fds[2] = {{a.native_handle(), POLLIN, 0}, {b.native_handle(), POLLIN, 0}};
        for (;;) {
            if (::poll(fds, 2, 5000) <= 0) {
                return;
            }
            for (int i = 0; i < 2; ++i) {
                if (fds[i].revents == 0) {
                    continue;
                }
                const ssize_t n = ::read(fds[i].fd, buffer.data(), buffer.size());
                if (n <= 0 || ::send(fds[1 - i].fd, buffer.data(), static_cast<std::size_t>(n),
                                     MSG_NOSIGNAL) != n) {
                    return;
                }
            }
        }
    }

    boost::asio::io_context io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::thread thread_;
    mutable std::mutex mutex_;
    std::vector<std::string> asked_;
};

TEST_F(HttpClientTest, TunnelsHttpsThroughAProxyAndStillVerifiesTheProvider) {
    const auto identity = test::make_self_signed_identity_with("DNS:idp.test");
    TestHttpServer server(token_json(), identity);
    const TempFile ca("proxy_ca.pem", identity.certificate_pem);
    ConnectProxy proxy;
    HttpClientOptions options = trusting(ca.path());
    options.proxy.https_proxy = proxy.url();
    HttpClient client(io_.get_executor(), options);

    // "idp.test" resolves nowhere here: only the proxy can reach it.
    auto request = post_to("https://idp.test:" + std::to_string(server.port()) + "/token");
    auto response = send(client, request);

    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->status, 200u);
    EXPECT_EQ(proxy.asked(), std::vector<std::string>{"idp.test:" + std::to_string(server.port())});
    EXPECT_EQ(server.requests(), 1u);
}

TEST_F(HttpClientTest, AProviderCertificateForAnotherNameFailsThroughTheProxyToo) {
    const auto identity = test::make_self_signed_identity_with("DNS:other.test");
    TestHttpServer server(token_json(), identity);
    const TempFile ca("proxy_other_ca.pem", identity.certificate_pem);
    ConnectProxy proxy;
    HttpClientOptions options = trusting(ca.path());
    options.proxy.https_proxy = proxy.url();
    HttpClient client(io_.get_executor(), options);

    auto request = post_to("https://idp.test:" + std::to_string(server.port()) + "/token");
    auto response = send(client, request);

    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, Errc::kTls);
    EXPECT_EQ(server.requests(), 0u);
}

}  // namespace
}  // namespace vegha::oauth
