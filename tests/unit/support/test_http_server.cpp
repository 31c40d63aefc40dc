#include "support/test_http_server.hpp"

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace vegha::test {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// Reads until the peer goes away; used for a connection the server never answers.
template <class Stream>
asio::awaitable<void> drain_until_closed(Stream& stream) {
    std::array<char, 4096> buffer{};
    for (;;) {
        auto [ec, n] = co_await stream.async_read_some(asio::buffer(buffer), kNoThrow);
        if (ec) {
            co_return;
        }
    }
}

}  // namespace

CannedResponse answer(unsigned status, std::string content_type, std::string body,
                      std::chrono::milliseconds delay) {
    CannedResponse response;
    response.status = status;
    response.content_type = std::move(content_type);
    response.body = std::move(body);
    response.delay = delay;
    return response;
}

CannedResponse misbehave(CannedResponse::Behaviour behaviour, std::string raw) {
    CannedResponse response;
    response.behaviour = behaviour;
    response.raw = std::move(raw);
    return response;
}

class TestHttpServer::Session {
public:
    template <class Stream>
    static asio::awaitable<void> serve(TestHttpServer& server, Stream& stream) {
        beast::flat_buffer buffer;
        http::request<http::string_body> request;
        auto [read_ec, read] = co_await http::async_read(stream, buffer, request, kNoThrow);
        if (read_ec) {
            co_return;
        }

        ReceivedRequest received{std::string(request.method_string()),
                                 std::string(request.target()),
                                 std::string(request[http::field::content_type]),
                                 std::string(request[http::field::authorization]), request.body()};
        const std::size_t n = ++server.requests_;
        {
            std::lock_guard lock(server.mutex_);
            server.received_.push_back(received);
        }
        const CannedResponse response = server.handler_(received, n);

        if (response.delay.count() > 0) {
            asio::steady_timer timer(co_await asio::this_coro::executor, response.delay);
            co_await timer.async_wait(kNoThrow);
        }
        switch (response.behaviour) {
            case CannedResponse::Behaviour::kNeverAnswer:
                co_await drain_until_closed(stream);
                co_return;
            case CannedResponse::Behaviour::kCloseWithoutAnswer:
                co_return;
            case CannedResponse::Behaviour::kSendRaw:
                co_await asio::async_write(stream, asio::buffer(response.raw), kNoThrow);
                co_return;
            case CannedResponse::Behaviour::kAnswer:
                break;
        }

        http::response<http::string_body> reply{static_cast<http::status>(response.status), 11};
        if (!response.content_type.empty()) {
            reply.set(http::field::content_type, response.content_type);
        }
        reply.body() = response.body;
        reply.keep_alive(false);
        reply.prepare_payload();
        co_await http::async_write(stream, reply, kNoThrow);
    }

    static asio::awaitable<void> run(TestHttpServer& server, tcp::socket socket) {
        if (server.silent_) {
            co_await drain_until_closed(socket);
            co_return;
        }
        if (!server.tls_) {
            co_await serve(server, socket);
            boost::system::error_code ignored;
            socket.shutdown(tcp::socket::shutdown_send, ignored);
            co_return;
        }
        asio::ssl::stream<tcp::socket> stream(std::move(socket), *server.tls_);
        auto [handshake_ec] =
            co_await stream.async_handshake(asio::ssl::stream_base::server, kNoThrow);
        if (!handshake_ec) {
            co_await serve(server, stream);
        }
    }

    static asio::awaitable<void> accept_loop(TestHttpServer& server) {
        for (;;) {
            auto [ec, socket] = co_await server.acceptor_.async_accept(kNoThrow);
            if (ec) {
                co_return;
            }
            ++server.connections_;
            asio::co_spawn(server.io_, run(server, std::move(socket)), asio::detached);
        }
    }
};

TestHttpServer::TestHttpServer(Handler handler, std::optional<TlsIdentity> tls)
    : TestHttpServer(std::move(handler), std::move(tls), false) {}

TestHttpServer::TestHttpServer(Handler handler, std::optional<TlsIdentity> tls, bool silent)
    : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
      handler_(std::move(handler)),
      silent_(silent) {
    port_ = acceptor_.local_endpoint().port();
    if (tls) {
        tls_.emplace(asio::ssl::context::tls_server);
        tls_->use_certificate_chain(asio::buffer(tls->certificate_pem));
        tls_->use_private_key(asio::buffer(tls->private_key_pem), asio::ssl::context::pem);
    }
    start();
}

TestHttpServer::TestHttpServer(CannedResponse response, std::optional<TlsIdentity> tls)
    : TestHttpServer([response = std::move(response)](const ReceivedRequest&,
                                                      std::size_t) { return response; },
                     std::move(tls)) {}

TestHttpServer::TestHttpServer(Silent)
    : TestHttpServer([](const ReceivedRequest&, std::size_t) { return CannedResponse{}; },
                     std::nullopt, true) {}

void TestHttpServer::start() {
    asio::co_spawn(io_, Session::accept_loop(*this), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
}

TestHttpServer::~TestHttpServer() {
    // Sessions still open (a silent connection) are destroyed with the io_context.
    io_.stop();
    thread_.join();
}

std::string TestHttpServer::url(std::string_view path) const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) +
           std::string(path);
}

std::vector<ReceivedRequest> TestHttpServer::received() const {
    std::lock_guard lock(mutex_);
    return received_;
}

unsigned short unused_loopback_port() {
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    return acceptor.local_endpoint().port();
}

}  // namespace vegha::test
