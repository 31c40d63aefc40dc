#pragma once

// Where the daemon listens, and taking ownership of that place. Plain POSIX: no Asio here.

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

#include "core/error.hpp"

namespace vegha::ipc {

// The socket path by the rule in proto/PROTOCOL.md: the explicit path if given, else
// $VEGHA_BROKER_SOCKET, else $XDG_RUNTIME_DIR/vegha-broker/broker.sock, else
// /tmp/vegha-broker-<uid>/broker.sock.
std::filesystem::path resolve_socket_path(const std::optional<std::string>& explicit_path);

// Holds the right to serve one socket path for as long as it lives: an exclusive flock on
// "<socket>.lock" next to the socket. A second daemon cannot take it while the first is
// alive, and the kernel releases it when the first dies however it dies, so a socket file
// left behind by a crash is known to be stale and is replaced.
class SocketLock {
public:
    // Creates the socket's folder (0700) when missing, refuses a folder that is a symlink,
    // is owned by another user or is open to group or others, takes the lock, and removes
    // a stale socket file. Fails with kPermissionDenied or kInvalidRequest naming the
    // problem, or kInternal with errno's text.
    static Result<SocketLock> acquire(const std::filesystem::path& socket_path);

    SocketLock(SocketLock&& other) noexcept;
    SocketLock& operator=(SocketLock&&) = delete;
    ~SocketLock();

private:
    SocketLock(int fd, std::filesystem::path lock_path) : fd_(fd), path_(std::move(lock_path)) {}

    int fd_ = -1;
    std::filesystem::path path_;
};

// The credentials the kernel recorded for the peer of a connected Unix socket.
struct PeerCredentials {
    pid_t pid = 0;
    uid_t uid = 0;
    gid_t gid = 0;
};

std::optional<PeerCredentials> peer_credentials(int socket_fd);

}  // namespace vegha::ipc
