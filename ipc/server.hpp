#pragma once

// The daemon's side of the socket: accepts local connections, refuses other users, reads
// frames with deadlines, hands each request body to a handler and writes its reply. It
// knows frames, not operations: what a request means is the handler's business.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "core/error.hpp"
#include "ipc/socket_path.hpp"

namespace vegha::ipc {

// Sends one interim frame (a body such as a login prompt event, proto/PROTOCOL.md) to the
// connection ahead of the reply the handler is still working on. Frames go out in the order
// they are sent, and before that reply. Safe to call after the connection has closed (the
// frame is dropped), so a copy may outlive the request; call on the I/O thread only.
using EventSender = std::function<void(std::string body)>;

struct ConnectionInfo {
    std::uint64_t id = 0;
    PeerCredentials peer;
    EventSender send_event;
};

// Produces the reply body for one request body. It must not throw for bad input (bad
// input is answered with an error reply); an exception is logged and answered with
// internal_error. While it runs, it may send interim frames through info.send_event.
using RequestHandler =
    std::function<boost::asio::awaitable<std::string>(std::string body, const ConnectionInfo&)>;

struct ServerOptions {
    // Once a frame's header has arrived, its body must follow within this time.
    std::chrono::milliseconds frame_timeout{std::chrono::seconds(10)};
    // A connection with no request for this long is closed.
    std::chrono::milliseconds idle_timeout{std::chrono::minutes(10)};
    // Writing a reply or an interim frame must finish within this time (a client that
    // stops reading).
    std::chrono::milliseconds write_timeout{std::chrono::seconds(10)};
};

class Server {
public:
    Server(boost::asio::any_io_executor executor, std::filesystem::path socket_path,
           RequestHandler handler, ServerOptions options = {});
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Takes the socket lock, binds and listens (socket mode 0600). Fails when another
    // daemon serves the path, or when the path cannot be made ours.
    Result<void> listen();

    // Accepts until stop(); each connection runs as its own coroutine.
    boost::asio::awaitable<void> run();

    // Stops accepting, closes every open connection and removes the socket file.
    void stop();

    std::size_t connection_count() const noexcept;
    const std::filesystem::path& socket_path() const noexcept;

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace vegha::ipc
