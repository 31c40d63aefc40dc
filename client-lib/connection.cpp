#include "client-lib/connection.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>

#include "proto/protocol.hpp"

namespace vegha::client::detail {
namespace {

std::string errno_text(int error) {
    return std::strerror(error);
}

// What is left of the deadline as a poll() timeout, rounded up so a wait never ends just
// short of it; 0 once it has passed.
int poll_timeout(Clock::time_point deadline) {
    const auto left = deadline - Clock::now();
    if (left <= Clock::duration::zero()) {
        return 0;
    }
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
    return static_cast<int>(std::min<std::int64_t>(ms, INT_MAX));
}

bool peer_gone(int error) {
    return error == EPIPE || error == ECONNRESET;
}

}  // namespace

Error make_error(std::string_view code, std::string message) {
    return Error{std::string(code), std::move(message), {}, {}, 0};
}

void wipe(std::string& buffer) noexcept {
    // explicit_bzero, unlike memset, may not be removed as a dead store.
    ::explicit_bzero(buffer.data(), buffer.size());
    buffer.clear();
}

Connection::Connection(Connection&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

Connection& Connection::operator=(Connection&& other) noexcept {
    if (this != &other) {
        close();
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

Connection::~Connection() {
    close();
}

void Connection::close() noexcept {
    if (fd_ >= 0) {
        // Not retried on EINTR: on Linux the descriptor is released whatever close returns.
        ::close(fd_);
        fd_ = -1;
    }
}

Result<Connection> Connection::open(const std::string& path, Clock::time_point deadline) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof(address.sun_path)) {
        return make_error(kInvalidRequest, "socket path \"" + path + "\" is empty or longer than " +
                                               std::to_string(sizeof(address.sun_path) - 1) +
                                               " bytes");
    }
    std::memcpy(address.sun_path, path.data(), path.size());

    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return make_error(kInternalError, "cannot create a socket: " + errno_text(errno));
    }
    Connection connection(fd);

    const auto* raw = reinterpret_cast<const sockaddr*>(&address);
    if (::connect(fd, raw, sizeof(address)) == 0) {
        return check_peer(std::move(connection), path);
    }
    const int error = errno;
    // A non-blocking connect interrupted by a signal keeps going in the background, just
    // like one that reports EINPROGRESS; either way the outcome arrives as writability.
    if (error != EINPROGRESS && error != EINTR) {
        if (error == EAGAIN) {
            return make_error(kDaemonUnavailable, "the daemon on " + path +
                                                      " is not accepting connections (its "
                                                      "backlog is full)");
        }
        return make_error(kDaemonUnavailable, "cannot connect to the daemon on " + path + ": " +
                                                  errno_text(error) +
                                                  " (is vegha-brokerd running?)");
    }
    if (auto ready = connection.wait_for(POLLOUT, deadline, "connecting"); !ready) {
        return ready.error();
    }
    int so_error = 0;
    socklen_t size = sizeof(so_error);
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &size) != 0) {
        so_error = errno;
    }
    if (so_error != 0) {
        return make_error(kDaemonUnavailable,
                          "cannot connect to the daemon on " + path + ": " + errno_text(so_error));
    }
    return check_peer(std::move(connection), path);
}

// Requests carry secrets (inline profiles) and replies are trusted as tokens, so the
// daemon must be this user's own: another user could have created the socket first where
// the folder is shared (/tmp when XDG_RUNTIME_DIR is unset).
Result<Connection> Connection::check_peer(Connection connection, const std::string& path) {
    ucred peer{};
    socklen_t size = sizeof(peer);
    if (::getsockopt(connection.fd_, SOL_SOCKET, SO_PEERCRED, &peer, &size) != 0 ||
        size != sizeof(peer)) {
        return make_error(kPermissionDenied,
                          "cannot tell who serves " + path + ": " + errno_text(errno));
    }
    if (peer.uid != ::geteuid()) {
        return make_error(kPermissionDenied, "the socket " + path + " is served by uid " +
                                                 std::to_string(peer.uid) +
                                                 ", not by you; refusing to talk to it");
    }
    return connection;
}

