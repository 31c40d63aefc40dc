#include "ipc/server.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <optional>
#include <unordered_map>

#include "core/log.hpp"
#include "proto/protocol.hpp"

namespace vegha::ipc {
namespace asio = boost::asio;
using asio::local::stream_protocol;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

enum class IoOutcome { kDone, kClosed, kTimedOut, kFailed };

// Runs one read or write on `socket` against a deadline; the loser is cancelled.
template <class Operation>
asio::awaitable<IoOutcome> with_deadline(stream_protocol::socket& socket, Operation operation,
                                         std::chrono::milliseconds timeout) {
    asio::steady_timer timer(socket.get_executor(), timeout);
    auto raced = co_await (std::move(operation) || timer.async_wait(kNoThrow));
    if (raced.index() == 1) {
        co_return IoOutcome::kTimedOut;
    }
    const auto [ec, bytes] = std::get<0>(raced);
    if (!ec) {
        co_return IoOutcome::kDone;
    }
    co_return ec == asio::error::eof || ec == asio::error::connection_reset ||
            ec == asio::error::operation_aborted
        ? IoOutcome::kClosed
        : IoOutcome::kFailed;
}

// A steady_timer used as a condition: wait() returns once notify() is called (or at once
// when it was called while nobody waited, since waiters recheck their predicate first).
class Signal {
public:
    explicit Signal(const asio::any_io_executor& executor)
        : timer_(executor, asio::steady_timer::time_point::max()) {}

    asio::awaitable<void> wait() {
        co_await timer_.async_wait(kNoThrow);
        timer_.expires_at(asio::steady_timer::time_point::max());
    }
    void notify() { timer_.cancel(); }

private:
    asio::steady_timer timer_;
};

// The frames a connection has yet to write: interim events and replies, in order. One
// writer coroutine drains it, so frames never interleave on the socket.
struct Outbox {
    explicit Outbox(const asio::any_io_executor& executor) : more(executor), drained(executor) {}

    void push(std::string body) {
        if (closing || failed) {
            return;
        }
        frames.push_back(proto::frame(body));
        more.notify();
    }
    // No more frames will come; the writer finishes what is queued and ends.
    void close() {
        closing = true;
        more.notify();
    }

    std::deque<std::string> frames;
    bool closing = false;
    bool failed = false;  // a write failed or timed out; the connection is done
    Signal more;          // a frame was queued, or close() was called
    Signal drained;       // the queue emptied, or a write failed
};

}  // namespace

struct Server::Impl : std::enable_shared_from_this<Impl> {
    Impl(asio::any_io_executor ex, std::filesystem::path path, RequestHandler h, ServerOptions o)
        : executor(ex),
          socket_path(std::move(path)),
          handler(std::move(h)),
          options(o),
          acceptor(ex),
          log(vegha::log::logger("ipc")) {}

    asio::awaitable<void> serve(std::shared_ptr<stream_protocol::socket> socket,
                                ConnectionInfo info);
    asio::awaitable<void> read_requests(stream_protocol::socket& socket, ConnectionInfo& info,
                                        Outbox& outbox, std::optional<Error>& refusal);
    asio::awaitable<void> write_frames(stream_protocol::socket& socket, Outbox& outbox,
                                       std::uint64_t connection);
    asio::awaitable<bool> write_reply(stream_protocol::socket& socket, const std::string& body);
    asio::awaitable<void> refuse(stream_protocol::socket& socket, const Error& error);

    asio::any_io_executor executor;
    std::filesystem::path socket_path;
    RequestHandler handler;
    ServerOptions options;
    std::optional<SocketLock> lock;
    stream_protocol::acceptor acceptor;
    std::unordered_map<std::uint64_t, std::weak_ptr<stream_protocol::socket>> connections;
    std::uint64_t next_connection_id = 1;
    bool stopped = false;
    std::shared_ptr<spdlog::logger> log;
};

Server::Server(asio::any_io_executor executor, std::filesystem::path socket_path,
               RequestHandler handler, ServerOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(socket_path), std::move(handler),
                                   options)) {}

