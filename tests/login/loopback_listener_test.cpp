#include "login/loopback_listener.hpp"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/url/url.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "support/printers.hpp"
#include "support/raw_http.hpp"
#include "support/run_with_deadline.hpp"

namespace vegha::login {
namespace {
namespace asio = boost::asio;
using asio::ip::tcp;
using std::chrono::milliseconds;
using std::chrono::seconds;
using test::http_get;
using test::RawResponse;

constexpr std::string_view kState = "expected-state-0123456789";

unsigned short free_port() {
    asio::io_context io;
    tcp::acceptor probe(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    return probe.local_endpoint().port();
}

bool ipv6_loopback_available() {
    asio::io_context io;
    tcp::acceptor probe(io);
    boost::system::error_code ec;
    probe.open(tcp::v6(), ec);
    if (!ec) {
        probe.bind(tcp::endpoint(asio::ip::address_v6::loopback(), 0), ec);
    }
    return !ec;
}

class LoopbackListenerTest : public testing::Test {
protected:
    LoopbackListener bind(std::string_view redirect = "http://127.0.0.1/callback") {
        auto listener = LoopbackListener::bind(io_.get_executor(), boost::urls::url(redirect));
        if (!listener) {
            throw std::runtime_error("bind failed: " + listener.error().message);
        }
        return std::move(*listener);
    }

    // Runs wait_for_callback while `browser` makes its requests on another thread, as the
    // real browser would.
    Result<CallbackResult> wait_while(LoopbackListener& listener,
                                      const std::function<void(unsigned short)>& browser,
                                      milliseconds deadline = milliseconds(10'000),
                                      std::optional<std::string> issuer = std::nullopt) {
        std::thread visitor([&, port = listener.port()] { browser(port); });
        auto result = test::run_with_deadline(
            io_, listener.wait_for_callback(Secret(kState), std::move(issuer),
                                            std::chrono::steady_clock::now() + deadline));
        visitor.join();
        if (!result) {
            throw std::runtime_error("wait_for_callback did not return");
        }
        return std::move(*result);
    }

    static std::string callback(std::string_view query) {
        return "/callback?" + std::string(query);
    }

    asio::io_context io_;
};

TEST_F(LoopbackListenerTest, BindsOnlyTheLoopbackAddressOnAnEphemeralPort) {
    auto listener = bind();

    const auto endpoints = listener.local_endpoints();
    ASSERT_EQ(endpoints.size(), 1u);
    EXPECT_EQ(endpoints[0].address(), asio::ip::address_v4::loopback());
    EXPECT_NE(listener.port(), 0);
    EXPECT_EQ(endpoints[0].port(), listener.port());
    EXPECT_EQ(listener.redirect_uri(),
              "http://127.0.0.1:" + std::to_string(listener.port()) + "/callback");
}

TEST_F(LoopbackListenerTest, AcceptsConnectionsAsSoonAsItIsBound) {
    auto listener = bind();

    // The browser may be faster than the first wait; the kernel queues its connection.
    EXPECT_TRUE(test::accepts_connections("127.0.0.1", listener.port()));
}

TEST_F(LoopbackListenerTest, KeepsAFixedPortAndPath) {
    const unsigned short port = free_port();
    const std::string redirect = "http://127.0.0.1:" + std::to_string(port) + "/oauth/done";

    auto listener = bind(redirect);

    EXPECT_EQ(listener.port(), port);
    EXPECT_EQ(listener.redirect_uri(), redirect);
}

TEST_F(LoopbackListenerTest, ReportsABusyFixedPortByItsNumber) {
    tcp::acceptor other(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    const unsigned short port = other.local_endpoint().port();

    auto listener = LoopbackListener::bind(
        io_.get_executor(),
        boost::urls::url("http://127.0.0.1:" + std::to_string(port) + "/callback"));

    ASSERT_FALSE(listener);
    EXPECT_EQ(listener.error().code, Errc::kNetwork);
    EXPECT_NE(listener.error().message.find("port " + std::to_string(port)), std::string::npos)
        << listener.error().message;
    EXPECT_NE(listener.error().message.find("in use"), std::string::npos);
}

TEST_F(LoopbackListenerTest, BindsBothFamiliesOnOnePortForLocalhost) {
    if (!ipv6_loopback_available()) {
        GTEST_SKIP() << "::1 is not available on this machine";
    }
    auto listener = bind("http://localhost/callback");

    const auto endpoints = listener.local_endpoints();
    ASSERT_EQ(endpoints.size(), 2u);
    EXPECT_EQ(endpoints[0].address(), asio::ip::address_v4::loopback());
    EXPECT_EQ(endpoints[1].address(), asio::ip::address_v6::loopback());
    EXPECT_EQ(endpoints[0].port(), endpoints[1].port());
    EXPECT_EQ(listener.redirect_uri(),
              "http://localhost:" + std::to_string(listener.port()) + "/callback");

    RawResponse over_v4;
    auto result = wait_while(listener, [&](unsigned short port) {
        over_v4 = http_get(port, "/favicon.ico", "127.0.0.1");
        http_get(port, callback("code=c6&state=" + std::string(kState)), "::1");
    });

    EXPECT_EQ(over_v4.status, 404);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(result->code.reveal(), "c6");
}

TEST_F(LoopbackListenerTest, FailsClearlyWhenLocalhostCannotHaveTheSamePortOnBothFamilies) {
    if (!ipv6_loopback_available()) {
        GTEST_SKIP() << "::1 is not available on this machine";
    }
    tcp::acceptor v6_only_user(io_);
    v6_only_user.open(tcp::v6());
    v6_only_user.set_option(asio::ip::v6_only(true));
    v6_only_user.bind(tcp::endpoint(asio::ip::address_v6::loopback(), 0));
    v6_only_user.listen();
    const unsigned short port = v6_only_user.local_endpoint().port();

    auto listener = LoopbackListener::bind(
        io_.get_executor(),
        boost::urls::url("http://localhost:" + std::to_string(port) + "/callback"));

    ASSERT_FALSE(listener);
    EXPECT_EQ(listener.error().code, Errc::kNetwork);
    EXPECT_NE(listener.error().message.find(std::to_string(port)), std::string::npos)
        << listener.error().message;
}

TEST_F(LoopbackListenerTest, RefusesEveryRedirectThatIsNotHttpOnLoopback) {
    for (const char* redirect :
         {"http://192.168.1.10/callback", "http://0.0.0.0/callback", "http://[::]/callback",
          "http://example.com/callback", "https://127.0.0.1/callback",
          "http://127.0.0.1/callback#fragment", "http://user@127.0.0.1/callback"}) {
        auto listener = LoopbackListener::bind(io_.get_executor(), boost::urls::url(redirect));
        ASSERT_FALSE(listener) << redirect;
        EXPECT_EQ(listener.error().code, Errc::kInvalidRequest) << redirect;
    }
}

TEST_F(LoopbackListenerTest, AnswersStrayRequestsWith404AndKeepsWaiting) {
    auto listener = bind();
    std::vector<RawResponse> strays;
    RawResponse final_page;

    auto result = wait_while(listener, [&](unsigned short port) {
        for (const char* target : {"/favicon.ico", "/", "/callback/more?code=x&state=",
                                   "/Callback?code=x", "/callbackx"}) {
            strays.push_back(http_get(port, target));
        }
        strays.push_back(test::raw_exchange(
            "127.0.0.1", port, "POST /callback HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"));
        final_page = http_get(port, callback("code=the-code&state=" + std::string(kState)));
    });

    ASSERT_EQ(strays.size(), 6u);
    for (std::size_t i = 0; i + 1 < strays.size(); ++i) {
        EXPECT_EQ(strays[i].status, 404) << i;
    }
    EXPECT_EQ(strays.back().status, 405);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(result->code.reveal(), "the-code");
    EXPECT_FALSE(result->issuer);
    EXPECT_EQ(final_page.status, 200);
    EXPECT_TRUE(final_page.has_header("Connection: close")) << final_page.head;
    EXPECT_TRUE(final_page.has_header("Cache-Control: no-store")) << final_page.head;
    EXPECT_NE(final_page.body.find("signed in"), std::string::npos);
}

TEST_F(LoopbackListenerTest, WrongOrMissingStateGetsAnErrorPageAndKeepsWaiting) {
    auto listener = bind();
    std::vector<RawResponse> rejected;

    auto result = wait_while(listener, [&](unsigned short port) {
        const std::string state(kState);
        const std::vector<std::string> queries = {"code=a&state=stale-tab-state",
                                                  "code=a",
                                                  "code=a&state=",
                                                  "code=a&state=" + state + "x",
                                                  "code=a&state=" + state + "&state=" + state,
                                                  "error=access_denied&state=wrong"};
        for (const auto& query : queries) {
            rejected.push_back(http_get(port, callback(query)));
        }
        http_get(port, callback("code=good&state=" + state));
    });

    ASSERT_EQ(rejected.size(), 6u);
    for (const auto& response : rejected) {
        EXPECT_EQ(response.status, 400);
        EXPECT_NE(response.body.find("does not belong"), std::string::npos) << response.body;
    }
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(result->code.reveal(), "good");
}

TEST_F(LoopbackListenerTest, ProviderErrorWithTheRightStateEndsTheLogin) {
    auto listener = bind();
    RawResponse page;

    auto result = wait_while(listener, [&](unsigned short port) {
        page = http_get(port, callback("error=access_denied&error_description=End-User%20said%20"
                                       "%3Cb%3Eno%3C%2Fb%3E&state=" +
                                       std::string(kState)));
    });

    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::kIdpError);
    EXPECT_EQ(result.error().idp_error, "access_denied");
    EXPECT_EQ(result.error().idp_error_description, "End-User said <b>no</b>");
    EXPECT_EQ(page.status, 200);
    EXPECT_NE(page.body.find("access_denied"), std::string::npos);
    EXPECT_NE(page.body.find("&lt;b&gt;no&lt;/b&gt;"), std::string::npos) << page.body;
    EXPECT_EQ(page.body.find("<b>no"), std::string::npos);
}

TEST_F(LoopbackListenerTest, AcceptsTheExpectedIssuer) {
    auto listener = bind();

    auto result = wait_while(
        listener,
        [&](unsigned short port) {
            http_get(port,
                     callback("code=c&iss=https%3A%2F%2Fidp.example&state=" + std::string(kState)));
        },
        milliseconds(10'000), "https://idp.example");

    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(result->issuer, "https://idp.example");
}

TEST_F(LoopbackListenerTest, RejectsAnotherIssuerWithoutHandingOutTheCode) {
    auto listener = bind();
    RawResponse page;

    auto result = wait_while(
        listener,
        [&](unsigned short port) {
            page = http_get(port, callback("code=c&iss=https%3A%2F%2Fevil.example&state=" +
                                           std::string(kState)));
        },
        milliseconds(10'000), "https://idp.example");

    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::kInvalidRequest);
    EXPECT_NE(result.error().message.find("evil.example"), std::string::npos);
    EXPECT_EQ(page.status, 400);
}

TEST_F(LoopbackListenerTest, AnswerWithTheRightStateButNoCodeEndsTheLogin) {
    auto listener = bind();

    auto result = wait_while(listener, [&](unsigned short port) {
        http_get(port, callback("state=" + std::string(kState)));
    });

    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::kInvalidRequest);
}

TEST_F(LoopbackListenerTest, DeadlineEndsTheWaitAndReleasesThePort) {
    auto listener = bind();
    const unsigned short port = listener.port();

    auto result = wait_while(
        listener, [](unsigned short) {}, milliseconds(300));

    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Errc::kTimeout);
    EXPECT_TRUE(listener.local_endpoints().empty());
    EXPECT_FALSE(test::accepts_connections("127.0.0.1", port));
    tcp::acceptor again(io_);
    again.open(tcp::v4());
    boost::system::error_code ec;
    again.bind(tcp::endpoint(asio::ip::address_v4::loopback(), port), ec);  // no SO_REUSEADDR
    EXPECT_FALSE(ec) << ec.message();
}

TEST_F(LoopbackListenerTest, ReleasesThePortAfterTheLogin) {
    auto listener = bind();
    const unsigned short port = listener.port();

    auto result = wait_while(listener, [](unsigned short p) {
        http_get(p, callback("code=c&state=" + std::string(kState)));
    });

    ASSERT_TRUE(result);
    EXPECT_TRUE(listener.local_endpoints().empty());
    EXPECT_FALSE(test::accepts_connections("127.0.0.1", port));
}

TEST_F(LoopbackListenerTest, TurnsAwayOversizedRequestsAndKeepsWaiting) {
    auto listener = bind();
    RawResponse too_large;
    RawResponse huge_body;

    auto result = wait_while(listener, [&](unsigned short port) {
        too_large = http_get(port, callback("padding=" + std::string(20'000, 'a')));
        huge_body = test::raw_exchange(
            "127.0.0.1", port,
            "GET /callback HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" +
                std::string(100'000, 'b'));
        http_get(port, callback("code=c&state=" + std::string(kState)));
    });

    EXPECT_EQ(too_large.status, 431);
    EXPECT_EQ(huge_body.status, 431);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(result->code.reveal(), "c");
}

TEST_F(LoopbackListenerTest, AnIdleConnectionDoesNotHoldUpTheCallback) {
    auto listener = bind();
    std::chrono::steady_clock::duration took{};

    auto result = wait_while(listener, [&](unsigned short port) {
        // Browsers open spare connections they may never use.
        test::IdleConnection spare(("127.0.0.1"), port);
        const auto start = std::chrono::steady_clock::now();
        http_get(port, callback("code=c&state=" + std::string(kState)));
        took = std::chrono::steady_clock::now() - start;
    });

    ASSERT_TRUE(result) << result.error().message;
    EXPECT_LT(took, seconds(2));
}

TEST_F(LoopbackListenerTest, CancellingTheWaitReleasesThePort) {
    using namespace asio::experimental::awaitable_operators;
    auto listener = bind();
    const unsigned short port = listener.port();

    // The daemon cancels a login on shutdown; here a timer plays that part.
    auto cancel_soon = [this]() -> asio::awaitable<void> {
        asio::steady_timer timer(io_, milliseconds(100));
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    };
    auto raced = test::run_with_deadline(
        io_, (listener.wait_for_callback(Secret(kState), std::nullopt,
                                         std::chrono::steady_clock::now() + seconds(30)) ||
              cancel_soon()));

    ASSERT_TRUE(raced);
    EXPECT_EQ(raced->index(), 1u);
    EXPECT_TRUE(listener.local_endpoints().empty());
    EXPECT_FALSE(test::accepts_connections("127.0.0.1", port));
}

TEST_F(LoopbackListenerTest, ALateSecondAnswerIsNotTakenAsAnotherLogin) {
    auto listener = bind();

    auto first = wait_while(listener, [](unsigned short port) {
        http_get(port, callback("code=c&state=" + std::string(kState)));
    });
    auto second = test::run_with_deadline(
        io_, listener.wait_for_callback(Secret(kState), std::nullopt,
                                        std::chrono::steady_clock::now() + seconds(1)));

    ASSERT_TRUE(first);
    ASSERT_TRUE(second);
    ASSERT_FALSE(*second);
    EXPECT_EQ(second->error().code, Errc::kInternal);
}

}  // namespace
}  // namespace vegha::login