Result<void> Connection::wait_for(short events, Clock::time_point deadline, std::string_view what) {
    for (;;) {
        const int timeout = poll_timeout(deadline);
        if (timeout == 0) {
            return make_error(kTimeout,
                              "the daemon did not answer in time (" + std::string(what) + ")");
        }
        pollfd entry{fd_, events, 0};
        const int ready = ::poll(&entry, 1, timeout);
        if (ready > 0) {
            // POLLHUP and POLLERR count as ready too: the read or write that follows
            // reports what happened.
            return {};
        }
        if (ready < 0 && errno != EINTR) {
            return make_error(kInternalError, "poll failed: " + errno_text(errno));
        }
        // Timed out or interrupted: the loop rechecks the deadline.
    }
}

bool Connection::is_stale() const noexcept {
    if (fd_ < 0) {
        return true;
    }
    pollfd entry{fd_, POLLIN, 0};
    int ready = 0;
    do {
        ready = ::poll(&entry, 1, 0);
    } while (ready < 0 && errno == EINTR);
    if (ready == 0) {
        return false;
    }
    if (ready < 0 || (entry.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0) {
        return true;
    }
    // Readable while no request is outstanding: either end of stream, or bytes that belong
    // to no request of ours. Neither leaves a stream we can trust.
    char byte = 0;
    const ssize_t n = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR));
}

Result<void> Connection::send(std::string_view frame, Clock::time_point deadline) {
    std::size_t sent = 0;
    while (sent < frame.size()) {
        // MSG_NOSIGNAL: a daemon that hung up is an error to report, not a SIGPIPE that
        // kills the calling program.
        const ssize_t n = ::send(fd_, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
        if (n >= 0) {
            sent += static_cast<std::size_t>(n);
            continue;
        }
        const int error = errno;
        if (error == EINTR) {
            continue;
        }
        if (error == EAGAIN || error == EWOULDBLOCK) {
            if (auto ready = wait_for(POLLOUT, deadline, "sending the request"); !ready) {
                return ready.error();
            }
            continue;
        }
        if (peer_gone(error)) {
            return make_error(kDaemonUnavailable, "the daemon closed the connection");
        }
        return make_error(kInternalError, "cannot send to the daemon: " + errno_text(error));
    }
    return {};
}

Result<void> Connection::read_exact(char* out, std::size_t size, Clock::time_point deadline,
                                    std::size_t& received) {
    std::size_t got = 0;
    while (got < size) {
        const ssize_t n = ::recv(fd_, out + got, size - got, 0);
        if (n > 0) {
            got += static_cast<std::size_t>(n);
            received += static_cast<std::size_t>(n);
            continue;
        }
        const int error = n == 0 ? 0 : errno;
        if (error == EINTR) {
            continue;
        }
        if (error == EAGAIN || error == EWOULDBLOCK) {
            if (auto ready = wait_for(POLLIN, deadline, "waiting for the reply"); !ready) {
                return ready.error();
            }
            continue;
        }
        if (n == 0 || peer_gone(error)) {
            return make_error(kDaemonUnavailable,
                              "the daemon closed the connection without answering");
        }
        return make_error(kInternalError, "cannot read from the daemon: " + errno_text(error));
    }
    return {};
}

Result<std::string> Connection::receive(Clock::time_point deadline) {
    std::size_t received = 0;
    std::array<char, proto::kHeaderSize> header{};
    if (auto read = read_exact(header.data(), header.size(), deadline, received); !read) {
        if (received > 0 && read.error().code == kDaemonUnavailable) {
            return make_error(kMalformedFrame, "the daemon closed the connection mid-reply");
        }
        return read.error();
    }

    const std::uint32_t size =
        proto::decode_header(reinterpret_cast<const unsigned char*>(header.data()));
    if (size == 0) {
        return make_error(kMalformedFrame, "the daemon sent an empty reply frame");
    }
    if (size > proto::kMaxFrameSize) {
        return make_error(kFrameTooLarge, "the daemon announced a reply of " +
                                              std::to_string(size) + " bytes, over the " +
                                              std::to_string(proto::kMaxFrameSize) + "-byte limit");
    }

    std::string body(size, '\0');
    if (auto read = read_exact(body.data(), body.size(), deadline, received); !read) {
        wipe(body);
        if (read.error().code == kDaemonUnavailable) {
            return make_error(kMalformedFrame, "the daemon closed the connection mid-reply");
        }
        return read.error();
    }
    // Spelled out: Error, whose first member is a string, is constructible from one too.
    return Result<std::string>(boost::system::in_place_value, std::move(body));
}

}  // namespace vegha::client::detail
