#pragma once

// A loopback HTTP/1.1 server for tests of code that talks to a provider. It listens on
// 127.0.0.1 on an ephemeral port, runs its own io_context on its own thread, counts what
// reaches it and answers each request as a handler says: with a canned response (after an
// optional delay), raw bytes, a closed connection, or never. With a TlsIdentity it speaks
// HTTPS instead.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/self_signed_cert.hpp"

namespace vegha::test {

// What arrived, as the server parsed it.
struct ReceivedRequest {
    std::string method;
    std::string target;
    std::string content_type;
    std::string authorization;
    std::string body;
};

struct CannedResponse {
    enum class Behaviour {
        kAnswer,              // send status, content type and body
        kSendRaw,             // send `raw` as is, then close
        kCloseWithoutAnswer,  // read the request, then close
        kNeverAnswer,         // keep the connection open and silent until the client leaves
    };

    Behaviour behaviour = Behaviour::kAnswer;
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::string raw;
    std::chrono::milliseconds delay{0};
};

// An HTTP answer; `delay` holds it back, as a slow provider would.
CannedResponse answer(unsigned status, std::string content_type, std::string body,
                      std::chrono::milliseconds delay = std::chrono::milliseconds(0));

// A connection handled some other way than with an answer; `raw` is for kSendRaw.
CannedResponse misbehave(CannedResponse::Behaviour behaviour, std::string raw = "");

class TestHttpServer {
public:
    // Called on the server's thread for the n-th request (counting from 1).
    using Handler = std::function<CannedResponse(const ReceivedRequest&, std::size_t n)>;

    explicit TestHttpServer(Handler handler, std::optional<TlsIdentity> tls = std::nullopt);
    // A server that answers every request the same way.
    explicit TestHttpServer(CannedResponse response, std::optional<TlsIdentity> tls = std::nullopt);

    // A server that accepts connections and reads whatever comes, without parsing it and
    // without ever writing: a peer that hangs before any protocol starts (for TLS, before
    // the handshake).
    struct Silent {};
    explicit TestHttpServer(Silent);
    ~TestHttpServer();

    TestHttpServer(const TestHttpServer&) = delete;
    TestHttpServer& operator=(const TestHttpServer&) = delete;

    unsigned short port() const noexcept { return port_; }

    // "http://127.0.0.1:<port><path>", or https:// with TLS.
    std::string url(std::string_view path = "/token") const;

    // Complete requests read, and connections accepted (a silent connection is one of these
    // without the other).
    std::size_t requests() const noexcept { return requests_.load(); }
    std::size_t connections() const noexcept { return connections_.load(); }

    std::vector<ReceivedRequest> received() const;

private:
    class Session;

    TestHttpServer(Handler handler, std::optional<TlsIdentity> tls, bool silent);

    void start();

    boost::asio::io_context io_;
    std::optional<boost::asio::ssl::context> tls_;
    boost::asio::ip::tcp::acceptor acceptor_;
    unsigned short port_ = 0;
    Handler handler_;
    bool silent_ = false;

    std::atomic<std::size_t> requests_{0};
    std::atomic<std::size_t> connections_{0};
    mutable std::mutex mutex_;
    std::vector<ReceivedRequest> received_;

    std::thread thread_;
};

// A loopback port that nothing listens on (bound, then released).
unsigned short unused_loopback_port();

}  // namespace vegha::test
