#include "tests/support/raw_ipc.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace vegha::test {

RawConnection::RawConnection(const std::filesystem::path& socket_path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, socket_path.c_str(), sizeof(address.sun_path) - 1);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

RawConnection::~RawConnection() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

void RawConnection::send_raw(std::string_view bytes) {
    std::size_t sent = 0;
    while (fd_ >= 0 && sent < bytes.size()) {
        const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) {
            return;
        }
        sent += static_cast<std::size_t>(n);
    }
}

void RawConnection::send_frame(std::string_view body) {
    const auto n = static_cast<std::uint32_t>(body.size());
    const char header[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                            static_cast<char>(n >> 8), static_cast<char>(n)};
    send_raw(std::string(header, 4) + std::string(body));
}

void RawConnection::shutdown_write() {
    ::shutdown(fd_, SHUT_WR);
}

bool RawConnection::read_exact(char* out, std::size_t size,
                               std::chrono::steady_clock::time_point until) {
    std::size_t got = 0;
    while (got < size) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            until - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            return false;
        }
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
            continue;
        }
        const ssize_t n = ::read(fd_, out + got, size - got);
        if (n <= 0) {
            closed_ = true;
            return false;
        }
        got += static_cast<std::size_t>(n);
    }
    return true;
}

std::optional<std::string> RawConnection::read_frame(std::chrono::milliseconds deadline) {
    if (fd_ < 0) {
        return std::nullopt;
    }
    const auto until = std::chrono::steady_clock::now() + deadline;
    unsigned char header[4];
    if (!read_exact(reinterpret_cast<char*>(header), 4, until)) {
        return std::nullopt;
    }
    const std::uint32_t size = (std::uint32_t{header[0]} << 24) | (std::uint32_t{header[1]} << 16) |
                               (std::uint32_t{header[2]} << 8) | header[3];
    std::string body(size, '\0');
    if (!read_exact(body.data(), size, until)) {
        return std::nullopt;
    }
    return body;
}

}  // namespace vegha::test