Server::~Server() {
    stop();
}

Result<void> Server::listen() {
    auto lock = SocketLock::acquire(impl_->socket_path);
    if (!lock) {
        return lock.error();
    }
    impl_->lock.emplace(std::move(*lock));

    boost::system::error_code ec;
    const stream_protocol::endpoint endpoint(impl_->socket_path.string());
    impl_->acceptor.open(endpoint.protocol(), ec);
    if (!ec) {
        impl_->acceptor.bind(endpoint, ec);
    }
    // The folder is already 0700; the socket's own mode is a second fence.
    if (!ec && ::chmod(impl_->socket_path.c_str(), 0600) != 0) {
        ec.assign(errno, boost::system::system_category());
    }
    if (!ec) {
        impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        return make_error(Errc::kInternal,
                          "cannot listen on " + impl_->socket_path.string() + ": " + ec.message());
    }
    impl_->log->info("listening on {}", impl_->socket_path.string());
    return {};
}

asio::awaitable<void> Server::run() {
    auto self = impl_;
    while (!self->stopped) {
        auto [ec, accepted] = co_await self->acceptor.async_accept(kNoThrow);
        if (ec) {
            if (self->stopped || ec == asio::error::operation_aborted) {
                break;
            }
            // Out of descriptors and the like: say so, and keep serving the others.
            self->log->warn("accept failed: {}", ec.message());
            continue;
        }
        auto socket = std::make_shared<stream_protocol::socket>(std::move(accepted));
        ConnectionInfo info;
        info.id = self->next_connection_id++;
        const auto peer = peer_credentials(socket->native_handle());
        if (!peer) {
            self->log->warn("conn {}: cannot read the peer's credentials; closing", info.id);
            continue;
        }
        info.peer = *peer;
        self->connections.emplace(info.id, socket);
        asio::co_spawn(self->executor, self->serve(socket, info), asio::detached);
    }
}

asio::awaitable<bool> Server::Impl::write_reply(stream_protocol::socket& socket,
                                                const std::string& body) {
    const std::string framed = proto::frame(body);
    const auto outcome = co_await with_deadline(
        socket, asio::async_write(socket, asio::buffer(framed), kNoThrow), options.write_timeout);
    co_return outcome == IoOutcome::kDone;
}

// Sends a last error and closes. The peer may still be writing its request: closing at once
// could fail its write before it reads the error, so the daemon stops sending, then drains
// what the peer sends until it hangs up (at most a second).
asio::awaitable<void> Server::Impl::refuse(stream_protocol::socket& socket, const Error& error) {
    co_await write_reply(socket, proto::encode_error(std::nullopt, error));
    boost::system::error_code ignored;
    socket.shutdown(stream_protocol::socket::shutdown_send, ignored);
    std::array<char, 4096> sink{};
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (std::chrono::steady_clock::now() < until) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            until - std::chrono::steady_clock::now());
        const auto outcome = co_await with_deadline(
            socket, socket.async_read_some(asio::buffer(sink), kNoThrow), left);
        if (outcome != IoOutcome::kDone) {
            break;
        }
    }
}

asio::awaitable<void> Server::Impl::serve(std::shared_ptr<stream_protocol::socket> socket,
                                          ConnectionInfo info) {
    auto self = shared_from_this();
    if (info.peer.uid != ::geteuid()) {
        log->warn("conn {}: refused peer pid {} of uid {}", info.id, info.peer.pid, info.peer.uid);
        co_await refuse(
            *socket, make_error(Errc::kPermissionDenied, "this broker serves only its own user"));
    } else {
        // The handler may keep send_event beyond this connection (a login outlives a caller
        // that hung up), so it holds the outbox weakly.
        auto outbox = std::make_shared<Outbox>(executor);
        info.send_event = [weak = std::weak_ptr<Outbox>(outbox)](std::string body) {
            if (auto box = weak.lock()) {
                box->push(std::move(body));
            }
        };
        std::optional<Error> refusal;
        co_await (read_requests(*socket, info, *outbox, refusal) &&
                  write_frames(*socket, *outbox, info.id));
        // The writer has finished, so the last error can go out on the socket directly.
        if (refusal && !outbox->failed) {
            co_await refuse(*socket, *refusal);
        }
    }
    boost::system::error_code ignored;
    socket->close(ignored);
    connections.erase(info.id);
}

