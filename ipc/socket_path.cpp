#include "ipc/socket_path.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace vegha::ipc {
namespace fs = std::filesystem;

fs::path resolve_socket_path(const std::optional<std::string>& explicit_path) {
    if (explicit_path && !explicit_path->empty()) {
        return *explicit_path;
    }
    if (const char* env = std::getenv("VEGHA_BROKER_SOCKET"); env && *env) {
        return env;
    }
    if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime && *runtime) {
        return fs::path(runtime) / "vegha-broker" / "broker.sock";
    }
    return fs::path("/tmp") / ("vegha-broker-" + std::to_string(::geteuid())) / "broker.sock";
}

namespace {

Error errno_error(std::string what) {
    return make_error(Errc::kInternal, what + ": " + std::strerror(errno));
}

// The folder must be ours alone: anyone who could write there could swap the socket.
Result<void> prepare_folder(const fs::path& folder) {
    if (::mkdir(folder.c_str(), 0700) != 0 && errno != EEXIST) {
        return errno_error("cannot create " + folder.string());
    }
    struct stat st {};
    if (::lstat(folder.c_str(), &st) != 0) {
        return errno_error("cannot inspect " + folder.string());
    }
    if (!S_ISDIR(st.st_mode)) {
        return make_error(Errc::kPermissionDenied,
                          folder.string() + " is not a folder (a symlink is not accepted)");
    }
    if (st.st_uid != ::geteuid()) {
        return make_error(Errc::kPermissionDenied,
                          folder.string() + " belongs to another user; refusing to serve there");
    }
    if ((st.st_mode & 077) != 0 && folder.parent_path() != fs::path("/tmp") &&
        ::chmod(folder.c_str(), 0700) != 0) {
        return errno_error("cannot make " + folder.string() + " private");
    }
    if ((st.st_mode & 077) != 0 && folder.parent_path() == fs::path("/tmp")) {
        // A folder in shared /tmp that someone else could have prepared is not trusted.
        return make_error(Errc::kPermissionDenied,
                          folder.string() + " is open to other users; remove it and retry");
    }
    return {};
}

}  // namespace

Result<SocketLock> SocketLock::acquire(const fs::path& socket_path) {
    if (socket_path.filename().empty()) {
        return make_error(Errc::kInvalidRequest, "socket path has no file name");
    }
    const fs::path folder =
        socket_path.parent_path().empty() ? fs::path(".") : socket_path.parent_path();
    if (auto prepared = prepare_folder(folder); !prepared) {
        return prepared.error();
    }

    fs::path lock_path = socket_path;
    lock_path += ".lock";
    const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        return errno_error("cannot open " + lock_path.string());
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int saved = errno;
        ::close(fd);
        if (saved == EWOULDBLOCK) {
            return make_error(Errc::kPermissionDenied,
                              "another vegha-brokerd is already serving " + socket_path.string());
        }
        errno = saved;
        return errno_error("cannot lock " + lock_path.string());
    }
    // We hold the lock, so whatever socket file is there belongs to a daemon that is gone.
    if (::unlink(socket_path.c_str()) != 0 && errno != ENOENT) {
        const int saved = errno;
        ::close(fd);
        errno = saved;
        return errno_error("cannot remove the stale socket " + socket_path.string());
    }
    return SocketLock(fd, std::move(lock_path));
}

SocketLock::SocketLock(SocketLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

SocketLock::~SocketLock() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

std::optional<PeerCredentials> peer_credentials(int socket_fd) {
    struct ucred cred {};
    socklen_t size = sizeof(cred);
    if (::getsockopt(socket_fd, SOL_SOCKET, SO_PEERCRED, &cred, &size) != 0 ||
        size != sizeof(cred)) {
        return std::nullopt;
    }
    return PeerCredentials{cred.pid, cred.uid, cred.gid};
}

}  // namespace vegha::ipc
