#pragma once

// One Unix stream socket to the daemon, and the framing of proto/PROTOCOL.md on top of it.
// Plain POSIX calls: the socket is non-blocking and every wait is a poll() bounded by the
// caller's deadline, so no call can hang past it.

#include <chrono>
#include <string>
#include <string_view>

#include "vegha/client.hpp"

namespace vegha::client::detail {

using Clock = std::chrono::steady_clock;

// Codes the transport reports itself (the others come from the daemon).
inline constexpr std::string_view kDaemonUnavailable = "daemon_unavailable";
inline constexpr std::string_view kTimeout = "timeout";
inline constexpr std::string_view kMalformedFrame = "malformed_frame";
inline constexpr std::string_view kFrameTooLarge = "frame_too_large";
inline constexpr std::string_view kInvalidRequest = "invalid_request";
inline constexpr std::string_view kInternalError = "internal_error";
inline constexpr std::string_view kPermissionDenied = "permission_denied";

Error make_error(std::string_view code, std::string message);

// Overwrites a buffer that held a token or a secret before its memory is given back.
void wipe(std::string& buffer) noexcept;

class Connection {
public:
    Connection() = default;
    Connection(Connection&& other) noexcept;
    Connection& operator=(Connection&& other) noexcept;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection();

    // Fails with daemon_unavailable when nothing accepts on `path`, invalid_request when
    // the path cannot name a Unix socket, timeout when the deadline passes first.
    // Fails with permission_denied when the socket is served by another user.
    static Result<Connection> open(const std::string& path, Clock::time_point deadline);

    bool is_open() const noexcept { return fd_ >= 0; }

    // True when the daemon has hung up (or sent bytes nobody asked for): the connection
    // cannot carry a new request. Does not wait.
    bool is_stale() const noexcept;

    // Writes a whole frame. daemon_unavailable when the daemon has hung up.
    Result<void> send(std::string_view frame, Clock::time_point deadline);

    // Reads one frame and returns its body. daemon_unavailable when the daemon hung up
    // before the first byte; malformed_frame when it hung up mid-frame or announced an
    // empty body; frame_too_large past proto::kMaxFrameSize; timeout at the deadline.
    Result<std::string> receive(Clock::time_point deadline);

    void close() noexcept;

private:
    explicit Connection(int fd) noexcept : fd_(fd) {}

    // Fills `out` completely. `received` counts the bytes read before any failure.
    Result<void> read_exact(char* out, std::size_t size, Clock::time_point deadline,
                            std::size_t& received);
    Result<void> wait_for(short events, Clock::time_point deadline, std::string_view what);

    static Result<Connection> check_peer(Connection connection, const std::string& path);

    int fd_ = -1;
};

}  // namespace vegha::client::detail