// Reads requests one at a time and queues each reply; the next request is read only once
// the reply has been written, so a client that stops reading cannot make the daemon queue
// replies without bound.
asio::awaitable<void> Server::Impl::read_requests(stream_protocol::socket& socket,
                                                  ConnectionInfo& info, Outbox& outbox,
                                                  std::optional<Error>& refusal) {
    while (!stopped && !outbox.failed) {
        std::array<unsigned char, proto::kHeaderSize> header{};
        auto outcome = co_await with_deadline(
            socket, asio::async_read(socket, asio::buffer(header), kNoThrow), options.idle_timeout);
        if (outcome == IoOutcome::kTimedOut) {
            log->debug("conn {}: idle, closing", info.id);
        }
        if (outcome != IoOutcome::kDone) {
            break;
        }

        const std::uint32_t size = proto::decode_header(header.data());
        if (size == 0 || size > proto::kMaxFrameSize) {
            const Errc code = size == 0 ? Errc::kMalformedFrame : Errc::kFrameTooLarge;
            log->warn("conn {}: frame of {} bytes refused; closing", info.id, size);
            refusal = make_error(code, "frame length " + std::to_string(size) + " is outside 1.." +
                                           std::to_string(proto::kMaxFrameSize));
            break;
        }

        std::string body(size, '\0');
        outcome = co_await with_deadline(
            socket, asio::async_read(socket, asio::buffer(body), kNoThrow), options.frame_timeout);
        if (outcome != IoOutcome::kDone) {
            log->warn("conn {}: truncated frame ({} bytes announced); closing", info.id, size);
            break;
        }

        std::string reply;
        try {
            reply = co_await handler(std::move(body), info);
        } catch (const std::exception& e) {
            log->error("conn {}: request handler failed: {}", info.id, e.what());
            reply = proto::encode_error(std::nullopt, make_error(Errc::kInternal,
                                                                 "the daemon hit an internal "
                                                                 "error; see its log"));
        }
        outbox.push(std::move(reply));
        while (!outbox.frames.empty() && !outbox.failed) {
            co_await outbox.drained.wait();
        }
    }
    outbox.close();
}

asio::awaitable<void> Server::Impl::write_frames(stream_protocol::socket& socket, Outbox& outbox,
                                                 std::uint64_t connection) {
    for (;;) {
        if (outbox.frames.empty()) {
            outbox.drained.notify();
            if (outbox.closing) {
                break;
            }
            co_await outbox.more.wait();
            continue;
        }
        const auto outcome = co_await with_deadline(
            socket, asio::async_write(socket, asio::buffer(outbox.frames.front()), kNoThrow),
            options.write_timeout);
        if (outcome != IoOutcome::kDone) {
            log->debug("conn {}: frame not delivered; closing", connection);
            outbox.failed = true;
            outbox.frames.clear();
            outbox.drained.notify();
            // Also ends a read the other coroutine may be waiting on.
            boost::system::error_code ignored;
            socket.close(ignored);
            break;
        }
        outbox.frames.pop_front();
    }
}

void Server::stop() {
    if (!impl_ || impl_->stopped) {
        return;
    }
    impl_->stopped = true;
    boost::system::error_code ignored;
    impl_->acceptor.close(ignored);
    for (auto& [id, weak] : impl_->connections) {
        if (auto socket = weak.lock()) {
            socket->close(ignored);
        }
    }
    if (impl_->lock) {
        // Only the holder of the lock may remove the socket file.
        ::unlink(impl_->socket_path.c_str());
    }
}

std::size_t Server::connection_count() const noexcept {
    return impl_->connections.size();
}

const std::filesystem::path& Server::socket_path() const noexcept {
    return impl_->socket_path;
}

}  // namespace vegha::ipc
